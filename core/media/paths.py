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

import errno
import os
import stat
from pathlib import Path
from typing import Iterable

from .spec import SUFFIX_KIND, MediaError

_NOT_THERE = (errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP)  # what Path.is_file() takes as False

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
        self._setup()

    def _setup(self) -> None:
        # string forms of the roots ("/a/b" and its prefix "/a/b/") and the real path of each folder
        # a JSON value's file sits in, so that a tree's files share one realpath walk per folder
        self._names = tuple(str(r) for r in self.roots)
        self._prefixes = tuple(n if n.endswith("/") else n + "/" for n in self._names)
        self._real_dirs: dict[str, str] = {}

    def __getstate__(self) -> dict:  # to worker processes without the per-folder cache
        return {"roots": self.roots}

    def __setstate__(self, state: dict) -> None:
        self.roots = state["roots"]
        self._setup()

    def inside(self, path: Path) -> bool:
        return any(path == r or path.is_relative_to(r) for r in self.roots)

    def resolve(self, value: str, base: str | Path, *, folder_ok: bool = False) -> Path:
        """``value`` (relative to ``base``, the JSON file's folder, or absolute) as an existing file
        (or folder, with ``folder_ok``) inside one of the roots; MediaError otherwise."""
        return Path(self.locate(value, base, folder_ok=folder_ok)[0])

    def locate(self, value: str, base: str | Path, *, folder_ok: bool = False) -> tuple[str, bool]:
        """:meth:`resolve` as ``(real path, is a folder)``, with one ``lstat`` per file in the common
        case: a relative value naming a plain file or folder (not a link), whose folder's real path
        is already known. Anything else (absolute or odd values, links as the last part, a
        missing file, a refusal) takes the full check of :meth:`_resolve`, so errors read the same."""
        # the real path of folder/name is realpath(folder)/name when name is a plain entry (os.path.realpath
        # walks the parts in order), so one realpath per folder serves all its files
        if not isinstance(value, str) or not value or value[0] == "/" or "://" in value or "\0" in value \
                or value.startswith("data:"):
            return self._slow(value, base, folder_ok)
        joined = f"{str(base) or '.'}/{value}"  # Path("") is "."
        folder, _, name = joined.rpartition("/")
        if name in ("", ".", ".."):
            return self._slow(value, base, folder_ok)
        named = os.path.abspath(joined)
        if not (named in self._names or named.startswith(self._prefixes)):
            return self._slow(value, base, folder_ok)
        real_dir = self._real_dirs.get(folder)
        if real_dir is None:
            real_dir = self._real_dirs[folder] = os.path.realpath(folder)
        real = real_dir + name if real_dir.endswith("/") else f"{real_dir}/{name}"
        try:
            mode = os.lstat(real).st_mode  # not a link (else realpath would follow it): what stat says
        except OSError:
            return self._slow(value, base, folder_ok)
        if stat.S_ISREG(mode):
            return real, False
        if stat.S_ISDIR(mode) and folder_ok:
            return real, True
        return self._slow(value, base, folder_ok)

    def _slow(self, value: str, base: str | Path, folder_ok: bool) -> tuple[str, bool]:
        real = self._resolve(value, base, folder_ok=folder_ok)
        return str(real), real.is_dir()

    def _resolve(self, value: str, base: str | Path, *, folder_ok: bool = False) -> Path:
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


def folder_files(folder: Path, kinds: tuple[str, ...]) -> list[Path]:
    """The files in ``folder`` whose suffix names one of ``kinds``, sorted by name: what
    ``sorted(p for p in folder.iterdir() if p.is_file() and file_kind(p) in kinds)`` gives (and
    raises), with one ``stat`` per entry and a path object only for the files kept."""
    top, names = str(folder), []
    for name in os.listdir(folder):
        try:
            mode = os.stat(os.path.join(top, name)).st_mode
        except OSError as e:
            if e.errno not in _NOT_THERE:
                raise
            continue
        except ValueError:
            continue
        dot = name.rfind(".")  # Path.suffix of a plain name
        if stat.S_ISREG(mode) and 0 < dot < len(name) - 1 and SUFFIX_KIND.get(name[dot:].lower()) in kinds:
            names.append(name)
    return [folder / name for name in sorted(names)]
