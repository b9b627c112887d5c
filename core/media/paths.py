"""Where a media path in a JSON file points: relative to that file's folder, inside allowed trees.

A General-Bench item names its files relative to the JSON file that holds it
(``{"image": "images/gt_0001.png"}`` in ``<task>/annotation.json`` is ``<task>/images/gt_0001.png``).
The path a JSON value names must lie inside the allowed roots (the dataset tree and the predictions
tree) once ``..`` is collapsed, so a prediction file cannot make the evaluator read
``/etc/passwd`` or another user's files. Symbolic links *inside* the trees are followed: whoever
assembled a tree may link media from shared storage (and an editable install's link tree links
every bundled file); the trees' content is theirs, the JSON values are not trusted. URLs are
refused: nothing is downloaded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from .spec import SUFFIX_KIND, MediaError

MAX_PATH_CHARS = 4096


def looks_like_media_path(value: object) -> bool:
    """True for a string whose suffix is a known media suffix (``x.png``, ``a/b.wav``, ``c.PLY``)."""
    if not isinstance(value, str) or not value or len(value) > MAX_PATH_CHARS or "\n" in value:
        return False
    dot = value.rfind(".")
    return dot > 0 and value[dot:].lower() in SUFFIX_KIND and "/" not in value[dot:]


class MediaRoots:
    """The trees media files may come from; ``resolve`` turns a JSON value into a checked path."""

    def __init__(self, roots: Iterable[str | Path]):
        self.roots = tuple(dict.fromkeys(_lexical(r) for r in roots))
        if not self.roots:
            raise ValueError("MediaRoots needs at least one root folder")

    def inside(self, path: Path) -> bool:
        return any(path == r or path.is_relative_to(r) for r in self.roots)

    def resolve(self, value: str, base: str | Path, *, folder_ok: bool = False) -> Path:
        """``value`` (relative to ``base``, the JSON file's folder, or absolute) as an existing file
        (or folder, with ``folder_ok``) inside one of the roots; MediaError otherwise."""
        if "://" in value or value.startswith("data:"):
            raise MediaError(value, "is a URL; generallevel reads local files only and downloads nothing")
        raw = Path(value)
        path = raw if raw.is_absolute() else Path(base) / raw
        named = _lexical(path)
        if not self.inside(named):
            where = " or ".join(str(r) for r in self.roots)
            raise MediaError(path, f"names {named}, outside the allowed trees ({where}); refused")
        try:
            real = path.resolve()
        except (OSError, RuntimeError) as e:  # a symlink loop
            raise MediaError(path, f"cannot be resolved ({e})") from None
        if real.is_dir():
            if folder_ok:
                return real
            raise MediaError(path, "is a folder, not a file")
        if not real.is_file():
            raise MediaError(path, "no such file" + (f" (named {value!r} in {base})" if not raw.is_absolute() else ""))
        return real


def _lexical(path: str | Path) -> Path:
    """The absolute path with ``.`` and ``..`` collapsed, links not followed (``os.path.abspath``)."""
    return Path(os.path.abspath(path))
