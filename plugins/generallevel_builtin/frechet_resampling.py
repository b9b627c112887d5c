"""FID, FVD and FAD under resampling of items (``evaluate --ci``): Gram matrices once, then reweigh.

A resample draws items (a generated sample and its reference travel together) with counts c. The
Fréchet distance of the resampled sets needs only inner products of features: with the Gram
matrices G11 = X1 X1^T, G22 and G12 = X1 X2^T computed once, each resample's means, traces and
centred cross-products follow from c, and tr sqrtm(S1 S2) is the nuclear norm of the weighted,
centred n x n cross-product (as in ``_features._frechet_low_rank``), here over the drawn items only.
With more items than dimensions, each resample's weighted means and D x D covariances feed the
same formula as the statistics path of the metric. Unpaired sets are recomputed per resample.
Tested equal to recomputing the distance on the resampled feature lists (tests/test_intervals.py).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

MAX_RESAMPLES = 200  # each resample is an SVD (or a D x D decomposition) of its own


def _features(values: Any) -> np.ndarray | None:
    if isinstance(values, np.ndarray):
        arr = values
    elif isinstance(values, (list, tuple)) and values and all(isinstance(v, (list, tuple, np.ndarray)) for v in values):
        try:
            arr = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError):
            return None
    else:
        return None
    if arr.ndim != 2 or arr.dtype.kind not in "fiu" or not np.all(np.isfinite(arr)):
        return None
    return arr.astype(np.float64, copy=False)


def frechet(predictions: Any, references: Any, *, extractor: Any = None) -> Callable[[np.ndarray], np.ndarray] | None:
    """The resampler of FID/FVD/FAD on paired feature matrices with n <= D; None otherwise."""
    if extractor is not None:
        return None
    x1, x2 = _features(predictions), _features(references)
    if x1 is None or x2 is None or x1.shape != x2.shape:
        return None
    if x1.shape[0] > x1.shape[1]:
        return _covariances(x1, x2)
    n = x1.shape[0]
    g11, g22, g12 = x1 @ x1.T, x2 @ x2.T, x1 @ x2.T
    d11, d22 = np.diag(g11).copy(), np.diag(g22).copy()

    def value_of(counts: np.ndarray) -> np.ndarray:
        counts = np.atleast_2d(counts)
        out = np.empty(len(counts))
        for b, c in enumerate(counts):
            take = np.flatnonzero(c)
            w = c[take]
            m = w.sum()  # = n
            s11, s22, s12 = g11[np.ix_(take, take)], g22[np.ix_(take, take)], g12[np.ix_(take, take)]
            a1, a2 = s11 @ w / m, s22 @ w / m  # x1_i . mu1, x2_i . mu2
            b12, b21 = s12 @ w / m, w @ s12 / m  # x1_i . mu2, mu1 . x2_j
            mu11, mu22, mu12 = w @ a1 / m, w @ a2 / m, w @ b12 / m
            tr1 = (w @ d11[take] - m * mu11) / (m - 1)
            tr2 = (w @ d22[take] - m * mu22) / (m - 1)
            centred = s12 - b12[:, None] - b21[None, :] + mu12
            root = np.sqrt(w)
            cross = root[:, None] * centred * root[None, :] / (m - 1)
            trace_sqrt = np.linalg.svd(cross, compute_uv=False).sum()
            out[b] = max(0.0, mu11 + mu22 - 2.0 * mu12 + tr1 + tr2 - 2.0 * trace_sqrt)
        return out

    value_of.max_resamples = MAX_RESAMPLES  # type: ignore[attr-defined]
    return value_of


def _covariances(x1: np.ndarray, x2: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """More items than dimensions: each resample's weighted means and covariances (D x D), then the
    distance as ``_features.frechet_from_stats`` computes it from statistics."""
    from ._features import frechet_from_stats

    def stats(x: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = c.sum()
        mu = c @ x / m
        centred = x - mu
        return mu, (centred.T * c) @ centred / (m - 1)

    def value_of(counts: np.ndarray) -> np.ndarray:
        counts = np.atleast_2d(counts)
        return np.array([frechet_from_stats(*stats(x1, c), *stats(x2, c)) for c in counts])

    value_of.max_resamples = MAX_RESAMPLES  # type: ignore[attr-defined]
    return value_of
