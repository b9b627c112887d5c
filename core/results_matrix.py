"""Result files -> one (models x tasks) matrix of normalised scores, validated, for the leaderboards.

Split from :mod:`generallevel.leaderboard` so that module only computes boards. Everything a set of
per-model reports must agree on is checked here, once, before any board is computed: one registry
fingerprint, one scoring mode, unique model names, the same task list and SoTA in every file, and
numeric scores in 0..100 (null = unsupported). ``score`` reports carry their normalised scores;
``evaluate`` reports carry raw values only, so those are normalised here in one vectorised pass with
the installed registry (which must be the one they were made with). The public names stay importable
from ``generallevel.leaderboard``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any, Mapping, Sequence

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


def _provenance(provs: Sequence[Mapping], sha: str) -> dict[str, Any]:
    """The boards' provenance: this generallevel (it ranked them), the registry, the plugins the reports
    were scored with (versions joined with ", " where reports differ) and each distinct scoring setup."""
    from ._version import version

    setups: dict[str, dict[str, Any]] = {}
    plugins: dict[str, dict[str, set]] = {}
    for p in provs:
        used = p.get("plugins") if isinstance(p.get("plugins"), Mapping) else {}
        key = json.dumps([p.get("generallevel"), used], sort_keys=True, default=str)
        if key not in setups:
            setups[key] = {"generallevel": p.get("generallevel"), "plugins": dict(used), "models": 0}
        setups[key]["models"] += 1
        for name, info in used.items():
            info = info if isinstance(info, Mapping) else {}
            slot = plugins.setdefault(str(name), {"distribution": set(), "version": set()})
            slot["distribution"].add(str(info.get("distribution", "")))
            slot["version"].add(str(info.get("version", "")))
    return {"generallevel": version(), "registry_sha256": sha,
            "plugins": {n: {k: ", ".join(sorted(v)) for k, v in slot.items()} for n, slot in sorted(plugins.items())},
            "scored_with": list(setups.values())}


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


def matrix_from_reports(reports: Sequence[Any], sources: Sequence[str] | None = None,
                        expect_registry: str | None = None) -> ResultMatrix:
    """Align report dicts (or ScoreReport objects) into one matrix, refusing inconsistent sets.

    expect_registry: refuse reports scored against any other registry fingerprint.
    """
    if not reports:
        raise InputError("no result files given")
    sources = list(sources) if sources is not None else [f"report {i + 1}" for i in range(len(reports))]
    checked = [_check_report(_report_dict(r, s), s) for r, s in zip(reports, sources)]
    shas: dict[str, list[str]] = {}
    for (_, sha, _, _, _), src in zip(checked, sources):
        shas.setdefault(sha, []).append(src)
    if len(shas) > 1:
        parts = "; ".join(f"{sha[:16]}… in {', '.join(srcs[:5])}" + (" …" if len(srcs) > 5 else "")
                          for sha, srcs in shas.items())
        raise InputError(f"the result files were scored against different task registries ({parts}); "
                         f"rescore every model with the same generallevel installation and plugins")
    if expect_registry and expect_registry.strip().lower() != checked[0][1]:
        raise InputError(f"the result files were scored against registry {checked[0][1]}, not the expected registry "
                         f"{expect_registry}; refusing to rank them")
    modes = {c[2] for c in checked}
    if len(modes) > 1:
        raise InputError(f"the result files mix scoring modes {sorted(modes)}; use one --compat mode for all")
    seen: dict[str, str] = {}
    for (model, *_), src in zip(checked, sources):
        if model.lower() in seen:
            raise InputError(f"duplicate model name {model!r}: in {seen[model.lower()]} and {src}")
        seen[model.lower()] = src

    mode = checked[0][2]
    raw_rows = [i for i, c in enumerate(checked) if isinstance(c[3], _RawRows)]
    block = _raw_block([checked[i][3] for i in raw_rows], mode) if raw_rows else None
    ref = next((i for i, c in enumerate(checked) if not isinstance(c[3], _RawRows)), None)
    if ref is None:  # only evaluate reports: the installed registry's task order (its fingerprint matched)
        table, where0 = block[0], sources[0]
        ids = [t.id for t in table.tasks]
        meta = [(t.modality, t.paradigm, t.skill or "", t.skill_group or "", t.skill_group_name or "")
                for t in table.tasks]
        sota_list, sota = block[2].tolist(), np.asarray(block[2], dtype=float)
    else:
        first, where0 = checked[ref][3], sources[ref]
        try:
            ids = [t["id"] for t in first]
            meta = [(t["modality"], t["paradigm"], t.get("skill") or "", t.get("skill_group") or "",
                     t.get("skill_group_name") or "") for t in first]
            sota_list = [t.get("sota_score") for t in first]
        except (TypeError, KeyError) as e:
            raise InputError(f"{where0}: a task row lacks {e}; expected id, modality, paradigm, score, "
                             f"sota_score") from None
        if len(set(ids)) != len(ids):
            raise InputError(f"{where0}: a task appears twice in 'tasks'")
        sota = _numbers(sota_list, where0, ids, "sota_score", bounded=False)
    sigma = np.empty((len(checked), len(ids)))
    flags: list[list[Any] | None] = [None] * len(checked)
    if block is not None:
        table = block[0]
        if set(ids) != set(table.index) or len(ids) != len(table.index):
            raise InputError(f"{where0}: its task list differs from the installed registry's although the "
                             f"fingerprint is the same; the file was edited")
        cols = np.array([table.index[t] for t in ids], dtype=np.intp)
        if not np.array_equal(block[2][cols], sota, equal_nan=True):
            raise InputError(f"{where0}: its SoTA scores differ from the installed registry's although the "
                             f"fingerprint is the same")
        sigma[raw_rows] = block[1][:, cols]
        for k, i in enumerate(raw_rows):
            flags[i] = None if block[3] is None else block[3][k, cols].tolist()
    for i, ((_, _, _, tasks, _), src) in enumerate(zip(checked, sources)):
        if isinstance(tasks, _RawRows):
            continue
        try:
            if list(map(_ID, tasks)) != ids:
                order = {t["id"]: t for t in tasks}
                if set(order) != set(ids) or len(order) != len(tasks):
                    missing = sorted(set(ids) - set(order))[:3]
                    extra = sorted(set(order) - set(ids))[:3]
                    raise InputError(f"{src}: its task list differs from {where0}'s (missing {missing}, extra "
                                     f"{extra}) although the registry fingerprint is the same; the file was edited")
                tasks = [order[t] for t in ids]
            scores = list(map(_SCORE, tasks))
            other_sota = list(map(_SOTA, tasks))
            flags[i] = [t.get("win") if t.get("raw") is not None else None for t in tasks]
        except (TypeError, KeyError) as e:
            raise InputError(f"{src}: a task row lacks {e}") from None
        # --compat official reproduces the official ranker's errors, which can leave 0..100
        sigma[i] = _numbers(scores, src, ids, "score", bounded=mode != "official")
        if other_sota != sota_list and not np.array_equal(
                _numbers(other_sota, src, ids, "sota_score", bounded=False), sota, equal_nan=True):
            raise InputError(f"{src}: its SoTA scores differ from {where0}'s although the registry is the same")
    mod, par, skill, group, group_name = (np.array(col, dtype=object) for col in zip(*meta))
    wins = None if mode == "official" else _wins(sigma, sota, flags)
    return ResultMatrix([c[0] for c in checked], sources, ids, mod, par, skill, sigma, sota,
                        checked[0][1], checked[0][2], _provenance([c[4] for c in checked], checked[0][1]),
                        group, group_name, wins)


def _wins(sigma: np.ndarray, sota: np.ndarray, flags: list) -> np.ndarray:
    """Who beats the SoTA: sigma >= SoTA sigma, except where the two tie (float saturation: FID 0.51 and
    a SoTA of 0.228 both normalise to 100.0) and the report decided the win on its raw value: there
    the report's win counts (``flags``: per model, per task the win or None)."""
    from .levels import TIE_RTOL

    with np.errstate(invalid="ignore"):
        slack = TIE_RTOL * np.maximum(1.0, np.abs(sota))[None, :]
        tie = np.abs(sigma - sota[None, :]) <= slack
        wins = ~np.isnan(sigma) & ~np.isnan(sota)[None, :] & (sigma >= sota[None, :] - slack)
    for i, row in enumerate(flags):
        if row is not None:
            given = tie[i] & np.array([isinstance(f, bool) for f in row])
            wins[i, given] = np.array([f is True for f in row])[given]
    return wins


def load_results(paths: Sequence[str | Path], expect_registry: str | None = None) -> ResultMatrix:
    """Read result JSON files (one per model) into a :class:`ResultMatrix`."""
    reports = []
    for p in paths:
        path = Path(p)
        try:
            reports.append(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            raise InputError(f"{path}: file not found") from None
        except IsADirectoryError:
            raise InputError(f"{path}: is a directory, expected a result JSON file") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise InputError(f"{path}: malformed JSON: {e}") from None
        except OSError as e:
            raise InputError(f"{path}: cannot read: {e.strerror or e}") from None
    return matrix_from_reports(reports, [str(p) for p in paths], expect_registry=expect_registry)
