"""Upload files on disk: safe names, size-capped copies, fsync before anything is acknowledged.

Layout under the data directory: ``incoming/<random>/`` (an upload being received or checked),
``work/<random>/`` (a worker's extraction while scoring), ``submissions/<id>/``,
``contributions/<id>/``. A stored path is always built from a server-made id plus a name that has
been reduced to a single safe path component, never from client input directly.

Scratch folders (``incoming``, ``work``) are :class:`Scratch`: each holds a ``.lock`` file locked
with ``flock`` by the process using it. The kernel drops that lock when the process dies, however
it dies (kill -9 included), so :func:`sweep` can tell an abandoned folder from a busy one and
remove it. Nothing is ever written to the system's temporary folder.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import secrets
import shutil
import time
from pathlib import Path
from typing import BinaryIO

from ..errors import InputError

CHUNK = 1024 * 1024
LOCK = ".lock"
SCRATCH = ("incoming", "work")
_NAME_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._+()\[\]-]*$")
_GRACE = 300.0  # seconds: a scratch folder without its lock file yet is being created


class TooLarge(InputError):
    """An upload over the size limit (HTTP 413)."""


def new_public_id() -> str:
    return secrets.token_urlsafe(12)


def safe_upload_name(filename: str | None, what: str = "archive") -> str:
    """The client's file name reduced to its last component; must be a plain ``*.zip`` name."""
    raw = (filename or "").replace("\\", "/").split("/")[-1].strip()
    if not raw:
        raise InputError(f"the {what} has no file name; upload a file named like the instructions say")
    if len(raw) > 200 or not _NAME_OK.match(raw) or ".." in raw:
        raise InputError(f"the {what} file name {raw[:80]!r} is not allowed: use letters, digits, "
                         f"spaces and . _ - + ( ) [ ] only")
    if not raw.lower().endswith(".zip"):
        raise InputError(f"the {what} must be a .zip file, got {raw!r}")
    return raw


class Scratch:
    """A private folder under ``<data_dir>/<kind>/`` held (flock) by this process until closed."""

    def __init__(self, data_dir: Path, kind: str = "incoming") -> None:
        if kind not in SCRATCH:
            raise ValueError(kind)
        self.path = data_dir / kind / secrets.token_hex(8)
        self.path.mkdir(parents=True)
        self._fd: int | None = os.open(self.path / LOCK, os.O_CREAT | os.O_RDWR, 0o600)
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def release(self) -> None:
        """Unlock, keeping the folder (it has been moved into place or is about to be removed)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def discard(self) -> None:
        self.release()
        discard(self.path)

    def keep_as(self, data_dir: Path, kind: str, public_id: str) -> Path:
        """Move the folder (without its lock file) to ``<kind>/<public_id>`` durably."""
        (self.path / LOCK).unlink(missing_ok=True)
        dest = commit_dir(self.path, data_dir, kind, public_id)
        self.release()
        return dest

    def __enter__(self) -> "Scratch":
        return self

    def __exit__(self, *exc) -> None:
        self.discard()


def sweep(data_dir: Path) -> list[Path]:
    """Remove scratch folders whose process is gone (its lock is free); returns what was removed."""
    removed = []
    for kind in SCRATCH:
        parent = data_dir / kind
        if not parent.is_dir():
            continue
        for d in parent.iterdir():
            if d.is_dir() and _abandoned(d):
                shutil.rmtree(d, ignore_errors=True)
                removed.append(d)
    return removed


def _abandoned(d: Path) -> bool:
    lock = d / LOCK
    try:
        fd = os.open(lock, os.O_RDWR)
    except FileNotFoundError:
        try:
            return time.time() - d.stat().st_mtime > _GRACE
        except FileNotFoundError:
            return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False  # a live process holds it
    finally:
        os.close(fd)  # closing releases a lock we may have taken
    return True


def save_stream(src: BinaryIO, dest: Path, limit: int) -> tuple[int, str]:
    """Copy ``src`` to ``dest`` (at most ``limit`` bytes) and fsync it; returns (size, sha256)."""
    digest = hashlib.sha256()
    size = 0
    with open(dest, "wb") as out:
        while True:
            chunk = src.read(CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise TooLarge(f"the upload is larger than the limit of {limit} bytes")
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return size, digest.hexdigest()


def fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def commit_dir(src: Path, data_dir: Path, kind: str, public_id: str) -> Path:
    """Move a checked incoming directory to ``<kind>/<public_id>`` durably; returns the new path."""
    parent = data_dir / kind
    parent.mkdir(parents=True, exist_ok=True)
    dest = parent / public_id
    os.replace(src, dest)
    fsync_dir(parent)
    return dest


def discard(path: Path | None) -> None:
    if path is not None and path.exists():
        shutil.rmtree(path, ignore_errors=True)
