"""RAFT optical flow (torchvision ``raft_large``) and VBench's dynamic-degree rule: DynamicDegree.

VBench's ``dynamic_degree`` runs RAFT (princeton-vl, ``raft-things.pth``: trained on FlyingChairs +
FlyingThings3D) with 20 flow updates on consecutive frames and calls a video dynamic when enough
frame pairs move. torchvision's ``Raft_Large_Weights.C_T_V1`` (``raft_large_C_T_V1-22a6c225.pth``)
are those weights ported to torchvision's RAFT; the network is written here in torchvision's
state-dict layout (torchvision itself is a multi-GB CUDA build here), so torchvision's checkpoint
loads unchanged from the torch hub cache ($TORCH_HOME/hub/checkpoints) or ``weights=PATH``.

The rule, per video (:func:`vbench_rule`, :func:`flow_peak`):

* frames: every ``round(fps / 8)``-th frame (at least every frame) of the decoded clip, ``fps`` the
  container's rate (8 for a folder of frames);
* each consecutive pair, padded to a multiple of 8 (replicate, split evenly as VBench's
  ``InputPadder``), RGB 0..255 -> [-1, 1], RAFT with 20 updates; the pair's score is the mean of the
  top 5 % (``int(0.05 * H * W)`` pixels of the padded flow) flow magnitudes;
* threshold ``6 * max(1, 8 / fps) * min(H, W) / 256`` (the unpadded frame size), count
  ``round(4 * frames / 16)`` with ``frames`` the number of sampled frames; the video is dynamic
  when at least that many pair scores exceed the threshold (a single frame is static).
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

NAME = "raft-large"
VERSION = "1"
FILENAME = "raft_large_C_T_V1-22a6c225.pth"
URL = "https://download.pytorch.org/models/" + FILENAME
UPDATES = 20
PREPROCESSING = ("frames every round(fps/8); pairs replicate-padded to /8, RGB/255*2-1; RAFT-large 20 updates; "
                 "top-5% flow magnitude per pair; VBench threshold and count; float32")


# -- the network, in torchvision's parameter names ----------------------------------------------------
def _cna(cin: int, cout: int, k: int, stride: int = 1, norm: str | None = None, act: bool = True) -> nn.Sequential:
    """torchvision's Conv2dNormActivation: conv (padding k // 2, bias), optional norm, optional ReLU."""
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, k // 2, bias=True)]
    if norm == "instance":
        layers.append(nn.InstanceNorm2d(cout))
    elif norm == "batch":
        layers.append(nn.BatchNorm2d(cout))
    if act:
        layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class _Residual(nn.Module):
    def __init__(self, cin: int, cout: int, norm: str, stride: int):
        super().__init__()
        self.convnormrelu1 = _cna(cin, cout, 3, stride, norm)
        self.convnormrelu2 = _cna(cout, cout, 3, 1, norm)
        self.downsample = nn.Identity() if stride == 1 else _cna(cin, cout, 1, stride, norm, act=False)

    def forward(self, x):
        return F.relu(self.downsample(x) + self.convnormrelu2(self.convnormrelu1(x)))


class _Encoder(nn.Module):
    """The feature (instance norm) or context (batch norm) encoder: 1/8 resolution, 256 channels."""

    def __init__(self, norm: str, widths=(64, 64, 96, 128, 256), strides=(2, 1, 2, 2)):
        super().__init__()
        self.convnormrelu = _cna(3, widths[0], 7, strides[0], norm)
        for i in range(1, 4):
            setattr(self, f"layer{i}", nn.Sequential(_Residual(widths[i - 1], widths[i], norm, strides[i]),
                                                     _Residual(widths[i], widths[i], norm, 1)))
        self.conv = nn.Conv2d(widths[3], widths[4], 1)

    def forward(self, x):
        return self.conv(self.layer3(self.layer2(self.layer1(self.convnormrelu(x)))))


class _GRU(nn.Module):
    def __init__(self, hidden: int, inp: int, kernel, padding):
        super().__init__()
        self.convz, self.convr, self.convq = (nn.Conv2d(hidden + inp, hidden, kernel, padding=padding)
                                              for _ in range(3))

    def forward(self, h, x):
        hx = torch.cat([h, x], 1)
        z, r = torch.sigmoid(self.convz(hx)), torch.sigmoid(self.convr(hx))
        q = torch.tanh(self.convq(torch.cat([r * h, x], 1)))
        return (1 - z) * h + z * q


class _Motion(nn.Module):
    def __init__(self, corr_channels: int):
        super().__init__()
        self.convcorr1 = _cna(corr_channels, 256, 1)
        self.convcorr2 = _cna(256, 192, 3)
        self.convflow1 = _cna(2, 128, 7)
        self.convflow2 = _cna(128, 64, 3)
        self.conv = _cna(192 + 64, 126, 3)

    def forward(self, flow, corr):
        c = self.convcorr2(self.convcorr1(corr))
        f = self.convflow2(self.convflow1(flow))
        return torch.cat([self.conv(torch.cat([c, f], 1)), flow], 1)


class _Recurrent(nn.Module):
    def __init__(self, hidden: int, inp: int):
        super().__init__()
        self.convgru1 = _GRU(hidden, inp, (1, 5), (0, 2))
        self.convgru2 = _GRU(hidden, inp, (5, 1), (2, 0))

    def forward(self, h, x):
        return self.convgru2(self.convgru1(h, x), x)


class _FlowHead(nn.Module):
    def __init__(self, hidden: int):
        super().__init__()
        self.conv1 = nn.Conv2d(hidden, 256, 3, padding=1)
        self.conv2 = nn.Conv2d(256, 2, 3, padding=1)

    def forward(self, x):
        return self.conv2(F.relu(self.conv1(x)))


class _Update(nn.Module):
    def __init__(self, corr_channels: int, hidden: int = 128, context: int = 128):
        super().__init__()
        self.motion_encoder = _Motion(corr_channels)
        self.recurrent_block = _Recurrent(hidden, 128 + context)
        self.flow_head = _FlowHead(hidden)


class _Mask(nn.Module):
    def __init__(self, hidden: int = 128):
        super().__init__()
        self.convrelu = _cna(hidden, 256, 3)
        self.conv = nn.Conv2d(256, 8 * 8 * 9, 1)

    def forward(self, h):
        return 0.25 * self.conv(self.convrelu(h))


def _sample(volume: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
    """Bilinear lookup at absolute pixel coordinates (x, y), align_corners=True, zeros outside."""
    h, w = volume.shape[-2:]
    x, y = coords[..., :1], coords[..., 1:]
    grid = torch.cat([2 * x / (w - 1) - 1, 2 * y / (h - 1) - 1 if h > 1 else y], -1)
    return F.grid_sample(volume, grid, mode="bilinear", align_corners=True)


class RAFTLarge(nn.Module):
    """torchvision's ``raft_large`` (4-level correlation pyramid, radius 4, convex upsampling)."""

    LEVELS, RADIUS, HIDDEN = 4, 4, 128

    def __init__(self):
        super().__init__()
        self.feature_encoder = _Encoder("instance")
        self.context_encoder = _Encoder("batch")
        self.update_block = _Update(self.LEVELS * (2 * self.RADIUS + 1) ** 2)
        self.mask_predictor = _Mask()

    def _pyramid(self, f1: torch.Tensor, f2: torch.Tensor) -> list[torch.Tensor]:
        n, c, h, w = f1.shape
        if min(h, w) < 2 ** self.LEVELS:
            raise ms.InputError(f"extractor {NAME!r}: frames of {8 * h} x {8 * w} px (padded) are too small for "
                                f"RAFT's correlation pyramid; both sides must be at least {8 * 2 ** self.LEVELS} px")
        corr = (f1.flatten(2).transpose(1, 2) @ f2.flatten(2)) / torch.sqrt(torch.tensor(float(c)))
        levels = [corr.reshape(n * h * w, 1, h, w)]
        for _ in range(self.LEVELS - 1):
            levels.append(F.avg_pool2d(levels[-1], 2, 2))
        return levels

    def _lookup(self, levels: list[torch.Tensor], coords: torch.Tensor) -> torch.Tensor:
        n, _, h, w = coords.shape
        side = 2 * self.RADIUS + 1
        d = torch.linspace(-self.RADIUS, self.RADIUS, side, device=coords.device)
        delta = torch.stack(torch.meshgrid(d, d, indexing="ij"), -1).view(1, side, side, 2)
        centre = coords.permute(0, 2, 3, 1).reshape(n * h * w, 1, 1, 2)
        out = []
        for vol in levels:
            out.append(_sample(vol, centre + delta).view(n, h, w, -1))
            centre = centre / 2
        return torch.cat(out, -1).permute(0, 3, 1, 2).contiguous()

    @staticmethod
    def _upsample(flow: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        n, c, h, w = flow.shape
        weights = torch.softmax(mask.view(n, 1, 9, 8, 8, h, w), dim=2)
        nb = F.unfold(8 * flow, 3, padding=1).view(n, c, 9, 1, 1, h, w)
        return (weights * nb).sum(2).permute(0, 1, 4, 2, 5, 3).reshape(n, c, 8 * h, 8 * w)

    def forward(self, image1: torch.Tensor, image2: torch.Tensor, updates: int = UPDATES) -> torch.Tensor:
        """Images N x 3 x H x W in [-1, 1] (H, W multiples of 8) -> the final flow N x 2 x H x W."""
        n, _, h, w = image1.shape
        f1, f2 = torch.chunk(self.feature_encoder(torch.cat([image1, image2])), 2)
        levels = self._pyramid(f1, f2)
        hidden, context = torch.split(self.context_encoder(image1), [self.HIDDEN, 128], 1)
        hidden, context = torch.tanh(hidden), F.relu(context)
        ys, xs = torch.meshgrid(torch.arange(h // 8, device=f1.device), torch.arange(w // 8, device=f1.device),
                                indexing="ij")
        coords0 = torch.stack([xs, ys]).float()[None].repeat(n, 1, 1, 1)
        coords1 = coords0.clone()
        ub = self.update_block
        flow = coords1 - coords0
        for _ in range(updates):
            motion = ub.motion_encoder(coords1 - coords0, self._lookup(levels, coords1))
            hidden = ub.recurrent_block(hidden, torch.cat([context, motion], 1))
            coords1 = coords1 + ub.flow_head(hidden)
        flow = self._upsample(coords1 - coords0, self.mask_predictor(hidden))
        return flow


# -- VBench's rule ------------------------------------------------------------------------------------
def vbench_rule(height: int, width: int, frames: int, fps: float) -> tuple[float, int]:
    """(threshold in px, pairs needed) for a clip of ``frames`` sampled frames of H x W at ``fps``."""
    return max(1.0, 8.0 / fps) * 6.0 * min(height, width) / 256.0, round(4 * frames / 16.0)


def flow_peak(flow: np.ndarray) -> float:
    """Mean of the top 5 % flow magnitudes of an H x W x 2 flow (``int(0.05 * H * W)`` pixels)."""
    rad = np.hypot(flow[..., 0].astype(np.float64), flow[..., 1].astype(np.float64)).ravel()
    cut = int(rad.size * 0.05)
    if cut < 1:
        raise ms.InputError(f"a {flow.shape[0]} x {flow.shape[1]} flow has no top-5 % pixels")
    return float(np.partition(rad, rad.size - cut)[rad.size - cut:].mean())


def sample_frames(video: np.ndarray, fps: float | None) -> tuple[np.ndarray, float]:
    """VBench's frame sampling: every round(fps / 8)-th frame; a clip without a rate counts as 8 fps."""
    rate = float(fps) if fps else 8.0
    return video[::max(1, round(rate / 8))], rate


def _pad8(x: torch.Tensor) -> torch.Tensor:
    h, w = x.shape[-2:]
    ph, pw = (-h) % 8, (-w) % 8
    return F.pad(x, (pw // 2, pw - pw // 2, ph // 2, ph - ph // 2), mode="replicate")


def find_weights(weights: str | None) -> Path:
    return ms.checkpoint(weights, NAME, "torchvision raft_large (Raft_Large_Weights.C_T_V1, the port of "
                         "RAFT's raft-things.pth that VBench uses)", (FILENAME,))


class DynamicDegreeScores:
    """Videos (uint8 T x H x W x 3; a ``VideoArray`` carries its fps) -> N VBench dynamic flags (1.0 / 0.0)."""

    def __init__(self, weights: str | None = None, device: str | None = None, updates: int = UPDATES,
                 batch_size: int = 4, fps: float | None = None):
        self.weights = find_weights(weights)
        self.device = ms.torch_device(device)
        self.updates = ms.positive_int(updates, "updates")
        self.batch_size = ms.positive_int(batch_size, "batch_size")
        self.fps = fps
        self.model = ms.load_state(RAFTLarge(), self.weights, NAME).to(self.device)
        self.cache_key = describe_identity(version=VERSION, weights=ms.file_digest(self.weights),
                                           preprocessing=PREPROCESSING, updates=self.updates, fps=fps)

    def flows(self, video: Any, fps: float | None = None) -> tuple[list[np.ndarray], float, tuple[int, int]]:
        """The flows (padded H' x W' x 2) between VBench's sampled frames, the rate used and the frame size."""
        arr = ms.video_uint8(video, 0, NAME)
        frames, rate = sample_frames(arr, fps or self.fps or getattr(video, "fps", None))
        x = _pad8(torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2).float())
        x = x / 255.0 * 2.0 - 1.0
        out: list[np.ndarray] = []
        with torch.inference_mode():
            for part in ms.batches(max(0, len(frames) - 1), self.batch_size):
                a = x[part.start:part.stop].to(self.device)
                b = x[part.start + 1:part.stop + 1].to(self.device)
                out.extend(self.model(a, b, self.updates).permute(0, 2, 3, 1).float().cpu().numpy())
        return out, rate, arr.shape[1:3]

    def peaks(self, video: Any, fps: float | None = None) -> tuple[list[float], float, int]:
        """Per-pair top-5 % flow magnitudes, the threshold and the pairs needed (VBench's rule)."""
        flows, rate, (h, w) = self.flows(video, fps)
        thres, need = vbench_rule(h, w, len(flows) + 1, rate)
        return [flow_peak(f) for f in flows], thres, need

    def __call__(self, samples: Sequence[Any]) -> np.ndarray:
        out = []
        for video in ms.samples_list(samples, NAME):
            peaks, thres, need = self.peaks(video)
            out.append(1.0 if peaks and sum(p > thres for p in peaks) >= need else 0.0)
        return np.asarray(out, dtype=np.float64)


def build(weights: str | None = None, device: str | None = None, updates: int = UPDATES, batch_size: int = 4,
          fps: float | None = None) -> DynamicDegreeScores:
    return DynamicDegreeScores(weights, device, updates, batch_size, fps)


def fetch() -> str:
    """torchvision's checkpoint with torch hub (what ``raft_large(weights=C_T_V1)`` calls)."""
    torch.hub.load_state_dict_from_url(URL, progress=True, check_hash=True, map_location="cpu")
    return str(ms.torch_hub_checkpoint(FILENAME))


def save_tiny(folder: str | Path, seed: int = 0) -> dict[str, str]:
    """Random weights in torchvision's raft_large layout and format (~21 MB: the layout is fixed)."""
    state = ms.random_state(RAFTLarge().state_dict(), seed)
    path = Path(folder) / "hub" / "checkpoints" / FILENAME  # folder can serve as TORCH_HOME
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(state, path)
    return {"weights": str(path)}
