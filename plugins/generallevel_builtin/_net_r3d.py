"""R3D-18 (torchvision ``r3d_18``, Kinetics-400) video features, as General-Bench's FVD computes them.

The official toolkit (``video_generation_evaluation/toolkit/fvd.py``) takes torchvision's
``r3d_18(pretrained=True)`` with the classifier replaced by the identity (512-d), the first 16
frames of each video (the last frame repeated when fewer), each frame resized with PIL to 224 x 224
(``transforms.Resize((224, 224))`` on a PIL image: bilinear with antialiasing), scaled to [0, 1] and
normalised with mean (0.43216, 0.394666, 0.37645), std (0.22803, 0.22145, 0.216989).

The network is written here in torchvision's state-dict layout (``stem.0.weight``,
``layer1.0.conv1.0.weight``, ..., ``fc.weight`` of 400 classes), so torchvision's own checkpoint
``r3d_18-b3b3357e.pth`` in the torch hub cache loads unchanged, without installing torchvision (a
multi-GB CUDA build here). tests/test_extractors_models.py checks it against torchvision's
``r3d_18`` on the same random weights.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn as nn

from generallevel.feature_cache import describe_identity

from . import _model_support as ms

NAME = "r3d18-kinetics"
VERSION = "1"
URL = "https://download.pytorch.org/models/r3d_18-b3b3357e.pth"
FILENAME = "r3d_18-b3b3357e.pth"
FRAMES = 16
SIZE = 224
MEAN = (0.43216, 0.394666, 0.37645)
STD = (0.22803, 0.22145, 0.216989)
PREPROCESSING = ("first 16 frames (last repeated), PIL bilinear resize to 224 x 224, /255, "
                 f"normalise mean {MEAN} std {STD}; float32")


def _bn(c: int) -> nn.BatchNorm3d:
    return nn.BatchNorm3d(c)


class _Block(nn.Module):
    """torchvision's BasicBlock with Conv3DSimple (3 x 3 x 3 convolutions)."""

    def __init__(self, cin: int, cout: int, stride: int):
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv3d(cin, cout, 3, stride=stride, padding=1, bias=False), _bn(cout),
                                   nn.ReLU(inplace=True))
        self.conv2 = nn.Sequential(nn.Conv3d(cout, cout, 3, stride=1, padding=1, bias=False), _bn(cout))
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv3d(cin, cout, 1, stride=stride, bias=False), _bn(cout))
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        residual = x if self.downsample is None else self.downsample(x)
        return self.relu(self.conv2(self.conv1(x)) + residual)


class R3D18(nn.Module):
    """VideoResNet(BasicBlock, Conv3DSimple, [2, 2, 2, 2], BasicStem); forward returns the 512-d pool."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv3d(3, 64, (3, 7, 7), stride=(1, 2, 2), padding=(1, 3, 3), bias=False),
                                  _bn(64), nn.ReLU(inplace=True))
        widths = (64, 128, 256, 512)
        cin = 64
        for i, (w, stride) in enumerate(zip(widths, (1, 2, 2, 2)), 1):
            setattr(self, f"layer{i}", nn.Sequential(_Block(cin, w, stride), _Block(w, w, 1)))
            cin = w
        self.fc = nn.Linear(512, 400)

    def forward(self, x):
        """x: N x 3 x T x H x W (normalised) -> N x 512."""
        x = self.stem(x)
        for layer in (self.layer1, self.layer2, self.layer3, self.layer4):
            x = layer(x)
        return torch.flatten(nn.functional.adaptive_avg_pool3d(x, 1), 1)


def find_weights(weights: str | None) -> Path:
    return ms.checkpoint(weights, NAME, "torchvision r3d_18 (Kinetics-400, R3D_18_Weights.KINETICS400_V1)",
                         (FILENAME,))


def clip_tensor(video: np.ndarray) -> np.ndarray:
    """A uint8 T x H x W x 3 video as the official 3 x 16 x 224 x 224 float32 input."""
    from PIL import Image

    frames = list(video[:FRAMES])
    frames += [frames[-1]] * (FRAMES - len(frames))
    mean = np.asarray(MEAN, dtype=np.float32)
    std = np.asarray(STD, dtype=np.float32)
    out = np.empty((FRAMES, SIZE, SIZE, 3), dtype=np.float32)
    for t, frame in enumerate(frames):
        img = Image.fromarray(np.ascontiguousarray(frame)).resize((SIZE, SIZE), Image.BILINEAR)
        out[t] = (np.asarray(img, dtype=np.float32) / 255.0 - mean) / std
    return out.transpose(3, 0, 1, 2)


class R3DFeatures:
    """Videos (uint8 T x H x W x 3) -> N x 512 float32 features."""

    def __init__(self, weights: str | None = None, device: str | None = None, batch_size: int = 4):
        self.weights = find_weights(weights)
        self.device = ms.torch_device(device)
        self.batch_size = ms.positive_int(batch_size, "batch_size")
        self.model = ms.load_state(R3D18(), self.weights, NAME).to(self.device)
        self.cache_key = _key(self.weights)

    def __call__(self, samples: Sequence[Any]) -> np.ndarray:
        videos = [ms.video_uint8(s, i, NAME) for i, s in enumerate(ms.samples_list(samples, NAME))]
        out = np.empty((len(videos), 512), dtype=np.float32)
        with torch.inference_mode():
            for part in ms.batches(len(videos), self.batch_size):
                batch = torch.from_numpy(np.stack([clip_tensor(v) for v in videos[part]])).to(self.device)
                out[part] = self.model(batch).float().cpu().numpy()
        return out


def build(weights: str | None = None, device: str | None = None, batch_size: int = 4) -> R3DFeatures:
    return R3DFeatures(weights=weights, device=device, batch_size=batch_size)


def _key(weights: Path) -> str:
    return describe_identity(version=VERSION, weights=ms.file_digest(weights), preprocessing=PREPROCESSING)


def identity(weights: str | None = None, device: str | None = None, batch_size: int = 4) -> str:
    """``build(...).cache_key`` without loading the network (built on the first feature-cache miss)."""
    return _key(find_weights(weights))


def fetch() -> str:
    """Download torchvision's checkpoint with torch hub (what ``r3d_18(pretrained=True)`` calls)."""
    torch.hub.load_state_dict_from_url(URL, progress=True, check_hash=True, map_location="cpu")
    return str(ms.torch_hub_checkpoint(FILENAME))


def save_tiny(folder: str | Path, seed: int = 0) -> dict[str, str]:
    """Random weights in torchvision's layout and format (~133 MB; the architecture is fixed)."""
    path = Path(folder) / "hub" / "checkpoints" / FILENAME  # folder can serve as TORCH_HOME
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(ms.random_state(R3D18().state_dict(), seed), path)
    return {"weights": str(path)}
