"""Videos as uint8 RGB frames T x H x W x 3, from video files (PyAV) or folders of frames (Pillow)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from . import spec as _spec
from .paths import folder_files
from .spec import EXTENSIONS, ImageSpec, MediaError, VideoSpec, file_kind


class VideoArray(np.ndarray):
    """A T x H x W x 3 uint8 array that also carries the clip's frame rate (``fps``, None if unknown).

    It is an ndarray in every other respect; slices keep ``fps``.
    """

    fps: float | None

    def __new__(cls, frames: np.ndarray, fps: float | None = None) -> "VideoArray":
        obj = np.asarray(frames).view(cls)
        obj.fps = fps
        return obj

    def __array_finalize__(self, obj: Any) -> None:
        self.fps = getattr(obj, "fps", None)

    def __array_wrap__(self, obj: Any, context: Any = None, return_scalar: bool = False) -> Any:
        out = super().__array_wrap__(obj, context, return_scalar)
        return out[()] if isinstance(out, np.ndarray) and out.ndim == 0 else out  # reductions give scalars

    def __reduce__(self):  # pickles (to worker processes) as an array plus its fps
        return (VideoArray, (np.asarray(self), self.fps))


def _pick(total: int, spec: VideoSpec) -> np.ndarray | None:
    """Indices of the frames to keep: all (None), or ``max_frames`` evenly spaced ones."""
    if spec.max_frames is None or total <= spec.max_frames:
        return None
    return np.unique(np.round(np.linspace(0, total - 1, spec.max_frames)).astype(np.int64))


def _stack(path: Path, frames: list[np.ndarray]) -> np.ndarray:
    if not frames:
        raise MediaError(path, "holds no video frames")
    shapes = {f.shape for f in frames}
    if len(shapes) > 1:
        raise MediaError(path, f"has frames of different sizes ({', '.join(map(str, sorted(shapes)[:3]))})")
    return np.stack(frames)


def _guard(path: Path, nbytes: int) -> None:
    if nbytes > _spec.MAX_VIDEO_BYTES:
        raise MediaError(path, f"decodes to more than {_spec.MAX_VIDEO_BYTES >> 20} MiB of frames; "
                               "pass fewer frames (max_frames) or a shorter clip")


def decode_frames_folder(path: Path, spec: VideoSpec) -> VideoArray:
    """The image files of a folder, sorted by name, as one clip (fps unknown)."""
    from .image import decode_image

    files = folder_files(path, ("image",))
    if not files:
        raise MediaError(path, f"is a folder without image frames ({', '.join(EXTENSIONS['image'])})")
    keep = _pick(len(files), spec)
    if keep is not None:
        files = [files[i] for i in keep]
    frames, size = [], 0
    for f in files:
        frames.append(decode_image(f, ImageSpec("RGB")))
        size += frames[-1].nbytes
        _guard(path, size)
    return VideoArray(_stack(path, frames), None)


def decode_video(path: Path, spec: VideoSpec) -> VideoArray:
    if path.is_dir():
        return decode_frames_folder(path, spec)
    if file_kind(path) != "video":
        raise MediaError(path, f"expected a video ({', '.join(EXTENSIONS['video'])}) or a folder of frames")
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise MediaError(path, "has no video stream")
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            rate = stream.average_rate or stream.guessed_rate
            fps = float(rate) if rate else None
            keep = _pick(stream.frames, spec) if stream.frames else None
            wanted = None if keep is None else set(keep.tolist())
            frames, size = [], 0
            for i, frame in enumerate(container.decode(stream)):
                if wanted is not None and i not in wanted:
                    continue
                frames.append(frame.to_ndarray(format="rgb24"))
                size += frames[-1].nbytes
                _guard(path, size)
    except MediaError:
        raise
    except (av.error.FFmpegError, OSError, ValueError) as e:
        raise MediaError(path, f"cannot decode video ({e})") from None
    arr = _stack(path, frames)
    if keep is None:  # frame count unknown up front (or all wanted): select now
        late = _pick(len(arr), spec)
        if late is not None:
            arr = arr[late]
    return VideoArray(arr, fps)
