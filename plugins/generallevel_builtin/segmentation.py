"""Segmentation metrics: mIoU, instance mIoU, m_vIoU, Dice, PQ, S-measure. Percent.

Pure numpy (bincount / unique based), no heavy imports. A list or tuple is a set of samples
(images, shapes, videos); a single array is one sample unless a function documents a batch axis.
"""

from __future__ import annotations

from numbers import Number
from typing import Any, Hashable, Sequence

import numpy as np

from generallevel import InputError, hookimpl

from ._declare import percent
from ._inputs import matching_samples
from .regression import check_finite, to_float_array

_M = "generallevel_builtin.segmentation:"
_S = "generallevel_builtin.resampling_stats:"
_EPS = float(np.finfo(float).eps)  # MATLAB's eps, used by the original S-measure code


@hookimpl
def register_metrics(register):
    masks = "predictions, references: label maps (H x W int arrays) per image"
    register(percent("mIoU", _M + "mean_iou", "Mean IoU", reference="sklearn.metrics.jaccard_score(average='macro') / torchmetrics MeanIoU",
                     inputs=masks + " (one array or a list); confusion matrix accumulated over all images; classes "
                     "absent from both prediction and reference are skipped; options num_classes (default: max "
                     "label + 1), ignore_index (reference pixels skipped; a prediction equal to it counts as a miss); "
                     "per_video=True: per video a list of binary frame masks (or an F x H x W array), foreground "
                     "IoU pooled over the video's frames, mean over videos (General-Bench video object "
                     "segmentation; an empty union scores 0)", 
                     item_stats=_S + "miou_stats", from_stats=_S + "miou_from_stats"))
    register(percent("Instance-mIoU", _M + "instance_miou", "Instance mIoU",
                     reference="sklearn.metrics.jaccard_score(average=None, zero_division=1) per shape, averaged",
                     inputs="ShapeNet-part style: per shape (instance) an int array of per-point part labels "
                     "(list, or an S x N array); per shape mean IoU over its parts (a part absent from both "
                     "counts as IoU 1), mean over shapes; option parts: labels of the shape's category (one "
                     "list for all shapes, or one list per shape; default the labels present in the shape)"))
    register(percent("m_vIoU", _M + "mean_video_iou", "m_vIoU", "mvIoU",
                     reference="hand-computed spatio-temporal IoU averaged over videos",
                     inputs="list of videos; per video a list of per-frame boxes (None where absent) or a dict "
                     "{frame: box}; vIoU = sum over frames in both tubes of box IoU / frames in either; options "
                     "box_format='xyxy'|'xywh', zero_box_absent=False (True: an all-zero box means no box, as "
                     "General-Bench's per-frame box lists write frames outside the tube)"))
    register(percent("Dice", _M + "dice", "DICE", "Dice coefficient", reference="hand-computed 2|A∩B|/(|A|+|B|); scipy.spatial.distance.dice",
                     inputs="binary masks per image (one array or a list); mean over images of per-image Dice "
                     "(both empty = 100); option per_image=False pools all pixels"))
    register(percent("PQ", _M + "panoptic_quality", "Panoptic Quality", reference="torchmetrics PanopticQuality",
                     inputs="panoptic maps (H x W x 2: category, instance id) per image: one array, a B x H x W x 2 "
                     "batch or a list; options things, stuffs (category ids, required), "
                     "allow_unknown_preds_category=False; reference categories outside both are void", max_resamples=100,
                     item_stats=_M + "pq_stats", from_stats=_M + "pq_from_stats"))
    register(percent("S-measure", _M + "s_measure", "Structure measure", "S_alpha",
                     reference="hand-computed Fan et al. 2017 structure measure (alpha=0.5)",
                     inputs="predictions: saliency maps in [0,1] (min-max normalise first, as the official "
                     "scripts do); references: binary masks; one H x W array, an N x H x W batch or a list; "
                     "mean over images; option alpha=0.5; variant='fan2017' | 'general-bench' (the simplified "
                     "formula of General-Bench's video object detection evaluator)"))


# -- input handling -----------------------------------------------------------------------------
def _samples(x: Any, what: str) -> list[Any]:
    """A list/tuple of array-likes is a list of samples; anything else is one sample."""
    if x is None:
        raise InputError(f"{what} is None")
    if isinstance(x, (list, tuple)):
        if len(x) == 0:
            raise InputError(f"{what} is empty")
        if all(isinstance(e, Number) for e in x):
            return [x]
        return list(x)
    return [x]


def _int_array(x: Any, what: str) -> np.ndarray:
    """An integer array (bools and integral floats accepted), else InputError."""
    try:
        a = np.asarray(x)
    except (TypeError, ValueError) as e:
        raise InputError(f"{what}: expected an integer array, got {type(x).__name__} ({e})") from None
    if a.dtype.kind in "biu":
        return a.astype(np.int64)
    if a.dtype.kind == "f":
        check_finite(a, what)
        if not np.array_equal(a, np.round(a)):
            raise InputError(f"{what}: labels must be integers, got non-integral values")
        return a.astype(np.int64)
    raise InputError(f"{what}: expected integer labels, got dtype {a.dtype}")


def _list_mask(x: Any) -> np.ndarray | None:
    """A 0/1 mask written as a list of equal-length lists of ints or bools (as JSON gives it), read by
    ``bytes`` of each row (its fast path for lists, in C), joined; None for anything else
    (floats, other values, ragged rows). The row checks are C loops over the rows, not a genexpr."""
    if type(x) is not list or not x or type(x[0]) is not list:
        return None
    width = len(x[0])
    if width == 0 or set(map(type, x)) != {list} or set(map(len, x)) != {width}:
        return None
    try:
        flat = b"".join(map(bytes, x))
    except (TypeError, ValueError):
        return None
    if flat.translate(None, b"\0\1"):  # a byte other than 0 or 1
        return None
    return np.frombuffer(flat, dtype=bool).reshape(len(x), width).copy()


def _binary(x: Any, what: str) -> np.ndarray:
    """A boolean mask from bools or 0/1 numbers; probability maps are refused (threshold them first)."""
    if isinstance(x, np.ndarray) and x.dtype == bool:
        return x
    fast = _list_mask(x)
    if fast is not None:
        return fast
    a = to_float_array(x, what)
    check_finite(a, what)
    if not np.isin(a, (0.0, 1.0)).all():
        raise InputError(f"{what}: expected a binary mask (0/1 or bool); threshold probability maps first")
    return a.astype(bool)


def _split(x: Any, what: str, conv, batch_ndim: int | None = None) -> list[np.ndarray]:
    """Convert each sample with ``conv``; an array with ``batch_ndim`` dimensions is a batch."""
    if batch_ndim is not None and isinstance(x, np.ndarray) and x.ndim == batch_ndim:
        return [conv(e, f"{what}[{i}]") for i, e in enumerate(x)]
    return [conv(e, f"{what}[{i}]") for i, e in enumerate(_samples(x, what))]


def _paired_samples(predictions: Any, references: Any, conv, batch_ndim: int | None = None,
                    ref_conv=None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Convert and pair samples, checking counts, shapes and emptiness."""
    ps = _split(predictions, "predictions", conv, batch_ndim)
    rs = _split(references, "references", ref_conv or conv, batch_ndim)
    matching_samples(ps, rs)
    return list(zip(ps, rs))


# -- mIoU ---------------------------------------------------------------------------------------
def mean_iou(predictions: Any, references: Any, *, num_classes: int | None = None,
             ignore_index: int | None = None, per_video: bool = False) -> float:
    """Mean over classes of IoU = TP / (TP + FP + FN) from a confusion matrix over all pixels.

    ``per_video=True`` is the video object segmentation form instead: see :func:`video_foreground_iou`.
    """
    if per_video:
        if num_classes is not None or ignore_index is not None:
            raise InputError("mIoU: per_video=True scores binary foreground masks; num_classes and "
                             "ignore_index do not apply")
        return video_foreground_iou(predictions, references)
    pairs = _paired_samples(predictions, references, _int_array)
    p = np.concatenate([a.ravel() for a, _ in pairs])
    g = np.concatenate([b.ravel() for _, b in pairs])
    if ignore_index is not None:
        keep = g != ignore_index
        p, g = p[keep], g[keep]
        if g.size == 0:
            raise InputError(f"mIoU: every reference pixel equals ignore_index={ignore_index}")
        missed = p == ignore_index
    else:
        missed = np.zeros(p.shape, bool)
    if num_classes is None:
        num_classes = int(max(g.max(), p[~missed].max(initial=0))) + 1
    nc = int(num_classes)
    if nc < 1:
        raise InputError(f"mIoU: num_classes must be >= 1, got {num_classes!r}")
    if g.min() < 0 or g.max() >= nc:
        raise InputError(f"mIoU: reference labels must lie in [0, {nc}) or equal ignore_index; got "
                         f"[{g.min()}, {g.max()}]")
    bad = ((p < 0) | (p >= nc)) & ~missed
    if bad.any():
        raise InputError(f"mIoU: {int(bad.sum())} predicted label(s) outside [0, {nc}) (e.g. {p[bad][0]})")
    p = np.where(missed, nc, p)  # column nc = "no class predicted"
    cm = np.bincount(g * (nc + 1) + p, minlength=nc * (nc + 1)).reshape(nc, nc + 1)
    inter = np.diag(cm[:, :nc]).astype(float)
    union = cm.sum(axis=1) + cm[:, :nc].sum(axis=0) - inter
    present = union > 0
    return float(100.0 * np.mean(inter[present] / union[present]))


def _video_lists(predictions: Any, references: Any, metric: str) -> None:
    """Refuse anything but two non-empty lists (or tuples) with one entry per video each."""
    if not isinstance(predictions, (list, tuple)) or not isinstance(references, (list, tuple)):
        raise InputError(f"{metric}: predictions and references must be lists of videos")
    if len(predictions) == 0:
        raise InputError(f"{metric}: no videos")
    if len(predictions) != len(references):
        raise InputError(f"{metric}: {len(predictions)} predicted vs {len(references)} reference videos")


def _frames(video: Any, what: str) -> list[np.ndarray]:
    """One video's binary frame masks: a list of H x W masks, an F x H x W array, or one H x W mask."""
    if isinstance(video, (list, tuple)):
        if len(video) == 0:
            raise InputError(f"{what} has no frames")
        return [_binary(m, f"{what} frame {j}") for j, m in enumerate(video)]
    a = _binary(video, what)
    if a.ndim == 3:
        return list(a)
    if a.ndim == 2:
        return [a]
    raise InputError(f"{what}: expected frame masks (F x H x W, or a list of H x W masks), got shape {a.shape}")


def video_foreground_iou(predictions: Any, references: Any) -> float:
    """Mean over videos of sum_t |P_t & G_t| / sum_t |P_t | G_t| (binary masks, pooled over frames), percent.

    The General-Bench video (referring / reasoning) object segmentation score: per video the
    foreground IoU of all its frames pooled, then the mean over videos. A video whose prediction
    and reference are empty in every frame scores 0, as in the official evaluator.
    """
    _video_lists(predictions, references, "mIoU (per_video)")
    scores = []
    for i, (pv, gv) in enumerate(zip(predictions, references)):
        ps, gs = _frames(pv, f"predictions[{i}]"), _frames(gv, f"references[{i}]")
        if len(ps) != len(gs):
            raise InputError(f"mIoU (per_video): video {i}: {len(ps)} predicted vs {len(gs)} reference frames")
        inter = union = 0
        for j, (p, g) in enumerate(zip(ps, gs)):
            if p.shape != g.shape:
                raise InputError(f"mIoU (per_video): video {i} frame {j}: prediction shape {p.shape} != "
                                 f"reference shape {g.shape}")
            inter += np.count_nonzero(p & g)
            union += np.count_nonzero(p | g)
        scores.append(inter / union if union else 0.0)
    return float(100.0 * np.mean(scores))


# -- Instance mIoU (ShapeNet part) --------------------------------------------------------------
def _shapes(x: Any, what: str) -> list[np.ndarray]:
    if isinstance(x, (list, tuple)) and x and all(isinstance(e, Number) for e in x):
        return [_int_array(x, what)]
    if isinstance(x, (list, tuple)):
        return [_int_array(e, f"{what}[{i}]").ravel() for i, e in enumerate(x)]
    a = _int_array(x, what)
    return [a] if a.ndim <= 1 else [r.ravel() for r in a.reshape(a.shape[0], -1)]


def instance_miou(predictions: Any, references: Any, *, parts: Sequence[Any] | None = None) -> float:
    """Mean over shapes of the shape's mean part IoU (PointNet/ShapeNet-part 'instance mIoU')."""
    ps, gs = _shapes(predictions, "predictions"), _shapes(references, "references")
    if not ps:
        raise InputError("Instance-mIoU: predictions are empty")
    if len(ps) != len(gs):
        raise InputError(f"Instance-mIoU: {len(ps)} predicted vs {len(gs)} reference shapes")
    for i, (p, g) in enumerate(zip(ps, gs)):
        if p.shape != g.shape or p.size == 0:
            raise InputError(f"Instance-mIoU: shape {i}: {p.size} predicted vs {g.size} reference point labels")
    n = len(ps)
    if parts is None:
        per_shape_parts = None
    elif len(parts) > 0 and all(isinstance(e, Number) for e in parts):
        per_shape_parts = [_int_array(parts, "parts")] * n
    else:
        if len(parts) != n:
            raise InputError(f"Instance-mIoU: parts has {len(parts)} entries for {n} shapes")
        per_shape_parts = [_int_array(e, f"parts[{i}]").ravel() for i, e in enumerate(parts)]
        if any(q.size == 0 for q in per_shape_parts):
            raise InputError("Instance-mIoU: a shape has an empty parts list")
    sizes = np.array([p.size for p in ps])
    p, g = np.concatenate(ps), np.concatenate(gs)
    extra = [np.concatenate(per_shape_parts)] if per_shape_parts else []
    universe = np.unique(np.concatenate([g, p, *extra]))
    k = len(universe)
    sid = np.repeat(np.arange(n), sizes)
    gi = sid * k + np.searchsorted(universe, g)
    pi = sid * k + np.searchsorted(universe, p)
    area_g = np.bincount(gi, minlength=n * k).reshape(n, k)
    area_p = np.bincount(pi, minlength=n * k).reshape(n, k)
    inter = np.bincount(gi[g == p], minlength=n * k).reshape(n, k)
    union = area_g + area_p - inter
    if per_shape_parts is None:
        mask = union > 0
    else:
        mask = np.zeros((n, k), bool)
        rows = np.repeat(np.arange(n), [q.size for q in per_shape_parts])
        mask[rows, np.searchsorted(universe, np.concatenate(per_shape_parts))] = True
    iou = np.where(union > 0, inter / np.maximum(union, 1), 1.0)  # absent from both -> 1 (PointNet)
    per_shape = (iou * mask).sum(axis=1) / mask.sum(axis=1)
    return float(100.0 * per_shape.mean())


# -- m_vIoU -------------------------------------------------------------------------------------
def _tube(video: Any, what: str, box_format: str,
          zero_box_absent: bool = False) -> tuple[dict[Hashable, np.ndarray], int | None]:
    """Frame -> box (x1, y1, x2, y2) for one video; also the list length (None for dicts)."""
    if isinstance(video, dict):
        items, length = list(video.items()), None
    elif isinstance(video, (list, tuple, np.ndarray)):
        items, length = list(enumerate(video)), len(video)
    else:
        raise InputError(f"{what}: expected a list of per-frame boxes or a dict {{frame: box}}, got {type(video).__name__}")
    tube = {}
    for frame, box in items:
        if box is None:
            continue
        b = to_float_array(box, f"{what} frame {frame!r}")
        if b.shape != (4,):
            raise InputError(f"{what} frame {frame!r}: expected None or a box of 4 numbers, got {box!r}")
        check_finite(b, f"{what} frame {frame!r}")
        if zero_box_absent and not b.any():
            continue
        if box_format == "xywh":
            b = np.array([b[0], b[1], b[0] + b[2], b[1] + b[3]])
        if b[2] < b[0] or b[3] < b[1]:
            raise InputError(f"{what} frame {frame!r}: box {box!r} has negative width or height ({box_format})")
        tube[frame] = b
    return tube, length


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise IoU of xyxy boxes; two identical zero-area boxes count as IoU 1."""
    iw = np.clip(np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]), 0, None)
    ih = np.clip(np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]), 0, None)
    inter = iw * ih
    union = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]) + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]) - inter
    same = np.all(a == b, axis=1).astype(float)
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), same)


def mean_video_iou(predictions: Any, references: Any, *, box_format: str = "xyxy",
                   zero_box_absent: bool = False) -> float:
    """m_vIoU: mean over videos of vIoU = (1/|T_u|) sum over t in T_i of IoU(pred_t, gt_t).

    T_i / T_u are the frames where both / either tube has a box (STVG, Zhang et al. 2020). A frame
    has no box when it is None, missing from a dict, or (``zero_box_absent``) the box [0, 0, 0, 0].
    """
    if box_format not in ("xyxy", "xywh"):
        raise InputError(f"m_vIoU: box_format must be 'xyxy' or 'xywh', got {box_format!r}")
    _video_lists(predictions, references, "m_vIoU")
    scores = []
    for i, (pv, gv) in enumerate(zip(predictions, references)):
        pt, plen = _tube(pv, f"predictions[{i}]", box_format, bool(zero_box_absent))
        gt, glen = _tube(gv, f"references[{i}]", box_format, bool(zero_box_absent))
        if plen is not None and glen is not None and plen != glen:
            raise InputError(f"m_vIoU: video {i}: {plen} predicted frames vs {glen} reference frames")
        if not gt:
            raise InputError(f"m_vIoU: video {i}: the reference tube has no box (vIoU undefined)")
        both = [f for f in gt if f in pt]
        n_union = len(gt) + len(pt) - len(both)
        if both:
            ious = box_iou(np.stack([pt[f] for f in both]), np.stack([gt[f] for f in both]))
            scores.append(ious.sum() / n_union)
        else:
            scores.append(0.0)
    return float(100.0 * np.mean(scores))


# -- Dice ---------------------------------------------------------------------------------------
def dice(predictions: Any, references: Any, *, per_image: bool = True) -> float:
    """Dice = 2|A∩B| / (|A| + |B|); mean over images (both masks empty = 1), or pooled."""
    pairs = _paired_samples(predictions, references, _binary)
    inter = np.array([np.count_nonzero(p & g) for p, g in pairs], dtype=float)
    total = np.array([np.count_nonzero(p) + np.count_nonzero(g) for p, g in pairs], dtype=float)
    if not per_image:
        inter, total = inter.sum(keepdims=True), total.sum(keepdims=True)
    d = np.where(total > 0, 2.0 * inter / np.where(total > 0, total, 1.0), 1.0)
    return float(100.0 * d.mean())


# -- PQ -----------------------------------------------------------------------------------------
def _panoptic_pairs(predictions: Any, references: Any) -> list[tuple[np.ndarray, np.ndarray]]:
    pairs = _paired_samples(predictions, references, _int_array, batch_ndim=4)
    for i, (p, _) in enumerate(pairs):
        if p.ndim < 2 or p.shape[-1] != 2:
            raise InputError(f"PQ: sample {i}: expected (..., 2) maps of (category, instance), got {p.shape}")
    return [(p.reshape(-1, 2).copy(), g.reshape(-1, 2).copy()) for p, g in pairs]


def _category_set(x: Any, what: str) -> set[int]:
    vals = [] if x is None else list(x)
    if not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 0 for v in vals):
        raise InputError(f"PQ: {what} must be non-negative integer category ids, got {x!r}")
    return {int(v) for v in vals}


def panoptic_quality(predictions: Any, references: Any, *, things: Sequence[int] | None = None,
                     stuffs: Sequence[int] | None = None, allow_unknown_preds_category: bool = False) -> float:
    """PQ = mean over categories of sum(IoU of matches) / (TP + FP/2 + FN/2), matches at IoU > 0.5.

    Follows torchmetrics' PanopticQuality: stuff segments ignore instance ids; reference pixels of
    unknown categories are void and excluded from unions; unmatched segments lying mostly (> 50 %)
    on void are not counted as FP/FN; statistics accumulate over all images before averaging.
    """
    per_image = pq_stats(predictions, references, things=things, stuffs=stuffs,
                         allow_unknown_preds_category=allow_unknown_preds_category)
    value = pq_from_stats(per_image.sum(axis=0))[0]
    if not np.isfinite(value):
        raise InputError("PQ: no segment of a things/stuffs category in predictions or references")
    return float(value)


def pq_stats(predictions: Any, references: Any, *, things: Sequence[int] | None = None,
             stuffs: Sequence[int] | None = None, allow_unknown_preds_category: bool = False) -> np.ndarray:
    """Per image and category: [sum of matched IoUs, TP, FP, FN], the four blocks side by side.

    Matching is within one image, so these are PQ's sufficient statistics: summed over any
    multiset of images they give PQ of those images (``evaluate --ci`` resamples them)."""
    things_s, stuffs_s = _category_set(things, "things"), _category_set(stuffs, "stuffs")
    if things_s & stuffs_s:
        raise InputError(f"PQ: things and stuffs overlap: {sorted(things_s & stuffs_s)}")
    if not things_s | stuffs_s:
        raise InputError("PQ: pass the category ids as things=[...] and/or stuffs=[...]")
    cats = np.array(sorted(things_s | stuffs_s))
    stuff_arr = np.array(sorted(stuffs_s), dtype=np.int64)
    void = int(cats.max()) + 1
    rows = []
    for i, (p, g) in enumerate(_panoptic_pairs(predictions, references)):  # one image's maps at a time
        rows.append(np.zeros((4, len(cats))))
        _pq_image(p, g, i, cats, stuff_arr, void, allow_unknown_preds_category, rows[-1])
    return np.stack(rows).reshape(len(rows), 4 * len(cats))


def pq_from_stats(sums: np.ndarray, **options: Any) -> np.ndarray:
    """PQ (percent) from summed [IoU sum, TP, FP, FN] blocks, one row per set of sums; NaN without segments."""
    sums = np.atleast_2d(np.asarray(sums, dtype=float))
    iou_sum, tp, fp, fn = np.split(sums, 4, axis=1)
    denom = tp + 0.5 * fp + 0.5 * fn
    seen = denom > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        per_cat = np.where(seen, iou_sum / np.where(seen, denom, 1.0), 0.0)
        return 100.0 * per_cat.sum(axis=1) / seen.sum(axis=1)


def _pq_image(p: np.ndarray, g: np.ndarray, i: int, cats: np.ndarray, stuff_arr: np.ndarray, void: int,
              allow_unknown: bool, into: np.ndarray) -> None:
    """One image's matches, added into ``into`` = [IoU sum, TP, FP, FN] per category."""
    for a, what in ((p, "predictions"), (g, "references")):
        known = np.isin(a[:, 0], cats)
        if what == "predictions" and not allow_unknown and not known.all():
            raise InputError(f"PQ: sample {i}: predicted categories not in things/stuffs: "
                             f"{sorted(set(a[~known, 0].tolist()))[:10]}")
        a[~known] = (void, 0)
        a[np.isin(a[:, 0], stuff_arr), 1] = 0
        if (a[:, 1] < 0).any():
            raise InputError(f"PQ: sample {i}: negative instance ids in {what}")
    base = int(max(p[:, 1].max(), g[:, 1].max())) + 1
    if void * base >= 2 ** 62:
        raise InputError("PQ: category/instance ids too large to encode")
    pu, pinv = np.unique(p[:, 0] * base + p[:, 1], return_inverse=True)
    gu, ginv = np.unique(g[:, 0] * base + g[:, 1], return_inverse=True)
    pinv, ginv = pinv.ravel(), ginv.ravel()
    pcat, gcat = pu // base, gu // base
    pa, ga = np.bincount(pinv, minlength=len(pu)), np.bincount(ginv, minlength=len(gu))
    keys, inter = np.unique(pinv * len(gu) + ginv, return_counts=True)
    pi, gi = keys // len(gu), keys % len(gu)
    p_on_void = np.zeros(len(pu))  # predicted pixels on reference void, per predicted segment
    g_on_void = np.zeros(len(gu))  # reference pixels under predicted void, per reference segment
    sel = gcat[gi] == void
    np.add.at(p_on_void, pi[sel], inter[sel])
    sel = pcat[pi] == void
    np.add.at(g_on_void, gi[sel], inter[sel])
    cand = (gcat[gi] != void) & (pcat[pi] == gcat[gi])
    pi, gi, inter = pi[cand], gi[cand], inter[cand].astype(float)
    iou = inter / (pa[pi] - p_on_void[pi] + ga[gi] - g_on_void[gi] - inter)
    m = iou > 0.5
    np.add.at(into[0], np.searchsorted(cats, gcat[gi[m]]), iou[m])
    np.add.at(into[1], np.searchsorted(cats, gcat[gi[m]]), 1)
    p_free = np.ones(len(pu), bool)
    p_free[pi[m]] = False
    g_free = np.ones(len(gu), bool)
    g_free[gi[m]] = False
    fp_seg = p_free & (pcat != void) & (p_on_void / pa <= 0.5)
    fn_seg = g_free & (gcat != void) & (g_on_void / ga <= 0.5)
    np.add.at(into[2], np.searchsorted(cats, pcat[fp_seg]), 1)
    np.add.at(into[3], np.searchsorted(cats, gcat[fn_seg]), 1)


# -- S-measure ----------------------------------------------------------------------------------
def _object_score(v: np.ndarray) -> float:
    """2x / (x^2 + 1 + sigma_x + eps) on the values inside a region (0 for an empty region)."""
    if v.size == 0:
        return 0.0
    x = v.mean()
    sigma = v.std(ddof=1) if v.size > 1 else 0.0  # MATLAB std: N-1 normalised, 0 for one value
    return float(2.0 * x / (x * x + 1.0 + sigma + _EPS))


def _ssim(p: np.ndarray, g: np.ndarray) -> float:
    """The S-measure's single-window SSIM of one quadrant (Fan et al., S_region.m)."""
    n = p.size
    x, y = p.mean(), g.mean()
    dx, dy = p - x, g - y
    sx2, sy2, sxy = (np.sum(dx * dx) / (n - 1 + _EPS), np.sum(dy * dy) / (n - 1 + _EPS),
                     np.sum(dx * dy) / (n - 1 + _EPS))
    alpha = 4.0 * x * y * sxy
    beta = (x * x + y * y) * (sx2 + sy2)
    if alpha != 0:
        return float(alpha / (beta + _EPS))
    return 1.0 if beta == 0 else 0.0


def _matlab_round(v: float) -> int:
    return int(np.floor(v + 0.5))  # round half away from zero (v >= 0 here), unlike numpy's round


def _s_region(p: np.ndarray, g: np.ndarray) -> float:
    h, w = g.shape
    total = g.sum()
    x = _matlab_round(np.dot(g.sum(axis=0), np.arange(1, w + 1)) / total)  # 1-based centroid column
    y = _matlab_round(np.dot(g.sum(axis=1), np.arange(1, h + 1)) / total)
    area = float(h * w)
    w1, w2, w3 = x * y / area, (w - x) * y / area, x * (h - y) / area
    weights = (w1, w2, w3, 1.0 - w1 - w2 - w3)
    blocks = ((slice(0, y), slice(0, x)), (slice(0, y), slice(x, w)),
              (slice(y, h), slice(0, x)), (slice(y, h), slice(x, w)))
    # an empty quadrant has weight 0; it contributes nothing (the MATLAB code would yield NaN)
    return sum(wt * _ssim(p[b].ravel(), g[b].ravel().astype(float)) for wt, b in zip(weights, blocks) if p[b].size)


def _structure(pred: np.ndarray, gt: np.ndarray, alpha: float, object_score, region) -> float:
    """alpha * S_object + (1 - alpha) * S_region (unclipped), or the mean rule for an all-0/all-1 gt."""
    y = gt.mean()
    if y == 0:
        return float(1.0 - pred.mean())
    if y == 1:
        return float(pred.mean())
    s_obj = y * object_score(pred[gt]) + (1 - y) * object_score(1.0 - pred[~gt])
    return float(alpha * s_obj + (1 - alpha) * region(pred, gt))


def s_measure_single(pred: np.ndarray, gt: np.ndarray, alpha: float = 0.5) -> float:
    """S = alpha * S_object + (1 - alpha) * S_region for one image, as a fraction in [0, 1]."""
    return min(max(_structure(pred, gt, alpha, _object_score, _s_region), 0.0), 1.0)


# General-Bench's video object detection evaluator scores a simplified S-measure: population
# statistics, a standard SSIM with stabilising constants per quadrant, the quadrants split at the
# 0-based foreground centroid rounded half to even, and a 1e-8 guard instead of MATLAB's eps.
_GB_C1, _GB_C2, _GB_GUARD = 0.01 ** 2, 0.03 ** 2, 1e-8


def _gb_object(v: np.ndarray) -> float:
    if v.size == 0:
        return 0.0
    mu = v.mean()
    return float(2.0 * mu / (mu * mu + 1.0 + v.std() + _GB_GUARD))


def _gb_ssim(p: np.ndarray, g: np.ndarray) -> float:
    mp, mg = p.mean(), g.mean()
    cov = np.mean((p - mp) * (g - mg))
    num = (2.0 * mp * mg + _GB_C1) * (2.0 * cov + _GB_C2)
    return float(num / ((mp * mp + mg * mg + _GB_C1) * (p.var() + g.var() + _GB_C2) + _GB_GUARD))


def _gb_region(pred: np.ndarray, gt: np.ndarray) -> float:
    h, w = gt.shape
    rows, cols = np.nonzero(gt)
    cx, cy = int(np.round(cols.mean())), int(np.round(rows.mean()))
    g = gt.astype(float)
    blocks = ((slice(0, cy), slice(0, cx)), (slice(0, cy), slice(cx, w)),
              (slice(cy, h), slice(0, cx)), (slice(cy, h), slice(cx, w)))
    # an empty quadrant (centroid in row or column 0) has weight 0; the official code gets NaN there
    return sum(pred[b].size / (h * w) * _gb_ssim(pred[b], g[b]) for b in blocks if pred[b].size)


def s_measure_general_bench(pred: np.ndarray, gt: np.ndarray, alpha: float = 0.5) -> float:
    """The General-Bench variant of the S-measure for one image, as a fraction (floored at 0 only)."""
    return max(_structure(pred, gt, alpha, _gb_object, _gb_region), 0.0)


def s_measure(predictions: Any, references: Any, *, alpha: float = 0.5, variant: str = "fan2017") -> float:
    """Structure measure (Fan et al., ICCV 2017) averaged over images, in percent.

    ``variant="general-bench"`` scores each image with :func:`s_measure_general_bench` instead.
    """
    if variant not in ("fan2017", "general-bench"):
        raise InputError(f"S-measure: variant must be 'fan2017' or 'general-bench', got {variant!r}")
    single = s_measure_single if variant == "fan2017" else s_measure_general_bench
    def conv_pred(x: Any, what: str) -> np.ndarray:
        a = to_float_array(x, what)
        check_finite(a, what)
        if a.ndim != 2:
            raise InputError(f"S-measure: {what} must be a 2-D map, got shape {a.shape}")
        if a.size and (a.min() < 0 or a.max() > 1):
            raise InputError(f"S-measure: {what} must lie in [0, 1] (min-max normalise saliency maps first)")
        return a

    if not 0.0 <= alpha <= 1.0:
        raise InputError(f"S-measure: alpha must be in [0, 1], got {alpha!r}")
    pairs = _paired_samples(predictions, references, conv_pred, batch_ndim=3, ref_conv=_binary)
    scores = []
    for p, g in pairs:
        scores.append(single(p, g, alpha))
    return float(100.0 * np.mean(scores))
