"""Closed-set leaderboard submissions: check a ``[model]-[leaderboard-id].zip`` archive, then score it.

An archive holds one ``prediction.json`` per task in the General-Bench layout::

    <image|video|audio|3d>/<comprehension|generation>/<Task-Folder>/prediction.json
    nlp/<Task-Folder>/prediction.json

and, below a media task's folder, the media files its predictions name (a generation task's
``"outputs/0001.png"``, relative to the prediction file). Media members pass the same path, kind,
declared-size and streamed-size checks (their bytes count against the per-file and total
budgets); they are not decoded here: ``evaluate`` reads them, one unreadable file failing its item.

Nothing in an archive is trusted: its name, every member path (no ``..``, absolute paths, drive
letters, backslashes, links or special files), the sizes its headers declare *and* the bytes it
really expands to (each member is stream-decompressed against a byte budget, so a zip bomb stops
at the limit whatever its headers say), the JSON and the ids. Checking extracts nothing: each
member is validated as a stream (:mod:`generallevel.prediction_stream`), so its memory is bounded
whatever the archive expands to. Scoring extracts below a fresh temporary folder (in ``tmp_dir``
when given), under paths rebuilt from the validated components.

Python API (used by ``generallevel submission`` and the web service)::

    info = check_submission("my-model-scope-c-image-comprehension.zip")
    result = score_submission(path, answers_dir)   # result.report is a ScoreReport
"""

from __future__ import annotations

import contextlib
import re
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterator

from .errors import InputError
from .prediction_stream import MAX_ITEM_CHARS, MAX_PREDICTIONS, LimitedReader, scan_predictions
from .readers.benchfolder import ANNOTATION, PREDICTION
from .submission_members import LAYOUT, Member, plan_members, resolve_member

__all__ = ["LAYOUT", "Member", "SubmissionInfo", "SubmissionResult", "check_submission", "copy_limited",
           "extracted", "known_leaderboards", "parse_archive_name", "score_submission"]

MiB = 1024 * 1024
DEFAULT_MAX_MEMBER_BYTES = 200 * MiB  # one prediction.json, uncompressed
DEFAULT_MAX_TOTAL_BYTES = 1024 * MiB  # every member together, uncompressed
DEFAULT_MAX_MEMBERS = 5000  # General-Bench has 699 tasks; entries beyond this are an attack or a mistake
CHUNK = 64 * 1024
FIRST = 5

_MODEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,99}")
_ID_SEP = "-scope-"
_READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError, NotImplementedError,
                RuntimeError)  # corrupt data, bad CRC, unknown compression, encryption


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
class SubmissionInfo:
    """What a checked archive holds: whose model, for which board, which prediction files."""

    archive: str
    model: str
    leaderboard_id: str
    board: Any
    members: list[Member]
    total_bytes: int = 0
    notes: list[str] = field(default_factory=list)
    media: list[Member] = field(default_factory=list)  # media files below task folders

    def describe(self) -> dict[str, Any]:
        return {"archive": self.archive, "model": self.model, "leaderboard_id": self.leaderboard_id,
                "board": self.board.describe(), "members": [m.describe() for m in self.members],
                "media_files": len(self.media), "media_bytes": sum(m.size for m in self.media),
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


def _member_budget(name: str, member: Member, total: int, max_member: int, max_total: int) -> tuple[int, str]:
    where = f"{name}: member {member.path!r}"
    budget = min(max_member, max_total - total)
    too_big = (f"{where} expands beyond {max_member:,} bytes (the per-file limit)" if budget == max_member
               else f"{name}: members expand beyond {max_total:,} bytes in total (the limit)")
    return budget, too_big + "; refused"


def _scan(open_raw, member: Member, name: str, budget: int, too_big: str, limits: dict[str, int]) -> None:
    """Stream-validate one member (``open_raw()`` opens its bytes); sets its size and prediction count."""
    readers: list[LimitedReader] = []

    @contextlib.contextmanager
    def open_stream():
        with open_raw() as raw:
            readers.append(LimitedReader(raw, budget, too_big))
            yield readers[-1]

    try:
        result = scan_predictions(open_stream, f"{name}: {member.path}", **limits)
    except InputError:
        raise
    except _READ_ERRORS as e:
        raise InputError(f"{name}: member {member.path!r} cannot be read: {e}") from None
    member.size, member.predictions = readers[0].count, result.count


def _walk_archive(path: Path, max_member_bytes: int, max_total_bytes: int, max_members: int,
                  limits: dict[str, int], root: Path | None) -> SubmissionInfo:
    """Check every member; with ``root``, also extract each under it (paths rebuilt from validated parts)."""
    from .plugins import get_registry

    boards = known_leaderboards()
    model, board_id = parse_archive_name(path.name, boards)
    board = boards[board_id]
    registry = get_registry()
    with _open_zip(path) as zf:
        plan = plan_members(zf, path.name, board, max_member_bytes, max_total_bytes, max_members)
        info = SubmissionInfo(str(path), model, board_id, board, [m for _, m in plan if not m.is_media],
                              media=[m for _, m in plan if m.is_media])
        spelled = {(m.modality, m.paradigm, m.folder.casefold()): m.folder for m in info.members}
        for m in info.media:  # extracted beside its task's prediction.json, however the folder's case is written
            m.folder = spelled.get((m.modality, m.paradigm, m.folder.casefold()), m.folder)
        total = 0
        for zinfo, member in plan:
            budget, too_big = _member_budget(path.name, member, total, max_member_bytes, max_total_bytes)
            if member.is_media:  # streamed against the budget (and its CRC checked), extracted when scoring
                member.size = _copy_media(zf, zinfo, member, root, path.name, budget, too_big)
                total += member.size
                continue
            resolve_member(member, board, registry, info.notes, path.name)
            if root is None:
                _scan(lambda z=zinfo: zf.open(z), member, path.name, budget, too_big, limits)
            else:
                dest = _extract(zf, zinfo, member, root, path.name, budget, too_big)
                _scan(lambda d=dest: open(d, "rb"), member, path.name, budget, too_big, limits)
            total += member.size
        info.total_bytes = total
    with_predictions = {(m.modality, m.paradigm, m.folder.casefold()) for m in info.members}
    orphans = [m.path for m in info.media if (m.modality, m.paradigm, m.folder.casefold()) not in with_predictions]
    if orphans:
        info.notes.append(f"{len(orphans)} media file(s) in task folders without a prediction.json are not read "
                          f"(first {orphans[0]!r})")
    return info


class _Discard:
    def write(self, chunk: bytes) -> None:
        pass


def _copy_media(zf: zipfile.ZipFile, zinfo: zipfile.ZipInfo, member: Member, root: Path | None, name: str,
                budget: int, too_big: str) -> int:
    """A media member's real size: streamed against ``budget`` (to nowhere, or extracted under ``root``)."""
    if root is not None:
        return _extract(zf, zinfo, member, root, name, budget, too_big).stat().st_size
    try:
        with zf.open(zinfo) as src:
            return copy_limited(src, _Discard(), budget, too_big)
    except InputError:
        raise
    except _READ_ERRORS as e:
        raise InputError(f"{name}: member {member.path!r} cannot be read: {e}") from None


def _extract(zf: zipfile.ZipFile, zinfo: zipfile.ZipInfo, member: Member, root: Path, name: str,
             budget: int, too_big: str) -> Path:
    parts = [member.modality.lower()] + ([member.paradigm] if member.paradigm != "none" else []) \
        + [member.folder] + (list(member.inner) if member.is_media else [PREDICTION])
    dest = root.joinpath(*parts)  # rebuilt from validated parts, never the raw member name
    if not dest.resolve().is_relative_to(root.resolve()):  # defence in depth; the path checks forbid this
        raise InputError(f"{name}: member {member.path!r} would be written outside the extraction folder")
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with zf.open(zinfo) as src, open(dest, "xb") as dst:
            copy_limited(src, dst, budget, too_big)
    except InputError:
        raise
    except _READ_ERRORS as e:
        raise InputError(f"{name}: member {member.path!r} cannot be read: {e}") from None
    return dest


@contextlib.contextmanager
def extracted(path: str | Path, max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES,
              max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES, max_members: int = DEFAULT_MAX_MEMBERS, *,
              tmp_dir: str | Path | None = None, max_item_chars: int = MAX_ITEM_CHARS,
              max_predictions: int = MAX_PREDICTIONS) -> Iterator[tuple[SubmissionInfo, Path]]:
    """Check an archive and extract it into a temporary folder (below ``tmp_dir``; removed on exit).

    Yields (info, root): ``root`` holds the predictions tree. Raises :class:`InputError` at the
    first problem, naming it.
    """
    limits = {"max_item_chars": max_item_chars, "max_predictions": max_predictions}
    with tempfile.TemporaryDirectory(prefix="generallevel-submission-", dir=tmp_dir) as tmp:
        root = Path(tmp) / "predictions"
        yield _walk_archive(Path(path), max_member_bytes, max_total_bytes, max_members, limits, root), root


def check_submission(path: str | Path, max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES,
                     max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES, max_members: int = DEFAULT_MAX_MEMBERS, *,
                     max_item_chars: int = MAX_ITEM_CHARS, max_predictions: int = MAX_PREDICTIONS) -> SubmissionInfo:
    """Validate an archive completely (name, paths, sizes, JSON, ids) without writing anything.

    Members are decompressed as streams and their JSON validated item by item, so memory stays
    bounded (one item of at most ``max_item_chars`` plus 8 bytes per prediction) whatever the
    archive expands to.
    """
    limits = {"max_item_chars": max_item_chars, "max_predictions": max_predictions}
    return _walk_archive(Path(path), max_member_bytes, max_total_bytes, max_members, limits, None)


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
        out = self.evaluation.report_dict(include_tasks=include_tasks)  # with ci=True: the intervals too
        counts = {k: v for k, v in ev["evaluation"].items() if k not in ("dataset", "predictions")}  # private paths
        out["submission"] = {"archive": Path(self.info.archive).name, "model": self.info.model,
                             "leaderboard_id": self.info.leaderboard_id, "board": self.board,
                             "members": len(self.info.members), "notes": list(self.info.notes),
                             "evaluation": counts, "problems": list(ev["problems"])}
        return out


def score_submission(path: str | Path, answers_dir: str | Path, model: str | None = None, *,
                     max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES,
                     max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES, max_members: int = DEFAULT_MAX_MEMBERS,
                     jobs: int | None = 1, strict: bool = False, expect_registry: str | None = None,
                     tmp_dir: str | Path | None = None, redact_answers: bool = False, ci: bool = False,
                     resamples: int | None = None, seed: int = 0) -> SubmissionResult:
    """Check the archive, then evaluate its predictions against ``answers_dir`` (a General-Bench tree).

    model: the report's model name (default: the one in the archive name). ``result.report`` is
    the :class:`~generallevel.scoring.ScoreReport`; ``result.board`` the target board's Level,
    score, supported tasks and wins. expect_registry: refuse (before extracting anything) unless the
    installed registry has this fingerprint. tmp_dir: where the archive is extracted (default: the
    system's temporary folder). redact_answers: a public leaderboard's setting: no message in the
    result quotes a value from the answers (:mod:`generallevel.answer_redaction`). ci, resamples,
    seed: 95 % intervals as ``evaluate(..., ci=True)`` computes them (docs/intervals.md); the report
    then carries each task's resampling quantiles, which leaderboards redraw board intervals from.
    """
    from .evaluate import evaluate
    from .leaderboard import compute_boards, matrix_from_reports
    from .scoring import check_registry

    check_registry(expect_registry)

    answers = Path(answers_dir)
    if not answers.is_dir():
        raise InputError(f"{answers}: the answers folder does not exist")
    with extracted(path, max_member_bytes, max_total_bytes, max_members, tmp_dir=tmp_dir) as (info, root):
        ev = evaluate(answers, root, model or info.model, jobs=jobs, strict=strict, progress=False,
                      expect_registry=expect_registry, ci=ci, resamples=resamples, seed=seed)
        scrub = {str(root): Path(info.archive).name, str(answers): "<answers>"}
        for t in ev.tasks:
            t.error = _scrub(t.error, scrub)
            t.problems = [_scrub(p, scrub) for p in t.problems]
        ev.problems = [_scrub(p, scrub) for p in ev.problems]
    if redact_answers:
        _redact_answers(ev, answers)
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


def _redact_answers(ev, answers: Path) -> None:
    """Every message of the evaluation without any value of the answers (two layers; see the module)."""
    from .answer_redaction import AnswerRedactor, mask_reference_values

    def clean(redactor, text):
        return mask_reference_values(redactor.redact(text)) if text else text

    for t in ev.tasks:
        interval = t.interval_info or {}
        if not (t.error or t.problems or t.notes or interval.get("notes")):
            continue
        redactor = AnswerRedactor.from_files([answers / t.folder / ANNOTATION])
        t.error = clean(redactor, t.error)
        t.problems = [clean(redactor, p) for p in t.problems]
        t.notes = [clean(redactor, n) for n in t.notes]
        if interval.get("notes"):  # --ci: how the task was resampled (numbers only, but messages all the same)
            interval["notes"] = [clean(redactor, n) for n in interval["notes"]]
    ev.problems = [mask_reference_values(p) for p in ev.problems]
