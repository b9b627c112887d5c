"""file -> array: images, video, audio, point clouds and meshes, label maps, scalar maps, flow.

A consumer declares what it needs with a spec (:class:`ImageSpec`, :class:`VideoSpec`,
:class:`AudioSpec`, :class:`PointsSpec`, :class:`LabelSpec`, :class:`MapSpec`,
:class:`FlowSpec`) and :func:`decode` reads a file to exactly that, or raises
:class:`MediaError` (an :class:`~generallevel.InputError`) whose message starts with the file.
:class:`MediaRoots` resolves paths written in JSON files and refuses any outside the allowed trees.

This package knows nothing of metrics. Media libraries (Pillow, PyAV, soundfile, plyfile, trimesh:
``pip install 'generallevel[media]'``) are imported on first use only, and a missing one is a
:class:`~generallevel.MissingDependencyError` naming the extra.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..errors import MissingDependencyError
from .paths import MediaRoots, looks_like_media_path
from .spec import (
    DEFAULT_SAMPLE_RATE, EXTENSIONS, AudioSpec, FlowSpec, ImageSpec, LabelSpec, MapSpec, MediaError, PointsSpec,
    Spec, VideoSpec, file_kind,
)

__all__ = [
    "DEFAULT_SAMPLE_RATE", "EXTENSIONS", "AudioSpec", "FlowSpec", "ImageSpec", "LabelSpec", "MapSpec", "MediaError",
    "MediaRoots", "PointsSpec", "Spec", "VideoSpec", "decode", "file_kind", "looks_like_media_path",
]

_DECODERS: dict[type, tuple[str, str]] = {  # spec type -> (module, function)
    ImageSpec: ("image", "decode_image"),
    LabelSpec: ("image", "decode_labels"),
    MapSpec: ("image", "decode_map"),
    FlowSpec: ("image", "decode_flow"),
    VideoSpec: ("video", "decode_video"),
    AudioSpec: ("audio", "decode_audio"),
    PointsSpec: ("geometry", "decode_points"),
}
_LIBRARY = {"PIL": "Pillow", "av": "av (PyAV)", "soundfile": "soundfile", "plyfile": "plyfile",
            "trimesh": "trimesh", "scipy": "scipy"}


_LOADED: dict[type, Callable[[Path, Any], Any]] = {}  # spec type -> its decoder, once imported


def _decoder(spec: Spec) -> Callable[[Path, Any], Any]:
    fn = _LOADED.get(type(spec))
    if fn is not None:
        return fn
    import importlib

    try:
        module, name = _DECODERS[type(spec)]
    except KeyError:
        raise TypeError(f"not a media spec: {spec!r}") from None
    fn = _LOADED[type(spec)] = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    return fn


def decode(path: str | Path, spec: Spec) -> Any:
    """The array ``spec`` declares, read from ``path`` (a file; a folder of frames for VideoSpec)."""
    if not isinstance(path, Path):
        path = Path(path)
    try:
        return _decoder(spec)(path, spec)
    except ModuleNotFoundError as e:
        top = (e.name or "").split(".")[0]
        if top not in _LIBRARY:
            raise
        raise MissingDependencyError(f"{path}: reading it as {spec.describe()} needs {_LIBRARY[top]}, which is "
                                     f"not installed: pip install 'generallevel[media]'") from None
