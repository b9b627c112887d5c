"""The AP family under resampling of images (``evaluate --ci``): match once, then reweigh.

COCOeval matches detections to ground truth within each (image, category) group, so drawing an
image twice duplicates its matches without changing them. A bootstrap resample is therefore the
precision table of the same matched detections, each counted as often as its image was drawn:
weighted cumulative TP/FP in COCOeval's accumulation order, recall over the weighted number of
regular ground-truth objects, the precision envelope and the 101 recall points. One matching per
task instead of one COCO evaluation per resample; tested equal to recomputing AP on the resampled
image lists (tests/test_intervals_coco.py).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from ._coco_match import REC_THRS, match

BLOCK = 4_000_000  # values in one block of weighted cumulative sums


def _resampler(predictions: Any, references: Any, iou_thrs: Sequence[float],
               options: dict) -> Callable[[np.ndarray], np.ndarray] | None:
    from ._coco import coco_problem

    p = coco_problem(predictions, references, iou_thrs=iou_thrs, **options)
    m = match(p.gt, p.dt, p.thrs, p.max_dets, p.use_cats, mask_iou=p.mask_iou)
    keep = m["keep"]
    K = p.n_cats if p.use_cats else 1
    cat_g = p.gt.cat if p.use_cats else np.zeros(len(p.gt.cat), dtype=np.intp)
    cat_k = p.dt.cat[keep] if p.use_cats else np.zeros(len(keep), dtype=np.intp)
    regular = ~m["gt_ignored"]
    order = np.lexsort((m["rank"], p.dt.image[keep], -p.dt.score[keep], cat_k))
    det_image = p.dt.image[keep][order]
    cats_sorted = cat_k[order]
    bounds = np.searchsorted(cats_sorted, np.arange(K + 1))
    tps = (m["matched"] & ~m["ignored"])[:, order]
    ign = m["ignored"][:, order]
    gt_image, gt_cat = p.gt.image[regular], cat_g[regular]
    T, R = len(p.thrs), len(REC_THRS)
    eps = np.spacing(1)
    # per category and threshold: the true positives' and the ignored detections' positions
    tp_at = [[np.flatnonzero(tps[t, bounds[k]:bounds[k + 1]]) for t in range(T)] for k in range(K)]
    ign_at = [[np.flatnonzero(ign[t, bounds[k]:bounds[k + 1]]) for t in range(T)] for k in range(K)]

    def value_of(weights: np.ndarray) -> np.ndarray:
        weights = np.atleast_2d(weights)
        B = weights.shape[0]
        n_pos = np.zeros((B, K))
        for k in range(K):
            n_pos[:, k] = weights[:, gt_image[gt_cat == k]].sum(axis=1)
        total = np.zeros(B)
        cats = np.zeros(B)
        for k in range(K):
            has = n_pos[:, k] > 0
            if not has.any():
                continue
            a, b = int(bounds[k]), int(bounds[k + 1])
            cats += has
            if a == b:
                continue  # ground truth but no detection: precision 0 at every recall point
            rows = np.flatnonzero(has)
            step = max(1, BLOCK // (b - a))  # bounded (rows, D) temporaries
            for r0 in range(0, len(rows), step):
                sel = rows[r0:r0 + step]
                total[sel] += _category_sum(weights[np.ix_(sel, det_image[a:b])], n_pos[sel, k],
                                            tp_at[k], ign_at[k], eps)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(cats > 0, 100.0 * total / (cats * T * R), np.nan)

    return value_of


def _category_sum(w: np.ndarray, n_pos: np.ndarray, tp_at: list, ign_at: list, eps: float) -> np.ndarray:
    """Per row of weights: the sum over thresholds and recall points of one category's interpolated
    precision. Only true-positive positions are evaluated: recall rises only there, and a false
    positive's precision is below that of the true positive before it, so the envelope and the
    first position reaching each recall point are both found among them. Weighted counts are
    integers, so cumulative sums over those positions equal COCOeval's over every position."""
    out = np.zeros(len(w))
    whole = np.cumsum(w, axis=1)  # detections (any kind) up to each position
    for tp_pos, ign_pos in zip(tp_at, ign_at):
        if not len(tp_pos):
            continue
        tp = np.cumsum(w[:, tp_pos], axis=1)
        fp = whole[:, tp_pos] - tp
        if len(ign_pos):  # ignored detections count as neither
            ign = np.concatenate([np.zeros((len(w), 1)), np.cumsum(w[:, ign_pos], axis=1)], axis=1)
            fp -= ign[:, np.searchsorted(ign_pos, tp_pos)]
        rc = tp / n_pos[:, None]
        pr = tp / (fp + tp + eps)
        pr = np.maximum.accumulate(pr[:, ::-1], axis=1)[:, ::-1]
        out += _at_recall_points(rc, pr)
    return out


def _at_recall_points(rc: np.ndarray, pr: np.ndarray) -> np.ndarray:
    """Per row, the sum over COCO's 101 recall points r of pr at ``searchsorted(rc, r, 'left')`` (0
    past the end), for every row at once and with the same float comparisons: rc_j < r_m exactly
    when k_j <= m, k_j being the number of recall points <= rc_j, so the position for r_m is the
    number of j with k_j <= m (a cumulative histogram of k per row)."""
    rows, n = rc.shape
    R = len(REC_THRS)
    k = np.searchsorted(REC_THRS, rc.ravel(), side="right").reshape(rows, n)
    hist = np.bincount((k + (R + 1) * np.arange(rows)[:, None]).ravel(), minlength=rows * (R + 1))
    pos = np.cumsum(hist.reshape(rows, R + 1), axis=1)[:, :R]
    inside = pos < n
    picked = np.take_along_axis(pr, np.minimum(pos, n - 1), axis=1)
    return np.where(inside, picked, 0.0).sum(axis=1)


def average_precision(predictions: Any, references: Any, *, iou_thresholds: Any = None, **options: Any):
    from ._coco import COCO_IOUS
    from .detection import _is_scores

    if _is_scores(predictions):
        return None  # ranking AP of scores: resampled by recomputing
    return _resampler(predictions, references, COCO_IOUS if iou_thresholds is None else iou_thresholds, options)


def mean_average_precision(predictions: Any, references: Any, *, iou_thresholds: Any = None,
                           matching: str = "iou", **options: Any):
    from ._coco import COCO_IOUS

    if matching != "iou":
        return None  # nuScenes centre-distance mAP: resampled by recomputing
    return _resampler(predictions, references, COCO_IOUS if iou_thresholds is None else iou_thresholds, options)


def ap10(predictions: Any, references: Any, **options: Any):
    return _resampler(predictions, references, [0.10], options)


def ap50(predictions: Any, references: Any, **options: Any):
    return _resampler(predictions, references, [0.50], options)


def ap75(predictions: Any, references: Any, **options: Any):
    return _resampler(predictions, references, [0.75], options)
