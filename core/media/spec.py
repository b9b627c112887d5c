"""What a consumer of media needs, declared as data: one small frozen spec per kind of array.

A spec says what comes out (dtype, shape, channels, sample rate) and how a file is converted to
it; :func:`generallevel.media.decode` reads a file to exactly that, or raises :class:`MediaError`
naming the file. Nothing here imports a media library.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

EXTENSIONS: dict[str, tuple[str, ...]] = {
    "image": (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"),
    "video": (".mp4", ".webm", ".avi", ".mov", ".mkv", ".m4v", ".gif"),
    "audio": (".wav", ".flac", ".mp3", ".ogg", ".oga", ".opus", ".m4a", ".aac"),
    "geometry": (".ply", ".obj", ".off", ".stl", ".glb", ".xyz"),
    "array": (".npy", ".npz"),
    "flow": (".flo",),
}
SUFFIX_KIND = {ext: kind for kind, exts in EXTENSIONS.items() for ext in exts}

DEFAULT_SAMPLE_RATE = 16_000
"""Audio rate when the consumer declares none (VGGish, Whisper and most speech models use 16 kHz)."""

MAX_VIDEO_BYTES = 2 << 30
"""Decoded video frames (uint8) or audio samples (float32) above this size (2 GiB) are refused
rather than filling memory."""


class MediaError(InputError):
    """A media file that cannot be turned into the array its consumer declared; names the file."""

    def __init__(self, path: str | Path, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def file_kind(path: str | Path) -> str | None:
    """The kind of media a file name says it holds (by suffix), or None."""
    return SUFFIX_KIND.get((path if isinstance(path, Path) else Path(str(path))).suffix.lower())


@dataclass(frozen=True)
class ImageSpec:
    """An 8-bit image: ``mode="RGB"`` gives uint8 H x W x 3 (grey, palette and RGBA converted, alpha
    dropped), ``mode="L"`` uint8 H x W (ITU-R 601 luma). 16-bit files are refused: their range is not
    the 0..255 an 8-bit consumer assumes."""

    mode: str = "RGB"

    def describe(self) -> str:
        return "RGB uint8 H x W x 3" if self.mode == "RGB" else "greyscale uint8 H x W"


@dataclass(frozen=True)
class LabelSpec:
    """An integer label map H x W: palette PNGs give their indices, grey PNGs their values (8 or
    16 bit), .npy its integers. ``binary=True`` gives a 0/1 uint8 mask: a map holding only 0 and 1
    as it is, otherwise foreground where the value exceeds half the file's range (128 of 255)."""

    binary: bool = False

    def describe(self) -> str:
        return "binary 0/1 mask H x W" if self.binary else "integer label map H x W"


@dataclass(frozen=True)
class MapSpec:
    """A float32 H x W map. ``scale=None``: a unit map in [0, 1] (8-bit / 255, 16-bit / 65535);
    ``scale=s``: the raw integer values divided by s (16-bit depth PNGs: KITTI 256, NYU 1000).
    Float .npy/.tiff maps are taken as they are."""

    scale: float | None = None

    def describe(self) -> str:
        return "float32 H x W map in [0, 1]" if self.scale is None else f"float32 H x W map (raw / {self.scale:g})"


FLOW_INVALID = ("refuse", "nan", "zero")


@dataclass(frozen=True)
class FlowSpec:
    """Optical flow, float32 H x W x 2 (u, v): Middlebury .flo, KITTI 16-bit PNG, or .npy.

    ``invalid``: what a KITTI PNG's invalid pixels (third channel 0) become: ``"refuse"`` (a
    MediaError naming how many; the default, since a metric would count them as zero motion),
    ``"nan"`` (for consumers that mask NaN; NaN in a ``.flo``/``.npy`` file is then kept as the same
    marker) or ``"zero"``.
    """

    invalid: str = "refuse"

    def __post_init__(self) -> None:
        if self.invalid not in FLOW_INVALID:
            raise InputError(f"FlowSpec: invalid must be one of {', '.join(FLOW_INVALID)}, got {self.invalid!r}")

    def describe(self) -> str:
        return "float32 H x W x 2 optical flow"


@dataclass(frozen=True)
class VideoSpec:
    """uint8 RGB frames T x H x W x 3 (a :class:`~generallevel.media.video.VideoArray`, with ``fps``)
    from a video file (MP4, WebM, AVI, MOV, MKV, GIF) or a folder of image frames (sorted by name).
    ``max_frames``: keep that many frames, evenly spaced over the clip (None: every frame)."""

    max_frames: int | None = None

    def describe(self) -> str:
        n = "" if self.max_frames is None else f" (at most {self.max_frames} frames, evenly spaced)"
        return "RGB uint8 T x H x W x 3 video" + n


@dataclass(frozen=True)
class AudioSpec:
    """A mono float32 waveform in [-1, 1] at ``sample_rate`` Hz: channels averaged; another rate
    is resampled with scipy.signal.resample_poly (polyphase FIR, Kaiser window beta 5), or refused
    with ``resample=False``."""

    sample_rate: int = DEFAULT_SAMPLE_RATE
    resample: bool = True

    def describe(self) -> str:
        how = "resampled (polyphase)" if self.resample else "no resampling"
        return f"mono float32 at {self.sample_rate} Hz, {how}"


@dataclass(frozen=True)
class PointsSpec:
    """float64 N x 3 points: a point cloud's points, or a mesh's vertices; ``mesh_points=n`` samples
    n points uniformly over a mesh's surface instead (trimesh, fixed seed)."""

    mesh_points: int | None = None

    def describe(self) -> str:
        return "float64 N x 3 points" + ("" if self.mesh_points is None else f" ({self.mesh_points} per mesh surface)")


Spec = ImageSpec | LabelSpec | MapSpec | FlowSpec | VideoSpec | AudioSpec | PointsSpec
