"""Shared plumbing of the built-in extractors (imported only when a model is built; needs torch).

Devices (``auto``/``cpu``/``cuda``), where weights are found, what a missing or corrupt checkpoint
says, weights digests for the feature cache, batching, and the checks of the sample contract
(images uint8 H x W x 3, videos uint8 T x H x W x 3, audio float32 mono 1-D, texts str).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np

from generallevel import InputError  # noqa: F401 - re-exported for the _net_* modules
from generallevel.extractors import MissingWeightsError, default_device


def torch_device(device: str | None) -> Any:
    """A torch.device from ``auto`` (CUDA when available), ``cpu``, ``cuda`` or ``cuda:N``."""
    import torch

    name = (device or default_device()).strip().lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise InputError(f"device={name!r}, but torch sees no CUDA device (torch {torch.__version__}); "
                         "use device='cpu' or 'auto'")
    if name != "cpu" and not name.startswith("cuda"):
        raise InputError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}")
    return torch.device(name)


def torch_hub_checkpoint(filename: str) -> Path:
    """Where torch hub's ``load_state_dict_from_url`` keeps ``filename`` ($TORCH_HOME/hub/checkpoints)."""
    import torch.hub

    return Path(torch.hub.get_dir()) / "checkpoints" / filename


def checkpoint(weights: str | None, extractor: str, model: str, filenames: Sequence[str], hint: str = "") -> Path:
    """The weights file: ``weights=`` when given, else the first of ``filenames`` in the torch hub cache."""
    if weights:
        path = Path(weights).expanduser()
        if not path.is_file():
            raise missing_weights(extractor, model, path, "weights= names no file")
        return path
    for filename in filenames:
        path = torch_hub_checkpoint(filename)
        if path.is_file():
            return path
    raise missing_weights(extractor, model, torch_hub_checkpoint(filenames[0]),
                          "; ".join(filter(None, [hint, "TORCH_HOME moves the folder"])))


def load_state(model: Any, path: Path, extractor: str) -> Any:
    """``model`` with the state dict in ``path`` (strict), in eval mode without gradients."""
    import torch

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
            state = state["state_dict"]
        model.load_state_dict(state)
    except Exception as e:  # noqa: BLE001 - any failure to read is a bad checkpoint
        raise corrupt_weights(extractor, path, e) from e
    return model.eval().requires_grad_(False)


def file_digest(path: str | os.PathLike) -> str:
    """A short content digest of a weights file: its size and the SHA-256 of its first and last MiB.

    Cheap for multi-GB checkpoints, and different for any two real checkpoints (their headers and
    tails differ); used in feature-cache keys, not as a security check.
    """
    p = Path(path)
    size = p.stat().st_size
    h = hashlib.sha256(str(size).encode())
    with open(p, "rb") as f:
        h.update(f.read(1 << 20))
        if size > 2 << 20:
            f.seek(-(1 << 20), os.SEEK_END)
            h.update(f.read(1 << 20))
    return h.hexdigest()[:16]


def folder_digest(folder: str | os.PathLike, patterns: Sequence[str] = ("*.safetensors", "*.bin", "*.json", "*.txt")
                  ) -> str:
    """Digest of a model folder: its weight and config files' names and :func:`file_digest`."""
    root = Path(folder)
    h = hashlib.sha256()
    for pattern in patterns:
        for f in sorted(root.glob(pattern)):
            h.update(f"{f.name}\0{file_digest(f)}\0".encode())
    return h.hexdigest()[:16]


def missing_weights(extractor: str, model: str, expected: str | os.PathLike, detail: str = "",
                    option: str = "weights") -> MissingWeightsError:
    """The error for absent weights: names the model, the file expected and the fetch command."""
    extra = f" ({detail})" if detail else ""
    return MissingWeightsError(
        f"extractor {extractor!r}: the weights of {model} are not installed{extra}: expected {expected}. "
        f"Fetch them on a machine with network access with `generallevel extractors fetch {extractor}` "
        f"(then copy the cache folder here if this machine is offline), or pass {option}=PATH. "
        f"Nothing is downloaded automatically.")


def corrupt_weights(extractor: str, path: str | os.PathLike, error: BaseException) -> MissingWeightsError:
    first = (str(error).strip().splitlines() or [""])[0][:200]
    return MissingWeightsError(
        f"extractor {extractor!r}: cannot read the weights file {path} ({type(error).__name__}: {first}); "
        f"it is corrupt, truncated or not a checkpoint of this model. Delete it and run "
        f"`generallevel extractors fetch {extractor}` again, or pass weights=PATH of a good copy.")


def batches(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def positive_int(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{name} must be a positive integer, got {value!r}")
    return value


def random_state(state: dict, seed: int) -> dict:
    """A state dict of the same keys and shapes with reproducible random values (numpy PCG64, the
    same on every platform): He-scaled weights, batch-norm statistics near (0, 1), small biases."""
    import torch

    rng = np.random.default_rng(seed)
    out = {}
    for key, value in state.items():
        shape = tuple(value.shape)
        if not value.is_floating_point():
            out[key] = value.clone()
            continue
        if key.endswith("running_var") or (key.endswith("weight") and value.ndim == 1):
            arr = rng.random(shape) * 0.5 + 0.75
        elif key.endswith("running_mean") or key.endswith("bias"):
            arr = rng.standard_normal(shape) * 0.05
        else:
            fan_in = int(np.prod(shape[1:])) if len(shape) > 1 else max(1, shape[0])
            arr = rng.standard_normal(shape) * (2.0 / fan_in) ** 0.5
        out[key] = torch.from_numpy(arr.astype(np.float32)).to(value.dtype)
    return out


# -- the sample contract ----------------------------------------------------------------------------
def _array(sample: Any) -> np.ndarray:
    if hasattr(sample, "detach") and hasattr(sample, "cpu"):
        sample = sample.detach().cpu().numpy()
    return np.asarray(sample)


def image_uint8(sample: Any, index: int, extractor: str) -> np.ndarray:
    """One image as a uint8 H x W x 3 array (the contract); grayscale H x W is repeated to RGB."""
    arr = _array(sample)
    if arr.ndim == 2:
        arr = np.repeat(arr[:, :, None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] != 3 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise InputError(f"extractor {extractor!r}: image {index} must be a uint8 RGB array H x W x 3, "
                         f"got shape {arr.shape}")
    if arr.dtype != np.uint8:
        raise InputError(f"extractor {extractor!r}: image {index} must have dtype uint8 (0..255), got {arr.dtype}; "
                         "decode images to 8-bit RGB first")
    return arr


def video_uint8(sample: Any, index: int, extractor: str) -> np.ndarray:
    """One video as a uint8 T x H x W x 3 array with at least one frame."""
    arr = _array(sample)
    if arr.ndim != 4 or arr.shape[3] != 3:
        raise InputError(f"extractor {extractor!r}: video {index} must be a uint8 array T x H x W x 3, "
                         f"got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise InputError(f"extractor {extractor!r}: video {index} has zero frames")
    if arr.dtype != np.uint8:
        raise InputError(f"extractor {extractor!r}: video {index} must have dtype uint8, got {arr.dtype}")
    return arr


def waveform(sample: Any, index: int, extractor: str, rate: int) -> np.ndarray:
    """One clip as a finite float32 mono 1-D waveform (at ``rate`` Hz, which the caller guarantees)."""
    arr = _array(sample)
    if arr.ndim != 1 or arr.size == 0:
        raise InputError(f"extractor {extractor!r}: audio {index} must be a non-empty float32 mono 1-D waveform at "
                         f"{rate} Hz, got shape {arr.shape}; average the channels and resample first")
    if arr.dtype.kind != "f":
        raise InputError(f"extractor {extractor!r}: audio {index} must be float samples in [-1, 1], got {arr.dtype}")
    arr = arr.astype(np.float32, copy=False)
    if not np.isfinite(arr).all():
        raise InputError(f"extractor {extractor!r}: audio {index} contains NaN or infinite samples")
    return arr


def text(sample: Any, index: int, extractor: str) -> str:
    if not isinstance(sample, str):
        raise InputError(f"extractor {extractor!r}: text {index} must be a str, got {type(sample).__name__}")
    return sample


def samples_list(samples: Any, extractor: str) -> list[Any]:
    if isinstance(samples, (str, bytes)) or samples is None:
        raise InputError(f"extractor {extractor!r} takes a sequence of samples, got {type(samples).__name__}")
    if isinstance(samples, np.ndarray):
        return list(samples)
    return list(samples)
