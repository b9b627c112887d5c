"""MUSIQ (multi-scale image quality transformer) as pyiqa runs it: the MUSIQ metric.

The official predictor is pyiqa's ``create_metric("musiq")``: pyiqa's ``MUSIQ`` network with the
KonIQ-10k checkpoint ``musiq_koniq_ckpt-e95806b9.pth`` (a 0..100 MOS). pyiqa itself cannot be
installed beside this package's pins (it pulls another torch, transformers 5, OpenCV, timm, ...),
so the network is written here in pyiqa's state-dict layout (``conv_root``, ``gn_root``,
``block1.*``, ``embedding``, ``transformer_encoder.encoderblock_N.*``, ``head``): pyiqa's own
checkpoints load unchanged, from pyiqa's cache folder ($TORCH_HOME/hub/pyiqa), the torch hub
checkpoints folder, or ``weights=PATH``. The layer sizes are read from the checkpoint, so the
AVA (10-bin distribution head), SPAQ and PaQ-2-PiQ checkpoints load too.

Preprocessing, as pyiqa's ``MUSIQ.forward`` in eval mode: RGB in [0, 1] scaled to [-1, 1]; the
image resized (torch bicubic, aspect kept) so its longer side is 224 and 384, plus the original
resolution; each scale cut into 32 x 32 patches with TF "SAME" zero padding; each patch tagged with
its hashed spatial position (a 10 x 10 grid), its scale index and a mask; the two resized scales
padded to ceil(L / 32)^2 patches. One image per forward pass (sequence lengths differ by size).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from generallevel.feature_cache import describe_identity

from . import _model_support as ms

NAME = "musiq"
VERSION = "1"
FILENAME = "musiq_koniq_ckpt-e95806b9.pth"
URL = "https://github.com/chaofengc/IQA-PyTorch/releases/download/v0.1-weights/" + FILENAME
LONGER_SIDES = (224, 384)
PREPROCESSING = ("RGB/255 -> [-1, 1]; torch bicubic resize (aspect kept) to longer side 224 and 384 plus the "
                 "original resolution; 32 x 32 patches, TF SAME padding, hashed 10 x 10 positions; float32")


def _same_pad(x: torch.Tensor, kernel: int, stride: int) -> torch.Tensor:
    """TensorFlow's "SAME" zero padding for a square kernel (the extra pixel goes right/bottom)."""
    h, w = x.shape[-2:]
    rows = max(0, (math.ceil(h / stride) - 1) * stride + kernel - h)
    cols = max(0, (math.ceil(w / stride) - 1) * stride + kernel - w)
    return F.pad(x, (cols // 2, cols - cols // 2, rows // 2, rows - rows // 2))


class _StdConv(nn.Conv2d):
    """Weight-standardised convolution with SAME padding (BiT's StdConv, as MUSIQ's ResNet root)."""

    def forward(self, x):
        w = self.weight
        w = (w - w.mean((1, 2, 3), keepdim=True)) / (w.std((1, 2, 3), keepdim=True) + 1e-5)
        return F.conv2d(_same_pad(x, self.kernel_size[0], self.stride[0]), w, self.bias, self.stride)


class _Bottleneck(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.conv1 = _StdConv(cin, cin, 1, 1, bias=False)
        self.gn1 = nn.GroupNorm(32, cin, eps=1e-4)
        self.conv2 = _StdConv(cin, cin, 3, 1, bias=False)
        self.gn2 = nn.GroupNorm(32, cin, eps=1e-4)
        self.conv3 = _StdConv(cin, cout, 1, 1, bias=False)
        self.gn3 = nn.GroupNorm(32, cout, eps=1e-4)
        self.conv_proj = _StdConv(cin, cout, 1, 1, bias=False)
        self.gn_proj = nn.GroupNorm(32, cout, eps=1e-4)

    def forward(self, x):
        skip = self.gn_proj(self.conv_proj(x))
        x = F.relu(self.gn1(self.conv1(x)))
        x = F.relu(self.gn2(self.conv2(x)))
        return F.relu(self.gn3(self.conv3(x)) + skip)


class _Attention(nn.Module):
    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.query, self.key, self.value, self.out = (nn.Linear(dim, dim) for _ in range(4))

    def forward(self, x, mask):
        b, n, c = x.shape

        def split(t):
            return t.reshape(b, n, self.heads, c // self.heads).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        logits = (q @ k.transpose(-2, -1)) * (c // self.heads) ** -0.5
        pair = mask[:, None, :, None] * mask[:, None, None, :]
        logits = logits.masked_fill(pair == 0, -1e3)  # pyiqa's constant, not -inf
        return self.out((logits.softmax(-1) @ v).transpose(1, 2).reshape(b, n, c))


class _Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x)))


class _Block(nn.Module):
    def __init__(self, dim: int, mlp: int, heads: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=1e-6)
        self.attention = _Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6)
        self.mlp = _Mlp(dim, mlp)

    def forward(self, x, mask):
        x = x + self.attention(self.norm1(x), mask)
        return x + self.mlp(self.norm2(x))


class _PosEmb(nn.Module):
    def __init__(self, grid: int, dim: int):
        super().__init__()
        self.position_emb = nn.Parameter(torch.zeros(1, grid * grid, dim))


class _ScaleEmb(nn.Module):
    def __init__(self, scales: int, dim: int):
        super().__init__()
        self.scale_emb = nn.Parameter(torch.zeros(scales, dim))


class _Encoder(nn.Module):
    def __init__(self, dim: int, mlp: int, heads: int, layers: int, scales: int, grid: int):
        super().__init__()
        self.posembed_input = _PosEmb(grid, dim)
        self.scaleembed_input = _ScaleEmb(scales, dim)
        self.cls = nn.Parameter(torch.zeros(1, 1, dim))
        self.encoder_norm = nn.LayerNorm(dim, eps=1e-6)
        self.transformer = nn.ModuleDict({f"encoderblock_{i}": _Block(dim, mlp, heads) for i in range(layers)})

    def forward(self, x, spatial, scale, mask):
        x = x + self.posembed_input.position_emb[0][spatial.long()] + self.scaleembed_input.scale_emb[scale.long()]
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1)
        mask = torch.cat([torch.ones_like(mask[:, :1]), mask], dim=1)
        for block in self.transformer.values():
            x = block(x, mask)
        return self.encoder_norm(x)


class MUSIQ(nn.Module):
    """pyiqa's MUSIQ (same parameter names); ``forward(patches)`` -> N MOS values."""

    def __init__(self, patch: int = 32, hidden: int = 384, mlp: int = 1152, heads: int = 6, layers: int = 14,
                 scales: int = 3, grid: int = 10, classes: int = 1):
        super().__init__()
        self.patch, self.grid = patch, grid
        self.conv_root = _StdConv(3, 64, 7, 2, bias=False)
        self.gn_root = nn.GroupNorm(32, 64, eps=1e-6)
        self.block1 = _Bottleneck(64, 256)
        self.embedding = nn.Linear(256 * (patch // 4) ** 2, hidden)
        self.transformer_encoder = _Encoder(hidden, mlp, heads, layers, scales, grid)
        # the AVA checkpoint has a 10-bin softmax head (Sequential -> "head.0.*"), the others one output
        self.head = nn.Sequential(nn.Linear(hidden, classes), nn.Softmax(-1)) if classes > 1 else nn.Linear(hidden, 1)

    @classmethod
    def from_state(cls, state: dict, heads: int | None = None) -> "MUSIQ":
        """The network whose layer sizes are those of a pyiqa MUSIQ state dict."""
        hidden, embed_in = state["embedding.weight"].shape
        layers = len({k.split(".")[2] for k in state if k.startswith("transformer_encoder.transformer.")})
        head = state.get("head.weight", state.get("head.0.weight"))
        return cls(patch=4 * math.isqrt(embed_in // 256), hidden=hidden,
                   mlp=state["transformer_encoder.transformer.encoderblock_0.mlp.fc1.weight"].shape[0],
                   heads=heads or max(1, hidden // 64), layers=layers,
                   scales=state["transformer_encoder.scaleembed_input.scale_emb"].shape[0],
                   grid=math.isqrt(state["transformer_encoder.posembed_input.position_emb"].shape[1]),
                   classes=1 if head is None else head.shape[0])

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens: N x L x (3 * patch^2 + 3) from :func:`multiscale_patches` -> N scores."""
        n, length, _ = tokens.shape
        spatial, scale, mask = tokens[..., -3], tokens[..., -2], tokens[..., -1]
        x = tokens[..., :-3].reshape(-1, 3, self.patch, self.patch)
        x = self.gn_root(self.conv_root(x))
        x = F.max_pool2d(_same_pad(F.relu(x), 3, 2), 3, 2)
        x = self.block1(x).permute(0, 2, 3, 1).reshape(n, length, -1)  # TF channel order
        x = self.transformer_encoder(self.embedding(x), spatial, scale, mask)
        q = self.head(x[:, 0])
        return (q * torch.arange(1, q.shape[-1] + 1, dtype=q.dtype, device=q.device)).sum(-1)


def _hash_positions(grid: int, rows: int, cols: int) -> torch.Tensor:
    """Each patch's index in the grid x grid position table (nearest-neighbour scaling of its row/col)."""
    table = torch.arange(grid, dtype=torch.float32)[None, None]
    r = F.interpolate(table, rows, mode="nearest")[0, 0]  # torch's nearest rule, as pyiqa uses it
    c = F.interpolate(table, cols, mode="nearest")[0, 0]
    return (r[:, None] * grid + c[None, :]).reshape(-1)


def _patches(image: torch.Tensor, patch: int, grid: int, scale_id: int, max_len: int | None) -> torch.Tensor:
    """image 1 x 3 x H x W -> L x (3 * patch^2 + 3): patches (C, kh, kw order), position, scale, mask."""
    h, w = image.shape[-2:]
    cols = F.unfold(_same_pad(image, patch, patch), patch, stride=patch)[0].T  # L x 3*p*p
    pos = _hash_positions(grid, math.ceil(h / patch), math.ceil(w / patch))
    out = torch.cat([cols, pos[:, None].to(cols), torch.full_like(cols[:, :1], scale_id),
                     torch.ones_like(cols[:, :1])], dim=1)
    if max_len is not None:
        out = torch.cat([out, out.new_zeros(max(0, max_len - out.shape[0]), out.shape[1])])[:max_len]
    return out


def multiscale_patches(image: torch.Tensor, patch: int = 32, grid: int = 10,
                       longer_sides: Sequence[int] = LONGER_SIDES) -> torch.Tensor:
    """One image 1 x 3 x H x W in [-1, 1] -> 1 x L x (3 * patch^2 + 3), as pyiqa's get_multiscale_patches
    with max_seq_len_from_original_res=-1 (every patch of the original resolution kept)."""
    h, w = image.shape[-2:]
    parts = []
    for scale_id, side in enumerate(sorted(longer_sides)):
        ratio = side / max(h, w)
        resized = F.interpolate(image, (round(h * ratio), round(w * ratio)), mode="bicubic")
        parts.append(_patches(resized, patch, grid, scale_id, math.ceil(side / patch) ** 2))
    parts.append(_patches(image, patch, grid, len(longer_sides), None))
    return torch.cat(parts)[None]


def default_path() -> Path:
    """pyiqa's download folder: ``$TORCH_HOME/hub/pyiqa`` (``~/.cache/torch/hub/pyiqa``)."""
    return Path(torch.hub.get_dir()) / "pyiqa" / FILENAME


def find_weights(weights: str | None) -> Path:
    if weights:
        return ms.checkpoint(weights, NAME, "pyiqa MUSIQ", (FILENAME,))
    if default_path().is_file():
        return default_path()
    return ms.checkpoint(None, NAME, f"pyiqa MUSIQ (KonIQ-10k, {FILENAME})", (FILENAME,),
                         f"or {default_path()} (pyiqa's folder)")


class MUSIQScores:
    """Images (uint8 H x W x 3, any size >= 1 px) -> N MUSIQ scores (KonIQ checkpoint: 0..100 MOS)."""

    def __init__(self, weights: str | None = None, device: str | None = None, heads: int | None = None):
        self.weights = find_weights(weights)
        self.device = ms.torch_device(device)
        try:
            state = torch.load(self.weights, map_location="cpu", weights_only=True)
            if isinstance(state, dict) and isinstance(state.get("params"), dict):
                state = state["params"]
            state = {k.removeprefix("module."): v for k, v in state.items()}  # DataParallel checkpoints
            model = MUSIQ.from_state(state, heads)
            model.load_state_dict(state)
        except Exception as e:  # noqa: BLE001 - unreadable, or not a MUSIQ state dict
            raise ms.corrupt_weights(NAME, self.weights, e) from e
        self.model = model.eval().requires_grad_(False).to(self.device)
        self.cache_key = describe_identity(version=VERSION, weights=ms.file_digest(self.weights),
                                           preprocessing=PREPROCESSING)

    def __call__(self, samples: Sequence[Any]) -> np.ndarray:
        images = [ms.image_uint8(s, i, NAME) for i, s in enumerate(ms.samples_list(samples, NAME))]
        out = np.empty(len(images), dtype=np.float64)
        with torch.inference_mode():
            for i, img in enumerate(images):
                x = torch.from_numpy(np.ascontiguousarray(img)).permute(2, 0, 1)[None].float().div(255.0)
                tokens = multiscale_patches((x - 0.5) * 2, self.model.patch, self.model.grid)
                out[i] = float(self.model(tokens.to(self.device))[0])
        return out


def build(weights: str | None = None, device: str | None = None, heads: int | None = None) -> MUSIQScores:
    return MUSIQScores(weights, device, heads)


def fetch() -> str:
    """pyiqa's KonIQ checkpoint into pyiqa's folder with torch hub's downloader."""
    path = default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.hub.download_url_to_file(URL, str(path))
    return str(path)


def save_tiny(folder: str | Path, seed: int = 0) -> dict[str, str]:
    """A 1-layer, 128-wide MUSIQ (2 heads) with random weights, saved as pyiqa saves its checkpoints
    (a plain state dict) in pyiqa's folder under ``folder`` (usable as TORCH_HOME)."""
    model = MUSIQ(hidden=128, mlp=256, heads=2, layers=1)
    state = ms.random_state(model.state_dict(), seed)
    state["head.bias"] = torch.tensor([50.0])
    path = Path(folder) / "hub" / "pyiqa" / FILENAME
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path)
    return {"weights": str(path)}
