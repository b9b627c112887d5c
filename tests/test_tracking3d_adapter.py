"""The 3D Tracking task scored end to end: per-frame tracks -> CLEAR MOT counts per recall level -> AMOTA.

The expected numbers are worked by hand below (the nuScenes devkit's procedure, see
generallevel_builtin/tracking3d.py), not taken from the adapter.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import generallevel as gl
from generallevel.evaluate import evaluate
from generallevel_builtin.tracking3d import adapt

pytest.importorskip("scipy")


def _ref(tid, x, cls="car"):
    return {"instance_token": tid, "translation": [x, 0.0, 0.0], "tracking_name": cls}


def _box(tid, x, y, score, cls="car"):
    return {"tracking_id": tid, "translation": [x, y, 0.0], "tracking_score": score, "tracking_name": cls}


# One scene, two reference cars A (x = 0, 1, 2) and B (x = 10, 11, 12): P = 6 boxes.
SCENE = {"id": "scene-1", "input": {}, "output": {"frames": [
    [_ref("A", 0), _ref("B", 10)], [_ref("A", 1), _ref("B", 11)], [_ref("A", 2), _ref("B", 12)]]}}
# Track 1 (0.9) follows A; track 2 (0.6) follows B in frames 0-1; track 3 (0.7) takes B in frame 2 (an
# identity switch when track 2 is kept); track 4 (0.8) is a false positive far away in frame 1.
PRED = {"frames": [[_box(1, 0.1, 0, 0.9), _box(2, 10, 0.5, 0.6)],
                   [_box(1, 1.1, 0, 0.9), _box(2, 11, 0.5, 0.6), _box(4, 50, 50, 0.8)],
                   [_box(1, 2.1, 0, 0.9), _box(3, 12.2, 0, 0.7)]]}


def _hand_amota() -> float:
    """With every box, the MATCH pairs score 0.9, 0.9, 0.9, 0.6, 0.6 (B's frame-2 pair is a switch), so
    recall k/6 is reached at score 0.9 (k <= 3) and 0.6 (k = 4, 5): the threshold of recall level r is
    0.9 up to r = 0.5, falls linearly to 0.6 at r = 4/6, stays 0.6 up to 5/6 and is unreached above.
    Counts and MOTAR = 1 - (IDS + FP + FN - (1 - r')P) / (r'P), r' = (P - FN - IDS) / P, per band:
      t > 0.8       track 1 only            FN 3                r' = 3/6  MOTAR 1
      0.7 < t <= 0.8  + track 4             FN 3, FP 1          r' = 3/6  MOTAR 1 - 1/3
      0.6 < t <= 0.7  + track 3             FN 2, FP 1          r' = 4/6  MOTAR 3/4
      t = 0.6         + track 2             FP 1, IDS 1         r' = 5/6  MOTAR 4/5
    """
    levels = np.linspace(0.1, 1, 40).round(12)
    thresholds = np.interp(levels, [1 / 6, 2 / 6, 3 / 6, 4 / 6, 5 / 6], [0.9, 0.9, 0.9, 0.6, 0.6])
    motar = np.select([levels > 5 / 6, thresholds > 0.8, thresholds > 0.7, thresholds > 0.6],
                      [0.0, 1.0, 2 / 3, 0.75], default=0.8)
    return 100 * float(motar.mean())


def test_per_frame_tracks_give_the_hand_worked_amota():
    preds, refs, options = adapt([SCENE], [PRED])
    assert refs == {"car": 6} and options == {"recall": "measured"}
    records = preds["car"]
    assert len(records) == 40 and records[-1] is None and records[0] == {"recall": 0.1, "fp": 0, "fn": 3, "ids": 0}
    assert {"recall": pytest.approx(0.8153846), "fp": 1, "fn": 0, "ids": 1} == records[31]
    got = gl.get_metric("AMOTA").compute(preds, refs, **options)
    assert got == pytest.approx(_hand_amota(), abs=1e-9) and round(got, 4) == 72.75


def test_track_scores_are_averaged_and_gaps_interpolated():
    # A is annotated in frames 0 and 2 only: the devkit interpolates it at x = 1 in frame 1, so the
    # prediction there is a match, not a false positive. Track 1's scores average to 0.5.
    scene = {"id": "s", "output": {"frames": [[_ref("A", 0)], [], [_ref("A", 2)]]}}
    pred = [[_box(1, 0, 0, 0.2)], [_box(1, 1, 0, 0.5)], [_box(1, 2, 0, 0.8)]]
    preds, refs, _ = adapt([scene], [pred])
    assert refs == {"car": 3}
    assert all(r == {"recall": pytest.approx(r["recall"]), "fp": 0, "fn": 0, "ids": 0} for r in preds["car"])


def test_classes_are_scored_separately_and_a_missing_prediction_misses_everything():
    scene = {"id": "s", "output": {"frames": [[_ref("A", 0), _ref("P", 5, "pedestrian")]]}}
    preds, refs, options = adapt([scene, SCENE], [[[_box(1, 0, 0, 0.9)]], None])
    assert refs == {"car": 7, "pedestrian": 1}
    assert preds["pedestrian"] == [None] * 40  # never detected: every recall level unreached
    assert gl.get_metric("AMOTA").compute(preds, refs, **options) < 50


@pytest.mark.parametrize("pred,match", [
    ({"frames": [[{"tracking_id": 1, "translation": "here", "tracking_score": 1}]]}, "translation must be"),
    ({"frames": [[_box(1, 0, 0, 0.5), _box(1, 1, 0, 0.5)]]}, "appears twice"),
    ({"frames": [[], [], [], []]}, "4 frames, the scene has 3"),
    ({"boxes": []}, "missing frames"),
])
def test_bad_tracks_are_clear_errors(pred, match):
    with pytest.raises(gl.InputError, match=match):
        adapt([SCENE], [pred])


def test_evaluate_scores_the_3d_tracking_task(tmp_path):
    task = gl.get_task("3D Tracking")
    assert task.adapter == "generallevel_builtin.tracking3d:adapt"
    folder = tmp_path / "bench" / "3d" / "comprehension" / "3D_Tracking"
    folder.mkdir(parents=True)
    (folder / "annotation.json").write_text(json.dumps({"task": "3D Tracking", "data": [SCENE]}))
    preds = tmp_path / "preds" / "3d" / "comprehension" / "3D_Tracking"
    preds.mkdir(parents=True)
    (preds / "prediction.json").write_text(json.dumps([{"id": "scene-1", "prediction": PRED}]))
    result = evaluate(tmp_path / "bench", tmp_path / "preds", jobs=1)
    (row,) = result.tasks
    assert row.status == "scored", row.error
    assert row.raw == pytest.approx(_hand_amota(), abs=1e-9)
