"""From per-task raw scores to a Level report: resolve tasks, check units, normalise, level.

Readers turn files into :class:`ScoreEntry` rows that remember where each value came from, so
every problem is reported with its file and row; all problems are collected and raised together
(an :class:`InputError`), never skipped.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np

from .errors import InputError, UnknownTaskError
from .levels import MODALITIES, compute_levels, raw_wins
from .tasks import Task
from .units import UnitDeclaration, conversion_factor


@dataclass
class ScoreEntry:
    """One raw score as read from a file: ``unit`` None means "the metric's own unit"."""

    task: str
    value: Any
    unit: str | None = None
    where: str = ""
    group: str | None = None  # e.g. "Image-Generation" when the file says where the task belongs


@dataclass
class TaskScore:
    task: Task
    raw: float | None  # in the metric's unit; None = unsupported
    sigma: float | None  # normalised 0..100
    sota_sigma: float | None
    win: bool

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.task.id, "name": self.task.name, "modality": self.task.modality,
            "paradigm": self.task.paradigm, "metric": self.task.metric, "skill": self.task.skill,
            "skill_group": self.task.skill_group, "skill_group_name": self.task.skill_group_name,
            "raw": self.raw, "score": self.sigma, "sota_raw": self.task.sota_metric_unit,
            "sota_score": self.sota_sigma, "win": self.win,
        }


@dataclass
class ScoreReport:
    model: str
    level: int
    levels: dict[str, float]
    modalities: dict[str, dict[str, Any]]
    nlp: dict[str, Any]
    tasks: list[TaskScore]
    provenance: dict[str, Any]
    mode: str = "paper"
    notes: list[str] = field(default_factory=list)
    # workbook input only: per sheet, the unit its percent-scale cells were read in (see _units_report)
    units: dict[str, dict[str, Any]] | None = None

    def to_dict(self, include_tasks: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": self.model, "level": self.level, "levels": self.levels,
            "modalities": self.modalities, "nlp": self.nlp, "provenance": self.provenance,
        }
        if self.mode != "paper":
            out["mode"] = self.mode
        if self.units is not None:
            out["units"] = self.units
        if include_tasks:
            out["tasks"] = [t.describe() for t in self.tasks]
        return out


class TaskTable:
    """The registry's tasks as aligned numpy arrays (built once per registry)."""

    def __init__(self, registry) -> None:
        self.registry = registry
        self.tasks: list[Task] = list(registry.tasks)
        self.index = {t.id: i for i, t in enumerate(self.tasks)}
        self.modality = np.array([t.modality for t in self.tasks], dtype=object)
        self.paradigm = np.array([t.paradigm for t in self.tasks], dtype=object)
        self.metrics = [registry.metrics.get(t.metric) for t in self.tasks]
        groups: dict[str, list[int]] = {}
        for i, m in enumerate(self.metrics):
            groups.setdefault(m.name, []).append(i)
        self.by_metric = [(registry.metrics.get(n), np.array(ix)) for n, ix in groups.items()]
        # normalise() works on the columns sorted by metric: one gather in, contiguous blocks (views)
        # per metric, one gather out, instead of a fancy-indexed copy and write-back per metric
        self.metric_order = np.concatenate([ix for _, ix in self.by_metric]) if self.by_metric else np.zeros(0, int)
        self.metric_unorder = np.argsort(self.metric_order)
        bounds = np.cumsum([0] + [len(ix) for _, ix in self.by_metric])
        self.metric_blocks = [(metric, int(a), int(b)) for (metric, _), a, b in zip(self.by_metric, bounds, bounds[1:])]
        self.sota_raw = np.array([np.nan if t.sota_metric_unit is None else t.sota_metric_unit
                                  for t in self.tasks], dtype=float)
        self.higher = np.array([m.higher_is_better for m in self.metrics], dtype=bool)
        self.sota_sigma = normalise(self.sota_raw, self)


def task_table(registry=None) -> TaskTable:
    from .plugins import get_registry

    registry = registry or get_registry()
    cached = getattr(registry, "_task_table", None)
    if cached is None:
        cached = registry._task_table = TaskTable(registry)
    return cached


def _entries(results: Any) -> list[ScoreEntry]:
    if isinstance(results, Mapping):
        return [ScoreEntry(str(k), v, None, f"results[{k!r}]") for k, v in results.items()]
    out = []
    for i, e in enumerate(results):
        if isinstance(e, ScoreEntry):
            out.append(e)
        elif isinstance(e, (tuple, list)) and len(e) in (2, 3):
            out.append(ScoreEntry(str(e[0]), e[1], e[2] if len(e) == 3 else None, f"entry {i + 1}"))
        else:
            raise InputError(f"entry {i + 1}: expected (task, value[, unit]), got {e!r}")
    return out


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "")


def resolve_raw(entries: Iterable[ScoreEntry], table: TaskTable, units: str | None = None,
                assume_percent: bool = False, source: str = "",
                sheet_units: Mapping[str, UnitDeclaration] | None = None,
                unit_counts: dict[str | None, int] | None = None, measured: bool = False) -> np.ndarray:
    """Raw values in each metric's unit, aligned with ``table.tasks`` (NaN = unsupported).

    ``units`` ("sheet" or a unit name) applies to entries without their own unit: "sheet" means
    the unit of the official workbooks (the task's ``sota_unit``). ``sheet_units`` (sheet name ->
    declaration, see :func:`generallevel.units.sheet_units`) overrides, for entries of that sheet
    (``ScoreEntry.group``) without their own unit, the unit of the cells the sheet writes in percent;
    a declared sheet is exempt from the all-below-1 check. ``unit_counts``, when given, receives the
    number of values per sheet that were read in the sheet's percent-scale unit (declared or not).
    ``measured``: the values were computed by the metrics themselves (``evaluate``), so they are in
    each metric's unit and no unit guess is checked.

    Two unit guesses are refused unless the unit is given: percent-scale scores that are all in
    0..1 (fractions where percent is expected, see ``assume_percent``), and a score above 1 for a
    fraction metric that the official sheet writes in percent (WER 12.5 meaning 12.5 %).
    """
    raw = np.full(len(table.tasks), np.nan)
    seen: dict[str, str] = {}
    problems: list[str] = []
    declared = {k.lower(): d for k, d in (sheet_units or {}).items()}
    percent_values: dict[str | None, list[tuple[str, float]]] = {}
    prefix = f"{source}: " if source else ""
    for e in entries:
        where = f"{prefix}{e.where}" if e.where else prefix.rstrip(": ")
        try:
            task = table.registry.tasks.get(e.task)
        except UnknownTaskError as err:
            problems.append(f"{where}: {err}")
            continue
        if e.group and e.group.lower() != task.group.lower():
            problems.append(f"{where}: task {task.name!r} belongs to {task.group}, not {e.group}")
            continue
        if task.id in seen:
            problems.append(f"{where}: task {task.id!r} given twice (first at {seen[task.id]})")
            continue
        seen[task.id] = where or task.id
        if _is_missing(e.value):
            continue
        metric = table.metrics[table.index[task.id]]
        unit = e.unit or (task.sota_unit if units == "sheet" else units) or metric.unit
        decl = declared.get(e.group.lower()) if e.group and not e.unit and units == "sheet" else None
        percent_cell = units == "sheet" and not e.unit and task.sota_unit == "percent"
        if decl is not None and percent_cell:
            unit = decl.unit
        try:
            if isinstance(e.value, str):
                try:
                    value = float(e.value.strip())
                except ValueError:
                    raise InputError(f"score {e.value!r} is not a number") from None
            else:
                value = e.value
            if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)):
                raise InputError(f"score {value!r} is not a number")
            if not math.isfinite(float(value)):
                raise InputError(f"score is {value!r}; scores must be finite numbers")
            x = float(value) * conversion_factor(unit, metric.unit)
            metric.check_raw(x)
            if (not measured and not assume_percent and e.unit is None and units is None and x > 1
                    and metric.unit == "fraction" and task.sota_unit == "percent"):
                raise InputError(_percent_problem(task, metric, x))
        except InputError as err:
            hint = f" (read as {unit}, declared by {decl.text})" if decl is not None and percent_cell else ""
            problems.append(f"{where}: task {task.id!r} ({metric.name}){hint}: {err}")
            continue
        if percent_cell and unit_counts is not None:
            unit_counts[e.group] = unit_counts.get(e.group, 0) + 1
        if metric.unit == "percent" and unit == "percent" and decl is None:
            percent_values.setdefault(e.group if units == "sheet" else None, []).append((where or task.id, x))
        raw[table.index[task.id]] = x
    if not assume_percent:
        for group, values in percent_values.items():
            if all(0 <= v <= 1 for _, v in values) and any(v > 0 for _, v in values):
                problems.append(_fraction_problem(prefix, group, values))
    if problems:
        head = f"{len(problems)} problem(s) in the scores" + (f" of {source}" if source else "") + ":\n  - "
        raise InputError(head + "\n  - ".join(problems))
    return raw


def _percent_problem(task: Task, metric, x: float) -> str:
    return (f"{metric.name} {x:g} is {100 * x:g} % read as a fraction ({metric.name}'s unit), but the official "
            f"sheet writes {metric.name} in percent (the SoTA is {task.sota:g} percent): this looks like a "
            f"percentage. Give {x / 100:g} (a fraction), or the unit 'percent' (a `unit` column/field; Python: "
            f"units='percent'); if it really is above 100 %, give the unit 'fraction'")


def _fraction_problem(prefix: str, group: str | None, values: list[tuple[str, float]]) -> str:
    first = ", ".join(w for w, _ in values[:3])
    if group is None:
        return (f"{prefix}every percent-scale score is between 0 and 1 (e.g. {first}): these look like "
                f"fractions, but the metrics expect percent (82.3, not 0.823). Multiply by 100, give a "
                f"unit column/field 'fraction', or pass --assume-percent if they really are below 1 %.")
    rows = ", ".join(w.removeprefix(prefix).removeprefix(f"sheet {group} ") for w, _ in values[:3])
    return (f"{prefix}sheet {group}: every percent-scale score is between 0 and 1 (e.g. {rows}): these look "
            f"like fractions (the official pipeline writes some sheets, NLP among them, as fractions), but the "
            f"sheet's unit is percent (82.3, not 0.823). Declare the sheet's unit: --unit {group}=fraction "
            f"(Python: units={{{group!r}: 'fraction'}}), or --unit {group}=percent if they really are below 1 %; "
            f"see docs/scoring.md#units-of-a-workbook")


def normalise(raw: np.ndarray, table: TaskTable) -> np.ndarray:
    """Normalised scores (same shape as ``raw``, models x tasks or tasks); NaN stays NaN.

    A normalisation that returns anything but finite numbers in 0..100 (a plugin's, between the
    points probed at registration) is an error naming the metric and its plugin, never a score.
    """
    ordered = raw[..., table.metric_order]  # columns grouped by metric
    sigma = np.full(ordered.shape, np.nan)
    for metric, a, b in table.metric_blocks:
        block = ordered[..., a:b]
        ok = ~np.isnan(block)
        if not ok.any():
            continue
        values = block[ok]
        try:
            got = np.asarray(metric.normalization(values), dtype=float)
            sigma[..., a:b][ok] = got
        except (TypeError, ValueError) as e:
            raise InputError(f"metric {metric.name} (plugin {metric.plugin}): its normalisation did not "
                             f"return numbers ({type(e).__name__}: {e})") from None
        if not (got.min() >= 0.0 and got.max() <= 100.0):  # NaN fails both comparisons, +-inf one
            bad = ~np.isfinite(got) | (got < 0.0) | (got > 100.0)
            j = int(np.argmax(bad))
            raise InputError(f"metric {metric.name} (plugin {metric.plugin}): its normalisation maps raw "
                             f"{values[j]:g} to {float(got[j])!r}, outside 0..100; refusing to score with it")
    sigma = sigma[..., table.metric_unorder]
    return sigma


def build_report(model: str, raw: np.ndarray, sigma: np.ndarray, sota_sigma: np.ndarray,
                 table: TaskTable, mode: str = "paper") -> ScoreReport:
    """The report of one model; wins are decided on raw values (official mode: on sigma, as there)."""
    official = mode == "official"
    lv = compute_levels(sigma, sota_sigma, table.modality, table.paradigm, epsilon=1e-6 if official else 0.0,
                        wins=None if official else raw_wins(raw, table.sota_raw, table.higher))
    modalities = {
        m: {
            "level2": float(lv.mod_s2[0, j]), "level3": float(lv.mod_s3[0, j]), "level4": float(lv.mod_s4[0, j]),
            "comprehension": float(lv.mod_mean_c[0, j]), "generation": float(lv.mod_mean_g[0, j]),
            "s_c": float(lv.mod_sc[0, j]), "s_g": float(lv.mod_sg[0, j]),
            "tasks": int(lv.mod_tasks[j]), "supported": int(lv.mod_supported[0, j]),
            "wins": int(lv.mod_wins[0, j]),
        }
        for j, m in enumerate(MODALITIES)
    }
    tasks = [
        TaskScore(t, None if np.isnan(raw[i]) else float(raw[i]),
                  None if np.isnan(sigma[i]) else float(sigma[i]),
                  None if np.isnan(sota_sigma[i]) else float(sota_sigma[i]), bool(lv.wins[0, i]))
        for i, t in enumerate(table.tasks)
    ]
    return ScoreReport(
        model=model, level=int(lv.level[0]),
        levels={"level2": float(lv.s2[0]), "level3": float(lv.s3[0]), "level4": float(lv.s4[0]), "level5": float(lv.s5[0])},
        modalities=modalities,
        nlp={"tasks": lv.nlp_tasks, "supported": int(lv.nlp_supported[0]), "wins": int(lv.nlp_wins[0]),
             "s_l": float(lv.s_l[0]), "w_l": float(lv.w_l[0])},
        tasks=tasks, provenance=table.registry.provenance(), mode=mode,
    )


def check_registry(expect_registry: str | None, registry=None) -> None:
    """Refuse to go on when ``expect_registry`` is given and is not this registry's fingerprint."""
    if not expect_registry:
        return
    if registry is None:
        from .plugins import get_registry

        registry = get_registry()
    if expect_registry.strip().lower() != registry.fingerprint():
        raise InputError(
            f"registry fingerprint {registry.fingerprint()} differs from the expected {expect_registry}; "
            f"refusing to score (plugins or registry.toml changed)"
        )


def score(results: Any, model: str | None = None, units: str | Mapping[str, str] | None = None,
          assume_percent: bool = False, compat: str | None = None, source: str = "",
          expect_registry: str | None = None, measured: bool = False) -> ScoreReport:
    """Score one model.

    results: {task id or name: raw score}, an iterable of ScoreEntry / (task, value[, unit]), or the
    path of a score file (CSV, JSON or an official result workbook, whose column ``model`` is scored).
    Missing tasks and None values are unsupported tasks (score 0); a score file without any row is
    an error (it would score Level 1 silently). ``measured=True`` says the values were computed by
    the metrics (``evaluate``): no unit guess is checked. ``compat="official"`` reproduces
    the official ranker's numbers, including its known errors (see docs/official-differences.md);
    it takes the numbers as they are (no check for fractions where percent is expected).

    units: a unit name (or "sheet") for entries without their own unit; or, for workbooks, a mapping
    declaring the unit of the percent-scale cells per sheet and/or model column:
    ``{"NLP": "fraction"}``, ``{"*": "percent"}``, ``{"NLP:my-model": "fraction"}`` (docs/scoring.md).
    """
    table = task_table()
    check_registry(expect_registry, table.registry)
    if compat not in (None, "paper", "official"):
        raise InputError(f"unknown compat mode {compat!r}; use 'paper' or 'official'")
    base: str | None = None
    if isinstance(results, (str, os.PathLike)):
        from .readers import read_results
        from .readers.scorefile import model_named_in

        entries, base = read_results(results, model)
        source = source or str(results)
        model = model or model_named_in(Path(results))
        if not entries:
            raise InputError(f"{source}: no scores in the file (only a header?); expected one row per task "
                             f"(task, score[, unit]); see docs/scoring.md")
    else:
        entries = _entries(results)
    declarations = None
    if isinstance(units, Mapping) or (units is not None and not isinstance(units, str)):
        from .units import parse_unit_declarations

        declarations = parse_unit_declarations(units)
        if base is None and not any(e.group for e in entries):
            raise InputError((f"{source}: " if source else "") + "unit declarations (SHEET=UNIT) apply to "
                             "the sheets of an official result workbook; in CSV or JSON give a row its unit "
                             "(a `unit` column or field)")
        base = "sheet"
    elif units is not None:
        if base == "sheet" and units != "sheet":
            raise InputError(f"{source}: declare a workbook's units per sheet, e.g. units={{'*': {units!r}}} "
                             f"(--unit '*={units}')")
        base = units
    model = model or "model"
    official = compat == "official"
    workbook = base == "sheet" and any(e.group for e in entries)
    declared = {}
    if declarations is not None:
        from .units import sheet_units

        declared = sheet_units(declarations, model)
    counts: dict[str | None, int] = {}
    raw = resolve_raw(entries, table, units=base, assume_percent=assume_percent or official, source=source,
                      sheet_units=declared, unit_counts=counts, measured=measured)
    if official:
        from .compat_official import official_note, official_sigma

        sigma, sota_sigma = official_sigma(raw, table)
        report = build_report(model, raw, sigma, sota_sigma, table, mode="official")
        report.notes += official_note(sigma, sota_sigma, table)
    else:
        report = build_report(model, raw, normalise(raw, table), table.sota_sigma, table)
    if workbook:
        report.units = _units_report(declared, counts, checked=not (assume_percent or official))
    return report


def _units_report(declared: Mapping[str, UnitDeclaration], counts: Mapping[str | None, int],
                  checked: bool) -> dict[str, dict[str, Any]]:
    """Per workbook sheet: the unit its percent-scale cells were read in, and why."""
    from .readers.workbook import SHEETS

    counts_lower = {str(k).lower(): v for k, v in counts.items() if k}
    out = {}
    for sheet in SHEETS:
        d = declared.get(sheet)
        out[sheet] = {"unit": d.unit if d else "percent", "declared": d.text if d else None,
                      "values": counts_lower.get(sheet.lower(), 0), "checked": checked and d is None}
    return out
