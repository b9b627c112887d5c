"""Closed-set leaderboard submissions: check a ``[model]-[leaderboard-id].zip`` archive, then score it.

An archive holds one ``prediction.json`` per task in the General-Bench layout::

    <image|video|audio|3d>/<comprehension|generation>/<Task-Folder>/prediction.json
    nlp/<Task-Folder>/prediction.json

Nothing in an archive is trusted: its name, every member path (no ``..``, absolute paths, drive
letters, backslashes, links or special files), the sizes its headers declare *and* the bytes it
really expands to (each member is stream-decompressed against a byte budget, so a zip bomb stops
at the limit whatever its headers say), the JSON and the ids. Members are only ever written below
a fresh :class:`tempfile.TemporaryDirectory`, under paths rebuilt from the validated components.

Python API (used by ``generallevel submission`` and the web service)::

    info = check_submission("my-model-scope-c-image-comprehension.zip")
    result = score_submission(path, answers_dir)   # result.report is a ScoreReport
"""

from __future__ import annotations

import contextlib
import re
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from .errors import InputError, UnknownTaskError
from .readers.benchfolder import MODALITY_DIRS, PARADIGM_DIRS, PREDICTION, read_predictions

MiB = 1024 * 1024
DEFAULT_MAX_MEMBER_BYTES = 200 * MiB  # one prediction.json, uncompressed
DEFAULT_MAX_TOTAL_BYTES = 1024 * MiB  # every member together, uncompressed
DEFAULT_MAX_MEMBERS = 5000  # General-Bench has 699 tasks; entries beyond this are an attack or a mistake
CHUNK = 64 * 1024
FIRST = 5

_MODEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,99}")
_SEGMENT = re.compile(r"[^\x00-\x1f\x7f/\\:*?\"<>|]+")  # a portable file-name segment
_ID_SEP = "-scope-"
LAYOUT = ("<image|video|audio|3d>/<comprehension|generation>/<Task-Folder>/prediction.json "
          "or nlp/<Task-Folder>/prediction.json")


def known_leaderboards(registry=None) -> dict[str, Any]:
    """Leaderboard id -> :class:`~generallevel.leaderboard.BoardSpec`: the boards of docs/scopes.md.

    scope-a; scope-b-<modalities> (image, video, audio, 3d and their 2-/3-way combinations, e.g.
    scope-b-image-video); scope-c-<modality>-<paradigm> (8); scope-d-<modality>-<paradigm>-<n>, one per
    paper skill group (e.g. scope-d-image-comprehension-17 for "I-C #17").
    Derived from the registry so ids always equal the ``generallevel leaderboard`` board ids.
    """
    from .leaderboard import board_specs
    from .plugins import get_registry

    registry = registry or get_registry()
    return {b.id: b for b in board_specs((t.modality, t.paradigm, t.skill, t.skill_group, t.skill_group_name)
                                         for t in registry.tasks)}


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


@dataclass
class SubmissionInfo:
    """What a checked archive holds: whose model, for which board, which prediction files."""

    archive: str
    model: str
    leaderboard_id: str
    board: Any
    members: list[Member]
    total_bytes: int = 0
    notes: list[str] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        return {"archive": self.archive, "model": self.model, "leaderboard_id": self.leaderboard_id,
                "board": self.board.describe(), "members": [m.describe() for m in self.members],
                "total_bytes": self.total_bytes, "notes": list(self.notes)}


# -- the archive name ---------------------------------------------------------------------------

def parse_archive_name(name: str, boards: dict[str, Any]) -> tuple[str, str]:
    """(model, leaderboard id) from ``[model]-[leaderboard-id].zip``; the id is the part after the last '-scope-'."""
    if not name.lower().endswith(".zip"):
        raise InputError(f"{name}: the archive must be a .zip named [model]-[leaderboard-id].zip, "
                         f"e.g. my-model-scope-c-image-comprehension.zip")
    stem = name[:-4]
    cut = stem.lower().rfind(_ID_SEP)
    if cut <= 0:
        raise InputError(f"{name}: the name must be [model]-[leaderboard-id].zip with a leaderboard id "
                         f"such as scope-a or scope-c-image-comprehension (see `generallevel submission boards`)")
    model, board = stem[:cut], stem[cut + 1:].lower()
    if not _MODEL.fullmatch(model):
        raise InputError(f"{name}: model name {model!r} must be 1-100 characters of letters, digits, "
                         f"'.', '_', '+' and '-', starting with a letter or digit")
    if board not in boards:
        import difflib

        close = difflib.get_close_matches(board, list(boards), n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(close)}?" if close else "; `generallevel submission boards` lists them"
        raise InputError(f"{name}: unknown leaderboard id {board!r}{hint}")
    return model, board


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


# -- checking -----------------------------------------------------------------------------------

def copy_limited(src: BinaryIO, dst: BinaryIO, limit: int, what: str) -> int:
    """Copy at most ``limit`` bytes; one byte more raises. Decompression is driven by these reads,
    so an archive can never make us expand more than the budget, whatever its headers declare."""
    n = 0
    while True:
        chunk = src.read(min(CHUNK, limit - n + 1))
        if not chunk:
            return n
        n += len(chunk)
        if n > limit:
            raise InputError(what)
        dst.write(chunk)


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a .zip archive") from None
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as e:
        raise InputError(f"{path.name}: not a readable zip archive ({e})") from None


def _plan(zf: zipfile.ZipFile, name: str, board, max_member: int, max_total: int,
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


def _resolve(member: Member, board, registry, notes: list[str], name: str) -> None:
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


def _check_predictions(path: Path, member: Member, name: str) -> None:
    where = f"{name}: {member.path}"
    try:
        preds = read_predictions(path)
    except InputError as e:
        raise InputError(str(e).replace(str(path), where)) from None
    if not preds:
        raise InputError(f"{where}: holds no predictions; leave an unsupported task out of the archive")
    seen: set[str] = set()
    dups = [i for i, _ in preds if i in seen or seen.add(i)]
    if dups:
        raise InputError(f"{where}: {len(dups)} duplicate id(s) ({', '.join(repr(d) for d in dups[:FIRST])}); "
                         f"each id must be predicted once")
    member.predictions = len(preds)


@contextlib.contextmanager
def extracted(path: str | Path, max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES,
              max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
              max_members: int = DEFAULT_MAX_MEMBERS) -> Iterator[tuple[SubmissionInfo, Path]]:
    """Check an archive and extract it into a temporary folder (removed on exit).

    Yields (info, root): ``root`` holds the predictions tree. Raises :class:`InputError` at the
    first problem, naming it.
    """
    from .plugins import get_registry

    path = Path(path)
    boards = known_leaderboards()
    model, board_id = parse_archive_name(path.name, boards)
    board = boards[board_id]
    registry = get_registry()
    with _open_zip(path) as zf, tempfile.TemporaryDirectory(prefix="generallevel-submission-") as tmp:
        plan = _plan(zf, path.name, board, max_member_bytes, max_total_bytes, max_members)
        root = Path(tmp) / "predictions"
        info = SubmissionInfo(str(path), model, board_id, board, [m for _, m in plan])
        total = 0
        for zinfo, member in plan:
            where = f"{path.name}: member {member.path!r}"
            _resolve(member, board, registry, info.notes, path.name)
            parts = [member.modality.lower()] + ([member.paradigm] if member.paradigm != "none" else []) \
                + [member.folder, PREDICTION]
            dest = root.joinpath(*parts)  # rebuilt from validated parts, never the raw member name
            if not dest.resolve().is_relative_to(root.resolve()):  # defence in depth; _safe_parts forbids this
                raise InputError(f"{where} would be written outside the extraction folder")
            dest.parent.mkdir(parents=True, exist_ok=True)
            budget = min(max_member_bytes, max_total_bytes - total)
            too_big = (f"{where} expands beyond {max_member_bytes:,} bytes (the per-file limit)"
                       if budget == max_member_bytes else
                       f"{path.name}: members expand beyond {max_total_bytes:,} bytes in total (the limit)")
            try:
                with zf.open(zinfo) as src, open(dest, "xb") as dst:
                    member.size = copy_limited(src, dst, budget, too_big + "; refused")
            except InputError:
                raise
            except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
                    NotImplementedError, RuntimeError) as e:  # corrupt data, bad CRC, unknown compression
                raise InputError(f"{where} cannot be read: {e}") from None
            total += member.size
            _check_predictions(dest, member, path.name)
        info.total_bytes = total
        yield info, root


def check_submission(path: str | Path, max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES,
                     max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
                     max_members: int = DEFAULT_MAX_MEMBERS) -> SubmissionInfo:
    """Validate an archive completely (name, paths, sizes, JSON, ids) without keeping anything."""
    with extracted(path, max_member_bytes, max_total_bytes, max_members) as (info, _):
        return info


# -- scoring ------------------------------------------------------------------------------------

@dataclass
class SubmissionResult:
    """A scored submission: the Level report, how each task went, and the target board's standing."""

    info: SubmissionInfo
    evaluation: Any  # generallevel.evaluate.EvaluationResult
    board: dict[str, Any]

    @property
    def report(self):
        return self.evaluation.report

    @property
    def level(self) -> int:
        return self.report.level

    @property
    def model(self) -> str:
        return self.report.model

    def to_dict(self, include_tasks: bool = False) -> dict[str, Any]:
        """The score report (``docs/report-schema.json``) plus a ``submission`` block (board standing,
        task counts by outcome, problems)."""
        ev = self.evaluation.to_dict()
        out = self.report.to_dict(include_tasks=include_tasks)
        counts = {k: v for k, v in ev["evaluation"].items() if k not in ("dataset", "predictions")}  # private paths
        out["submission"] = {"archive": Path(self.info.archive).name, "model": self.info.model,
                             "leaderboard_id": self.info.leaderboard_id, "board": self.board,
                             "members": len(self.info.members), "notes": list(self.info.notes),
                             "evaluation": counts, "problems": list(ev["problems"])}
        return out


def score_submission(path: str | Path, answers_dir: str | Path, model: str | None = None, *,
                     max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES,
                     max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES, max_members: int = DEFAULT_MAX_MEMBERS,
                     jobs: int | None = 1, strict: bool = False,
                     expect_registry: str | None = None) -> SubmissionResult:
    """Check the archive, then evaluate its predictions against ``answers_dir`` (a General-Bench tree).

    model: the report's model name (default: the one in the archive name). ``result.report`` is
    the :class:`~generallevel.scoring.ScoreReport`; ``result.board`` the target board's Level,
    score, supported tasks and wins. expect_registry: refuse (before extracting anything) unless the
    installed registry has this fingerprint.
    """
    from .evaluate import evaluate
    from .leaderboard import compute_boards, matrix_from_reports
    from .scoring import check_registry

    check_registry(expect_registry)

    answers = Path(answers_dir)
    if not answers.is_dir():
        raise InputError(f"{answers}: the answers folder does not exist")
    with extracted(path, max_member_bytes, max_total_bytes, max_members) as (info, root):
        ev = evaluate(answers, root, model or info.model, jobs=jobs, strict=strict, progress=False,
                      expect_registry=expect_registry)
        scrub = {str(root): Path(info.archive).name, str(answers): "<answers>"}
        for t in ev.tasks:
            t.error = _scrub(t.error, scrub)
            t.problems = [_scrub(p, scrub) for p in t.problems]
        ev.problems = [_scrub(p, scrub) for p in ev.problems]
    board = compute_boards(matrix_from_reports([ev.report]), board_ids=[info.leaderboard_id])[0]
    row = board.rows()[0]
    standing = {"id": board.spec.id, "title": board.spec.title, "level": row["level"], "score": row["score"],
                "supported": row["supported"], "tasks": row["tasks"], "wins": row["wins"]}
    return SubmissionResult(info, ev, standing)


def _scrub(text: str | None, reps: dict[str, str]) -> str | None:
    if text is None:
        return None
    for old, new in reps.items():
        text = text.replace(old, new)
    return text
