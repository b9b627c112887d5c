"""Detection, retrieval and tracking metrics: AP family (COCO), Recall@k, AMOTA. Percent.

The AP family computes COCOeval's precision table with a vectorised matcher that equals pycocotools
bit for bit (``_coco.py`` reads the inputs, ``_coco_match.py`` matches and accumulates); AP@10 is
COCOeval with ``iouThrs = [0.10]``. "AP" also accepts plain per-instance scores with binary labels
(image-level anomaly detection), where it is scikit-learn's ``average_precision_score``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Set
from typing import Any, Sequence

import numpy as np

from generallevel import InputError, hookimpl

from ._declare import percent

_M = "generallevel_builtin.detection:"
_R = "generallevel_builtin.coco_resampling:"


@hookimpl
def register_metrics(register):
    coco = "pycocotools.cocoeval.COCOeval"
    boxes = ("predictions: per image a list of {bbox: [x, y, w, h], score, category_id} (or a dict of arrays "
             "boxes/scores/labels); references: per image a list of {bbox, category_id[, iscrowd]} (or "
             "boxes/labels[/iscrowd]); options "
             "box_format='xywh'|'xyxy', iou_type='bbox'|'segm', max_dets=100, class_agnostic, default_score")
    register(percent("AP", _M + "average_precision", "Average Precision", "AP@[.5:.95]",
                     reference=coco + "; sklearn.metrics.average_precision_score for scores",
                     inputs=boxes + "; COCO AP averaged over IoU .50:.95 (option iou_thresholds). Or: "
                     "predictions one score per instance, references 0/1 labels -> ranking AP", resampler=_R + "average_precision"))
    register(percent("mAP", _M + "mean_average_precision", "mean AP", reference=coco,
                     inputs=boxes + "; COCO mAP over IoU .50:.95 and categories (option iou_thresholds); "
                     "matching='center-distance': nuScenes detection mAP (per sample boxes with translation, "
                     "detection_name, detection_score; thresholds 0.5/1/2/4 m)", resampler=_R + "mean_average_precision",
                     max_resamples=100))
    register(percent("AP@10", _M + "ap10", "AP10", "mAP@10", reference=coco + " with iouThrs=[0.10]",
                     inputs=boxes + "; AP at IoU threshold 0.10 (101-point interpolation)", resampler=_R + "ap10"))
    register(percent("AP@50", _M + "ap50", "AP50", "mAP@50", "mAP50", "AP@0.5", reference=coco,
                     inputs=boxes + "; AP at IoU 0.50", resampler=_R + "ap50"))
    register(percent("AP@75", _M + "ap75", "AP75", "mAP@75", reference=coco, inputs=boxes + "; AP at IoU 0.75", resampler=_R + "ap75"))
    register(percent("Recall@50", _M + "recall_at_50", "R@50", "Recall@K",
                     reference="hand-computed per-query recall@k (torchmetrics RetrievalRecall(top_k=k) definition)",
                     inputs="predictions: ranked candidate ids per query; references: relevant id, or a "
                     "list/set of relevant ids, per query; options k=50, empty_target='error'|'skip'|'neg'|'pos'"))
    register(percent("AMOTA", _M + "amota", "AMOTA (Average Multi-Object Tracking Accuracy)",
                     reference="hand-computed nuScenes AMOTA: mean over recall thresholds r of "
                     "MOTAR = max(0, 1 - (IDS + FP + FN - (1-r)P) / (rP))",
                     inputs="predictions: per recall threshold {recall, fp, fn, ids} (or rows "
                     "(recall, fp, fn, ids); None for an unreached threshold), or a mapping class -> such "
                     "list; references: P, the number of ground-truth objects (or a mapping class -> P); "
                     "option recall='nominal'|'measured'"))


# -- AP family ------------------------------------------------------------------------------------
def _coco(predictions: Any, references: Any, iou_thrs: Sequence[float], options: dict) -> float:
    from ._coco import coco_ap

    return coco_ap(predictions, references, iou_thrs, **options)


def _is_scores(predictions: Any) -> bool:
    if isinstance(predictions, np.ndarray):
        return predictions.ndim == 1 and predictions.dtype.kind in "biuf"
    if isinstance(predictions, (Mapping, str, bytes)) or predictions is None:
        return False
    try:
        first = next(iter(predictions))
    except (StopIteration, TypeError):
        return False
    return isinstance(first, (int, float, np.number)) or first is None


def ranking_ap(scores: Any, labels: Any) -> float:
    """Average precision of a score ranking, sum over thresholds of (R_n - R_{n-1}) P_n (== sklearn)."""
    from .classification import _labels, _numbers, _pair

    p, r = _pair(scores, labels)
    s = _numbers(p, "predictions")
    y = _labels(r, "references")
    if s.ndim != 1:
        raise InputError(f"predictions must be one score per instance, got shape {s.shape}")
    if not np.isin(y, (0, 1)).all():
        raise InputError("references must be binary 0/1 (or bool) labels for score-based AP")
    y = y.astype(bool)
    n_pos = int(y.sum())
    if n_pos == 0:
        raise InputError("no positive reference: average precision is undefined")
    order = np.argsort(-s, kind="mergesort")
    s, y = s[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # last index of each distinct score
    tps = np.cumsum(y)[last]
    precision = tps / (last + 1.0)
    # sum of (new positives x precision) over n_pos: never above 1, even after rounding
    return 100.0 * float(np.sum(np.diff(np.r_[0, tps]) * precision)) / n_pos


def _thresholds(iou_thresholds: Any, default: Sequence[float]) -> Any:
    return default if iou_thresholds is None else iou_thresholds  # validated in _coco.coco_precision


def average_precision(predictions: Any, references: Any, *, iou_thresholds: Any = None, **options: Any) -> float:
    """COCO AP@[.50:.95] for boxes/masks; ranking AP for per-instance scores with 0/1 labels."""
    if _is_scores(predictions):
        if options or iou_thresholds is not None:
            raise InputError(f"options {sorted(options)} apply to box input only, not to per-instance scores")
        return ranking_ap(predictions, references)
    from ._coco import COCO_IOUS

    return _coco(predictions, references, _thresholds(iou_thresholds, COCO_IOUS), options)


def mean_average_precision(predictions: Any, references: Any, *, iou_thresholds: Any = None,
                           matching: str = "iou", **options: Any) -> float:
    """COCO mAP: AP over IoU .50:.95, averaged over categories that have ground truth.

    ``matching="center-distance"`` is the nuScenes detection mAP instead (3D boxes matched by centre
    distance; options thresholds, classes, min_recall, min_precision: see ``nuscenes.py``).
    """
    if matching == "center-distance":
        from .nuscenes import nuscenes_map

        return nuscenes_map(predictions, references, **options)
    if matching != "iou":
        raise InputError(f"mAP: unknown matching {matching!r}; use 'iou' (COCO) or 'center-distance' (nuScenes)")
    from ._coco import COCO_IOUS

    return _coco(predictions, references, _thresholds(iou_thresholds, COCO_IOUS), options)


def ap10(predictions: Any, references: Any, **options: Any) -> float:
    """COCO-style AP at IoU 0.10 (visual grounding)."""
    return _coco(predictions, references, [0.10], options)


def ap50(predictions: Any, references: Any, **options: Any) -> float:
    """COCO AP at IoU 0.50 (PASCAL VOC threshold, 101-point interpolation)."""
    return _coco(predictions, references, [0.50], options)


def ap75(predictions: Any, references: Any, **options: Any) -> float:
    """COCO AP at IoU 0.75."""
    return _coco(predictions, references, [0.75], options)


# -- retrieval ------------------------------------------------------------------------------------
def _item(v: Any, where: str) -> Any:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        raise InputError(f"{where} contains a missing id ({v!r})")
    return tuple(v.tolist()) if isinstance(v, np.ndarray) else tuple(v) if isinstance(v, list) else v


def recall_at_k(predictions: Any, references: Any, *, k: int = 50, empty_target: str = "error") -> float:
    """Mean over queries of |relevant in top-k| / |relevant|.

    A reference that is a list/set/frozenset is a set of relevant ids; anything else (str, int,
    tuple such as a scene-graph triplet) is one relevant id. Queries without a relevant id raise
    unless ``empty_target`` is 'skip' (dropped), 'neg' (count 0) or 'pos' (count 1).
    """
    from .classification import _pair

    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError(f"k must be a positive integer, got {k!r}")
    if empty_target not in ("error", "skip", "neg", "pos"):
        raise InputError(f"unknown empty_target {empty_target!r}; use 'error', 'skip', 'neg' or 'pos'")
    p, r = _pair(predictions, references)
    recalls = []
    for i, (ranked, rel) in enumerate(zip(p, r)):
        if isinstance(ranked, (str, bytes, Mapping, Set)) or not hasattr(ranked, "__len__"):
            raise InputError(f"predictions[{i}] must be a ranked list of candidate ids, got {ranked!r:.60}")
        relevant = ({_item(x, f"references[{i}]") for x in rel} if isinstance(rel, (list, set, frozenset))
                    else {_item(rel, f"references[{i}]")})
        if not relevant:
            if empty_target == "error":
                raise InputError(f"references[{i}] has no relevant id: recall is undefined "
                                 "(option empty_target='skip'|'neg'|'pos')")
            if empty_target != "skip":
                recalls.append(1.0 if empty_target == "pos" else 0.0)
            continue
        top = {_item(x, f"predictions[{i}]") for x in list(ranked)[:k]}
        recalls.append(len(relevant & top) / len(relevant))
    if not recalls:
        raise InputError("every query was skipped (no relevant ids): recall is undefined")
    return 100.0 * float(np.mean(recalls))


def recall_at_50(predictions: Any, references: Any, *, k: int = 50, empty_target: str = "error") -> float:
    """Recall@k with k = 50 by default."""
    return recall_at_k(predictions, references, k=k, empty_target=empty_target)


# -- tracking -------------------------------------------------------------------------------------
_IDS_KEYS = ("ids", "idsw", "id_switches", "num_switches")


def _count(rec: Mapping, keys: Sequence[str], where: str) -> float:
    for key in keys:
        if key in rec:
            v = rec[key]
            if isinstance(v, bool) or not isinstance(v, (int, float, np.number)) or not math.isfinite(v) or v < 0:
                raise InputError(f"{where}: {key} = {v!r} must be a non-negative finite number")
            return float(v)
    raise InputError(f"{where}: missing {keys[0]!r}")


def _motar_values(records: Any, gt: Any, where: str, measured: bool) -> list[float]:
    """MOTAR for each recall threshold of one class (None = threshold not reached = 0).

    ``measured``: use the achieved recall (P - FN - IDS) / P, i.e. matches / P, instead of the
    nominal threshold r, as the nuScenes devkit's code does.
    """
    if isinstance(records, np.ndarray):
        records = records.tolist()
    if isinstance(records, (str, bytes, Mapping)) or not hasattr(records, "__len__") or len(records) == 0:
        raise InputError(f"{where}: expected a non-empty list of per-recall-threshold records")
    out = []
    for j, rec in enumerate(records):
        at = f"{where}[{j}]"
        if rec is None:
            out.append(0.0)
            continue
        if not isinstance(rec, Mapping):
            if not hasattr(rec, "__len__") or len(rec) != 4:
                raise InputError(f"{at}: a record is a dict or a row (recall, fp, fn, ids), got {rec!r:.60}")
            rec = dict(zip(("recall", "fp", "fn", "ids"), rec))
        r = _count(rec, ("recall", "r"), at)
        if not 0.0 < r <= 1.0:
            raise InputError(f"{at}: recall threshold {r} must be in (0, 1]")
        p = float(gt) if gt is not None else _count(rec, ("gt", "num_gt", "P"), at)
        if not p > 0:
            raise InputError(f"{at}: the number of ground-truth objects must be positive, got {p}")
        fp, fn, ids = _count(rec, ("fp",), at), _count(rec, ("fn",), at), _count(rec, _IDS_KEYS, at)
        if fn > p:
            raise InputError(f"{at}: fn = {fn:g} exceeds the {p:g} ground-truth objects")
        if measured:
            r = (p - fn - ids) / p
            if r <= 0:
                out.append(0.0)
                continue
        out.append(max(0.0, 1.0 - (ids + fp + fn - (1.0 - r) * p) / (r * p)))
    return out


def _gt_count(gt: Any, where: str) -> Any:
    if gt is None:
        return None
    if isinstance(gt, bool) or not isinstance(gt, (int, float, np.number)) or not math.isfinite(gt) or gt <= 0:
        raise InputError(f"{where}: the number of ground-truth objects must be a positive number, got {gt!r}")
    return gt


def amota(predictions: Any, references: Any = None, *, recall: str = "nominal") -> float:
    """nuScenes AMOTA: mean over recall thresholds (and classes) of the recall-normalised MOTAR.

    ``recall='nominal'`` uses each record's threshold r (the published formula); ``'measured'``
    uses the achieved recall matches / P (the devkit's code), where MOTAR = 1 - FP / matches.
    """
    if recall not in ("nominal", "measured"):
        raise InputError(f"unknown recall {recall!r}; use 'nominal' or 'measured'")
    measured = recall == "measured"
    if isinstance(predictions, Mapping):
        if not predictions:
            raise InputError("predictions is an empty mapping of classes")
        if references is not None and not isinstance(references, Mapping):
            raise InputError("predictions is a mapping class -> records, so references must map class -> P")
        missing = [c for c in (references or {}) if c not in predictions]
        if missing:
            raise InputError(f"classes {missing[:5]} have ground truth but no records in predictions "
                             "(give None per unreached recall threshold)")
        per_class = []
        for cls, records in predictions.items():
            if references is not None and cls not in references:
                raise InputError(f"class {cls!r}: no ground-truth count in references")
            gt = _gt_count(None if references is None else references[cls], f"references[{cls!r}]")
            per_class.append(float(np.mean(_motar_values(records, gt, f"predictions[{cls!r}]", measured))))
        return 100.0 * float(np.mean(per_class))
    gt = _gt_count(references, "references")
    return 100.0 * float(np.mean(_motar_values(predictions, gt, "predictions", measured)))
