"""nuScenes detection mAP: matching by centre distance on the ground plane (the "3D Detection" task).

The nuScenes detection benchmark (nutonomy/nuscenes-devkit, ``eval/detection/algo.py``) does not
match boxes by IoU: per class and per distance threshold d in {0.5, 1, 2, 4} m, predictions are taken
in descending confidence and each is matched to the closest still-unmatched ground-truth box of its
class in the same sample, by the distance between the box centres' (x, y); a match needs distance < d.
Precision over recall is resampled at 101 recall points (linear interpolation, 0 beyond the largest
recall reached), the recall points up to ``min_recall`` (0.1) are dropped, ``min_precision`` (0.1) is
subtracted and clipped at 0, and AP = mean / (1 - min_precision). mAP = mean over classes of the mean
over thresholds, in percent. A class without ground truth, or without a single match, has AP 0.

Not reproduced here, because the files carry no ego pose or point counts: the devkit's per-class
detection range around the ego vehicle and its removal of ground-truth boxes without lidar/radar
points. Give boxes already filtered as the benchmark does (docs/metrics/detection.md).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from generallevel import InputError

THRESHOLDS = (0.5, 1.0, 2.0, 4.0)
_CENTRE = ("translation", "center", "centre")
_CLASS = ("detection_name", "category", "label", "name", "class")
_SCORE = ("detection_score", "score", "confidence")


def _field(box: Any, keys: Sequence[str], what: str, where: str) -> Any:
    if not isinstance(box, dict):
        raise InputError(f"{where}: a box must be an object with {what}, got {box!r:.80}")
    for k in keys:
        if k in box:
            return box[k]
    raise InputError(f"{where}: a box needs {what} (one of {', '.join(keys)}); found {sorted(box)}")


def _boxes(items: Any, what: str, scored: bool) -> list[list[tuple[float, float, str, float]]]:
    """Per sample a list of (x, y, class, score) from nuScenes-style box objects."""
    if not isinstance(items, (list, tuple)):
        raise InputError(f"{what}: expected one list of boxes per sample, got {type(items).__name__}")
    out = []
    for i, sample in enumerate(items):
        if not isinstance(sample, (list, tuple)):
            raise InputError(f"{what}[{i}]: expected a list of boxes, got {sample!r:.80}")
        rows = []
        for j, box in enumerate(sample):
            where = f"{what}[{i}][{j}]"
            c = _field(box, _CENTRE, "a centre [x, y, z]", where)
            if not isinstance(c, (list, tuple)) or len(c) < 2:
                raise InputError(f"{where}: the centre must be [x, y] or [x, y, z], got {c!r:.60}")
            try:
                x, y = float(c[0]), float(c[1])
            except (TypeError, ValueError):
                raise InputError(f"{where}: the centre must hold numbers, got {c!r:.60}") from None
            name = str(_field(box, _CLASS, "a class name", where))
            score = 1.0
            if scored:
                value = _field(box, _SCORE, "a confidence", where)
                try:
                    score = float(value)
                except (TypeError, ValueError):
                    raise InputError(f"{where}: the confidence must be a number") from None
            if not all(map(math.isfinite, (x, y, score))):
                raise InputError(f"{where}: centre and confidence must be finite numbers")
            rows.append((x, y, name, score))
        out.append(rows)
    return out


def _average_precision(preds, refs, cls: str, threshold: float, min_recall: float, min_precision: float) -> float:
    npos = sum(1 for sample in refs for b in sample if b[2] == cls)
    if npos == 0:
        return 0.0
    flat = [(s, b) for s, sample in enumerate(preds) for b in sample if b[2] == cls]
    # descending confidence; equal confidences: the later box first (the devkit's sort of (score, index))
    order = sorted(range(len(flat)), key=lambda k: (flat[k][1][3], k), reverse=True)
    taken: set[tuple[int, int]] = set()
    tp = np.zeros(len(order))
    for rank, k in enumerate(order):
        s, (x, y, _, _) = flat[k]
        best, best_j = math.inf, None
        for j, (gx, gy, gname, _) in enumerate(refs[s]):
            if gname == cls and (s, j) not in taken:
                d = math.hypot(gx - x, gy - y)
                if d < best:
                    best, best_j = d, j
        if best < threshold:
            taken.add((s, best_j))
            tp[rank] = 1
    if not tp.any():
        return 0.0
    ctp = np.cumsum(tp)
    prec = ctp / np.arange(1, len(tp) + 1)
    rec = ctp / npos
    prec = np.interp(np.linspace(0, 1, 101), rec, prec, right=0)
    prec = prec[round(100 * min_recall) + 1:] - min_precision
    return float(np.mean(np.clip(prec, 0, None))) / (1.0 - min_precision)


def nuscenes_map(predictions: Any, references: Any, *, thresholds: Sequence[float] = THRESHOLDS,
                 classes: Sequence[str] | None = None, min_recall: float = 0.1, min_precision: float = 0.1,
                 max_boxes: int = 500) -> float:
    """nuScenes detection mAP in percent (see the module docstring).

    predictions / references: one list of boxes per sample (``{"translation": [x, y, z],
    "detection_name": "car", "detection_score": 0.9}``; references without a score). classes: the
    classes averaged over (default: every class in the references; the benchmark's fixed 10 classes
    give AP 0 to a class absent from the ground truth). max_boxes: the benchmark's limit of boxes per
    sample; a sample with more is refused.
    """
    p, r = _boxes(predictions, "predictions", True), _boxes(references, "references", False)
    if len(p) != len(r):
        raise InputError(f"{len(p)} prediction samples but {len(r)} reference samples")
    if not r:
        raise InputError("no samples")
    over = next((i for i, sample in enumerate(p) if len(sample) > max_boxes), None)
    if over is not None:
        raise InputError(f"predictions[{over}] has {len(p[over])} boxes; the benchmark allows at most {max_boxes}")
    if not (0 <= min_recall <= 1 and 0 <= min_precision < 1) or not thresholds:
        raise InputError("need 0 <= min_recall <= 1, 0 <= min_precision < 1 and at least one threshold")
    names = sorted({b[2] for sample in r for b in sample}) if classes is None else [str(c) for c in classes]
    if not names:
        raise InputError("the references hold no box, so no class to average over; pass classes=[...]")
    aps = [np.mean([_average_precision(p, r, c, float(t), min_recall, min_precision) for t in thresholds])
           for c in names]
    return min(100.0, 100.0 * float(np.mean(aps)))  # a perfect AP is (1 - 0.1) / 0.9 = 1 + 2e-16
