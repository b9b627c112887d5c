"""Entries of a submission archive: safe paths, the task layout, declared sizes, board membership.

Besides each task's ``prediction.json``, a task folder of a media modality (image, video, audio,
3d) may hold the media files its predictions name (``outputs/0001.png``, relative to the
prediction file), in sub-folders up to :data:`MAX_MEDIA_DEPTH` deep, with a known media suffix
(:data:`generallevel.media.spec.SUFFIX_KIND`); they pass the same path, kind, size and board
checks. Used by :mod:`generallevel.submission`; nothing here reads a member's data.
"""

from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError, UnknownTaskError
from .readers.benchfolder import MODALITY_DIRS, PARADIGM_DIRS, PREDICTION

_SEGMENT = re.compile(r"[^\x00-\x1f\x7f/\\:*?\"<>|]+")  # a portable file-name segment
LAYOUT = ("<image|video|audio|3d>/<comprehension|generation>/<Task-Folder>/prediction.json "
          "(plus the media files its predictions name, below that folder) or nlp/<Task-Folder>/prediction.json")
MAX_MEDIA_DEPTH = 6  # folders below a task folder that a media file may sit in


def _media_suffixes() -> dict[str, str]:
    from .media.spec import SUFFIX_KIND  # data only: no media library is imported

    return SUFFIX_KIND


@dataclass
class Member:
    """One prediction file in an archive."""

    path: str  # as written in the archive
    modality: str
    paradigm: str
    folder: str
    task_id: str | None = None  # the registry task the folder name resolves to, if it does
    size: int = 0  # uncompressed bytes actually read
    predictions: int = 0
    inner: tuple[str, ...] = ()  # a media file: its path below the task folder (empty for prediction.json)

    @property
    def is_media(self) -> bool:
        return bool(self.inner)

    def describe(self) -> dict[str, Any]:
        return {"path": self.path, "modality": self.modality, "paradigm": self.paradigm,
                "folder": self.folder, "task": self.task_id, "bytes": self.size,
                "predictions": self.predictions}


# -- member paths -------------------------------------------------------------------------------

def _member_kind(info: zipfile.ZipInfo) -> str:
    """'dir', 'file' or the reason the entry is refused (links and special files)."""
    mode = info.external_attr >> 16
    kind = stat.S_IFMT(mode)
    if kind == stat.S_IFLNK:
        return "a symbolic link"
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        return "a special file (device, FIFO or socket)"
    if info.is_dir():
        return "dir"
    if kind == stat.S_IFDIR:
        return "a directory entry without a trailing '/'"
    return "file"


def _safe_parts(name: str) -> list[str]:
    """The path's components, refusing anything that could leave the extraction root."""
    if "\x00" in name:
        raise ValueError("contains a NUL byte")
    if "\\" in name:
        raise ValueError("uses '\\' (paths in a zip use '/')")
    if name.startswith("/"):
        raise ValueError("is an absolute path")
    if re.match(r"[A-Za-z]:", name):
        raise ValueError("starts with a drive letter")
    parts = name.rstrip("/").split("/")
    for p in parts:
        if p in ("", ".", ".."):
            raise ValueError("has an empty, '.' or '..' component" if p != ".." else "climbs out with '..'")
        if not _SEGMENT.fullmatch(p) or p != p.strip() or p.endswith("."):
            raise ValueError(f"has a component {p!r} that is not a portable file name")
    return parts


def _layout(parts: list[str]) -> tuple[str, str, str] | None:
    """(modality, paradigm, task folder) when ``parts`` is a prediction file in the task layout."""
    if not parts or parts[-1] != PREDICTION:
        return None
    modality = MODALITY_DIRS.get(parts[0].lower())
    if modality == "NLP" and len(parts) == 3:
        return modality, "none", parts[1]
    if modality and modality != "NLP" and len(parts) == 4 and parts[1].lower() in PARADIGM_DIRS:
        return modality, parts[1].lower(), parts[2]
    return None


def _media_layout(parts: list[str]) -> tuple[str, str, str] | None:
    """(modality, paradigm, task folder) when ``parts`` is a media file below a media task folder."""
    modality = MODALITY_DIRS.get(parts[0].lower())
    if not modality or modality == "NLP" or len(parts) < 4 or len(parts) > 4 + MAX_MEDIA_DEPTH:
        return None
    if parts[1].lower() not in PARADIGM_DIRS or Path(parts[-1]).suffix.lower() not in _media_suffixes():
        return None
    if any(p.casefold() == PREDICTION for p in parts[3:]):
        return None  # a folder named prediction.json would collide with the task's prediction file
    return modality, parts[1].lower(), parts[2]


def _allowed_dir(parts: list[str]) -> bool:
    """Directory entries that are a prefix of the layout (media sub-folders of a task folder included)."""
    if MODALITY_DIRS.get(parts[0].lower()) is None:
        return False
    if MODALITY_DIRS[parts[0].lower()] == "NLP":
        return len(parts) <= 2
    if len(parts) > 3 + MAX_MEDIA_DEPTH or any(p.casefold() == PREDICTION for p in parts[3:]):
        return False
    return len(parts) == 1 or parts[1].lower() in PARADIGM_DIRS


def plan_members(zf: zipfile.ZipFile, name: str, board, max_member: int, max_total: int,
          max_members: int) -> list[tuple[zipfile.ZipInfo, Member]]:
    """Validate every entry's path, kind and declared size; the prediction files to extract."""
    infos = zf.infolist()
    if len(infos) > max_members:
        raise InputError(f"{name}: {len(infos)} entries; at most {max_members} are accepted")
    plan, seen, declared = [], {}, 0
    files: set[str] = set()  # media files' keys, and the folders they sit in: no path may be both
    parents: dict[str, str] = {}
    for info in infos:
        where = f"{name}: member {info.filename!r}"
        try:
            parts = _safe_parts(info.filename)
        except ValueError as e:
            raise InputError(f"{where} {e}; every member must lie inside the archive root") from None
        kind = _member_kind(info)
        if kind not in ("dir", "file"):
            raise InputError(f"{where} is {kind}; only regular files and folders are accepted")
        if info.flag_bits & 0x1:
            raise InputError(f"{where} is encrypted; submit an unencrypted archive")
        key = "/".join(parts).casefold()
        if key in seen:
            raise InputError(f"{where} appears twice (also as {seen[key]!r}); each path must be unique "
                             f"(case-insensitively)")
        seen[key] = info.filename
        if kind == "dir":
            if not _allowed_dir(parts):
                raise InputError(f"{where} is a folder outside the layout {LAYOUT}")
            continue
        placed = _layout(parts)
        inner: tuple[str, ...] = ()
        if placed is None:
            placed = _media_layout(parts)
            if placed is None:
                raise InputError(f"{where} is not a prediction file in the layout {LAYOUT}, nor a media file "
                                 f"(one of {', '.join(sorted(_media_suffixes()))}) below a media task folder "
                                 f"(at most {MAX_MEDIA_DEPTH} folders deep)")
            inner = tuple(parts[3:])
            files.add(key)
            for i in range(4, len(parts)):
                parents.setdefault("/".join(parts[:i]).casefold(), info.filename)
        modality, paradigm, folder = placed
        if not board.includes(modality, paradigm, board.skill or "", board.skill_group or ""):  # skills: in _resolve
            group = modality if paradigm == "none" else f"{modality}-{paradigm}"
            raise InputError(f"{where} is a {group} task folder; board {board.id} ({board.title}) does not "
                             f"include {group} tasks")
        if info.file_size > max_member:
            raise InputError(f"{where} declares {info.file_size:,} bytes uncompressed; the limit per "
                             f"file is {max_member:,}")
        declared += info.file_size
        if declared > max_total:
            raise InputError(f"{name}: members declare more than {max_total:,} bytes uncompressed in total "
                             f"(the limit); refused before extraction")
        plan.append((info, Member(info.filename, modality, paradigm, folder, inner=inner)))
    clash = next((k for k in files if k in parents), None)
    if clash is not None:
        raise InputError(f"{name}: member {seen[clash]!r} is a file, and a folder of member {parents[clash]!r}; "
                         "a path cannot be both")
    if not any(not m.is_media for _, m in plan):
        raise InputError(f"{name}: no prediction files; expected {LAYOUT}")
    return plan


def resolve_member(member: Member, board, registry, notes: list[str], name: str) -> None:
    """The registry task a folder names (as evaluate falls back to); skill boards need it to match."""
    try:
        task = registry.tasks.get(member.folder)
    except UnknownTaskError:
        notes.append(f"{member.path}: folder {member.folder!r} is not a registered task name; it will be "
                     f"matched through the answers' annotation.json when scored")
        return
    if (task.modality, task.paradigm) != (member.modality, member.paradigm):
        raise InputError(f"{name}: member {member.path!r}: task {task.name!r} belongs to {task.group}, not "
                         f"{member.modality}" + (f"-{member.paradigm}" if member.paradigm != "none" else ""))
    member.task_id = task.id
    if board.skill is not None and task.skill != board.skill:
        raise InputError(f"{name}: member {member.path!r}: task {task.name!r} is in skill cluster {task.skill!r}, "
                         f"not {board.skill!r} of board {board.id}")
    if board.skill_group is not None and task.skill_group != board.skill_group:
        raise InputError(f"{name}: member {member.path!r}: task {task.name!r} is in skill group "
                         f"{task.skill_group!r} ({task.skill_group_name}), not {board.skill_group!r} of board "
                         f"{board.id}")
