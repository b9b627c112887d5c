"""COCOeval's matching and precision table, vectorised: the same numbers, without a per-box Python loop.

pycocotools' ``COCOeval.evaluate`` walks every (image, category) group in Python, and inside it every
threshold, detection and ground-truth object; ``accumulate`` then concatenates per-group results.
Here every step is a numpy operation over all groups at once:

* IoU of every (detection, ground truth) pair of a group, by broadcasting the flat pair list, with
  pycocotools' own floating-point formula (``maskApi.c bbIou``: a crowd region's "union" is the
  detection's area), so every IoU is bit-identical; masks use ``pycocotools.mask.iou`` per group.
* Greedy matching exactly as ``evaluateImg`` defines it, run for the k-th detection of every group at
  the same time (groups share no objects, so they are independent): a detection takes, among the
  objects still free (crowd regions never become taken) with IoU >= min(t, 1 - 1e-10), a regular object
  before an ignored one (crowd, or outside the area range), then the highest IoU, then the later one in
  COCOeval's order; unmatched detections outside the area range are ignored.
* ``accumulate``'s precision table per category: detections in COCOeval's order (score, then image,
  then rank in the group, all stable), cumulative TP/FP, ``tp / (tp + fp + eps)``, the precision
  envelope and the 101 recall points, with the same operations in the same order.

Equality with pycocotools is tested on random scenes with crowd regions, ties, empty images, area
ranges and every ``maxDets`` (tests/metrics/test_coco_match.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

REC_THRS = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1)  # COCOeval's recThrs
ALL_AREAS = (0.0 ** 2, 1e5 ** 2)  # COCOeval's area range 'all'


@dataclass
class Objects:
    """One side's annotations in COCO order (image by image, each image's list in order).

    ``cat`` indexes the categories in COCOeval's ``catIds`` order; ``score`` is for detections only;
    ``crowd`` for ground truth only; ``rle`` holds COCO RLEs for mask IoU (None for boxes).
    """

    image: np.ndarray  # (n,) int
    cat: np.ndarray  # (n,) int
    box: np.ndarray  # (n, 4) float, xywh
    area: np.ndarray  # (n,) float
    crowd: np.ndarray | None = None  # (n,) bool
    score: np.ndarray | None = None  # (n,) float
    rle: list | None = None


def _box_iou(d: np.ndarray, g: np.ndarray, crowd: np.ndarray) -> np.ndarray:
    """IoU of aligned pairs (rows of ``d`` with rows of ``g``), in ``maskApi.c bbIou``'s arithmetic."""
    w = np.minimum(d[:, 2] + d[:, 0], g[:, 2] + g[:, 0]) - np.maximum(d[:, 0], g[:, 0])
    h = np.minimum(d[:, 3] + d[:, 1], g[:, 3] + g[:, 1]) - np.maximum(d[:, 1], g[:, 1])
    inter = w * h
    da = d[:, 2] * d[:, 3]
    union = np.where(crowd, da, da + g[:, 2] * g[:, 3] - inter)
    hit = (w > 0) & (h > 0)
    out = np.zeros(len(inter))
    np.divide(inter, union, out=out, where=hit)
    return out


def _starts(sorted_keys: np.ndarray) -> np.ndarray:
    """Index of the first element of each run of equal values in a sorted array."""
    return np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]) if len(sorted_keys) else \
        np.zeros(0, dtype=np.intp)


def _run_rank(sorted_keys: np.ndarray) -> np.ndarray:
    """Position of each element within its run of equal keys (0, 1, 2, 0, 1, ...)."""
    n = len(sorted_keys)
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    starts = _starts(sorted_keys)
    first = np.zeros(n, dtype=np.intp)
    first[starts] = starts
    return np.arange(n) - np.maximum.accumulate(first)


def match(gt: Objects, dt: Objects, iou_thrs: np.ndarray, max_dets: int, use_cats: bool,
          area_rng: tuple[float, float] = ALL_AREAS,
          mask_iou: Callable[[list, list, list], Any] | None = None) -> dict[str, np.ndarray]:
    """COCOeval.evaluate for one area range and one ``max_dets``.

    Returns the kept detections (``keep``: indices into ``dt`` after the per-group top-``max_dets``
    cut), their ``matched`` and ``ignored`` flags per threshold (T, n_kept), the rank of each within
    its group, and ``gt_ignored`` per ground-truth object.
    """
    T = len(iou_thrs)
    cat_g = gt.cat if use_cats else np.zeros(len(gt.cat), dtype=np.intp)
    cat_d = dt.cat if use_cats else np.zeros(len(dt.cat), dtype=np.intp)
    # group ids over both sides: (image, category) with categories, the image alone without
    n_keys = int(max(cat_g.max(initial=0), cat_d.max(initial=0))) + 1
    key_g = gt.image.astype(np.int64) * n_keys + cat_g
    key_d = dt.image.astype(np.int64) * n_keys + cat_d
    uniq, inv = np.unique(np.r_[key_g, key_d], return_inverse=True)
    grp_g, grp_d = inv[:len(key_g)], inv[len(key_g):]

    lo, hi = area_rng
    gt_ignored = gt.crowd | (gt.area < lo) | (gt.area > hi)
    # ground truth in COCOeval's order: by group, regular objects first, then (class-agnostic) by
    # category, then as given
    g_order = np.lexsort((np.arange(len(grp_g)), gt.cat, gt_ignored, grp_g))
    g_grp = grp_g[g_order]
    g_count = np.bincount(g_grp, minlength=len(uniq))
    g_start = np.zeros(len(uniq), dtype=np.intp)
    g_start[1:] = np.cumsum(g_count)[:-1]
    # detections: by group, highest score first (stable over category, then given order), top max_dets
    d_order = np.lexsort((np.arange(len(grp_d)), dt.cat, -dt.score, grp_d))
    rank = _run_rank(grp_d[d_order])
    kept = rank < max_dets
    keep, rank = d_order[kept], rank[kept]
    k_grp = grp_d[keep]

    # every (kept detection, ground truth of its group) pair, detection-major
    n_rep = g_count[k_grp]
    pair_d = np.repeat(np.arange(len(keep)), n_rep)
    offset = np.arange(int(n_rep.sum())) - np.repeat(np.cumsum(n_rep) - n_rep, n_rep)
    pair_g = np.repeat(g_start[k_grp], n_rep) + offset  # position in the sorted ground truth
    g_crowd = gt.crowd[g_order]
    if mask_iou is None:
        iou = _box_iou(dt.box[keep[pair_d]], gt.box[g_order[pair_g]], g_crowd[pair_g])
    else:
        iou = _mask_pair_iou(gt, dt, keep, k_grp, g_order, g_start, g_count, g_crowd, mask_iou)

    thr = np.minimum(np.asarray(iou_thrs, dtype=float), 1 - 1e-10)
    useful = iou >= thr.min()  # a pair below every threshold can never match
    pair_d, pair_g, iou = pair_d[useful], pair_g[useful], iou[useful]
    g_ign = gt_ignored[g_order]
    # per detection its candidates in increasing preference; the last eligible one is taken
    order = np.lexsort((pair_g, iou, ~g_ign[pair_g], pair_d, rank[pair_d]))
    pair_d, pair_g, iou = pair_d[order], pair_g[order], iou[order]
    p_rank = rank[pair_d]

    matched = np.zeros((T, len(keep)), dtype=bool)
    ignored = np.zeros((T, len(keep)), dtype=bool)
    taken = np.zeros((T, len(g_order)), dtype=bool)
    bounds = np.searchsorted(p_rank, np.arange(int(p_rank[-1]) + 2)) if len(p_rank) else np.zeros(1, np.intp)
    for r in range(len(bounds) - 1):
        a, b = int(bounds[r]), int(bounds[r + 1])
        if a == b:
            continue
        pd, pg, pi = pair_d[a:b], pair_g[a:b], iou[a:b]
        free = ~taken[:, pg] | g_crowd[pg]
        eligible = free & (pi >= thr[:, None])
        seg = _starts(pd)
        pos = np.where(eligible, np.arange(b - a), -1)
        best = np.maximum.reduceat(pos, seg, axis=1)  # (T, detections of this rank)
        t_idx, s_idx = np.nonzero(best >= 0)
        chosen = best[t_idx, s_idx]
        det = pd[seg[s_idx]]
        g = pg[chosen]
        matched[t_idx, det] = True
        ignored[t_idx, det] = g_ign[g]
        taken[t_idx, g] = True
    k_area = dt.area[keep]
    outside = (k_area < lo) | (k_area > hi)
    ignored |= ~matched & outside[None, :]
    return {"keep": keep, "rank": rank, "matched": matched, "ignored": ignored, "gt_ignored": gt_ignored}


def _mask_pair_iou(gt: Objects, dt: Objects, keep: np.ndarray, k_grp: np.ndarray, g_order: np.ndarray,
                   g_start: np.ndarray, g_count: np.ndarray, g_crowd: np.ndarray, mask_iou: Callable) -> np.ndarray:
    """Mask IoU of the detection-major pairs, one ``mask_iou(dt_rles, gt_rles, iscrowd)`` call per group."""
    n_rep = g_count[k_grp]
    out = np.zeros(int(n_rep.sum()))
    first_pair = np.cumsum(n_rep) - n_rep
    runs = _starts(k_grp)
    for a, b in zip(runs.tolist(), np.r_[runs[1:], len(k_grp)].tolist()):
        grp = k_grp[a]
        g0, n_g = int(g_start[grp]), int(g_count[grp])
        if n_g == 0:
            continue
        ious = mask_iou([dt.rle[k] for k in keep[a:b]], [gt.rle[k] for k in g_order[g0:g0 + n_g]],
                        [int(c) for c in g_crowd[g0:g0 + n_g]])
        out[first_pair[a]:first_pair[a] + (b - a) * n_g] = np.asarray(ious, dtype=float).reshape(-1)
    return out


def precision_table(gt: Objects, dt: Objects, iou_thrs: np.ndarray, max_dets: int, use_cats: bool,
                    n_cats: int, area_rng: tuple[float, float] = ALL_AREAS,
                    mask_iou: Callable | None = None) -> np.ndarray:
    """COCOeval's ``eval['precision'][:, :, :, area, maxdet]``: (thresholds, 101 recall points, categories),
    -1 where a category has no regular ground truth."""
    m = match(gt, dt, iou_thrs, max_dets, use_cats, area_rng, mask_iou)
    keep = m["keep"]
    T, R = len(iou_thrs), len(REC_THRS)
    K = n_cats if use_cats else 1
    cat_g = gt.cat if use_cats else np.zeros(len(gt.cat), dtype=np.intp)
    cat_k = dt.cat[keep] if use_cats else np.zeros(len(keep), dtype=np.intp)
    n_pos = np.bincount(cat_g[~m["gt_ignored"]], minlength=K)
    # accumulate's order: category, score (highest first), then image and rank (stable concatenation)
    order = np.lexsort((m["rank"], dt.image[keep], -dt.score[keep], cat_k))
    cats_sorted = cat_k[order]
    bounds = np.searchsorted(cats_sorted, np.arange(K + 1))
    matched, ignored = m["matched"][:, order], m["ignored"][:, order]
    tps_all = matched & ~ignored
    fps_all = ~matched & ~ignored
    precision = -np.ones((T, R, K))
    eps = np.spacing(1)
    for k in np.flatnonzero(n_pos):
        a, b = int(bounds[k]), int(bounds[k + 1])
        tp = np.cumsum(tps_all[:, a:b], axis=1).astype(dtype=float)
        fp = np.cumsum(fps_all[:, a:b], axis=1).astype(dtype=float)
        rc = tp / n_pos[k]
        pr = tp / (fp + tp + eps)
        pr = np.maximum.accumulate(pr[:, ::-1], axis=1)[:, ::-1]
        q = np.zeros((T, R))
        for t in range(T):
            inds = np.searchsorted(rc[t], REC_THRS, side="left")
            ok = inds < b - a
            q[t, ok] = pr[t, inds[ok]]
        precision[:, :, k] = q
    return precision
