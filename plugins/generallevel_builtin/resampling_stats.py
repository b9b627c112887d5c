"""Sufficient statistics of corpus metrics, so ``evaluate --ci`` resamples sums instead of recomputing.

A corpus metric such as Micro-F1 is not a mean of per-item values, but it is a function of sums of
per-item counts (2 TP / (predicted + true)); the bootstrap then draws sums of those counts, one
matrix product per batch of resamples (generallevel.intervals). Each pair here must reproduce its
metric exactly: the interval code checks ``from_stats(sum of item_stats)`` against the task's value
and recomputes per resample when they differ.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np


def micro_f1_stats(predictions: Any, references: Any, *, labels: Sequence | None = None,
                   zero_division: float = 0.0) -> np.ndarray:
    """Per item: (true positives, predicted labels, true labels), as ``micro_f1`` counts them."""
    from .classification import _counts, _pair, _select

    p, r = _pair(predictions, references)
    out = np.empty((len(p), 3))
    for i in range(len(p)):
        classes, counts, _ = _counts(p[i:i + 1], r[i:i + 1])
        _, counts = _select(classes, counts, labels)
        out[i] = [float(np.sum(c)) for c in counts]
    return out


def micro_f1_from_stats(sums: np.ndarray, *, labels: Sequence | None = None, zero_division: float = 0.0) -> np.ndarray:
    """Micro F1 in percent from summed (tp, predicted, true), one row per resample."""
    sums = np.atleast_2d(np.asarray(sums, dtype=float))
    den = sums[:, 1] + sums[:, 2]
    return 100.0 * np.where(den > 0, 2.0 * sums[:, 0] / np.where(den > 0, den, 1.0), float(zero_division))
