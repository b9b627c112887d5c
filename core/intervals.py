"""How sure is a task score? Resampling the instances of one task (numpy only; no files, no plugins).

A task's raw value is a statistic of its instances, and a SoTA "win" decided on 60 instances by a
0.3-point margin is luck as often as not. This module resamples the instances of one task and
returns, for ``--ci``, an interval for the raw value and the resampled values themselves (which
:mod:`generallevel.level_intervals` combines across tasks into Level intervals).

Three ways, chosen per task (the first that applies):

``mean``
    The metric is a mean of per-item values (accuracy, token F1, ANLS, sentence BLEU, ...): either
    it declares ``item_scores``, or its value computed on each single item averages exactly (up to
    1e-9) to the task's value. The interval is analytic (Wilson score for two-valued items such as
    right/wrong, Student t otherwise); the resamples are a vectorised bootstrap of the mean.
``stats``
    The metric declares sufficient statistics (``item_stats`` per item, ``from_stats`` of their
    sum: Micro-F1's tp/fp/fn, WER's edits/words): a vectorised bootstrap of the sums.
``weights``
    The metric declares a ``resampler``: work done once for the whole task (COCO's per-image
    matches), then the metric of the items weighted by how often each resample drew them.
``recompute``
    Anything else (corpus BLEU, mAP, FID, ...): the metric is recomputed on each resample of the
    items (paired: prediction i and reference i travel together; when the two lists differ in
    length, as for FID's generated and reference sets, each is resampled on its own). Percentile
    interval. A metric may cap its resamples (``max_resamples``), reported per task.

Every task draws from its own generator seeded by (seed, task id), so the same seed gives the same
intervals for any ``--jobs``, and two models scored on the same items share the same draws.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

MEAN_RTOL = 1e-9  # how exactly per-item values must average to the task's value to count as a mean
CHUNK = 4_000_000  # index draws held at once (resamples x items), bounding memory
DEFAULT_RESAMPLES = 1000
FEW_RESAMPLES = 200  # below this many recomputed resamples, a normal interval instead of percentiles
FRAGILE = 0.9  # a win whose probability is below this is "fragile"
# The resampled raw values are summarised in the report by these quantiles (every 2.5 %): enough for
# leaderboards to redraw a task's resampling distribution (generallevel.board_intervals).
QUANTILES = np.linspace(0.0, 1.0, 41)


@dataclass(frozen=True)
class IntervalSpec:
    """What ``evaluate --ci`` asked for: resamples, seed and the confidence level."""

    resamples: int = DEFAULT_RESAMPLES
    seed: int = 0
    confidence: float = 0.95

    def __post_init__(self) -> None:
        from .errors import InputError

        if isinstance(self.resamples, bool) or not isinstance(self.resamples, int) or self.resamples < 10:
            raise InputError(f"resamples must be an integer of at least 10, got {self.resamples!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise InputError(f"seed must be a non-negative integer, got {self.seed!r}")
        if not (isinstance(self.confidence, (int, float)) and 0.5 <= float(self.confidence) < 1.0):
            raise InputError(f"confidence must be in [0.5, 1), got {self.confidence!r}")

    def rng(self, task_id: str) -> np.random.Generator:
        return np.random.default_rng([self.seed, zlib.crc32(task_id.encode("utf-8"))])

    def describe(self) -> dict[str, Any]:
        return {"resamples": self.resamples, "seed": self.seed, "confidence": self.confidence}


@dataclass
class TaskInterval:
    """The resampling outcome of one task: raw interval, method and the raw value of each resample."""

    method: str
    items: int
    resamples: int
    low: float
    high: float
    samples: np.ndarray = field(repr=False)
    notes: list[str] = field(default_factory=list)

    def describe(self, metric: Any, sota_raw: float | None) -> dict[str, Any]:
        """The report's ``interval`` of a task: raw and normalised bounds, and the probability of a win."""
        lo_s, hi_s = (float(x) for x in np.sort(np.asarray(metric.normalization(np.array([self.low, self.high])),
                                                            dtype=float)))
        return {"method": self.method, "items": self.items, "resamples": self.resamples,
                "raw": [self.low, self.high], "score": [lo_s, hi_s],
                "p_win": win_probability(self.samples, sota_raw, metric.higher_is_better),
                "quantiles": [float(x) for x in np.quantile(self.samples, QUANTILES)],
                "notes": list(self.notes)}


def win_probability(samples: np.ndarray, sota_raw: float | None, higher_is_better: bool) -> float | None:
    """The share of resamples at or above the SoTA (in the metric's direction; None without a SoTA)."""
    if sota_raw is None or not math.isfinite(sota_raw):
        return None
    from .levels import raw_wins

    wins = raw_wins(np.asarray(samples, dtype=float)[:, None], [sota_raw], [higher_is_better])[:, 0]
    return float(wins.mean())


# -- drawing ---------------------------------------------------------------------------------------
def _index_batches(n: int, resamples: int, rng: np.random.Generator):
    """(first resample, indices (batch, n)) for every batch of resamples, each drawing n items with
    replacement; batches hold at most CHUNK indices, bounding memory for any task size."""
    step = max(1, CHUNK // max(n, 1))
    for start in range(0, resamples, step):
        yield start, rng.integers(0, n, size=(min(step, resamples - start), n))


def _draw_sums(values: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """Per resample, the sum over n items drawn with replacement: (resamples,) + values.shape[1:]."""
    out = np.empty((resamples,) + values.shape[1:], dtype=float)
    for start, idx in _index_batches(values.shape[0], resamples, rng):
        out[start:start + len(idx)] = values[idx].sum(axis=1)
    return out


def _weighted(value_of: Callable[[np.ndarray], Any], n: int, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """The metric per resample from item weights (how often each item was drawn), in bounded batches."""
    out = np.empty(resamples)
    for start, idx in _index_batches(n, resamples, rng):
        b = len(idx)
        counts = np.bincount((idx + (np.arange(b) * n)[:, None]).ravel(), minlength=b * n).reshape(b, n)
        out[start:start + b] = np.asarray(value_of(counts.astype(float)), dtype=float)
    if not np.all(np.isfinite(out)):
        raise ValueError("some resamples have no defined value (e.g. no ground truth left)")
    return out


def percentile_bounds(samples: np.ndarray, confidence: float, axis: int | None = None) -> np.ndarray:
    """The (low, high) percentile interval of ``samples`` (along ``axis``: many intervals in one call)."""
    alpha = (1.0 - confidence) / 2.0
    return np.quantile(samples, [alpha, 1.0 - alpha], axis=axis)


def _quantiles(samples: np.ndarray, confidence: float) -> tuple[float, float]:
    lo, hi = percentile_bounds(samples, confidence)
    return float(lo), float(hi)


def mean_interval(values: Sequence[float], confidence: float) -> tuple[float, float]:
    """Analytic interval of a mean: Wilson score when items take two values, Student t otherwise."""
    v = np.asarray(values, dtype=float)
    n = v.size
    mean = float(v.mean())
    distinct = np.unique(v)
    z = _normal_quantile(0.5 + confidence / 2.0)
    if distinct.size <= 2:
        a, b = float(distinct[0]), float(distinct[-1])
        if a == b:
            return mean, mean
        p = (mean - a) / (b - a)
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        return a + (b - a) * max(0.0, centre - half), a + (b - a) * min(1.0, centre + half)
    if n < 2:
        return mean, mean
    from scipy.stats import t as student_t

    half = float(student_t.ppf(0.5 + confidence / 2.0, n - 1)) * float(v.std(ddof=1)) / math.sqrt(n)
    return mean - half, mean + half


def _normal_quantile(p: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(p)


# -- resampling one task ----------------------------------------------------------------------------
def _take(seq: Any, idx: np.ndarray) -> Any:
    if seq is None:  # a no-reference metric (MOS, MUSIQ, ...): predictions alone are resampled
        return None
    if isinstance(seq, np.ndarray):
        return seq[idx]
    return [seq[i] for i in idx]


def _is_items(seq: Any) -> bool:
    return isinstance(seq, (list, tuple)) or (isinstance(seq, np.ndarray) and seq.ndim >= 1)


def _per_item(compute: Callable[..., float], preds: Any, refs: Any, options: dict) -> np.ndarray | None:
    """Each item's value computed alone; None when a single item cannot be scored alone."""
    try:
        return np.array([float(compute(_take(preds, [i]), _take(refs, [i]), **options)) for i in range(len(preds))])
    except Exception:  # noqa: BLE001 - e.g. AUC or PCC need two items: not a per-item metric
        return None


def resample_task(metric: Any, predictions: Any, references: Any, options: dict, raw: float,
                  spec: IntervalSpec, task_id: str) -> TaskInterval:
    """Resample one task's items; raises ValueError when its inputs are not a sequence of items."""
    if not (_is_items(predictions) and (references is None or _is_items(references))):
        raise ValueError("its metric inputs are not per-item sequences, so its items cannot be resampled")
    n = len(predictions)
    if n < 2:
        raise ValueError(f"{n} item(s): too few to resample")
    rng = spec.rng(task_id)
    mode = getattr(metric, "resampling", "auto")
    if mode == "none":
        raise ValueError(f"metric {metric.name} declares that its value cannot be resampled")
    paired = references is None or len(references) == n
    weighted = metric.load_hook("resampler") if paired else None
    if weighted is not None:
        value_of = weighted(predictions, references, **options)
        if value_of is not None and _same(float(np.asarray(value_of(np.ones((1, n)))).ravel()[0]), raw):
            count, notes = _capped(metric, spec, getattr(value_of, "max_resamples", None))
            samples = _weighted(value_of, n, count, rng)
            lo, hi = _quantiles(samples, spec.confidence)
            return TaskInterval("weights", n, count, lo, hi, samples, notes)
    stats = metric.load_hook("item_stats") if paired else None
    if stats is not None:
        found = stats(predictions, references, **options)
        per = np.asarray(found if found is not None else np.zeros((0, 0)), dtype=float)
        combine = metric.load_hook("from_stats")
        if per.ndim == 2 and per.shape[0] == n and combine is not None \
                and _same(float(np.asarray(combine(per.sum(axis=0)[None, :], **options)).ravel()[0]), raw):
            samples = np.asarray(combine(_draw_sums(per, spec.resamples, rng), **options), dtype=float)
            lo, hi = _quantiles(samples, spec.confidence)
            return TaskInterval("stats", n, spec.resamples, lo, hi, samples)
    if paired and mode in ("auto", "mean"):
        scorer = metric.load_hook("item_scores")
        values = (np.asarray(scorer(predictions, references, **options), dtype=float) if scorer is not None
                  else _per_item(metric._resolve(), predictions, references, options))
        if values is not None and values.shape == (n,) and np.all(np.isfinite(values)) \
                and _same(float(values.mean()), raw):
            samples = _draw_sums(values, spec.resamples, rng) / n
            lo, hi = _clip(mean_interval(values, spec.confidence), metric.raw_range)
            return TaskInterval("mean", n, spec.resamples, lo, hi, samples)
    return _recompute(metric, predictions, references, options, raw, spec, rng, paired)


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=MEAN_RTOL, abs_tol=MEAN_RTOL)


def _clip(bounds: tuple[float, float], raw_range: tuple[float | None, float | None]) -> tuple[float, float]:
    lo, hi = bounds
    if raw_range[0] is not None:
        lo, hi = max(lo, raw_range[0]), max(hi, raw_range[0])
    if raw_range[1] is not None:
        lo, hi = min(lo, raw_range[1]), min(hi, raw_range[1])
    return lo, hi


def _capped(metric: Any, spec: IntervalSpec, cap: int | None = None) -> tuple[int, list[str]]:
    """Resamples to draw where every resample is a computation of its own (``cap``: the resampler's,
    else the metric's ``max_resamples`` for recomputation), and a note when the cap cuts them."""
    cap = getattr(metric, "max_resamples", None) if cap is None else cap
    if not cap or cap >= spec.resamples:
        return spec.resamples, []
    return int(cap), [f"{metric.name} caps its resamples at {cap} (each one is a computation of its own)"]


def _recompute(metric: Any, preds: Any, refs: Any, options: dict, raw: float, spec: IntervalSpec,
               rng: np.random.Generator, paired: bool) -> TaskInterval:
    count, notes = _capped(metric, spec)
    n, m = len(preds), (len(preds) if refs is None else len(refs))
    samples = np.empty(count)
    for b in range(count):
        i = rng.integers(0, n, size=n)
        j = i if paired else rng.integers(0, m, size=m)
        samples[b] = metric.compute(_take(preds, i), _take(refs, j), **options)
    if count < FEW_RESAMPLES:  # too few for the tails: the normal interval of the bootstrap's spread
        z = _normal_quantile(0.5 + spec.confidence / 2.0)
        spread = float(samples.std(ddof=1))
        lo, hi = _clip((raw - z * spread, raw + z * spread), metric.raw_range)
        notes.append(f"{count} resamples: a normal interval from their standard deviation")
    else:
        lo, hi = _quantiles(samples, spec.confidence)
    if not paired:
        notes.append(f"predictions ({n}) and references ({m}) resampled separately")
    return TaskInterval("recompute", n, count, lo, hi, samples, notes)
