"""Built-in extractor: DINO ViT [CLS] embeddings (transformers ViTModel; DINO-I).

Declaration only (no torch or transformers at import); the model is built in ``_net_dino``.
"""

from __future__ import annotations

from generallevel import Extractor, hookimpl


@hookimpl
def register_extractors(register):
    register(Extractor(
        "dino-vitb16", "image", "generallevel_builtin._net_dino:build", metrics=("DINO-I",), default_for=("DINO-I",),
        aliases=("dino",), requires=("torch", "transformers"), version="1",
        samples="uint8 RGB numpy array H x W x 3, any size",
        preprocessing="ViTImageProcessor (PIL): resize to 224 x 224, /255, ImageNet mean/std; last-layer [CLS], "
                      "float32",
        fetch="generallevel_builtin._net_dino:fetch", locate="generallevel_builtin._locate:dino",
        reference="DINO ViT-B/16 as VBench subject_consistency loads it (dino_vitb16); model=facebook/dino-vits16 "
                  "for DreamBooth's DINO score",
        description="self-supervised DINO ViT-B/16 (facebook/dino-vitb16, 768-d) from the Hugging Face hub cache, "
                    "or model=FOLDER"))
