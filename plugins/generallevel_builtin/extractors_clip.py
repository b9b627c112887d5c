"""Built-in extractors: CLIP image and text embeddings (transformers CLIPModel; CLIP-I, CLIP-T, CLIP-Style).

Declaration only (no torch or transformers at import); the models are built in ``_net_clip``.
"""

from __future__ import annotations

from generallevel import Extractor, hookimpl

_NET = "generallevel_builtin._net_clip:"
_WEIGHTS = ("weights: the Hugging Face hub cache (HF_HUB_CACHE) copy of model= (default "
            "openai/clip-vit-large-patch14, torchmetrics CLIPScore's default), or a local folder")


@hookimpl
def register_extractors(register):
    register(Extractor(
        "clip-image", "image", _NET + "build_image", identity=_NET + "identity_image",
        metrics=("CLIP-I", "CLIP-T", "CLIP-Style"),
        default_for=("CLIP-I", "CLIP-T", "CLIP-Style"), aliases=("clip-vit-l-14-image",),
        requires=("torch", "transformers"), version="1",
        samples="uint8 RGB numpy array H x W x 3, any size",
        preprocessing="CLIPImageProcessor (PIL implementation): bicubic short-side resize, centre crop, "
                      "CLIP mean/std; projected image embedding (get_image_features), float32",
        fetch=_NET + "fetch", locate="generallevel_builtin._locate:clip",
        reference="torchmetrics CLIPScore (transformers CLIPModel.get_image_features)",
        description="CLIP image embedding (ViT-L/14 by default; 768-d); " + _WEIGHTS))
    register(Extractor(
        "clip-text", "text", _NET + "build_text", identity=_NET + "identity_text",
        metrics=("CLIP-T",), reference_for=("CLIP-T",),
        aliases=("clip-vit-l-14-text",), requires=("torch", "transformers"), version="1",
        samples="str",
        preprocessing="CLIP tokenizer, padded, cut to max_position_embeddings (as torchmetrics); projected "
                      "text embedding (get_text_features), float32",
        fetch=_NET + "fetch", locate="generallevel_builtin._locate:clip",
        reference="torchmetrics CLIPScore (transformers CLIPModel.get_text_features)",
        description="CLIP text embedding of the same model as clip-image; " + _WEIGHTS))
