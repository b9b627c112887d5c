"""The LAION aesthetic predictor as VBench's aesthetic_quality runs it: a linear head on CLIP ViT-L/14.

VBench (``vbench/aesthetic_quality.py``) embeds each frame with OpenAI CLIP ViT-L/14
(``encode_image``), L2-normalises the embedding and applies LAION's ``sa_0_4_vit_l_14_linear.pth``
(``nn.Linear(768, 1)``): a score on LAION's 0..10 scale (VBench then divides by 10). The CLIP tower
is the ``clip-image`` extractor (transformers ``openai/clip-vit-large-patch14``, the same weights as
``clip.load("ViT-L/14")``); the head is read from VBench's own folder
(``$VBENCH_CACHE_DIR``, default ``~/.cache/vbench``, ``aesthetic_model/emb_reader/``), the torch hub
checkpoints folder, or ``head=PATH``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from generallevel.feature_cache import describe_identity

from . import _model_support as ms
from ._net_clip import DEFAULT_MODEL, CLIPImage

NAME = "laion-aesthetic"
VERSION = "1"
FILENAME = "sa_0_4_vit_l_14_linear.pth"
URL = "https://github.com/LAION-AI/aesthetic-predictor/raw/main/sa_0_4_vit_l_14_linear.pth"


def vbench_folder() -> Path:
    root = os.environ.get("VBENCH_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "vbench")
    return Path(root) / "aesthetic_model" / "emb_reader"


def find_head(head: str | None) -> Path:
    if head:
        return ms.checkpoint(head, NAME, "the LAION aesthetic head", (FILENAME,))
    path = vbench_folder() / FILENAME
    if path.is_file():
        return path
    return ms.checkpoint(None, NAME, "the LAION aesthetic head (sa_0_4_vit_l_14_linear.pth)", (FILENAME,),
                         f"or {path} (VBench's folder)")


class AestheticScores:
    """Images (uint8 H x W x 3) -> N LAION aesthetic scores (0..10 scale)."""

    def __init__(self, model: str = DEFAULT_MODEL, head: str | None = None, device: str | None = None,
                 batch_size: int = 32):
        self.clip = CLIPImage(model, device, batch_size, name=NAME)
        self.device = self.clip.device
        self.head_path = find_head(head)
        dim = int(self.clip.model.config.projection_dim)
        self.head = ms.load_state(torch.nn.Linear(dim, 1), self.head_path, NAME).to(self.device)
        self.cache_key = describe_identity(version=VERSION, clip=self.clip.cache_key,
                                           head=ms.file_digest(self.head_path),
                                           preprocessing="L2-normalised CLIP image embedding -> linear head")

    def __call__(self, samples: Sequence[Any]) -> np.ndarray:
        feats = torch.from_numpy(self.clip(samples)).to(self.device)
        with torch.inference_mode():
            feats = feats / feats.norm(dim=-1, keepdim=True)
            return self.head(feats).squeeze(-1).double().cpu().numpy()


def build(model: str = DEFAULT_MODEL, head: str | None = None, device: str | None = None,
          batch_size: int = 32) -> AestheticScores:
    return AestheticScores(model, head, device, batch_size)


def fetch(model: str = DEFAULT_MODEL) -> str:
    """The CLIP tower (huggingface_hub) and the head (torch hub's downloader) into VBench's folder."""
    from . import _hf

    _hf.fetch(model)
    path = vbench_folder() / FILENAME
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.hub.download_url_to_file(URL, str(path))
    return str(path)


def save_tiny(folder: str | Path, seed: int = 0) -> dict[str, str]:
    """The tiny CLIP of clip-image plus a head of its projection size whose scores stay inside 0..10."""
    from ._net_clip import save_tiny as save_clip

    opts = save_clip(folder, seed)
    dim = int(__import__("json").loads((Path(opts["model"]) / "config.json").read_text())["projection_dim"])
    rng = np.random.default_rng(seed)
    state = {"weight": torch.from_numpy((rng.standard_normal((1, dim)) * 2.0).astype(np.float32)),
             "bias": torch.tensor([5.0])}
    path = Path(folder) / "vbench" / "aesthetic_model" / "emb_reader" / FILENAME
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path)
    return {"model": opts["model"], "head": str(path)}
