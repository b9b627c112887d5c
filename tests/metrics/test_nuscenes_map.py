"""nuScenes detection mAP (mAP with matching='center-distance'), on scenes worked by hand.

The matches are decided by hand from the geometry below; the precision/recall resampling and the
AP formula are then the nuScenes definition written out step by step (101 recall points, the first
11 dropped, precision minus 0.1 clipped at 0, divided by 0.9).
"""

from __future__ import annotations

import numpy as np
import pytest

import generallevel as gl
from generallevel import InputError

MAP = gl.get_metric("mAP")


def box(x, y, name="car", score=None):
    b = {"translation": [x, y, 0.0], "detection_name": name}
    if score is not None:
        b["detection_score"] = score
    return b


def ap_from_hits(hits: list[int], npos: int) -> float:
    """The nuScenes AP of a ranked list of hit/miss decisions (by hand, formula by formula)."""
    hits = np.asarray(hits, float)
    tp = np.cumsum(hits)
    prec = tp / np.arange(1, len(hits) + 1)
    rec = tp / npos
    grid = np.linspace(0, 1, 101)
    p = np.interp(grid, rec, prec, right=0)[11:] - 0.1
    return float(np.clip(p, 0, None).mean() / 0.9)


# Sample 0: cars at (0, 0) and (10, 0); sample 1: a car at (0, 0) and a pedestrian at (5, 5).
REFS = [[box(0, 0), box(10, 0)], [box(0, 0), box(5, 5, "pedestrian")]]
PREDS = [
    [box(0.3, 0.0, score=0.9),    # 0.3 m from the first car
     box(11.5, 0.0, score=0.6),   # 1.5 m from the second car
     box(30, 30, score=0.8)],     # nowhere near anything: a false positive at every threshold
    [box(0.0, 0.7, score=0.7),    # 0.7 m from the car
     box(5, 8, "pedestrian", score=0.5)],  # 3 m from the pedestrian
]


def test_hand_worked_scene():
    # car, ranked by score: 0.9 (0.3 m), 0.8 (far), 0.7 (0.7 m), 0.6 (1.5 m); 3 cars
    car = {0.5: [1, 0, 0, 0], 1.0: [1, 0, 1, 0], 2.0: [1, 0, 1, 1], 4.0: [1, 0, 1, 1]}
    # pedestrian: one prediction 3 m away; 1 pedestrian
    ped = {0.5: [0], 1.0: [0], 2.0: [0], 4.0: [1]}
    ap_car = np.mean([ap_from_hits(h, 3) for h in car.values()])
    ap_ped = np.mean([ap_from_hits(h, 1) if any(h) else 0.0 for h in ped.values()])
    expected = 100 * (ap_car + ap_ped) / 2
    assert MAP.compute(PREDS, REFS, matching="center-distance") == pytest.approx(expected, abs=1e-12)
    # and the numbers themselves, so a change in the formula above cannot go unnoticed
    assert ap_from_hits([1, 0, 1, 1], 3) == pytest.approx(np.clip(np.interp(np.linspace(0, 1, 101),
                                                                            [1 / 3, 1 / 3, 2 / 3, 1],
                                                                            [1, 1 / 2, 2 / 3, 3 / 4],
                                                                            right=0)[11:] - 0.1, 0, None).mean() / 0.9)


def test_matching_is_strictly_within_the_threshold_and_takes_the_closest_free_box():
    refs = [[box(0, 0), box(1.0, 0)]]
    # exactly 0.5 m away: no match at 0.5 m (distance < threshold), a match from 1 m on
    only = MAP.compute([[box(0.5, 0, score=1.0)]], [[box(0, 0)]], matching="center-distance", thresholds=[0.5])
    assert only == 0.0
    # two predictions both closest to the box at (1, 0): the higher score takes it, the other gets (0, 0)
    preds = [[box(0.9, 0, score=0.9), box(0.8, 0, score=0.8)]]
    got = MAP.compute(preds, refs, matching="center-distance", thresholds=[1.0])
    assert got == pytest.approx(100 * ap_from_hits([1, 1], 2))


def test_fixed_classes_give_absent_classes_zero_and_errors_are_clear():
    preds, refs = [[box(0, 0, score=1.0)]], [[box(0, 0)]]
    assert MAP.compute(preds, refs, matching="center-distance") == pytest.approx(100.0)
    assert MAP.compute(preds, refs, matching="center-distance", classes=["car", "bus"]) == pytest.approx(50.0)
    with pytest.raises(InputError, match=r"predictions\[0\]\[0\]: a box needs a confidence"):
        MAP.compute([[box(0, 0)]], refs, matching="center-distance")
    with pytest.raises(InputError, match="unknown matching"):
        MAP.compute(preds, refs, matching="bev-iou")


def test_the_registry_scores_3d_detection_this_way():
    assert gl.get_task("3D Detection").metric_options == {"matching": "center-distance"}
