"""CLIP image and text embeddings with transformers' CLIPModel, as torchmetrics' CLIPScore computes them.

Images: ``CLIPImageProcessor`` (the PIL implementation, ``use_fast=False``: bicubic resize of the
short side, centre crop, rescale, CLIP mean/std; OpenAI CLIP's own preprocessing) then
``get_image_features`` (the projected embedding). Texts: the model's tokenizer with padding,
cut to the text model's ``max_position_embeddings`` as torchmetrics does, then
``get_text_features``. Float32. One model instance serves both extractors of a folder and device.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch

from . import _hf
from . import _model_support as ms

DEFAULT_MODEL = "openai/clip-vit-large-patch14"  # torchmetrics CLIPScore's default
VERSION = "1"
IMAGE_PREPROCESSING = ("CLIPImageProcessor (PIL): bicubic resize of the short side, centre crop, /255, "
                       "CLIP mean/std normalisation; projected image embedding, float32")
TEXT_PREPROCESSING = "CLIP tokenizer, padded, cut to max_position_embeddings (torchmetrics); projected text embedding"


class _Base(_hf.TwoTower):
    family = "CLIP (transformers CLIPModel)"

    def __init__(self, model: str = DEFAULT_MODEL, device: str | None = None, batch_size: int = 32,
                 name: str = ""):
        super().__init__(model, device, batch_size, name)

    def load(self, folder: Path) -> tuple[Any, Any]:
        from transformers import CLIPModel, CLIPProcessor

        return (_hf.load(CLIPModel.from_pretrained, folder, self.name),
                _hf.load(CLIPProcessor.from_pretrained, folder, self.name, use_fast=False))


class CLIPImage(_Base):
    """Images (uint8 H x W x 3, any size) -> N x D projected CLIP image embeddings."""

    kind = "image"
    preprocessing = IMAGE_PREPROCESSING

    def __call__(self, samples: Sequence[Any]) -> np.ndarray:
        images = [ms.image_uint8(s, i, self.name) for i, s in enumerate(ms.samples_list(samples, self.name))]
        rows = []
        with torch.inference_mode():
            for part in ms.batches(len(images), self.batch_size):
                px = self.processor.image_processor(images=images[part], return_tensors="pt",
                                                    input_data_format="channels_last")["pixel_values"]
                feats = _hf.features(self.model.get_image_features(pixel_values=px.to(self.device)))
                rows.append(feats.float().cpu().numpy())
        return np.concatenate(rows)


class CLIPText(_Base):
    """Texts (str) -> N x D projected CLIP text embeddings."""

    kind = "text"
    preprocessing = TEXT_PREPROCESSING

    def __call__(self, samples: Sequence[Any]) -> np.ndarray:
        texts = [ms.text(s, i, self.name) for i, s in enumerate(ms.samples_list(samples, self.name))]
        limit = self.model.config.text_config.max_position_embeddings
        rows = []
        with torch.inference_mode():
            for part in ms.batches(len(texts), self.batch_size):
                tok = self.processor.tokenizer(texts[part], padding=True, return_tensors="pt")
                ids, mask = tok["input_ids"][..., :limit], tok["attention_mask"][..., :limit]
                feats = _hf.features(self.model.get_text_features(input_ids=ids.to(self.device),
                                                                  attention_mask=mask.to(self.device)))
                rows.append(feats.float().cpu().numpy())
        return np.concatenate(rows)


def build_image(model: str = DEFAULT_MODEL, device: str | None = None, batch_size: int = 32) -> CLIPImage:
    return CLIPImage(model, device, batch_size, name="clip-image")


def build_text(model: str = DEFAULT_MODEL, device: str | None = None, batch_size: int = 64) -> CLIPText:
    return CLIPText(model, device, batch_size, name="clip-text")


def identity_image(model: str = DEFAULT_MODEL, device: str | None = None, batch_size: int = 32) -> str:
    return CLIPImage.identity(model, "clip-image")


def identity_text(model: str = DEFAULT_MODEL, device: str | None = None, batch_size: int = 64) -> str:
    return CLIPText.identity(model, "clip-text")


def fetch(model: str = DEFAULT_MODEL) -> str:
    return _hf.fetch(model)


# -- a tiny CLIP in the real format ----------------------------------------------------------------
def _bytes_to_unicode() -> dict[int, str]:
    """GPT-2 / CLIP byte-level BPE alphabet: printable bytes map to themselves, others above 255."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + \
        list(range(ord("®"), ord("ÿ") + 1))
    codes = printable[:]
    extra = 0
    for b in range(256):
        if b not in printable:
            printable.append(b)
            codes.append(256 + extra)
            extra += 1
    return dict(zip(printable, map(chr, codes)))


def tiny_tokenizer(folder: Path) -> Any:
    """A CLIP BPE tokenizer with the byte alphabet and a few merges (the real vocab.json/merges.txt format)."""
    import json

    from transformers import CLIPTokenizer

    alphabet = list(_bytes_to_unicode().values())
    vocab: dict[str, int] = {}
    for c in alphabet + [c + "</w>" for c in alphabet]:
        vocab.setdefault(c, len(vocab))
    merges = ["t h", "th e</w>", "c a", "ca t</w>", "d o", "do g</w>", "i n", "in g</w>", "o n</w>", "a n"]
    for m in merges:
        vocab.setdefault(m.replace(" ", ""), len(vocab))
    for special in ("<|startoftext|>", "<|endoftext|>"):
        vocab.setdefault(special, len(vocab))
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "vocab.json").write_text(json.dumps(vocab), encoding="utf-8")
    (folder / "merges.txt").write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
    return CLIPTokenizer(str(folder / "vocab.json"), str(folder / "merges.txt"))


def save_tiny(folder: str | Path, seed: int = 0, repo_id: str = DEFAULT_MODEL) -> dict[str, str]:
    """A 2-layer CLIPModel (32 x 32 images, 16-d embeddings) with its processor, saved with
    ``save_pretrained`` into ``folder`` laid out as a hub cache (``folder`` can serve as HF_HUB_CACHE)."""
    import tempfile

    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor

    torch.manual_seed(seed)
    snap = _hf.snapshot_dir(folder, repo_id)
    with tempfile.TemporaryDirectory() as tmp:
        tok = tiny_tokenizer(Path(tmp))
        bos, eos = tok.convert_tokens_to_ids(["<|startoftext|>", "<|endoftext|>"])
        text = dict(vocab_size=len(tok), hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                    num_attention_heads=2, max_position_embeddings=32, bos_token_id=bos, eos_token_id=eos,
                    pad_token_id=eos)
        vision = dict(hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=2,
                      image_size=32, patch_size=8)
        model = CLIPModel(CLIPConfig(text_config=text, vision_config=vision, projection_dim=16))
        model.save_pretrained(snap)
        images = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
        CLIPProcessor(image_processor=images, tokenizer=tok).save_pretrained(snap)
    return {"model": str(snap)}
