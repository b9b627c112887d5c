"""NumPy (.npy, .npz), Middlebury optical-flow (.flo) and KITTI flow PNG files, read without pickles."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from .spec import MediaError

FLO_MAGIC = 202021.25  # "PIEH" read as a little-endian float32
_NPZ_KEYS = ("arr_0", "data", "points", "mask", "labels", "depth", "map", "flow", "frames")
_MAX_FLO_PIXELS = 1 << 28


def load_array(path: Path) -> np.ndarray:
    """The array in a .npy file, or the one array of a .npz (else the first of :data:`_NPZ_KEYS`).

    Object arrays (pickles) are refused: a data file must not run code.
    """
    try:
        if path.suffix.lower() == ".npz":
            with np.load(path, allow_pickle=False) as z:
                keys = list(z.files)
                key = keys[0] if len(keys) == 1 else next((k for k in _NPZ_KEYS if k in keys), None)
                if key is None:
                    raise MediaError(path, f"holds {len(keys)} arrays ({', '.join(keys[:8])}); name one "
                                           f"{'/'.join(_NPZ_KEYS)} or keep one array per file")
                return np.asarray(z[key])
        return np.load(path, allow_pickle=False)
    except MediaError:
        raise
    except ValueError as e:  # pickled object arrays, bad headers
        raise MediaError(path, f"not a plain numeric NumPy file ({e})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as e:
        raise MediaError(path, f"cannot read NumPy data ({e})") from None


def read_flo(path: Path) -> np.ndarray:
    """A Middlebury .flo file: float32 magic 202021.25, int32 width, int32 height, then H x W x 2 floats."""
    try:
        with open(path, "rb") as f:
            head = f.read(12)
            if len(head) < 12:
                raise MediaError(path, "too short for a .flo header (12 bytes)")
            magic = np.frombuffer(head[:4], "<f4")[0]
            w, h = (int(v) for v in np.frombuffer(head[4:], "<i4"))
            if magic != FLO_MAGIC:
                raise MediaError(path, f"not a Middlebury .flo file (magic {magic!r}, expected {FLO_MAGIC})")
            if w <= 0 or h <= 0 or w * h > _MAX_FLO_PIXELS:
                raise MediaError(path, f"implausible .flo size {w} x {h}")
            data = np.frombuffer(f.read(), "<f4")
    except OSError as e:
        raise MediaError(path, f"cannot read ({e})") from None
    if data.size != h * w * 2:
        raise MediaError(path, f".flo header says {w} x {h} x 2 = {w * h * 2} values, the file holds {data.size}")
    return data.reshape(h, w, 2).astype(np.float32)


def write_flo(path: str | Path, flow: np.ndarray) -> None:
    """Write H x W x 2 flow as a Middlebury .flo file (the inverse of :func:`read_flo`)."""
    flow = np.asarray(flow, dtype="<f4")
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise ValueError(f"flow must be H x W x 2, got {flow.shape}")
    h, w = flow.shape[:2]
    with open(path, "wb") as f:
        f.write(np.array([FLO_MAGIC], "<f4").tobytes() + np.array([w, h], "<i4").tobytes() + flow.tobytes())


KITTI_OFFSET = 2 ** 15
KITTI_SCALE = 64.0


def read_kitti_flow(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A KITTI optical-flow PNG: ``(flow float32 H x W x 2, valid bool H x W)``.

    The KITTI devkit stores 16-bit RGB: R = u, G = v as ``value * 64 + 2**15``, B = 1 where the
    pixel has ground truth. Pillow reduces 16-bit RGB to 8 bits, so the file is decoded with PyAV
    (ffmpeg's PNG decoder, ``rgb48``), which keeps the 16-bit values.
    """
    import av

    try:
        with av.open(str(path)) as box:
            frame = next(box.decode(video=0))
            name = frame.format.name
            if name not in ("rgb48be", "rgb48le", "rgba64be", "rgba64le"):
                raise MediaError(path, f"is a {name} PNG; a KITTI flow PNG is 16-bit RGB (u, v, valid)")
            raw = frame.to_ndarray(format="rgb48le")
    except MediaError:
        raise
    except (av.FFmpegError, StopIteration, OSError, ValueError) as e:  # type: ignore[attr-defined]
        raise MediaError(path, f"cannot decode a KITTI flow PNG ({type(e).__name__}: {str(e)[:120]})") from None
    flow = (raw[..., :2].astype(np.float32) - KITTI_OFFSET) / KITTI_SCALE
    return flow, raw[..., 2] > 0


def write_kitti_flow(path: str | Path, flow: np.ndarray, valid: np.ndarray | None = None) -> None:
    """Write H x W x 2 flow (and a validity mask, default all valid) as a KITTI 16-bit PNG (the
    inverse of :func:`read_kitti_flow`, values rounded to 1/64 px and clipped to the format's range)."""
    import struct
    import zlib

    flow = np.asarray(flow, dtype=np.float64)
    h, w = flow.shape[:2]
    valid = np.ones((h, w), bool) if valid is None else np.asarray(valid, bool)
    uv = np.clip(np.round(flow * KITTI_SCALE + KITTI_OFFSET), 0, 65535)
    rgb = np.concatenate([uv, valid[..., None]], axis=2).astype(">u2")
    raw = b"".join(b"\0" + rgb[i].tobytes() for i in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    Path(path).write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0))
                           + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))
