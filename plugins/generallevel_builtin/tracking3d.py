"""The 3D Tracking task adapter: from per-frame tracks to the per-recall-threshold counts AMOTA takes.

AMOTA (``detection.amota``) scores counts per recall threshold; this adapter produces them from
tracks the way the nuScenes tracking devkit does (``nuscenes.eval.tracking``), per class:

1. a predicted box's score is replaced by its track's mean score; tracks (predicted and reference)
   are linearly interpolated over the frames they skip between their first and last frame;
2. boxes are matched frame by frame with CLEAR MOT (py-motmetrics' ``MOTAccumulator.update``): a
   reference object keeps last frame's track when it is still within reach, the others are
   assigned by a minimum-distance matching that first maximises the number of pairs; a pair is
   within reach when the centres are less than 2 m apart on the ground plane (x, y); a reference
   object matched to another track than before is an identity switch;
3. the score thresholds are read from the scores of the matches made with every box: the one
   reaching each of 40 recall levels from 0.1 to 1 (``np.interp``, unreached levels are None);
4. at each threshold the boxes scoring at least that much are matched again, counting FP, FN and
   identity switches. AMOTA then uses the recall measured there (``recall="measured"``).

Not done (they need data the task files do not hold): the devkit's per-class distance range around
the ego vehicle and its filter of reference boxes without lidar or radar points.

Annotation item (one scene): ``output.frames`` (or ``output.tracks``), a list of frames, each a list
of objects ``{"instance_token" | "track_id" | "id", "translation" | "center": [x, y, z], "tracking_name"
| "class" | "category" (optional: one class)}``. Prediction: the same frames (a list, or an object with
``frames``/``tracks``/``results``), objects ``{"tracking_id" | "track_id" | "id", "translation" |
"center", "tracking_score" | "score", "tracking_name" | "class" | "category"}``.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np

from generallevel import InputError, MissingDependencyError

DIST_TH = 2.0  # metres, centre distance on the ground plane
MIN_RECALL, N_THRESHOLDS = 0.1, 40
_FRAMES = ("frames", "tracks", "results")
_ID = {"ref": ("instance_token", "track_id", "tracking_id", "id"), "pred": ("tracking_id", "track_id", "id")}
_POS, _CLS, _SCORE = ("translation", "center"), ("tracking_name", "class", "category"), ("tracking_score", "score")


def _get(obj: dict, keys: tuple[str, ...], where: str, default: Any = ...) -> Any:
    for k in keys:
        if k in obj:
            return obj[k]
    if default is ...:
        raise InputError(f"{where}: missing {' / '.join(keys)}")
    return default


def _frames(value: Any, where: str) -> list:
    if isinstance(value, dict):
        value = _get(value, _FRAMES, where)
    if not isinstance(value, list) or not all(isinstance(f, list) for f in value):
        raise InputError(f"{where}: expected a list of frames, each a list of objects")
    return value


def _boxes(frames: list, where: str, pred: bool) -> dict[int, list[tuple]]:
    """frame index -> [(track id, x, y, class, score)]; scores replaced by their track's mean score."""
    out: dict[int, list[tuple]] = {}
    scores: dict[Any, list[float]] = defaultdict(list)
    for f, objects in enumerate(frames):
        out[f] = []
        for k, obj in enumerate(objects):
            at = f"{where} frame {f} object {k}"
            if not isinstance(obj, dict):
                raise InputError(f"{at}: expected an object, got {obj!r:.60}")
            tid = _get(obj, _ID["pred" if pred else "ref"], at)
            pos = _get(obj, _POS, at)
            try:
                x, y = float(pos[0]), float(pos[1])
            except (TypeError, ValueError, IndexError):
                raise InputError(f"{at}: translation must be [x, y(, z)], got {pos!r:.60}") from None
            score = _get(obj, _SCORE, at) if pred else 1.0
            if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score) \
                    or not all(map(math.isfinite, (x, y))):
                raise InputError(f"{at}: translation and score must be finite numbers")
            if any(b[0] == tid for b in out[f]):
                raise InputError(f"{at}: track id {tid!r} appears twice in the frame")
            out[f].append((tid, x, y, str(_get(obj, _CLS, at, "object")), float(score)))
            scores[tid].append(float(score))
    mean = {tid: float(np.mean(s)) for tid, s in scores.items()}
    return _interpolate({f: [b[:4] + (mean[b[0]],) for b in boxes] for f, boxes in out.items()})


def _interpolate(frames: dict[int, list[tuple]]) -> dict[int, list[tuple]]:
    """Add the boxes a track skips between its first and last frame (linear, as the devkit)."""
    seen: dict[Any, list[tuple[int, tuple]]] = defaultdict(list)
    for f in sorted(frames):
        for b in frames[f]:
            seen[b[0]].append((f, b))
    for track in seen.values():
        for (f0, a), (f1, b) in zip(track, track[1:]):
            for f in range(f0 + 1, f1):
                w = (f1 - f) / (f1 - f0)  # the weight of the earlier box
                frames[f].append((a[0], w * a[1] + (1 - w) * b[1], w * a[2] + (1 - w) * b[2], a[3],
                                  w * a[4] + (1 - w) * b[4]))
    return frames


def _assign(d: np.ndarray) -> list[tuple[int, int]]:
    """Minimum-cost pairs over the finite entries of ``d``, most pairs first (py-motmetrics' lap)."""
    try:
        from scipy.optimize import linear_sum_assignment
    except ImportError:
        raise MissingDependencyError("3D Tracking (AMOTA) matching needs scipy: "
                                     "pip install 'generallevel[vision]'") from None
    valid = np.isfinite(d)
    if not valid.any():
        return []
    cost = d.copy()
    cost[~valid] = 2 * min(d.shape) * (np.abs(d[valid]).sum() + 1) + 1  # never worth a feasible pair
    return [(i, j) for i, j in zip(*linear_sum_assignment(cost)) if valid[i, j]]


def _clear_mot(scenes: list, cls: str, threshold: float | None) -> tuple[dict[str, int], list[float]]:
    """CLEAR MOT counts of one class over all scenes, and the scores of the MATCH pairs."""
    counts = {"match": 0, "ids": 0, "fn": 0, "fp": 0}
    scores: list[float] = []
    for ref, pred in scenes:
        last: dict[Any, Any] = {}  # reference id -> the track it was last matched to
        for f in sorted(set(ref) | set(pred)):
            gt = [b for b in ref.get(f, []) if b[3] == cls]
            hy = [b for b in pred.get(f, []) if b[3] == cls and (threshold is None or b[4] >= threshold)]
            if not gt and not hy:
                continue
            d = np.full((len(gt), len(hy)), np.nan)
            if gt and hy:
                d = np.hypot(np.subtract.outer([g[1] for g in gt], [h[1] for h in hy]),
                             np.subtract.outer([g[2] for g in gt], [h[2] for h in hy]))
                d[d >= DIST_TH] = np.nan
            free_g, free_h = set(range(len(gt))), set(range(len(hy)))
            pairs = []
            for i, g in enumerate(gt):  # 1. keep last frame's correspondences still within reach
                j = next((j for j in free_h if hy[j][0] == last.get(g[0], object())), None)
                if j is not None and np.isfinite(d[i, j]):
                    pairs.append((i, j, "match"))
                    free_g.discard(i)
                    free_h.discard(j)
            rest = d.copy()
            rest[list(set(range(len(gt))) - free_g), :] = np.nan
            rest[:, list(set(range(len(hy))) - free_h)] = np.nan
            for i, j in _assign(rest):  # 2. the others
                switch = gt[i][0] in last and last[gt[i][0]] != hy[j][0]
                pairs.append((i, j, "ids" if switch else "match"))
                free_g.discard(i)
                free_h.discard(j)
            for i, j, kind in pairs:
                counts[kind] += 1
                last[gt[i][0]] = hy[j][0]
                if kind == "match":
                    scores.append(hy[j][4])
            counts["fn"] += len(free_g)
            counts["fp"] += len(free_h)
    return counts, scores


def _class_records(scenes: list, cls: str, p: int) -> list[dict[str, float] | None]:
    """Counts at each of the 40 recall levels (None where the recall is never reached)."""
    _, scores = _clear_mot(scenes, cls, None)
    levels = np.linspace(MIN_RECALL, 1, N_THRESHOLDS).round(12)
    if not scores:
        return [None] * N_THRESHOLDS
    s = np.sort(np.array(scores))[::-1]
    rec = np.arange(1, len(s) + 1) / p
    thresholds = np.interp(levels, rec, s, right=0)
    thresholds[levels > rec.max()] = np.nan
    cache: dict[float, dict[str, int]] = {}
    out: list[dict[str, float] | None] = []
    for r, t in zip(levels, thresholds):
        if np.isnan(t):
            out.append(None)
            continue
        if t not in cache:
            cache[t] = _clear_mot(scenes, cls, float(t))[0]
        c = cache[t]
        out.append({"recall": float(r), "fp": c["fp"], "fn": c["fn"], "ids": c["ids"]})
    return out


def adapt(records: list[dict], predictions: list, task: Any = None) -> tuple[dict, dict, dict]:
    """AMOTA inputs ({class: records per recall level}, {class: P}, {"recall": "measured"})."""
    scenes = []
    for rec, pred in zip(records, predictions):
        where = f"annotation item {rec.get('id')!r}" if isinstance(rec, dict) else "annotation item"
        output = rec.get("output") if isinstance(rec, dict) else None
        if output is None:
            raise InputError(f"{where}: no 'output'")
        ref = _frames(output, where)
        hyp = [] if pred is None else _frames(pred, f"prediction for {where}")
        if len(hyp) > len(ref):
            raise InputError(f"prediction for {where}: {len(hyp)} frames, the scene has {len(ref)}")
        scenes.append((_boxes(ref, where, pred=False), _boxes(hyp, f"prediction for {where}", pred=True)))
    gt_count: dict[str, int] = defaultdict(int)
    for ref, _ in scenes:
        for boxes in ref.values():
            for b in boxes:
                gt_count[b[3]] += 1
    if not gt_count:
        raise InputError("3D Tracking: no reference object in any frame")
    per_class = {cls: _class_records(scenes, cls, p) for cls, p in sorted(gt_count.items())}
    return per_class, dict(sorted(gt_count.items())), {"recall": "measured"}
