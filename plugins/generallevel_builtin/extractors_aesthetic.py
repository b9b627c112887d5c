"""Built-in predictor: the LAION aesthetic score (CLIP ViT-L/14 + LAION's linear head; AestheticScore).

Declaration only (no torch or transformers at import); the model is built in ``_net_aesthetic``.
"""

from __future__ import annotations

from generallevel import Extractor, hookimpl


@hookimpl
def register_extractors(register):
    register(Extractor(
        "laion-aesthetic", "image", "generallevel_builtin._net_aesthetic:build", output="scores",
        metrics=("AestheticScore",), default_for=("AestheticScore",), aliases=("aesthetic-predictor",),
        requires=("torch", "transformers"), version="1",
        samples="uint8 RGB numpy array H x W x 3, any size (a video: one score per frame, averaged by the caller)",
        preprocessing="clip-image's preprocessing (CLIPImageProcessor, PIL), L2-normalised embedding, "
                      "nn.Linear(768, 1) from sa_0_4_vit_l_14_linear.pth; LAION's 0..10 scale",
        fetch="generallevel_builtin._net_aesthetic:fetch", locate="generallevel_builtin._locate:aesthetic",
        reference="VBench aesthetic_quality (LAION aesthetic predictor v1 on CLIP ViT-L/14), before its /10",
        description="LAION aesthetic score; CLIP from the Hugging Face hub cache (model=), head "
                    "sa_0_4_vit_l_14_linear.pth in $VBENCH_CACHE_DIR/aesthetic_model/emb_reader or "
                    "$TORCH_HOME/hub/checkpoints, or head=PATH"))
