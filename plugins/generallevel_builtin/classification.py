"""Classification-style metrics: accuracy variants, F1, AUC, correlation, rates.

All return percent (0..100). Counting metrics (accuracy, F1, balanced accuracy, ROC-AUC) are
computed with numpy (np.unique + bincount, a rank statistic for AUC) because on 1e6 labels that is
several times faster than scikit-learn and gives the identical number; the tests check equality
with scikit-learn / scipy to 1e-9. Nothing heavy is imported at module level.
"""

from __future__ import annotations

import math
import operator
from itertools import chain
from typing import Any, Sequence

import numpy as np

from generallevel import InputError, hookimpl

from ._answers import answer_accuracy, contains_accuracy, exact_accuracy, exact_match_at_1, squad_normalize, token_f1  # noqa: F401
from ._declare import percent
from ._inputs import same_length
from ._labels import (_COLL, _NUM, _binary_auc, _encode, _is_missing, _label_pair, _labels, _numbers, _pair, _seq,
                      set_totals)

# exact_accuracy, exact_match_at_1 and token_f1 (declared below as classification:<name>) and
# squad_normalize live in _answers.py; the input checks in _labels.py (detection.py imports
# _labels, _numbers and _pair from here). Importing them keeps those names resolvable here.

_M = "generallevel_builtin.classification:"
_S = "generallevel_builtin.resampling_stats:"


@hookimpl
def register_metrics(register):
    register(percent("Acc", _M + "accuracy", "ACC", "Accuracy", reference="sklearn.metrics.accuracy_score",
                     inputs="predictions, references: equal-length sequences of labels (str or number); "
                     "list/tuple items compare as sequences (exact match), sets as sets; option "
                     "match='answers' (General-Bench): trimmed answer equals any accepted answer, numbers as numbers; "
                     "match='contains' (General-Bench video QA): the answer contains an accepted answer, case-folded"))
    register(percent("Macro-Acc", _M + "macro_accuracy", "Balanced-Acc", "Mean class accuracy",
                     reference="sklearn.metrics.balanced_accuracy_score",
                     inputs="labels; mean over the reference classes of per-class recall"))
    register(percent("E-Acc", _M + "exact_accuracy", "Exact-Acc",
                     reference="hand-computed: exact match after whitespace/case normalisation",
                     inputs="strings (reference: str or list of accepted strings); exact match after "
                     "collapsing whitespace and case-folding"))
    register(percent("EM@1", _M + "exact_match_at_1", "EM", "Exact Match",
                     reference="hand-computed SQuAD-style exact match of the top-1 answer",
                     inputs="predictions: str or ranked list (first is used); references: str or list of "
                     "gold strings; option normalize=True (SQuAD: lower, drop punctuation/articles)"))
    register(percent("F1", _M + "f1", "F1 Score", "F-score", "F-measure",
                     reference="sklearn.metrics.f1_score (binary/macro; micro for label sets); "
                     "SQuAD token F1 with mode='token'",
                     inputs="labels (binary F1 of pos_label=1 if labels are 0/1, else macro), or per-instance "
                     "label/span sets (micro); options average='binary'|'macro'|'micro'|'weighted', "
                     "pos_label, labels, zero_division=0; mode='token' for QA answer strings, with "
                     "normalize='squad'|'none' (General-Bench: whitespace tokens) and count='multiset'|'set'"))
    register(percent("Micro-F1", _M + "micro_f1", "MicroF1",
                     reference="sklearn.metrics.f1_score(average='micro') (MultiLabelBinarizer for sets)",
                     inputs="labels, or multi-label / span sets per instance; options labels, zero_division=0",
                     item_stats=_S + "micro_f1_stats", from_stats=_S + "micro_f1_from_stats"))
    register(percent("AUC", _M + "auc", "ROC-AUC", "AUROC", reference="sklearn.metrics.roc_auc_score",
                     inputs="predictions: scores (n,) or (n, 2) for binary, (n, K) class scores for "
                     "one-vs-rest; references: labels; options pos_label, labels (column order), "
                     "average='macro'|'weighted'. curve='success': predictions per-frame IoU overlaps "
                     "(per sequence) with references None, or predicted and ground-truth [x, y, w, h] boxes per frame "
                     "-> tracking success-plot AUC", item_scores=_M + "auc_item_scores"))
    register(percent("PCC", _M + "pearson", "Pearson", lo=-100.0, reference="scipy.stats.pearsonr",
                     inputs="numeric sequences; 100 x Pearson r (negative clipped to 0 when normalised)"))
    register(percent("Frame-Acc", _M + "frame_accuracy", "Fram-Acc", "Frame Accuracy",
                     reference="sklearn.metrics.accuracy_score over all frames",
                     inputs="per-video sequences of frame labels; accuracy over all frames pooled"))
    register(percent("SuccessRate", _M + "success_rate", "Successful rate", "Success Rate",
                     "Multi-Object Successful Rate", "Single-Object Successful Rate",
                     reference="hand-computed mean of boolean outcomes",
                     inputs="predictions: booleans/0-1 flags (references None), or scores with references "
                     "a threshold (number, or one per instance): success iff score >= threshold"))
    register(percent("UserPreference", _M + "preference_rate", "User preference rates", "Preference Rate",
                     reference="hand-computed share of pairwise votes won (ties count half)",
                     inputs="predictions: votes 'win'|'tie'|'loss' (or 1/0.5/0); references ignored; "
                     "option tie=0.5"))


# -- accuracy family --------------------------------------------------------------------------------
def _key(v: Any) -> Any:
    return tuple(v.tolist()) if isinstance(v, np.ndarray) else tuple(v) if isinstance(v, list) else v


def _is_sets(p: Sequence, r: Sequence) -> bool:
    return not isinstance(p, np.ndarray) and (isinstance(p[0], _COLL) or isinstance(r[0], _COLL))


def _indicator(p: Sequence, r: Sequence) -> tuple[np.ndarray, np.ndarray] | None:
    """Both inputs as 0/1 label-indicator matrices (n, K) if either is a 2-D array, else None."""
    if not any(isinstance(v, np.ndarray) and v.ndim == 2 for v in (p, r)):
        return None
    P, R = _numbers(p, "predictions"), _numbers(r, "references")
    if P.shape != R.shape:
        raise InputError(f"shape mismatch: predictions {P.shape} but references {R.shape}")
    for what, a in (("predictions", P), ("references", R)):
        if not np.isin(a, (0.0, 1.0)).all():
            raise InputError(f"{what} is a 2-D array but not a 0/1 label-indicator matrix")
    return P.astype(bool), R.astype(bool)


def _hits(predictions: Any, references: Any) -> np.ndarray:
    p, r = _pair(predictions, references)
    ind = _indicator(p, r)
    if ind is not None:
        return (ind[0] == ind[1]).all(axis=1)  # subset accuracy, as sklearn
    if _is_sets(p, r):
        for what, vals in (("predictions", p), ("references", r)):
            for i, v in enumerate(vals):
                if _is_missing(v):
                    raise InputError(f"{what}[{i}] is {v!r} (a missing value)")
        return np.fromiter((_key(a) == _key(b) for a, b in zip(p, r)), dtype=bool, count=len(p))
    if not isinstance(p, np.ndarray) and not isinstance(r, np.ndarray):
        if all(issubclass(t, str) for t in set(map(type, p)) | set(map(type, r))):
            # string lists: comparing in Python skips building two unicode arrays (3x faster)
            return np.fromiter(map(operator.eq, p, r), dtype=bool, count=len(p))
    P, R = _label_pair(p, r)
    return P == R


def accuracy(predictions: Any, references: Any, *, match: str = "label") -> float:
    """Share of instances whose prediction equals the reference (sklearn accuracy_score x 100).

    match='answers' is General-Bench's answer accuracy instead: trimmed string equality with any
    of a list of accepted answers, numbers compared as numbers (see ``_answers.answer_accuracy``);
    match='contains' its video QA rule: the answer contains an accepted answer, case-folded.
    """
    if match == "answers":
        return answer_accuracy(predictions, references)
    if match == "contains":
        return contains_accuracy(predictions, references)
    if match != "label":
        raise InputError(f"Acc: unknown match {match!r}; use 'label', 'answers' or 'contains'")
    return 100.0 * float(_hits(predictions, references).mean())


def macro_accuracy(predictions: Any, references: Any) -> float:
    """Balanced accuracy: mean over the classes present in the references of per-class recall."""
    P, R = _label_pair(predictions, references)
    classes, (rc,) = _encode(R)
    hits = np.bincount(rc, weights=(P == R), minlength=len(classes))
    support = np.bincount(rc, minlength=len(classes))
    seen = support > 0
    return 100.0 * float(np.mean(hits[seen] / support[seen]))


def frame_accuracy(predictions: Any, references: Any) -> float:
    """Accuracy over all frames of all videos pooled (per-video lengths must agree)."""
    p, r = _pair(predictions, references)
    if not isinstance(p[0], _COLL):
        return accuracy(p, r)
    flat_p: list = []
    flat_r: list = []
    for i, (a, b) in enumerate(zip(p, r)):
        if not isinstance(a, _COLL) or not isinstance(b, _COLL):
            raise InputError(f"video {i}: expected a sequence of frame labels for both prediction and reference")
        if len(a) != len(b):
            raise InputError(f"video {i}: {len(a)} predicted frames but {len(b)} reference frames")
        flat_p.extend(np.asarray(a).tolist() if isinstance(a, np.ndarray) else a)
        flat_r.extend(np.asarray(b).tolist() if isinstance(b, np.ndarray) else b)
    return accuracy(flat_p, flat_r)


# -- F1 -------------------------------------------------------------------------------------------
def _hashable(v: Any, what: str) -> Any:
    if _is_missing(v):
        raise InputError(f"{what} contains a missing value ({v!r})")
    return tuple(v) if isinstance(v, (list, np.ndarray)) else v


def _set_counts(p: Sequence, r: Sequence) -> tuple[list, np.ndarray, np.ndarray, np.ndarray]:
    """Per-label (tp, predicted, true) counts over per-instance label sets."""
    index: dict = {}
    pc: list[int] = []
    rc: list[int] = []
    tc: list[int] = []
    for i, (a, b) in enumerate(zip(p, r)):
        for what, v in (("predictions", a), ("references", b)):
            if not isinstance(v, _COLL):
                raise InputError(f"{what}[{i}] = {v!r:.60} is not a set of labels; give every instance a "
                                 "list/set (an empty one for no labels)")
        ps = {_hashable(x, f"predictions[{i}]") for x in a}
        rs = {_hashable(x, f"references[{i}]") for x in b}
        pc.extend(index.setdefault(x, len(index)) for x in ps)
        rc.extend(index.setdefault(x, len(index)) for x in rs)
        tc.extend(index[x] for x in ps & rs)
    k = len(index)
    return list(index), *(np.bincount(np.asarray(c, dtype=np.int64), minlength=k) for c in (tc, pc, rc))


def _label_counts(P: np.ndarray, R: np.ndarray) -> tuple[list, np.ndarray, np.ndarray, np.ndarray]:
    classes, (pc, rc) = _encode(P, R)
    k = len(classes)
    tp, npred, ntrue = (np.bincount(c, minlength=k) for c in (rc[pc == rc], pc, rc))
    seen = (npred + ntrue) > 0
    return classes[seen].tolist(), tp[seen], npred[seen], ntrue[seen]


def _select(classes: list, counts: tuple, labels: Sequence | None) -> tuple[list, tuple]:
    """Restrict counts to ``labels`` (absent labels get zero counts), as sklearn's ``labels=``."""
    if labels is None:
        return classes, counts
    pos = {c: i for i, c in enumerate(classes)}
    labels = list(labels)
    if not labels:
        raise InputError("labels=[] selects no label")
    idx = np.asarray([pos.get(_hashable(l, "labels"), -1) for l in labels])
    out = tuple(np.where(idx >= 0, c[np.maximum(idx, 0)], 0) for c in counts)
    return labels, out


def _f1_from_counts(classes: list, tp: np.ndarray, npred: np.ndarray, ntrue: np.ndarray, average: str,
                    pos_label: Any, zero_division: float) -> float:
    def ratio(num, den):
        num, den = np.asarray(num, float), np.asarray(den, float)
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), float(zero_division))

    if average == "micro":
        return 100.0 * float(ratio(2.0 * tp.sum(), npred.sum() + ntrue.sum()))
    per_class = ratio(2.0 * tp, npred + ntrue)
    if average == "macro":
        return 100.0 * float(per_class.mean())
    if average == "weighted":
        return 100.0 * float(ratio((per_class * ntrue).sum(), ntrue.sum()))
    if average == "binary":
        if len(classes) > 2:
            raise InputError(f"average='binary' needs at most 2 labels, found {len(classes)}: "
                             f"{classes[:6]}; use average='macro'|'micro'|'weighted'")
        where = [i for i, c in enumerate(classes) if c == pos_label]
        if not where:
            if len(classes) == 2:
                raise InputError(f"pos_label={pos_label!r} is not one of the labels {classes}")
            return 100.0 * float(zero_division)  # sklearn: only the negative label present
        return 100.0 * float(per_class[where[0]])
    raise InputError(f"unknown average {average!r}; use 'binary', 'macro', 'micro' or 'weighted'")


def _counts(p: Sequence, r: Sequence) -> tuple[list, tuple, bool]:
    """(labels, (tp, predicted, true) per label, single-label?) for labels, sets or indicator matrices."""
    ind = _indicator(p, r)
    if ind is not None:
        P, R = ind
        return list(range(P.shape[1])), ((P & R).sum(0), P.sum(0), R.sum(0)), False
    if _is_sets(p, r):
        classes, *counts = _set_counts(p, r)
        return classes, tuple(counts), False
    classes, *counts = _label_counts(*_label_pair(p, r))
    return classes, tuple(counts), True


def f1(predictions: Any, references: Any, *, average: str | None = None, pos_label: Any = None,
       labels: Sequence | None = None, zero_division: float = 0.0, mode: str = "label",
       normalize: str = "squad", count: str = "multiset") -> float:
    """F1 of labels (binary for 0/1 labels, else macro), of label/span sets (micro), or of QA tokens.

    ``mode='token'`` is the answer-token F1 of QA tasks: SQuAD's by default, General-Bench's with
    ``normalize='none'`` (see ``_answers.token_f1``).
    """
    if mode == "token":
        return token_f1(predictions, references, normalize=normalize, count=count)
    if mode != "label":
        raise InputError(f"unknown mode {mode!r}; use 'label' or 'token'")
    p, r = _pair(predictions, references)
    if labels is None and average in (None, "micro") and not isinstance(r, np.ndarray) and _is_sets(p, r):
        totals = set_totals(p, r)  # micro F1 of label sets needs only three totals
        if totals is not None:
            return _f1_from_counts([], *(np.asarray([c]) for c in totals), "micro", None, zero_division)
    classes, counts, single = _counts(p, r)
    if average is None and not single:
        average = "micro"
    elif average is None:
        numeric = all(isinstance(c, _NUM) for c in classes)
        binary = pos_label is not None or (numeric and set(classes) <= {0, 1})
        average = "binary" if binary and len(classes) <= 2 else "macro"
    classes, counts = _select(classes, counts, labels)
    return _f1_from_counts(classes, *counts, average, 1 if pos_label is None else pos_label, zero_division)


def micro_f1(predictions: Any, references: Any, *, labels: Sequence | None = None,
             zero_division: float = 0.0) -> float:
    """Micro F1: 2 TP / (2 TP + FP + FN) over every label decision (equals accuracy for one label each)."""
    p, r = _pair(predictions, references)
    if labels is None and _indicator(p, r) is None and not _is_sets(p, r):
        return accuracy(p, r)
    return f1(p, r, average="micro", labels=labels, zero_division=zero_division)


# -- ranking and correlation -----------------------------------------------------------------------
def success_auc(overlaps: Any) -> float:
    """Tracking success-plot AUC (OTB/LaSOT): mean over IoU thresholds 0, .05, ..., 1 of P(IoU > t).

    A list of per-sequence lists is averaged per sequence first, as the OTB toolkit does.
    """
    seqs = _seq(overlaps, "predictions")
    if not isinstance(seqs[0], _COLL):
        seqs = [seqs]
    thresholds = np.arange(21) / 20.0  # exactly the doubles 0.0, 0.05, ..., 1.0
    per_seq = []
    for i, seq in enumerate(seqs):
        o = _numbers(_seq(seq, f"predictions[{i}]"), f"predictions[{i}]")
        if o.ndim != 1 or (o < 0).any() or (o > 1).any():
            raise InputError(f"predictions[{i}] must be per-frame IoU overlaps in [0, 1]")
        per_seq.append((o[:, None] > thresholds).mean())
    return 100.0 * float(np.mean(per_seq))


def _sequence_overlaps(predictions: Any, references: Any) -> list[np.ndarray]:
    """Per sequence, the IoU of the predicted and ground-truth [x, y, w, h] box in every frame."""
    preds, refs = _pair(predictions, references)
    out = []
    for i, (p_seq, g_seq) in enumerate(zip(preds, refs)):
        seq = (list, tuple, np.ndarray)
        if not isinstance(p_seq, seq) or not isinstance(g_seq, seq) or len(p_seq) != len(g_seq):
            raise InputError(f"AUC (success): sequence {i}: predicted and ground-truth boxes need one entry per frame")
        g = np.asarray(g_seq, dtype=float)
        if g.ndim != 2 or g.shape[1] != 4 or not np.isfinite(g).all():
            raise InputError(f"AUC (success): sequence {i}: ground truth must be finite [x, y, w, h] boxes per frame")
        missing = np.array([b is None for b in p_seq])
        p = np.array([[0.0, 0.0, 0.0, 0.0] if b is None else b for b in p_seq], dtype=float)
        if p.shape != g.shape or not np.isfinite(p).all():
            raise InputError(f"AUC (success): sequence {i}: predictions must be [x, y, w, h] boxes (or None) per frame")
        for what, boxes in (("ground-truth", g), ("predicted", p)):
            if (boxes[:, 2:] < 0).any():
                frame = int(np.argmax((boxes[:, 2:] < 0).any(axis=1)))
                raise InputError(f"AUC (success): sequence {i}, frame {frame}: the {what} box {boxes[frame].tolist()} "
                                 f"has a negative width or height ([x, y, w, h] boxes, not [x1, y1, x2, y2]?)")
        w = np.clip(np.minimum(p[:, 0] + p[:, 2], g[:, 0] + g[:, 2]) - np.maximum(p[:, 0], g[:, 0]), 0, None)
        h = np.clip(np.minimum(p[:, 1] + p[:, 3], g[:, 1] + g[:, 3]) - np.maximum(p[:, 1], g[:, 1]), 0, None)
        inter = w * h
        union = p[:, 2] * p[:, 3] + g[:, 2] * g[:, 3] - inter
        iou = _at_most_one(np.divide(inter, union, out=np.zeros_like(inter), where=union > 0))
        out.append(np.where(missing, 0.0, iou))
    return out


_NO_BOX = [0.0, 0.0, 0.0, 0.0]  # a missing prediction's box (its overlap is set to 0)


def _at_most_one(iou: np.ndarray) -> np.ndarray:
    """IoU of boxes with non-negative sizes is at most 1 (the intersection lies in both boxes), but
    the float intersection of two identical fractional boxes can exceed either area by an ulp, which
    made an IoU of 1.0000000000000002: counted above the threshold 1.0 (the exact value is not) and
    refused as "not an overlap in [0, 1]". Rounding back to 1 is the exact value."""
    return np.minimum(iou, 1.0)


def _box_rows(rows: list) -> np.ndarray:
    """``np.asarray(rows, dtype=float)``; rows that are all lists go on to :func:`_list_rows`."""
    if rows and set(map(type, rows)) == {list}:  # C loops, not a genexpr
        return _list_rows(rows)
    return np.asarray(rows, dtype=float)


def _list_rows(rows: list[list]) -> np.ndarray:
    """``np.asarray(rows, dtype=float)`` of lists; 4-item lists (JSON boxes) go through ``np.fromiter``
    on their items, which converts each item as asarray does, with less overhead."""
    if set(map(len, rows)) == {4}:
        return np.fromiter(chain.from_iterable(rows), dtype=float, count=4 * len(rows)).reshape(-1, 4)
    return np.asarray(rows, dtype=float)


def _predicted_rows(boxes: list) -> tuple[np.ndarray, np.ndarray]:
    """``_box_rows`` of the predicted boxes with ``_NO_BOX`` for each None, and where the Nones are.
    When every entry is a list or None, ``list.index`` finds the Nones (one scan in C, as ``list ==
    None`` is False; Python runs once per None) instead of two comprehensions over every frame."""
    kinds = set(map(type, boxes))
    if not kinds <= {list, type(None)}:
        missing = np.array([b is None for b in boxes], dtype=bool)
        return _box_rows([_NO_BOX if b is None else b for b in boxes]), missing
    rows, nones, i = boxes.copy(), [], -1
    if type(None) in kinds:
        try:
            while True:
                i = boxes.index(None, i + 1)
                rows[i] = _NO_BOX
                nones.append(i)
        except ValueError:  # no further None
            pass
    missing = np.zeros(len(boxes), dtype=bool)
    missing[nones] = True
    return _list_rows(rows), missing


def _success_auc_of_boxes(predictions: Any, references: Any) -> float | None:
    """``success_auc(_sequence_overlaps(predictions, references))`` with every frame of every sequence
    in one array: the same per-frame IoU (element-wise, so bit for bit), the same per-sequence counts
    of IoU > t and the same divisions. None when any sequence is not well-formed (empty, ragged,
    non-finite, another shape), so that the per-sequence path raises its own error for it."""
    per_seq = _success_per_sequence(predictions, references)
    return None if per_seq is None else 100.0 * float(np.mean(per_seq))


def _success_per_sequence(predictions: Any, references: Any) -> np.ndarray | None:
    """Each sequence's success AUC (fraction) from boxes, all frames in one array; None as above."""
    preds, refs = _pair(predictions, references)
    seq = (list, tuple, np.ndarray)
    lengths = []
    for p_seq, g_seq in zip(preds, refs):
        if not isinstance(p_seq, seq) or not isinstance(g_seq, seq) or len(p_seq) != len(g_seq) or len(g_seq) == 0:
            return None
        lengths.append(len(g_seq))
    if not lengths:
        return None
    try:
        g = _box_rows(list(chain.from_iterable(refs)))
        p, missing = _predicted_rows(list(chain.from_iterable(preds)))
    except (TypeError, ValueError):
        return None
    if g.ndim != 2 or g.shape[1] != 4 or p.shape != g.shape or not (np.isfinite(g).all() and np.isfinite(p).all()):
        return None
    if (g[:, 2:] < 0).any() or (p[:, 2:] < 0).any():
        return None  # the per-sequence path names the frame
    w = np.clip(np.minimum(p[:, 0] + p[:, 2], g[:, 0] + g[:, 2]) - np.maximum(p[:, 0], g[:, 0]), 0, None)
    h = np.clip(np.minimum(p[:, 1] + p[:, 3], g[:, 1] + g[:, 3]) - np.maximum(p[:, 1], g[:, 1]), 0, None)
    inter = w * h
    union = p[:, 2] * p[:, 3] + g[:, 2] * g[:, 3] - inter
    iou = np.where(missing, 0.0, _at_most_one(np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)))
    thresholds = np.arange(21) / 20.0
    n = np.asarray(lengths)
    starts = np.concatenate([[0], np.cumsum(n)[:-1]])
    # per frame the number of thresholds t with iou > t (searchsorted is exact: iou is never NaN, as a
    # NaN intersection makes a NaN union, left at 0), per sequence exact integers
    above = np.add.reduceat(np.searchsorted(thresholds, iou, side="left"), starts)
    return above / (n * len(thresholds))  # = (o[:, None] > thresholds).mean() of each sequence


def auc_item_scores(predictions: Any, references: Any = None, *, curve: str = "roc", **options: Any):
    """``evaluate --ci``: the tracking success AUC is a mean over sequences, so each sequence's own
    AUC is its item score (one vectorised pass, not one call per sequence); None for ROC-AUC, which
    is not a mean of items (it is resampled by recomputing)."""
    if curve != "success":
        return None
    if references is None:
        seqs = _seq(predictions, "predictions")
        return np.array([success_auc([seq]) for seq in seqs]) if isinstance(seqs[0], _COLL) else None
    per_seq = _success_per_sequence(predictions, references)
    return None if per_seq is None else 100.0 * per_seq


def auc(predictions: Any, references: Any = None, *, pos_label: Any = None, labels: Sequence | None = None,
        average: str = "macro", curve: str = "roc") -> float:
    """ROC-AUC: binary (scores of the positive = larger label), or multi-class one-vs-rest.

    ``curve='success'`` is instead the single-object-tracking success AUC: of per-frame IoU
    overlaps given as predictions (references None), or of the overlaps between predicted and
    ground-truth boxes [x, y, w, h] per frame of each sequence (a predicted None = overlap 0).
    """
    if curve == "success":
        if references is None:
            return success_auc(predictions)
        fast = _success_auc_of_boxes(predictions, references)
        return success_auc(_sequence_overlaps(predictions, references)) if fast is None else fast
    if curve != "roc":
        raise InputError(f"unknown curve {curve!r}; use 'roc' or 'success'")
    p, r = _pair(predictions, references)
    y = _labels(r, "references")
    scores = _numbers(p, "predictions")
    classes = np.unique(y) if labels is None else _labels(list(labels), "labels")
    pos = {c: i for i, c in enumerate(classes.tolist())}
    if len(pos) != len(classes):
        raise InputError(f"labels contains duplicates: {classes.tolist()}")
    codes = np.asarray([pos.get(v, -1) for v in y.tolist()]) if labels is not None else np.searchsorted(classes, y)
    if (codes < 0).any():
        raise InputError(f"references[{int(np.argmax(codes < 0))}] is not one of labels={classes.tolist()}")
    if len(classes) < 2:
        raise InputError(f"only one class ({classes.tolist()}) in references: ROC-AUC is undefined")
    if len(classes) == 2 and (scores.ndim == 1 or scores.shape[1:] == (2,)):
        k = 1 if pos_label is None else pos.get(pos_label, -1)
        if k < 0:
            raise InputError(f"pos_label={pos_label!r} is not one of the labels {classes.tolist()}")
        s = scores if scores.ndim == 1 else scores[:, k]
        return 100.0 * _binary_auc(s, codes == k)
    if scores.ndim != 2 or scores.shape[1] != len(classes):
        raise InputError(f"multi-class AUC needs predictions of shape (n, {len(classes)}) (one score column per "
                         f"class {classes.tolist()[:6]}...), got shape {scores.shape}")
    support = np.bincount(codes, minlength=len(classes))
    if (support == 0).any():
        raise InputError(f"class {classes[int(np.argmin(support))]!r} has no reference instance: its "
                         "one-vs-rest AUC is undefined")
    per_class = np.array([_binary_auc(scores[:, k], codes == k) for k in range(len(classes))])
    if average == "macro":
        return 100.0 * float(per_class.mean())
    if average == "weighted":
        return 100.0 * float(np.average(per_class, weights=support))
    raise InputError(f"unknown average {average!r}; use 'macro' or 'weighted'")


def pearson(predictions: Any, references: Any) -> float:
    """100 x Pearson correlation coefficient (undefined, hence an error, for constant input)."""
    p, r = _pair(predictions, references)
    x, y = _numbers(p, "predictions"), _numbers(r, "references")
    if x.ndim != 1 or y.ndim != 1:
        raise InputError(f"PCC needs one number per instance, got shapes {x.shape} and {y.shape}")
    if len(x) < 2:
        raise InputError("PCC needs at least 2 instances")
    xm, ym = x - x.mean(), y - y.mean()
    den = math.sqrt(float(xm @ xm)) * math.sqrt(float(ym @ ym))
    if den == 0.0:
        raise InputError("PCC is undefined when predictions or references are constant")
    return 100.0 * max(-1.0, min(1.0, float(xm @ ym) / den))


# -- rates ----------------------------------------------------------------------------------------
def success_rate(predictions: Any, references: Any = None, *, threshold: float | None = None) -> float:
    """Share of successes: 0/1 flags, or scores >= a threshold (references or ``threshold``)."""
    p = _seq(predictions, "predictions")
    x = _numbers(p, "predictions")
    if x.ndim != 1:
        raise InputError(f"predictions must be one flag or score per instance, got shape {x.shape}")
    if references is not None and threshold is not None:
        raise InputError("give the threshold either as references or as threshold=, not both")
    thr = threshold if references is None else references
    if thr is None:
        if not np.isin(x, (0.0, 1.0)).all():
            i = int(np.argmax(~np.isin(x, (0.0, 1.0))))
            raise InputError(f"predictions[{i}] = {x[i]!r} is not a 0/1 success flag; pass a threshold "
                             "(as references or threshold=) to turn scores into successes")
        return 100.0 * float(x.mean())
    t = _numbers(thr if np.ndim(thr) == 0 else _seq(thr, "references"), "threshold")
    if t.ndim == 1:
        same_length(len(x), len(t), refs="thresholds")
    return 100.0 * float((x >= t).mean())


_VOTES = {"win": 1.0, "tie": None, "loss": 0.0, "lose": 0.0}


def preference_rate(predictions: Any, references: Any = None, *, tie: float = 0.5) -> float:
    """Share of pairwise votes won by the model; a tie counts ``tie`` (default half)."""
    p = _seq(predictions, "predictions")
    total = 0.0
    for i, v in enumerate(p):
        if isinstance(v, str) and v.strip().lower() in _VOTES:
            w = _VOTES[v.strip().lower()]
            total += tie if w is None else w
        elif isinstance(v, _NUM) and not _is_missing(v) and float(v) in (0.0, 0.5, 1.0):
            total += tie if float(v) == 0.5 else float(v)
        else:
            raise InputError(f"predictions[{i}] = {v!r:.60} is not a vote: use 'win'|'tie'|'loss' or 1|0.5|0")
    return 100.0 * total / len(p)
