"""DINO image embeddings (transformers ViTModel, ``facebook/dino-vitb16`` by default): DINO-I.

The registry's DINO-I task (VBench subject consistency) compares frames with DINO ViT-B/16, the
network VBench loads (``dino_vitb16``); DreamBooth's DINO score uses ViT-S/16 (``model=
"facebook/dino-vits16"``). The embedding is the final layer-normed [CLS] token (what the DINO
repository's ViT forward returns; transformers' ``ViTModel.last_hidden_state[:, 0]`` is the same
tensor). Preprocessing: the repository's ``ViTImageProcessor`` (PIL bilinear resize to 224 x 224,
/255, ImageNet mean/std), float32; VBench's own transform (resize of the short side, centre crop)
is not reproduced.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from generallevel.feature_cache import describe_identity

from . import _hf
from . import _model_support as ms

NAME = "dino-vitb16"
DEFAULT_MODEL = "facebook/dino-vitb16"
VERSION = "1"
PREPROCESSING = "ViTImageProcessor (PIL): resize to 224 x 224, /255, ImageNet mean/std; [CLS] of the last layer"


class DINOImage:
    """Images (uint8 H x W x 3, any size) -> N x D [CLS] embeddings (768 for ViT-B/16)."""

    def __init__(self, model: str = DEFAULT_MODEL, device: str | None = None, batch_size: int = 32):
        from transformers import ViTImageProcessor, ViTModel

        self.device = ms.torch_device(device)
        self.batch_size = ms.positive_int(batch_size, "batch_size")
        folder = _hf.resolve(model, NAME, "DINO ViT (transformers ViTModel)")
        self.model = _hf.load(ViTModel.from_pretrained, folder, NAME, add_pooling_layer=False)
        self.model = self.model.eval().requires_grad_(False).to(self.device)
        self.processor = _hf.load(ViTImageProcessor.from_pretrained, folder, NAME)
        self.cache_key = describe_identity(version=VERSION, weights=ms.folder_digest(folder),
                                           preprocessing=PREPROCESSING)

    def __call__(self, samples: Sequence[Any]) -> np.ndarray:
        images = [ms.image_uint8(s, i, NAME) for i, s in enumerate(ms.samples_list(samples, NAME))]
        rows = []
        with torch.inference_mode():
            for part in ms.batches(len(images), self.batch_size):
                px = self.processor(images=images[part], return_tensors="pt",
                                    input_data_format="channels_last")["pixel_values"]
                out = self.model(pixel_values=px.to(self.device)).last_hidden_state[:, 0]
                rows.append(out.float().cpu().numpy())
        return np.concatenate(rows)


def build(model: str = DEFAULT_MODEL, device: str | None = None, batch_size: int = 32) -> DINOImage:
    return DINOImage(model, device, batch_size)


def fetch(model: str = DEFAULT_MODEL) -> str:
    return _hf.fetch(model)


def save_tiny(folder: str | Path, seed: int = 0, repo_id: str = DEFAULT_MODEL) -> dict[str, str]:
    """A 2-layer ViTModel (32 x 32 images, patch 8, 24-d) with its ViTImageProcessor, in the hub layout."""
    from transformers import ViTConfig, ViTImageProcessor, ViTModel

    torch.manual_seed(seed)
    snap = _hf.snapshot_dir(folder, repo_id)
    config = ViTConfig(hidden_size=24, num_hidden_layers=2, num_attention_heads=2, intermediate_size=48,
                       image_size=32, patch_size=8)
    ViTModel(config, add_pooling_layer=False).save_pretrained(snap)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(snap)
    return {"model": str(snap)}
