"""Result files -> one (models x tasks) matrix of normalised scores, validated, for the leaderboards.

Split from :mod:`generallevel.leaderboard` so that module only computes boards. Everything a set of
per-model reports must agree on is checked here, once, before any board is computed: one registry
fingerprint, one scoring mode, unique model names, the same task list and SoTA in every file, and
numeric scores in 0..100 (null = unsupported). ``score`` reports carry their normalised scores;
``evaluate`` reports carry raw values only, so those are normalised here in one vectorised pass with
the installed registry (which must be the one they were made with). The public names stay importable
from ``generallevel.leaderboard``.

Reports are reduced one at a time (:func:`reduce_report`: a score vector, win flags and a few names),
so no whole report is kept: :mod:`generallevel.result_builder` gathers the reduced rows into the
matrix and :mod:`generallevel.result_files` reads folders, lists and many files (in parallel).
"""

from __future__ import annotations

import json
import operator
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from .errors import InputError


@dataclass
class ResultMatrix:
    """Normalised task scores of several models, aligned on one task order."""

    models: list[str]
    sources: list[str]
    task_ids: list[str]
    modality: np.ndarray
    paradigm: np.ndarray
    skill: np.ndarray
    sigma: np.ndarray  # (models, tasks), NaN = unsupported
    sota: np.ndarray  # (tasks,), NaN = no SoTA
    registry_sha256: str
    mode: str = "paper"
    provenance: dict[str, Any] = field(default_factory=dict)
    skill_group: np.ndarray | None = None  # (tasks,) the paper's skill group ("" = none); None = all ""
    skill_group_name: np.ndarray | None = None
    wins: np.ndarray | None = None  # (models, tasks) who beats the SoTA (decided on raw values); None = sigma rule

    def __post_init__(self) -> None:
        blank = np.full(len(self.task_ids), "", dtype=object)
        if self.skill_group is None:
            self.skill_group = blank
        if self.skill_group_name is None:
            self.skill_group_name = blank.copy()

    def groups(self) -> list[tuple[str, str, str, str, str]]:
        """Per task: (modality, paradigm, skill, skill_group, skill_group_name), as board_specs takes them."""
        return list(zip(self.modality.tolist(), self.paradigm.tolist(), self.skill.tolist(),
                        self.skill_group.tolist(), self.skill_group_name.tolist()))


@dataclass
class _RawRows:
    """The scored raw values of an ``evaluate`` report (its task rows carry no modality or score);
    :func:`_raw_block` normalises those of every such report in one vectorised pass."""

    entries: list
    where: str


def _report_dict(report: Any, where: str) -> Any:
    """A score-style report dict; for an ``evaluate`` report, the dict with its rows as :class:`_RawRows`."""
    inner = getattr(report, "report", None)  # EvaluationResult, SubmissionResult
    if inner is not None and hasattr(inner, "to_dict"):
        return inner.to_dict(include_tasks=True)
    if hasattr(report, "to_dict"):
        return report.to_dict(include_tasks=True)
    tasks = report.get("tasks") if isinstance(report, Mapping) else None
    if not (isinstance(report, Mapping) and "evaluation" in report and isinstance(tasks, list)
            and tasks and isinstance(tasks[0], Mapping) and "modality" not in tasks[0]):
        return report
    from .plugins import get_registry
    from .scoring import ScoreEntry

    provenance = report.get("provenance") or {}
    sha = provenance.get("registry_sha256") if isinstance(provenance, Mapping) else None
    if sha != get_registry().fingerprint():
        raise InputError(f"{where}: an `evaluate` report made with another task registry ({str(sha)[:16]}…); "
                         f"its task rows carry no modality or skill, so it can only be read where the same "
                         f"registry is installed")
    try:
        entries = [ScoreEntry(str(t["id"]), t["raw"], None, f"task row {t['id']!r}")
                   for t in tasks if t.get("status") == "scored"]
    except (KeyError, TypeError, AttributeError) as e:
        raise InputError(f"{where}: malformed `evaluate` task rows ({e})") from None
    return {**report, "tasks": _RawRows(entries, where)}


def _raw_block(rows: list[_RawRows], mode: str):
    """(task table, sigma (len(rows) x tasks), SoTA sigma, wins) for evaluate reports, as ``score``
    computes them (wins on raw values; None in official mode, which compares sigma)."""
    from .levels import raw_wins
    from .scoring import normalise, resolve_raw, task_table

    table = task_table()
    raw = np.vstack([resolve_raw(r.entries, table, assume_percent=True, measured=True, source=r.where)
                     for r in rows])
    if mode == "official":
        from .compat_official import official_sigma

        sigma, sota = official_sigma(raw, table)
        return table, sigma, sota, None
    return table, normalise(raw, table), table.sota_sigma, raw_wins(raw, table.sota_raw, table.higher)


def _check_report(data: Any, where: str) -> tuple[str, str, str, list, Mapping]:
    if not isinstance(data, Mapping):
        raise InputError(f"{where}: expected a JSON object (a score report), got {type(data).__name__}")
    model = data.get("model")
    if not isinstance(model, str) or not model.strip():
        raise InputError(f"{where}: no 'model' name")
    sha = (data.get("provenance") or {}).get("registry_sha256") if isinstance(data.get("provenance"), Mapping) else None
    if not isinstance(sha, str) or not sha:
        raise InputError(f"{where}: no provenance.registry_sha256; was it written by `generallevel score --format json`?")
    tasks = data.get("tasks")
    if isinstance(tasks, _RawRows):
        return model.strip(), sha, str(data.get("mode", "paper")), tasks, data["provenance"]
    if not isinstance(tasks, list) or not tasks:
        raise InputError(f"{where}: no per-task rows; write result files with "
                         f"`generallevel score --format json --tasks` (leaderboards need each task's score)")
    return model.strip(), sha, str(data.get("mode", "paper")), tasks, data["provenance"]


def setup_key(p: Mapping) -> str:
    """What makes two reports' scoring setups the same: their generallevel version and plugins (a digest
    of them, short enough to send back from a worker with every report)."""
    import hashlib

    from .readers.fastjson import msgspec_json

    used = p.get("plugins") if isinstance(p.get("plugins"), Mapping) else {}
    ms = msgspec_json()
    try:  # the same content always takes the same branch, so equal setups get equal keys
        data = ms.json.encode([p.get("generallevel"), used], order="sorted")
    except (AttributeError, TypeError, ValueError):  # no msgspec, or a value JSON cannot hold
        data = json.dumps([p.get("generallevel"), used], sort_keys=True, default=str).encode("utf-8", "surrogatepass")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _provenance(setups: Iterable[tuple[Mapping, int]], sha: str) -> dict[str, Any]:
    """The boards' provenance: this generallevel (it ranked them), the registry, the plugins the reports
    were scored with (versions joined with ", " where reports differ) and each distinct scoring setup
    (``setups``: one provenance per setup, with its number of reports, in order of first appearance)."""
    from ._version import version

    scored_with: list[dict[str, Any]] = []
    plugins: dict[str, dict[str, set]] = {}
    for p, count in setups:
        used = p.get("plugins") if isinstance(p.get("plugins"), Mapping) else {}
        scored_with.append({"generallevel": p.get("generallevel"), "plugins": dict(used), "models": count})
        for name, info in used.items():
            info = info if isinstance(info, Mapping) else {}
            slot = plugins.setdefault(str(name), {"distribution": set(), "version": set()})
            slot["distribution"].add(str(info.get("distribution", "")))
            slot["version"].add(str(info.get("version", "")))
    return {"generallevel": version(), "registry_sha256": sha,
            "plugins": {n: {k: ", ".join(sorted(v)) for k, v in slot.items()} for n, slot in sorted(plugins.items())},
            "scored_with": scored_with}


_NUMERIC_TYPES = {int, float, type(None)}
_ID, _SCORE, _SOTA = itemgetter("id"), itemgetter("score"), itemgetter("sota_score")


def _numbers(values: list, where: str, ids: list[str], what: str, bounded: bool) -> np.ndarray:
    """``values`` as floats (null = NaN); refuses text, booleans, non-finite and (bounded) out-of-0..100."""
    if not set(map(type, values)) <= _NUMERIC_TYPES:
        j = next(j for j, v in enumerate(values) if type(v) not in _NUMERIC_TYPES)
        raise InputError(f"{where}: task {ids[j]!r}: {what} {values[j]!r} is not a number or null")
    arr = np.array(values, dtype=float)
    bad = ~np.isfinite(arr)
    if bad.sum() == values.count(None):  # every non-finite entry is a null (unsupported)
        bad[:] = False
    else:
        bad &= np.array([v is not None for v in values])
    if bounded:
        with np.errstate(invalid="ignore"):
            bad |= (arr < 0) | (arr > 100)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        raise InputError(f"{where}: task {ids[j]!r}: {what} must be a finite number"
                         + (" in 0..100" if bounded else "") + f" or null, got {values[j]!r}")
    return arr


@dataclass
class Reference:
    """The task list every score-style report must carry: the first such report's."""

    ids: list[str]
    meta: list[tuple[str, str, str, str, str]]  # per task (modality, paradigm, skill, skill_group, name)
    sota_list: list
    sota: np.ndarray
    where: str

    @classmethod
    def of(cls, tasks: list, where: str) -> Reference:
        try:
            ids = [t["id"] for t in tasks]
            meta = [(t["modality"], t["paradigm"], t.get("skill") or "", t.get("skill_group") or "",
                     t.get("skill_group_name") or "") for t in tasks]
            sota_list = [t.get("sota_score") for t in tasks]
        except (TypeError, KeyError) as e:
            raise InputError(f"{where}: a task row lacks {e}; expected id, modality, paradigm, score, "
                             f"sota_score") from None
        if len(set(ids)) != len(ids):
            raise InputError(f"{where}: a task appears twice in 'tasks'")
        return cls(ids, meta, sota_list, _numbers(sota_list, where, ids, "sota_score", bounded=False), where)


@dataclass
class Reduced:
    """What a leaderboard keeps of one report: names, a score row and win flags (or raw rows)."""

    model: str
    sha: str
    mode: str
    source: str
    setup: str  # setup_key of its provenance
    provenance: Mapping
    raw: _RawRows | None = None  # an ``evaluate`` report: raw values, normalised in batches
    sigma: np.ndarray | None = None  # (tasks,) in the reference's order
    flags: np.ndarray | None = None  # (tasks,) int8: 1 won, 0 lost (decided on raw values), -1 not given
    error: InputError | None = None  # a content error, raised once the whole set passed its checks
    reference: Reference | None = None  # set when this report defined the task list


_GET_WIN, _GET_RAW = operator.methodcaller("get", "win"), operator.methodcaller("get", "raw")


def tie_flags(row: np.ndarray, sota: np.ndarray, tasks: Sequence, win_of: Any, raw_of: Any) -> np.ndarray:
    """The report's own win flags where they decide (its score ties with the SoTA score, see
    ``result_builder._wins``): 1 won, 0 lost, -1 elsewhere or where ``win`` is not a bool decided on
    a raw value. Only the tied tasks are looked at (few: saturation, exact SoTA values)."""
    from .levels import TIE_RTOL

    flags = np.full(len(row), -1, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        tie = np.abs(row - sota) <= TIE_RTOL * np.maximum(1.0, np.abs(sota))
    for j in np.flatnonzero(tie).tolist():
        won = win_of(tasks[j])
        if raw_of(tasks[j]) is not None and (won is True or won is False):
            flags[j] = 1 if won else 0
    return flags


def checked_row(scores: list, other_sota: list, tasks: Sequence, win_of: Any, raw_of: Any, ref: Reference,
                src: str, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """A report's scores (and :func:`tie_flags`) in the reference's task order, checked: numbers in
    0..100 or null (any finite number under --compat official), the reference's SoTA scores."""
    ids = ref.ids
    # --compat official reproduces the official ranker's errors, which can leave 0..100
    row = _numbers(scores, src, ids, "score", bounded=mode != "official")
    if other_sota != ref.sota_list and not np.array_equal(
            _numbers(other_sota, src, ids, "sota_score", bounded=False), ref.sota, equal_nan=True):
        raise InputError(f"{src}: its SoTA scores differ from {ref.where}'s although the registry is the same")
    return row, tie_flags(row, ref.sota, tasks, win_of, raw_of)


def _score_row(tasks: list, ref: Reference, src: str, mode: str) -> tuple[np.ndarray, np.ndarray]:
    """One score report's task rows (dicts, in any order) as :func:`checked_row`."""
    ids = ref.ids
    try:
        if list(map(_ID, tasks)) != ids:
            order = {t["id"]: t for t in tasks}
            if set(order) != set(ids) or len(order) != len(tasks):
                missing = sorted(set(ids) - set(order))[:3]
                extra = sorted(set(order) - set(ids))[:3]
                raise InputError(f"{src}: its task list differs from {ref.where}'s (missing {missing}, extra "
                                 f"{extra}) although the registry fingerprint is the same; the file was edited")
            tasks = [order[t] for t in ids]
        scores = list(map(_SCORE, tasks))
        other_sota = list(map(_SOTA, tasks))
    except (TypeError, KeyError, AttributeError) as e:
        raise InputError(f"{src}: a task row lacks {e}") from None
    return checked_row(scores, other_sota, tasks, _GET_WIN, _GET_RAW, ref, src, mode)


def reduce_report(report: Any, source: str, ref: Reference | None) -> Reduced:
    """One report reduced to what a leaderboard needs. A malformed report raises at once; a content
    error (a bad score, another task list) is kept in ``error`` (the set's own checks come first).
    ``ref`` None: a score report becomes the reference (``reference`` is set)."""
    data = _report_dict(report, source)
    model, sha, mode, tasks, prov = _check_report(data, source)
    out = Reduced(model, sha, mode, source, setup_key(prov), prov)
    if isinstance(tasks, _RawRows):
        out.raw = tasks
        return out
    try:
        if ref is None:
            ref = out.reference = Reference.of(tasks, source)
        out.sigma, out.flags = _score_row(tasks, ref, source, mode)
    except InputError as e:
        out.error = e
    return out


def matrix_from_reports(reports: Sequence[Any], sources: Sequence[str] | None = None,
                        expect_registry: str | None = None) -> ResultMatrix:
    """Align report dicts (or ScoreReport objects) into one matrix, refusing inconsistent sets.

    expect_registry: refuse reports scored against any other registry fingerprint.
    """
    from .result_builder import MatrixBuilder

    if not reports:
        raise InputError("no result files given")
    sources = list(sources) if sources is not None else [f"report {i + 1}" for i in range(len(reports))]
    builder = MatrixBuilder(len(reports), expect_registry)
    for report, src in zip(reports, sources):
        builder.add(reduce_report(report, src, builder.reference))
    return builder.finish()


def load_results(paths: Sequence[str | Path], expect_registry: str | None = None, jobs: int = 1) -> ResultMatrix:
    """Read result JSON files (one per model) into a :class:`ResultMatrix`; ``jobs`` processes parse them."""
    from .result_files import load_files

    return load_files(paths, expect_registry, jobs)
