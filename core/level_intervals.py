"""How sure is a Level? Intervals for S2..S5 and the probability of each Level, from task resamples.

Each resample b takes, for every task with an interval, its b-th resampled raw value (tasks are
resampled independently: their items are different instances), and for every other task its
measured value; the resulting (resamples x tasks) matrix goes through the same normalisation, raw
wins and :func:`generallevel.levels.compute_levels` as the report itself, as if every resample
were a model. Percentiles of the resampled S_k are the intervals; the share of resamples assigned
each Level is its probability.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .intervals import IntervalSpec, _quantiles
from .levels import MODALITIES, compute_levels, raw_wins
from .scoring import ScoreReport, normalise, task_table

LEVEL_KEYS = ("level2", "level3", "level4", "level5")


def resampled_raw(results: Sequence[Any], report: ScoreReport, spec: IntervalSpec, table: Any) -> np.ndarray:
    """The (resamples x tasks) raw matrix: task resamples where there are any, the value elsewhere."""
    base = np.array([np.nan if t.raw is None else t.raw for t in report.tasks], dtype=float)
    raw = np.tile(base, (spec.resamples, 1))
    for r in results:
        if r.interval is None or r.task_id not in table.index:
            continue
        samples = np.asarray(r.interval.samples, dtype=float)
        if samples.size != spec.resamples:  # a metric that caps its resamples: drawn from the ones it has
            samples = spec.rng(f"levels:{r.task_id}").choice(samples, size=spec.resamples, replace=True)
        raw[:, table.index[r.task_id]] = samples
    return raw


def resampled_levels(results: Sequence[Any], report: ScoreReport, spec: IntervalSpec, registry: Any = None):
    """(raw matrix, :class:`~generallevel.levels.LevelArrays` with one row per resample)."""
    table = task_table(registry)
    raw = resampled_raw(results, report, spec, table)
    return raw, compute_levels(normalise(raw, table), table.sota_sigma, table.modality, table.paradigm,
                               wins=raw_wins(raw, table.sota_raw, table.higher))


def level_intervals(results: Sequence[Any], report: ScoreReport, spec: IntervalSpec, registry: Any = None) -> dict:
    """The report's ``intervals``: Level and per-modality intervals, and the probability of each Level."""
    _, lv = resampled_levels(results, report, spec, registry)
    q = lambda a: list(_quantiles(np.asarray(a, dtype=float), spec.confidence))  # noqa: E731
    levels = {"level2": q(lv.s2), "level3": q(lv.s3), "level4": q(lv.s4), "level5": q(lv.s5)}
    modalities = {m: {"level2": q(lv.mod_s2[:, j]), "level3": q(lv.mod_s3[:, j]), "level4": q(lv.mod_s4[:, j]),
                      "s_c": q(lv.mod_sc[:, j]), "s_g": q(lv.mod_sg[:, j])}
                  for j, m in enumerate(MODALITIES)}
    values, counts = np.unique(lv.level, return_counts=True)
    probability = {str(k): 0.0 for k in range(1, 6)}
    probability.update({str(int(v)): float(c) / spec.resamples for v, c in zip(values, counts)})
    resampled = sum(1 for r in results if r.interval is not None)
    scored = sum(1 for r in results if r.status == "scored")
    return {**spec.describe(), "levels": levels, "modalities": modalities, "nlp": {"s_l": q(lv.s_l)},
            "level_probability": probability,
            "level_probability_assigned": probability[str(report.level)],
            "tasks_resampled": resampled, "tasks_fixed": scored - resampled}


def compare(a: Any, b: Any, registry: Any = None) -> dict:
    """A paired comparison of two models evaluated with ``ci=True`` on the same dataset and seed.

    Each task's resamples are drawn from a generator seeded by (seed, task id), so two models scored
    on the same instances with the same seed share every draw: resample b of model A and resample b of
    model B hold the same instances, and their Level differences are paired. Returns, per S_k, the
    95 % interval of S_k(A) - S_k(B) and the probability that A's S_k is higher, plus the probability
    that A's Level is higher, equal and lower. Raises InputError when the runs cannot be paired.
    """
    from .errors import InputError

    for name, r in (("first", a), ("second", b)):
        if getattr(r, "intervals", None) is None:
            raise InputError(f"compare: the {name} result has no intervals; evaluate both with ci=True")
    keys = ("resamples", "seed", "confidence")
    if any(a.intervals[k] != b.intervals[k] for k in keys):
        raise InputError("compare: the two results were resampled differently "
                         f"({', '.join(f'{k} {a.intervals[k]} vs {b.intervals[k]}' for k in keys)}); "
                         "use the same --resamples and --seed")
    items_a = {t.task_id: t.interval.items for t in a.tasks if t.interval is not None}
    items_b = {t.task_id: t.interval.items for t in b.tasks if t.interval is not None}
    differ = sorted(k for k in items_a.keys() & items_b.keys() if items_a[k] != items_b[k])
    if differ:
        raise InputError(f"compare: task(s) {differ[:5]} have different numbers of instances in the two runs, "
                         "so their resamples cannot be paired")
    spec = IntervalSpec(a.intervals["resamples"], a.intervals["seed"], a.intervals["confidence"])
    _, la = resampled_levels(a.tasks, a.report, spec, registry)
    _, lb = resampled_levels(b.tasks, b.report, spec, registry)
    out: dict[str, Any] = {"resamples": spec.resamples, "seed": spec.seed,
                           "paired_tasks": len(items_a.keys() & items_b.keys())}
    for key, x, y in (("level2", la.s2, lb.s2), ("level3", la.s3, lb.s3), ("level4", la.s4, lb.s4),
                      ("level5", la.s5, lb.s5)):
        diff = np.asarray(x) - np.asarray(y)
        out[key] = {"difference": list(_quantiles(diff, spec.confidence)), "p_higher": float(np.mean(diff > 0))}
    out["level"] = {"p_higher": float(np.mean(la.level > lb.level)), "p_equal": float(np.mean(la.level == lb.level)),
                    "p_lower": float(np.mean(la.level < lb.level))}
    return out
