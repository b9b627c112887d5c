"""The vectorised tracking success AUC and the C-level reading of JSON 0/1 masks against plain
per-frame / per-element computations written here: the same floats, the same refusals."""

import numpy as np
import pytest

import generallevel as gl
from generallevel_builtin import classification as cls
from generallevel_builtin import segmentation as seg


# -- tracking success AUC ------------------------------------------------------------------------
def _plain_success(preds, refs) -> list[float]:
    """Per sequence, per frame in Python floats: the IoU of [x, y, w, h] boxes (a missing prediction
    0, an empty union 0, at most 1) and the fraction of (frame, threshold k/20) pairs with IoU > k/20."""
    out = []
    for p_seq, g_seq in zip(preds, refs):
        above = 0
        for b, g in zip(p_seq, g_seq):
            g = [float(v) for v in g]
            iou = 0.0
            if b is not None:
                b = [float(v) for v in b]
                w = max(min(b[0] + b[2], g[0] + g[2]) - max(b[0], g[0]), 0.0)
                h = max(min(b[1] + b[3], g[1] + g[3]) - max(b[1], g[1]), 0.0)
                inter = w * h
                union = b[2] * b[3] + g[2] * g[3] - inter
                iou = min(inter / union, 1.0) if union > 0 else 0.0
            above += sum(iou > k / 20.0 for k in range(21))
        out.append(above / (len(g_seq) * 21))
    return out


def _scene(rng, n_seq: int, max_frames: int, none_rate: float):
    preds, refs = [], []
    for _ in range(n_seq):
        n = int(rng.integers(1, max_frames + 1))
        g = np.round(rng.uniform(0, 50, (n, 4)), int(rng.integers(0, 3)))
        p = np.where(rng.random((n, 1)) < 0.5, g + np.round(rng.normal(0, 5, (n, 4)), 1), g)
        p[:, 2:] = np.abs(p[:, 2:])
        p[rng.random(n) < 0.05, 2] = 0.0  # zero-area predictions
        g[rng.random(n) < 0.03, 3] = 0.0  # zero-area ground truth
        zero = rng.random(n) < 0.02
        p[zero, 2:] = g[zero, 2:] = 0.0  # both empty: union 0
        same = rng.random(n) < 0.1
        p[same] = g[same]  # IoU exactly 1
        rows = [None if rng.random() < none_rate else b for b in p.tolist()]
        ints = rng.random(n) < 0.1  # mixed int / float coordinates
        rows = [[int(v) for v in b] if b is not None and i and all(v == int(v) for v in b) else b
                for b, i in zip(rows, ints)]
        preds.append(rows)
        refs.append(g.tolist())
    return preds, refs


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("none_rate", [0.0, 0.1, 1.0])
def test_success_per_sequence_equals_a_plain_frame_loop(seed, none_rate):
    rng = np.random.default_rng(seed)
    preds, refs = _scene(rng, int(rng.integers(1, 30)), 50, none_rate)
    got = cls._success_per_sequence(preds, refs)
    assert got.tolist() == _plain_success(preds, refs)
    assert cls.auc_item_scores(preds, refs, curve="success").tolist() == (100.0 * got).tolist()


def test_success_counts_an_overlap_equal_to_a_threshold_as_not_above_it():
    # IoU exactly 0.5 (1 / 2), 0.25, 0 and 1: thresholds k/20 strictly below are counted
    preds = [[[0, 0, 1, 1], [0, 0, 1, 1], [5, 5, 1, 1], [0, 0, 2, 2], None]]
    refs = [[[0, 0, 2, 1], [0, 0, 2, 2], [0, 0, 1, 1], [0, 0, 2, 2], [0, 0, 1, 1]]]
    assert cls._success_per_sequence(preds, refs).tolist() == [(10 + 5 + 0 + 20 + 0) / (5 * 21)]
    assert cls._success_per_sequence(preds, refs).tolist() == _plain_success(preds, refs)
    # IoU a few ulps either side of each threshold
    th = np.arange(21) / 20.0
    ious = np.concatenate([th, np.nextafter(th, 2), np.nextafter(th, -1)[1:]])
    ious = np.minimum(ious, 1.0)
    count = np.searchsorted(th, ious, side="left")
    assert count.tolist() == [sum(v > k / 20.0 for k in range(21)) for v in ious.tolist()]


def test_predicted_rows_equal_the_comprehensions():
    def plain(boxes):
        return (np.asarray([cls._NO_BOX if b is None else b for b in boxes], dtype=float),
                np.array([b is None for b in boxes], dtype=bool))

    def outcome(f, boxes):
        try:
            rows, missing = f(boxes)
            return rows.shape, rows.dtype, rows.tobytes(), missing.tolist()  # bit for bit (NaN too)
        except (TypeError, ValueError) as e:
            return type(e).__name__

    box = [1.5, 2, 3, 4.25]
    cases = [[box], [None], [None, None], [box, None, box, None, None], [None, box, [0, 0, 0, 0], None],
             [box, (1, 2, 3, 4), None],  # a tuple: numpy's own path
             [box, [1, 2, 3], None], [None, [1, 2, 3, 4, 5]], [box, np.array(box), None], [box, "1234"],
             [box, [True, False, 1, 0.5]], [[None, 1, 2, 3], None], [box, [[1], 2, 3, 4]], [box, []]]
    for boxes in cases:
        assert outcome(cls._predicted_rows, boxes) == outcome(plain, boxes), boxes


def test_success_auc_odd_sequences_still_defer_to_the_per_sequence_path():
    ok = [[0.0, 0.0, 2.0, 2.0]]
    for preds, refs in [([ok, [None]], [ok, [None]]), ([ok, ["1234"]], [ok, ok]), ([ok, []], [ok, []]),
                        ([[[0, 0, -1, 1]]], [ok]), ([ok], [[[0, 0, 1, -1]]]), ([ok, [[]]], [ok, ok])]:
        assert cls._success_per_sequence(preds, refs) is None, (preds, refs)
        with pytest.raises(gl.InputError):
            gl.get_metric("AUC").compute(preds, refs, curve="success")


# -- JSON lists of 0/1 masks -----------------------------------------------------------------------
def _plain_mask(x):
    """Every row a list of one length, every element an int (bools included) that is 0 or 1."""
    if type(x) is not list or not x or any(type(r) is not list for r in x):
        return None
    if len(x[0]) == 0 or any(len(r) != len(x[0]) for r in x):
        return None
    out = np.zeros((len(x), len(x[0])), dtype=bool)
    for i, row in enumerate(x):
        for j, v in enumerate(row):
            try:
                v = v.__index__()
            except (AttributeError, TypeError):
                return None
            if v not in (0, 1):
                return None
            out[i, j] = v == 1
    return out


def test_list_masks_equal_an_element_loop():
    rng = np.random.default_rng(11)
    for h, w in [(1, 1), (1, 9), (9, 1), (4, 7), (48, 48), (33, 65)]:
        m = rng.integers(0, 2, (h, w))
        mixed = [[bool(v) if rng.random() < 0.5 else int(v) for v in r] for r in m.tolist()]
        for x in (m.tolist(), m.astype(bool).tolist(), mixed, [list(r) for r in m]):
            got = seg._list_mask(x)
            want = _plain_mask(x)
            assert got.dtype == bool and got.shape == want.shape and np.array_equal(got, want)
            assert got.flags.writeable and got.flags.owndata
            assert np.array_equal(seg._binary(x, "m"), want)


@pytest.mark.parametrize("x", [
    [[0, 1], [1]], [[0, 1], [1, 0, 1]], [[0], [1, 1]], [[0, 1, 1], [1]],  # ragged (one with the same total)
    [[0, 1], (1, 0)], [(0, 1)], [[0, 1], "01"], [[0, 1], None], [[]], [], [[], []], ((0, 1),), [[0, 1], 5],
    [[0, 2]], [[0, -1]], [[0, 256]], [[0.0, 1.0]], [[0, 1.0]], [[0, "1"]], [[0, None]], [[[0, 1]]],
    [[0, np.bool_(True)]], [[0, float("nan")]],
])
def test_list_masks_refuse_what_the_element_loop_refuses(x):
    assert seg._list_mask(x) is None and _plain_mask(x) is None


def test_refused_list_masks_keep_the_numpy_path_and_its_errors():
    with pytest.raises(gl.InputError, match="binary mask"):
        seg._binary([[0, 2]], "m")
    with pytest.raises(gl.InputError, match="NaN"):
        seg._binary([[0, float("nan")]], "m")
    assert np.array_equal(seg._binary([[0.0, 1.0]], "m"), [[False, True]])
    assert np.array_equal(seg._binary([[0, 1], (1, 0)], "m"), [[False, True], [True, False]])
    assert np.array_equal(seg._binary([[0, np.int64(1)]], "m"), [[False, True]])
    video = [[[0, 1], [1, 1]], [[1, 0], [0, 0]]]
    assert gl.get_metric("mIoU").compute([video], [video], per_video=True) == 100.0
