"""Input checks, label encoding and the ROC rank statistic shared by the classification metrics.

Kept apart from classification.py so the answer-string metrics (_answers.py) can reuse the same
checks without a circular import, and so each module stays small. numpy only; nothing heavy.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Sequence

import numpy as np

from generallevel import InputError

from ._inputs import first_nonfinite, ordered, same_length


_NUM = (int, float, np.integer, np.floating, np.bool_)
_COLL = (list, tuple, set, frozenset, np.ndarray)


def _seq(values: Any, what: str) -> Sequence:
    """A non-empty ordered sequence; a numpy array is kept as an array (labels vectorise on it)."""
    return ordered(values, what, keep_arrays=True)


def _pair(predictions: Any, references: Any) -> tuple[Sequence, Sequence]:
    p, r = _seq(predictions, "predictions"), _seq(references, "references")
    same_length(len(p), len(r))
    return p, r


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, (float, np.floating)) and math.isnan(v))


def _bad_item(values: Sequence, what: str, ok: tuple) -> InputError:
    for i, v in enumerate(values):
        if _is_missing(v):
            return InputError(f"{what}[{i}] is {v!r} (a missing value)")
    first = type(values[0])
    for i, v in enumerate(values):
        if not isinstance(v, ok) or (isinstance(v, str) != issubclass(first, str)):
            return InputError(f"{what}[{i}] = {v!r:.60} ({type(v).__name__}): labels must all be strings "
                              f"or all numbers (first is {first.__name__})")
    return InputError(f"{what}: unsupported labels")


def _labels(values: Sequence, what: str) -> np.ndarray:
    """Scalar labels as a 1-D str or numeric array; None/NaN and str/number mixes raise."""
    if isinstance(values, np.ndarray) and values.dtype.kind != "O":
        arr = values
        if arr.ndim != 1:
            raise InputError(f"{what} must be one label per instance (1-D), got shape {arr.shape}")
        if arr.dtype.kind not in "biufUS":
            raise InputError(f"{what}: unsupported label dtype {arr.dtype}")
    else:
        values = list(values)
        kinds = set(map(type, values))
        if all(issubclass(t, str) for t in kinds):
            arr = np.asarray(values, dtype=str)
        elif all(issubclass(t, _NUM) for t in kinds):
            arr = np.asarray(values)
        else:
            raise _bad_item(values, what, (str, *_NUM))
    if arr.dtype.kind == "f":
        idx = first_nonfinite(arr)
        if idx is not None:
            raise InputError(f"{what}[{idx[0]}] is {arr[idx]!r}; labels must be finite (NaN means a missing value)")
    return arr


def _label_pair(predictions: Any, references: Any) -> tuple[np.ndarray, np.ndarray]:
    p, r = _pair(predictions, references)
    P, R = _labels(p, "predictions"), _labels(r, "references")
    if (P.dtype.kind in "US") != (R.dtype.kind in "US"):
        raise InputError(f"predictions are {'strings' if P.dtype.kind in 'US' else 'numbers'} but references "
                         f"are {'strings' if R.dtype.kind in 'US' else 'numbers'}; convert both to one type")
    return P, R


def _numbers(values: Sequence, what: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be numbers (a ragged or non-numeric input was given)") from None
    idx = first_nonfinite(arr)
    if idx is not None:
        raise InputError(f"{what}{list(idx)} is {arr[idx]!r}; values must be finite numbers")
    return arr


def _encode(*arrays: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Shared integer codes for label arrays: (classes, codes per array).

    Small-range integer labels are their own codes (a bincount needs no sort); ``classes`` may then
    contain values that occur nowhere, which callers drop by their zero counts.
    """
    allv = np.concatenate(arrays)
    cuts = np.cumsum([len(a) for a in arrays])[:-1]
    if allv.dtype.kind in "biu":
        lo, hi = int(allv.min()), int(allv.max())
        if hi - lo <= 2 * len(allv) + 1024:
            return np.arange(lo, hi + 1), np.split(allv.astype(np.int64) - lo, cuts)
    classes, inv = np.unique(allv, return_inverse=True)
    return classes, np.split(inv.ravel(), cuts)


# -- label sets ------------------------------------------------------------------------------------
_SET_TYPES = frozenset((list, tuple, set, frozenset))
_ITEM_TYPES = frozenset((str, int, bool, float, tuple))  # tuples: spans (type, start, end)
_BITMAP_MAX = 1 << 26  # (instances x labels) membership bitmaps up to 64 MB; a sort beyond


def set_totals(p: Sequence, r: Sequence) -> tuple[int, int, int] | None:
    """(sum |P_i & R_i|, sum |P_i|, sum |R_i|) over per-instance label sets, without one Python set per
    instance: labels are coded once, (instance, label) pairs deduplicated in a bitmap (or by sorting).

    None when an input needs the per-instance checks (not lists/sets of plain labels, a missing label):
    the caller then takes the per-label path, which names the offending instance.
    """
    if not set(map(type, p)) | set(map(type, r)) <= _SET_TYPES:
        return None
    flat_p, flat_r = list(itertools.chain.from_iterable(p)), list(itertools.chain.from_iterable(r))
    if not set(map(type, flat_p)) | set(map(type, flat_r)) <= _ITEM_TYPES:
        return None
    try:
        distinct = dict.fromkeys(flat_p)
        distinct.update(dict.fromkeys(flat_r))
    except TypeError:  # a tuple holding a list
        return None
    if any(isinstance(x, float) and math.isnan(x) for x in distinct):
        return None
    code = {x: i for i, x in enumerate(distinct)}  # equal labels (1, 1.0, True) share a code, as in a set
    n, k = len(p), max(len(code), 1)
    keys = []
    for flat, sets in ((flat_p, p), (flat_r, r)):
        sizes = np.fromiter(map(len, sets), dtype=np.int64, count=n)
        labels = np.fromiter(map(code.__getitem__, flat), dtype=np.int64, count=len(flat))
        keys.append(np.repeat(np.arange(n, dtype=np.int64) * k, sizes) + labels)
    if n * k <= _BITMAP_MAX:
        marks = []
        for key in keys:
            m = np.zeros(n * k, dtype=bool)
            m[key] = True
            marks.append(m)
        return (int(np.count_nonzero(marks[0] & marks[1])), int(np.count_nonzero(marks[0])),
                int(np.count_nonzero(marks[1])))
    up, ur = np.unique(keys[0]), np.unique(keys[1])
    return len(np.intersect1d(up, ur, assume_unique=True)), len(up), len(ur)


# -- rank statistics -------------------------------------------------------------------------------
def _binary_auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """ROC-AUC as the Mann-Whitney statistic with average ranks for ties (== sklearn's trapezoids)."""
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    _, inv, counts = np.unique(scores, return_inverse=True, return_counts=True)
    mid_rank = np.cumsum(counts) - (counts - 1) / 2.0
    rank_sum = float(mid_rank[inv.ravel()][positive].sum())
    return (rank_sum - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg)
