"""Cheap checks that a media file is what its name says: the header parses, nothing is decoded.

Used by ``generallevel tasks validate`` to find missing, misplaced and unreadable files before an
evaluation decodes them. :func:`probe` reads a few bytes (arrays, ``.flo``, meshes) or lets the
field's library parse the header (Pillow for images, soundfile/PyAV for audio, PyAV for video) and
raises :class:`~generallevel.media.MediaError` naming the file. A file that passes can still fail
to decode (a truncated stream); one that fails here would fail there.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

from .arrays import FLO_MAGIC
from .spec import MediaError, file_kind


def probe(path: str | Path) -> str:
    """A short description of ``path`` ("image 640 x 480", "video, 1 stream", ...), or MediaError."""
    path = Path(path)
    kind = file_kind(path)
    try:
        size = path.stat().st_size
    except OSError as e:
        raise MediaError(path, f"cannot be read ({e.strerror or e})") from None
    if size == 0:
        raise MediaError(path, "is empty")
    check = {"image": _image, "video": _video, "audio": _audio, "array": _array, "flow": _flo,
             "geometry": _geometry}.get(kind or "")
    if check is None:
        raise MediaError(path, "has no known media suffix")
    return check(path, size)


def _image(path: Path, size: int) -> str:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            w, h = img.size
            mode = img.mode
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as e:
        raise MediaError(path, f"is not a readable image ({type(e).__name__}: {str(e)[:120]})") from None
    if w < 1 or h < 1:
        raise MediaError(path, f"declares an empty image ({w} x {h})")
    return f"image {w} x {h} {mode}"


def _container(path: Path, what: str):
    import av

    try:
        return av.open(str(path))
    except (av.FFmpegError, OSError, ValueError) as e:  # type: ignore[attr-defined]
        raise MediaError(path, f"is not a readable {what} file ({type(e).__name__}: {str(e)[:120]})") from None


def _video(path: Path, size: int) -> str:
    if path.suffix.lower() == ".gif":
        return _image(path, size)
    with _container(path, "video") as box:
        streams = box.streams.video
        if not streams:
            raise MediaError(path, "holds no video stream")
        s = streams[0]
        return f"video {s.codec_context.width} x {s.codec_context.height}, codec {s.codec_context.name}"


def _audio(path: Path, size: int) -> str:
    if path.suffix.lower() in (".wav", ".flac", ".ogg", ".oga"):
        import soundfile as sf

        try:
            info = sf.info(str(path))
        except (RuntimeError, sf.LibsndfileError) as e:  # type: ignore[attr-defined]
            raise MediaError(path, f"is not a readable audio file ({str(e)[:120]})") from None
        if info.frames < 1:
            raise MediaError(path, "holds no audio samples")
        return f"audio {info.samplerate} Hz, {info.channels} channel(s), {info.frames} samples"
    with _container(path, "audio") as box:
        if not box.streams.audio:
            raise MediaError(path, "holds no audio stream")
        return f"audio, codec {box.streams.audio[0].codec_context.name}"


def _array(path: Path, size: int) -> str:
    import numpy as np

    if path.suffix.lower() == ".npz":
        try:
            with zipfile.ZipFile(path) as z:
                names = [n for n in z.namelist() if n.endswith(".npy")]
        except (zipfile.BadZipFile, OSError) as e:
            raise MediaError(path, f"is not a readable .npz archive ({e})") from None
        if not names:
            raise MediaError(path, "is an .npz archive without arrays")
        return f"npz with {len(names)} array(s)"
    try:
        with open(path, "rb") as f:
            version = np.lib.format.read_magic(f)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = read(f)
    except (ValueError, OSError) as e:
        raise MediaError(path, f"is not a readable .npy file ({str(e)[:120]})") from None
    if dtype.hasobject:
        raise MediaError(path, "holds Python objects (pickles are refused)")
    return f"npy {dtype} {shape}"


def _flo(path: Path, size: int) -> str:
    with open(path, "rb") as f:
        head = f.read(12)
    if len(head) < 12:
        raise MediaError(path, "too short for a .flo header (12 bytes)")
    magic, w, h = struct.unpack("<fii", head)
    if magic != FLO_MAGIC:
        raise MediaError(path, f"not a Middlebury .flo file (magic {magic!r}, expected {FLO_MAGIC})")
    if w <= 0 or h <= 0 or 12 + 8 * w * h != size:
        raise MediaError(path, f".flo header says {w} x {h}, which does not match the file's {size} bytes")
    return f"flow {w} x {h}"


def _geometry(path: Path, size: int) -> str:
    suffix = path.suffix.lower()
    with open(path, "rb") as f:
        head = f.read(64)
    if suffix == ".ply" and not head.startswith(b"ply"):
        raise MediaError(path, "is not a PLY file (no 'ply' magic line)")
    if suffix == ".off" and not head.lstrip().upper().startswith((b"OFF", b"COFF", b"NOFF", b"STOFF", b"4OFF")):
        raise MediaError(path, "is not an OFF file (no OFF header)")
    if suffix == ".glb" and not head.startswith(b"glTF"):
        raise MediaError(path, "is not a binary glTF file (no glTF magic)")
    return f"{suffix[1:]} file, {size} bytes"
