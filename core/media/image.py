"""Images, label maps, scalar maps and optical flow from image-like files (Pillow; NumPy, .flo)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .arrays import load_array, read_flo, read_kitti_flow
from .spec import FlowSpec, ImageSpec, LabelSpec, MapSpec, MediaError, file_kind

_EIGHT_BIT = ("1", "L", "LA", "P", "PA", "RGB", "RGBA", "RGBX", "CMYK", "YCbCr", "LAB", "HSV")
_WIDE_INT = ("I;16", "I;16L", "I;16B", "I;16N", "I")


def open_image(path: Path) -> Any:
    """A fully loaded PIL image; unreadable, truncated or oversized (decompression bomb) files raise
    MediaError naming the file."""
    from PIL import Image, UnidentifiedImageError

    try:
        img = Image.open(path)
        img.load()
    except UnidentifiedImageError:
        raise MediaError(path, "not a readable image (unknown or corrupt format)") from None
    except Image.DecompressionBombError as e:
        raise MediaError(path, f"refused: {e}") from None
    except (OSError, SyntaxError, ValueError) as e:  # truncated data, bad chunks
        raise MediaError(path, f"cannot decode image ({e})") from None
    return img


def _require(path: Path, kinds: tuple[str, ...], what: str) -> str:
    kind = file_kind(path)
    if kind not in kinds:
        raise MediaError(path, f"expected {what}; a {path.suffix or 'suffix-less'} file is not one "
                               f"(accepted: {', '.join(kinds)} files)")
    return kind


def decode_image(path: Path, spec: ImageSpec) -> np.ndarray:
    _require(path, ("image",), "an image")
    img = open_image(path)
    if img.mode not in _EIGHT_BIT:
        raise MediaError(path, f"is a {img.mode} (16-bit or float) image; {spec.describe()} is needed. "
                               "Save 8-bit images, or read the file as a map (depth, matte)")
    # a writable copy (torch.from_numpy warns on read-only memory); convert() to the image's own mode
    # would only copy it first
    return np.array(img if img.mode == spec.mode else img.convert(spec.mode))


def _grey_values(path: Path, img: Any, what: str) -> np.ndarray:
    """One channel of raw values: palette indices, grey levels, or equal RGB channels."""
    if img.mode in ("RGBA", "LA", "PA"):
        img = img.convert(img.mode[:-1])
    if img.mode == "1":
        return np.asarray(img, dtype=np.uint8)
    if img.mode in ("RGB", "RGBX", "YCbCr", "CMYK"):
        rgb = np.array(img.convert("RGB"))
        if not ((rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all()):
            raise MediaError(path, f"is a colour image; a {what} needs one channel (a palette or greyscale "
                                   "PNG, or .npy). Convert colour-coded masks to class indices first")
        return rgb[..., 0]
    if img.mode in ("L", "P", "F") or img.mode in _WIDE_INT:
        return np.array(img)  # writable
    raise MediaError(path, f"has image mode {img.mode}, which is not a {what}")


def _full_range(img: Any, values: np.ndarray) -> float:
    if img is None or values.dtype.kind == "f":
        return 1.0
    return 65535.0 if img.mode in _WIDE_INT else (1.0 if img.mode == "1" else 255.0)


def _raw_map(path: Path, what: str) -> tuple[np.ndarray, Any]:
    kind = _require(path, ("image", "array"), what)
    if kind == "array":
        arr = load_array(path)
        if arr.ndim == 3 and arr.shape[-1] == 1:
            arr = arr[..., 0]
        if arr.ndim != 2 or arr.dtype.kind not in "iufb":
            raise MediaError(path, f"expected a numeric H x W array for a {what}, got {arr.dtype} {arr.shape}")
        return arr, None
    img = open_image(path)
    return _grey_values(path, img, what), img


def decode_labels(path: Path, spec: LabelSpec) -> np.ndarray:
    arr, img = _raw_map(path, spec.describe())
    if arr.dtype.kind == "f":
        if not np.isfinite(arr).all() or (arr != np.round(arr)).any():
            raise MediaError(path, "holds non-integer values; a label map needs integer class ids")
    if arr.dtype.kind == "b":
        arr = arr.astype(np.uint8)
    if not spec.binary:
        return arr.astype(np.int64) if arr.dtype.kind == "f" else arr
    if ((arr == 0) | (arr == 1)).all():
        return arr.astype(np.uint8)
    return (arr > _full_range(img, arr) / 2).astype(np.uint8)


def decode_map(path: Path, spec: MapSpec) -> np.ndarray:
    arr, img = _raw_map(path, spec.describe())
    if arr.dtype.kind == "f":
        out = arr.astype(np.float32)
    else:
        out = arr.astype(np.float32) / np.float32(spec.scale if spec.scale is not None else _full_range(img, arr))
    if not np.isfinite(out).all():
        raise MediaError(path, "holds NaN or infinite values")
    return out


def decode_flow(path: Path, spec: FlowSpec) -> np.ndarray:
    kind = _require(path, ("flow", "array", "image"), spec.describe())
    if kind == "image":
        if path.suffix.lower() != ".png":
            raise MediaError(path, f"expected {spec.describe()}: .flo, .npy/.npz or a KITTI 16-bit .png")
        flow, valid = read_kitti_flow(path)
        bad = int(valid.size - np.count_nonzero(valid))
        if bad and spec.invalid == "refuse":
            raise MediaError(path, f"has {bad} of {valid.size} pixels marked invalid (KITTI's third channel 0); "
                                   "read it with FlowSpec(invalid='nan') to mask them, or 'zero'")
        flow[~valid] = np.nan if spec.invalid == "nan" else 0.0
        return flow
    flow = read_flo(path) if kind == "flow" else load_array(path)
    if flow.ndim == 3 and flow.shape[0] == 2 and flow.shape[-1] != 2:
        flow = flow.transpose(1, 2, 0)
    if flow.ndim != 3 or flow.shape[-1] != 2 or flow.dtype.kind not in "if":
        raise MediaError(path, f"expected {spec.describe()}, got {flow.dtype} {flow.shape}")
    flow = flow.astype(np.float32)
    if spec.invalid == "nan" and not np.isinf(flow).any():
        return flow  # NaN marks invalid pixels, as a KITTI PNG's do when read this way
    if not np.isfinite(flow).all():
        raise MediaError(path, "holds NaN or infinite flow vectors (mark invalid pixels in the reference instead)")
    return flow
