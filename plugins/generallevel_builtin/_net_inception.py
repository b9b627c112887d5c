"""The FID Inception-V3 (TensorFlow 2015-12-05 graph) as torch-fidelity and pytorch-fid define it.

Network and preprocessing follow torch-fidelity's ``FeatureExtractorInceptionV3`` (what
torchmetrics' ``FrechetInceptionDistance`` runs): uint8 RGB, resized to 299 x 299 with TensorFlow
1.x's bilinear rule (no half-pixel centres), scaled by (x - 128) / 128, float32 throughout, the
2048-d output of the final average pool. The state-dict layout (``Conv2d_1a_3x3.conv.weight``,
``Mixed_5b.branch1x1.bn.running_mean``, ..., ``fc.weight`` of 1008 classes) is that of both
``weights-inception-2015-12-05-6726825d.pth`` (torch-fidelity) and
``pt_inception-2015-12-05-6726825d.pth`` (pytorch-fid), so either file loads unchanged.

Written here, not imported from torch-fidelity, because that package cannot be imported without
torchvision (a multi-GB CUDA build here); tests/test_extractors_models.py checks the features
against torch-fidelity's own class on the same random weights.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from generallevel.feature_cache import describe_identity

from . import _model_support as ms

NAME = "inception-pool3"
VERSION = "1"
SIZE = 299
URL = "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/weights-inception-2015-12-05-6726825d.pth"
FILENAME = "weights-inception-2015-12-05-6726825d.pth"            # torch-fidelity's file in the torch hub cache
PYTORCH_FID_FILENAME = "pt_inception-2015-12-05-6726825d.pth"      # pytorch-fid's copy of the same conversion
PREPROCESSING = {
    "torch-fidelity": "uint8 RGB -> float32, TensorFlow-1.x bilinear resize to 299 x 299 (align_corners=False), "
                      "(x - 128) / 128; pool3 (2048-d) in float32",
    "torchmetrics": "uint8 RGB -> float32, torch bilinear resize to 299 x 299 with antialias (torchmetrics "
                    "FrechetInceptionDistance's default antialias=True), (x - 128) / 128; pool3 in float32",
    "pytorch-fid": "uint8 RGB / 255, torch bilinear resize to 299 x 299 (align_corners=False, no antialias), "
                   "2x - 1; pool3 in float32",
}


class _Conv(nn.Module):
    """Convolution without bias, batch norm (eps 0.001), ReLU: the graph's basic unit."""

    def __init__(self, cin: int, cout: int, kernel, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


def _avg3(x):
    # TensorFlow's average pool leaves padded zeros out of the mean
    return F.avg_pool2d(x, kernel_size=3, stride=1, padding=1, count_include_pad=False)


class _MixedA(nn.Module):
    def __init__(self, cin: int, pool: int):
        super().__init__()
        self.branch1x1 = _Conv(cin, 64, 1)
        self.branch5x5_1 = _Conv(cin, 48, 1)
        self.branch5x5_2 = _Conv(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = _Conv(cin, 64, 1)
        self.branch3x3dbl_2 = _Conv(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = _Conv(96, 96, 3, padding=1)
        self.branch_pool = _Conv(cin, pool, 1)

    def forward(self, x):
        return torch.cat([self.branch1x1(x), self.branch5x5_2(self.branch5x5_1(x)),
                          self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
                          self.branch_pool(_avg3(x))], 1)


class _MixedB(nn.Module):
    def __init__(self, cin: int):
        super().__init__()
        self.branch3x3 = _Conv(cin, 384, 3, stride=2)
        self.branch3x3dbl_1 = _Conv(cin, 64, 1)
        self.branch3x3dbl_2 = _Conv(64, 96, 3, padding=1)
        self.branch3x3dbl_3 = _Conv(96, 96, 3, stride=2)

    def forward(self, x):
        return torch.cat([self.branch3x3(x), self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
                          F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class _MixedC(nn.Module):
    def __init__(self, cin: int, c7: int):
        super().__init__()
        self.branch1x1 = _Conv(cin, 192, 1)
        self.branch7x7_1 = _Conv(cin, c7, 1)
        self.branch7x7_2 = _Conv(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7_3 = _Conv(c7, 192, (7, 1), padding=(3, 0))
        self.branch7x7dbl_1 = _Conv(cin, c7, 1)
        self.branch7x7dbl_2 = _Conv(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_3 = _Conv(c7, c7, (1, 7), padding=(0, 3))
        self.branch7x7dbl_4 = _Conv(c7, c7, (7, 1), padding=(3, 0))
        self.branch7x7dbl_5 = _Conv(c7, 192, (1, 7), padding=(0, 3))
        self.branch_pool = _Conv(cin, 192, 1)

    def forward(self, x):
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = x
        for layer in (self.branch7x7dbl_1, self.branch7x7dbl_2, self.branch7x7dbl_3, self.branch7x7dbl_4,
                      self.branch7x7dbl_5):
            d = layer(d)
        return torch.cat([self.branch1x1(x), b7, d, self.branch_pool(_avg3(x))], 1)


class _MixedD(nn.Module):
    def __init__(self, cin: int):
        super().__init__()
        self.branch3x3_1 = _Conv(cin, 192, 1)
        self.branch3x3_2 = _Conv(192, 320, 3, stride=2)
        self.branch7x7x3_1 = _Conv(cin, 192, 1)
        self.branch7x7x3_2 = _Conv(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = _Conv(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = _Conv(192, 192, 3, stride=2)

    def forward(self, x):
        b7 = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([self.branch3x3_2(self.branch3x3_1(x)), b7, F.max_pool2d(x, kernel_size=3, stride=2)], 1)


class _MixedE(nn.Module):
    """Mixed_7b pools by average, Mixed_7c by max (as the TensorFlow graph does)."""

    def __init__(self, cin: int, max_pool: bool):
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = _Conv(cin, 320, 1)
        self.branch3x3_1 = _Conv(cin, 384, 1)
        self.branch3x3_2a = _Conv(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3_2b = _Conv(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1 = _Conv(cin, 448, 1)
        self.branch3x3dbl_2 = _Conv(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = _Conv(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = _Conv(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = _Conv(cin, 192, 1)

    def forward(self, x):
        b3 = self.branch3x3_1(x)
        b3 = torch.cat([self.branch3x3_2a(b3), self.branch3x3_2b(b3)], 1)
        d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        d = torch.cat([self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d)], 1)
        pooled = F.max_pool2d(x, kernel_size=3, stride=1, padding=1) if self.max_pool else _avg3(x)
        return torch.cat([self.branch1x1(x), b3, d, self.branch_pool(pooled)], 1)


class FIDInceptionV3(nn.Module):
    """Inception-V3 up to the 2048-d pool3 output (``fc`` is kept so the checkpoints load strictly)."""

    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = _Conv(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = _Conv(32, 32, 3)
        self.Conv2d_2b_3x3 = _Conv(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = _Conv(64, 80, 1)
        self.Conv2d_4a_3x3 = _Conv(80, 192, 3)
        self.Mixed_5b = _MixedA(192, 32)
        self.Mixed_5c = _MixedA(256, 64)
        self.Mixed_5d = _MixedA(288, 64)
        self.Mixed_6a = _MixedB(288)
        self.Mixed_6b = _MixedC(768, 128)
        self.Mixed_6c = _MixedC(768, 160)
        self.Mixed_6d = _MixedC(768, 160)
        self.Mixed_6e = _MixedC(768, 192)
        self.Mixed_7a = _MixedD(768)
        self.Mixed_7b = _MixedE(1280, max_pool=False)
        self.Mixed_7c = _MixedE(2048, max_pool=True)
        self.fc = nn.Linear(2048, 1008)

    def forward(self, x):
        """x: N x 3 x 299 x 299 scaled to [-1, 1] -> N x 2048."""
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x))
        x = F.max_pool2d(x, kernel_size=3, stride=2)
        for block in (self.Mixed_5b, self.Mixed_5c, self.Mixed_5d, self.Mixed_6a, self.Mixed_6b, self.Mixed_6c,
                      self.Mixed_6d, self.Mixed_6e, self.Mixed_7a, self.Mixed_7b, self.Mixed_7c):
            x = block(x)
        return torch.flatten(F.adaptive_avg_pool2d(x, 1), 1)


def _tf1_axis(n_in: int, n_out: int) -> tuple[Any, Any, Any]:
    """Source indices and weights of TensorFlow 1.x bilinear resizing along one axis (scale in/out,
    source = destination x scale, no half-pixel offset), computed in float32 as TF does."""
    pos = torch.arange(n_out, dtype=torch.float32) * torch.tensor(n_in / n_out, dtype=torch.float32)
    lo = pos.long()
    hi = (lo + 1).clamp_max(n_in - 1)
    return lo, hi, pos - lo.float()


def resize_tf1(x: Any, size: int) -> Any:
    """Bilinear resize of an N x C x H x W float tensor to size x size, TensorFlow 1.x style."""
    ylo, yhi, dy = (t.to(x.device) for t in _tf1_axis(x.shape[2], size))
    xlo, xhi, dx = (t.to(x.device) for t in _tf1_axis(x.shape[3], size))
    top, bottom = x[:, :, ylo, :], x[:, :, yhi, :]
    t0, t1 = top[:, :, :, xlo], top[:, :, :, xhi]
    b0, b1 = bottom[:, :, :, xlo], bottom[:, :, :, xhi]
    dx = dx.view(1, 1, 1, -1)
    upper = t0 + (t1 - t0) * dx
    lower = b0 + (b1 - b0) * dx
    return upper + (lower - upper) * dy.view(1, 1, -1, 1)


def find_weights(weights: str | None) -> Path:
    return ms.checkpoint(weights, NAME, "the FID Inception-V3 (TensorFlow 2015-12-05 graph, torch-fidelity conversion)",
                         (FILENAME, PYTORCH_FID_FILENAME), f"or pytorch-fid's {PYTORCH_FID_FILENAME} beside it")


class InceptionPool3:
    """Images (uint8 H x W x 3, any size) -> N x 2048 float32 pool3 features."""

    def __init__(self, weights: str | None = None, device: str | None = None, batch_size: int = 32,
                 preprocess: str = "torch-fidelity"):
        if preprocess not in PREPROCESSING:
            raise ms.InputError(f"extractor {NAME!r}: preprocess must be one of {sorted(PREPROCESSING)}, "
                                f"got {preprocess!r}")
        self.preprocess_name = preprocess
        self.weights = find_weights(weights)
        self.device = ms.torch_device(device)
        self.batch_size = ms.positive_int(batch_size, "batch_size")
        # channels-last memory: ~30 % faster convolutions on the CPU (oneDNN), the same numbers to float32 rounding
        self.model = ms.load_state(FIDInceptionV3(), self.weights, NAME).to(self.device,
                                                                            memory_format=torch.channels_last)
        self.cache_key = _key(self.weights, preprocess)

    def preprocess(self, image: np.ndarray) -> Any:
        x = torch.from_numpy(np.ascontiguousarray(image)).to(self.device).permute(2, 0, 1)[None].float()
        if self.preprocess_name == "torch-fidelity":
            return (resize_tf1(x, SIZE) - 128) / 128
        if self.preprocess_name == "torchmetrics":
            x = F.interpolate(x, size=(SIZE, SIZE), mode="bilinear", align_corners=False, antialias=True)
            return (x - 128) / 128
        x = F.interpolate(x / 255, size=(SIZE, SIZE), mode="bilinear", align_corners=False)
        return 2 * x - 1

    def __call__(self, samples: Sequence[Any]) -> np.ndarray:
        images = [ms.image_uint8(s, i, NAME) for i, s in enumerate(ms.samples_list(samples, NAME))]
        out = np.empty((len(images), 2048), dtype=np.float32)
        with torch.inference_mode():
            for part in ms.batches(len(images), self.batch_size):
                batch = torch.cat([self.preprocess(im) for im in images[part]]).contiguous(
                    memory_format=torch.channels_last)
                out[part] = self.model(batch).float().cpu().numpy()
        return out


def build(weights: str | None = None, device: str | None = None, batch_size: int = 32,
          preprocess: str = "torch-fidelity") -> InceptionPool3:
    """``preprocess``: "torch-fidelity" (default; TensorFlow FID's resize, as torch-fidelity and
    torchmetrics with antialias=False), "torchmetrics" (torchmetrics' default antialiased resize) or
    "pytorch-fid" (pytorch-fid's resize and scaling)."""
    return InceptionPool3(weights=weights, device=device, batch_size=batch_size, preprocess=preprocess)


def _key(weights: Path, preprocess: str) -> str:
    return describe_identity(version=VERSION, weights=ms.file_digest(weights), preprocessing=PREPROCESSING[preprocess])


def identity(weights: str | None = None, device: str | None = None, batch_size: int = 32,
             preprocess: str = "torch-fidelity") -> str:
    """``build(...).cache_key`` without loading the network: a warm feature cache then needs no weights
    read (the extractor is built on the first miss). Raises as ``build`` would for missing weights."""
    if preprocess not in PREPROCESSING:
        raise ms.InputError(f"extractor {NAME!r}: preprocess must be one of {sorted(PREPROCESSING)}, "
                            f"got {preprocess!r}")
    return _key(find_weights(weights), preprocess)


def fetch() -> str:
    """Download torch-fidelity's checkpoint with torch hub (what torch-fidelity itself calls)."""
    torch.hub.load_state_dict_from_url(URL, progress=True, check_hash=False, map_location="cpu")
    return str(ms.torch_hub_checkpoint(FILENAME))


def save_tiny(folder: str | Path, seed: int = 0) -> dict[str, str]:
    """Random weights in the real layout and format (a torch.save'd state dict, ~95 MB: the
    architecture has no small variant). numpy's generator makes them identical on every platform.
    Returns the load options."""
    path = Path(folder) / "hub" / "checkpoints" / FILENAME  # folder can serve as TORCH_HOME
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(ms.random_state(FIDInceptionV3().state_dict(), seed), path)
    return {"weights": str(path)}
