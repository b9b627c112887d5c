"""Entries of a submission archive: safe paths, the task layout, declared sizes, board membership.

Used by :mod:`generallevel.submission`; nothing here reads a member's data.
"""

from __future__ import annotations

import re
import stat
import zipfile
from dataclasses import dataclass
from typing import Any

from .errors import InputError, UnknownTaskError
from .readers.benchfolder import MODALITY_DIRS, PARADIGM_DIRS, PREDICTION

_SEGMENT = re.compile(r"[^\x00-\x1f\x7f/\\:*?\"<>|]+")  # a portable file-name segment
LAYOUT = ("<image|video|audio|3d>/<comprehension|generation>/<Task-Folder>/prediction.json "
          "or nlp/<Task-Folder>/prediction.json")


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


def _allowed_dir(parts: list[str]) -> bool:
    """Directory entries that are a prefix of the layout."""
    if MODALITY_DIRS.get(parts[0].lower()) is None:
        return False
    if MODALITY_DIRS[parts[0].lower()] == "NLP":
        return len(parts) <= 2
    return len(parts) == 1 or (parts[1].lower() in PARADIGM_DIRS and len(parts) <= 3)


def plan_members(zf: zipfile.ZipFile, name: str, board, max_member: int, max_total: int,
          max_members: int) -> list[tuple[zipfile.ZipInfo, Member]]:
    """Validate every entry's path, kind and declared size; the prediction files to extract."""
    infos = zf.infolist()
    if len(infos) > max_members:
        raise InputError(f"{name}: {len(infos)} entries; at most {max_members} are accepted")
    plan, seen, declared = [], {}, 0
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
        if placed is None:
            raise InputError(f"{where} is not a prediction file in the layout {LAYOUT}")
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
        plan.append((info, Member(info.filename, modality, paradigm, folder)))
    if not plan:
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
