"""Regression/error metrics against scikit-learn and hand computations, plus bad-input refusals."""

from __future__ import annotations

import numpy as np
import pytest

import generallevel as gl
from generallevel import InputError

sk = pytest.importorskip("sklearn.metrics")

REL = 1e-9


def m(name):
    return gl.get_metric(name)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


# -- MAE / MSE / RMSE / RMS vs sklearn -----------------------------------------------------------
def test_mae_mse_rmse_on_numbers_match_sklearn(rng):
    y = rng.normal(50, 20, 257).tolist()
    p = (np.asarray(y) + rng.normal(0, 7, 257)).tolist()
    assert m("MAE").compute(p, y) == pytest.approx(sk.mean_absolute_error(y, p), rel=REL)
    assert m("MSE").compute(p, y) == pytest.approx(sk.mean_squared_error(y, p), rel=REL)
    assert m("RMSE").compute(p, y) == pytest.approx(sk.root_mean_squared_error(y, p), rel=REL)
    assert m("RMS").compute(p, y) == pytest.approx(sk.root_mean_squared_error(y, p), rel=REL)


def test_arrays_of_different_shapes_are_pooled_like_sklearn(rng):
    refs = [rng.random((13, 17)) * 10, rng.random((5, 40)) * 10, rng.random(3) * 10]
    preds = [r + rng.normal(0, 1, r.shape) for r in refs]
    y = np.concatenate([r.ravel() for r in refs])
    p = np.concatenate([q.ravel() for q in preds])
    assert m("MAE").compute(preds, refs) == pytest.approx(sk.mean_absolute_error(y, p), rel=REL)
    assert m("MSE").compute(preds, refs) == pytest.approx(sk.mean_squared_error(y, p), rel=REL)
    assert m("RMSE").compute(preds, refs) == pytest.approx(sk.root_mean_squared_error(y, p), rel=REL)
    # one 2-D array is one sample; same pooled value as sklearn on its flattening
    assert m("RMS").compute(preds[0], refs[0]) == pytest.approx(
        sk.root_mean_squared_error(refs[0].ravel(), preds[0].ravel()), rel=REL)
    # numpy 1-D arrays and lists of numbers are interchangeable
    assert m("MAE").compute(np.asarray(p), y.tolist()) == pytest.approx(sk.mean_absolute_error(y, p), rel=REL)


def test_per_sample_reduction_and_min_gt(rng):
    refs = [rng.random((8, 9)) * 5 - 1, rng.random((4, 4)) * 5 - 1]
    preds = [r + rng.normal(0, 0.5, r.shape) for r in refs]
    per = np.mean([sk.root_mean_squared_error(r.ravel(), q.ravel()) for q, r in zip(preds, refs)])
    assert m("RMSE").compute(preds, refs, reduction="per_sample") == pytest.approx(per, rel=REL)
    per_mae = np.mean([sk.mean_absolute_error(r.ravel(), q.ravel()) for q, r in zip(preds, refs)])
    assert m("MAE").compute(preds, refs, reduction="per_sample") == pytest.approx(per_mae, rel=REL)
    y = np.concatenate([r.ravel() for r in refs])
    p = np.concatenate([q.ravel() for q in preds])
    keep = y > 0
    assert m("RMS").compute(preds, refs, min_gt=0) == pytest.approx(
        sk.root_mean_squared_error(y[keep], p[keep]), rel=REL)
    with pytest.raises(InputError, match="reduction"):
        m("MAE").compute(preds, refs, reduction="median")


def test_mse_scale_and_hand_value():
    # errors 1, -2, 0.5 -> squared 1, 4, 0.25 -> mean 1.75
    assert m("MSE").compute([2, 0, 1.5], [1, 2, 1]) == pytest.approx(1.75, rel=REL)
    assert m("MSE").compute([2, 0, 1.5], [1, 2, 1], scale=1000) == pytest.approx(1750.0, rel=REL)
    assert m("MAE").compute(7, 4) == 3.0


# -- SAD -----------------------------------------------------------------------------------------
def test_sad_hand_value_and_random(rng):
    # one 2x2 image: |0.5-0| + |1-1| + |0-0.25| + |0.2-0.2| = 0.75 -> /1000
    assert m("SAD").compute(np.array([[0.5, 1], [0, 0.2]]), np.array([[0, 1], [0.25, 0.2]])) == pytest.approx(
        0.75e-3, rel=REL)
    gts = rng.random((3, 20, 30))
    preds = np.clip(gts + rng.normal(0, 0.2, gts.shape), 0, 1)
    want = np.mean([np.abs(p - g).sum() / 1000 for p, g in zip(preds, gts)])
    assert m("SAD").compute(preds, gts) == pytest.approx(want, rel=REL)  # N x H x W batch
    assert m("SAD").compute(list(preds), list(gts)) == pytest.approx(want, rel=REL)
    assert m("SAD").compute(list(preds), list(gts), scale=1) == pytest.approx(want * 1000, rel=REL)
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        m("SAD").compute(preds * 255, gts)


# -- AbsRel --------------------------------------------------------------------------------------
def test_abs_rel_ignores_invalid_depth(rng):
    g = rng.random((2, 16, 16)) * 10
    g[0, :3] = 0.0  # invalid pixels
    p = g * (1 + rng.normal(0, 0.1, g.shape))
    p[0, :3] = 123.0  # whatever is predicted there must not matter
    valid = g > 0
    want = np.mean(np.abs(p[valid] - g[valid]) / g[valid])
    assert m("AbsRel").compute(list(p), list(g)) == pytest.approx(want, rel=REL)
    per = np.mean([np.mean(np.abs(a[v] - b[v]) / b[v]) for a, b, v in zip(p, g, valid)])
    assert m("AbsRel").compute(list(p), list(g), reduction="per_sample") == pytest.approx(per, rel=REL)
    # hand value: |1.1-1|/1 and |1.5-2|/2 -> (0.1 + 0.25) / 2
    assert m("AbsRel").compute([1.1, 1.5, 9.0], [1.0, 2.0, 0.0]) == pytest.approx(0.175, rel=REL)
    with pytest.raises(InputError, match="no valid"):
        m("AbsRel").compute([1.0, 2.0], [0.0, -1.0])


# -- EPE -----------------------------------------------------------------------------------------
def test_epe_mean_endpoint_error(rng):
    g = rng.normal(0, 3, (3, 10, 12, 2))
    p = g + rng.normal(0, 1, g.shape)
    want = np.mean([np.hypot(*(a - b).reshape(-1, 2).T).mean() for a, b in zip(p, g)])  # equal sizes
    assert m("EPE").compute(p, g) == pytest.approx(want, rel=REL)
    assert m("EPE").compute(list(p), list(g)) == pytest.approx(want, rel=REL)
    # hand value: (3,4) error -> 5, zero error -> 0, mean 2.5
    assert m("EPE").compute(np.array([[3.0, 4.0], [1, 1]]), np.array([[0.0, 0.0], [1, 1]])) == pytest.approx(2.5)
    with pytest.raises(InputError, match="last axis"):
        m("EPE").compute(np.zeros((4, 4, 3)), np.zeros((4, 4, 3)))


def test_epe_sparse_reference_averages_valid_pixels_only():
    """KITTI-style sparse ground truth: NaN reference pixels are left out (hand computation)."""
    nan = np.nan
    # image 1 (2 x 2): errors 5 (3,4), 0, invalid, invalid; image 2 (1 x 3): errors 1, invalid, 13 (5,12)
    g1 = np.array([[[0.0, 0.0], [1.0, 1.0]], [[nan, nan], [nan, 2.0]]])
    p1 = np.array([[[3.0, 4.0], [1.0, 1.0]], [[9.0, 9.0], [7.0, 7.0]]])
    g2 = np.array([[[0.0, 0.0], [nan, nan], [0.0, 0.0]]])
    p2 = np.array([[[1.0, 0.0], [50.0, 50.0], [5.0, 12.0]]])
    assert m("EPE").compute([p1, p2], [g1, g2]) == pytest.approx((5 + 0 + 1 + 13) / 4)  # pooled valid pixels
    assert m("EPE").compute([p1, p2], [g1, g2], reduction="per_sample") == pytest.approx((2.5 + 7.0) / 2)
    assert m("EPE").compute(p1, g1) == pytest.approx(2.5)
    # a field without any valid pixel: skipped per sample, refused when nothing is valid
    empty = np.full((1, 2, 2), nan)
    assert m("EPE").compute([p1, p2[:, :2]], [g1, empty], reduction="per_sample") == pytest.approx(2.5)
    with pytest.raises(InputError, match="no valid"):
        m("EPE").compute(p2[:, :2], empty)
    with pytest.raises(InputError, match="NaN"):  # predictions stay finite everywhere
        m("EPE").compute(g1, p1)


# -- RTE (KITTI t_rel) ---------------------------------------------------------------------------
def _trajectory(rng, n, yaw_noise=0.05):
    from scipy.spatial.transform import Rotation

    steps = rng.normal([1.5, 0, 0], [0.2, 0.1, 0.02], (n, 3))
    angles = np.cumsum(rng.normal(0, [yaw_noise, yaw_noise / 10, yaw_noise / 10], (n, 3)), axis=0)
    rots = Rotation.from_euler("zyx", angles).as_matrix()
    poses = np.tile(np.eye(4), (n, 1, 1))
    t = np.zeros(3)
    for i in range(n):
        t = t + rots[i] @ steps[i]
        poses[i, :3, :3], poses[i, :3, 3] = rots[i], t
    return poses


def _kitti_devkit(gt_seqs, pred_seqs, lengths=(100, 200, 300, 400, 500, 600, 700, 800), step=10):
    """A literal loop over the devkit's segments with full 4x4 inverses (independent reference)."""
    errs = []
    for gt, pr in zip(gt_seqs, pred_seqs):
        dist = [0.0]
        for i in range(1, len(gt)):
            dist.append(dist[-1] + float(np.linalg.norm(gt[i, :3, 3] - gt[i - 1, :3, 3])))
        for first in range(0, len(gt), step):
            for length in lengths:
                last = next((i for i in range(first, len(gt)) if dist[i] > dist[first] + length), -1)
                if last == -1:
                    continue
                dg = np.linalg.inv(gt[first]) @ gt[last]
                dp = np.linalg.inv(pr[first]) @ pr[last]
                e = np.linalg.inv(dp) @ dg
                errs.append(np.linalg.norm(e[:3, 3]) / length)
    return 100 * np.mean(errs)


def test_rte_matches_a_literal_kitti_devkit_loop(rng):
    from scipy.spatial.transform import Rotation

    gts = [_trajectory(rng, 420), _trajectory(rng, 300)]
    preds = []
    for g in gts:
        noise = _trajectory(rng, len(g), yaw_noise=0.002)
        noise[:, :3, 3] *= 0.01
        drift = Rotation.from_euler("z", 0.01).as_matrix()
        p = g @ noise
        p[:, :3, :3] = drift @ p[:, :3, :3]
        preds.append(p)
    want = _kitti_devkit(gts, preds)
    assert m("RTE").compute(preds, gts) == pytest.approx(want, rel=REL)
    # KITTI text rows (N x 12) and 3 x 4 matrices are the same poses
    assert m("RTE").compute([p[:, :3].reshape(-1, 12) for p in preds], [g[:, :3] for g in gts]) == pytest.approx(
        want, rel=REL)


def test_rte_translations_only_use_identity_rotations(rng):
    g = np.cumsum(rng.normal([1.0, 0.3, 0], 0.1, (400, 3)), axis=0)
    p = g + np.cumsum(rng.normal(0, 0.02, g.shape), axis=0)
    pose = lambda t: np.concatenate([np.tile(np.eye(3), (len(t), 1, 1)), t[:, :, None]], axis=2)  # noqa: E731
    want = _kitti_devkit([np.concatenate([pose(g), np.tile([[[0, 0, 0, 1.0]]], (len(g), 1, 1))], 1)],
                         [np.concatenate([pose(p), np.tile([[[0, 0, 0, 1.0]]], (len(p), 1, 1))], 1)],
                         lengths=(50, 100), step=5)
    assert m("RTE").compute(p, g, lengths=(50, 100), step=5) == pytest.approx(want, rel=REL)
    # a uniform 1 % scale error on a straight line gives ~1 % (distance slightly overshoots the length)
    line = np.outer(np.arange(300.0), [1.0, 0, 0])
    assert m("RTE").compute(line * 1.01, line) == pytest.approx(1.0, rel=0.02)


def test_rte_refusals():
    line = np.outer(np.arange(50.0), [1.0, 0, 0])
    with pytest.raises(InputError, match="lengths"):
        m("RTE").compute(line, line)  # 49 m travelled < 100 m
    with pytest.raises(InputError, match="poses"):
        m("RTE").compute(line[:-1], line)
    with pytest.raises(InputError, match="expected poses"):
        m("RTE").compute(np.zeros((10, 5)), np.zeros((10, 5)))
    assert m("RTE").compute(line, line, lengths=(10,)) == 0.0


# -- shared edge cases ---------------------------------------------------------------------------
NUMERIC = ["MAE", "MSE", "RMSE", "RMS", "AbsRel"]
SAMPLE = {
    "MAE": [1.0, 2.0, 3.0], "MSE": [1.0, 2.0, 3.0], "RMSE": [1.0, 2.0, 3.0], "RMS": [1.0, 2.0, 3.0],
    "AbsRel": [1.0, 2.0, 3.0], "SAD": np.full((4, 4), 0.5), "EPE": np.ones((4, 4, 2)),
}


@pytest.mark.parametrize("name", list(SAMPLE))
def test_perfect_prediction_is_zero_and_normalises_to_100(name):
    x = SAMPLE[name]
    assert m(name).compute(x, x) == 0.0
    assert m(name).normalize(0.0) == 100.0
    assert m("RTE").normalize(0.0) == 100.0


@pytest.mark.parametrize("name", list(SAMPLE))
def test_empty_input_is_refused(name):
    with pytest.raises(InputError):
        m(name).compute([], [])
    with pytest.raises(InputError):
        m(name).compute(np.zeros((0, 3)), np.zeros((0, 3)))


@pytest.mark.parametrize("name", NUMERIC)
def test_length_and_shape_mismatch_are_refused(name):
    with pytest.raises(InputError, match="differ"):
        m(name).compute([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(InputError, match="shape"):
        m(name).compute([np.ones((2, 3))], [np.ones((3, 2))])
    with pytest.raises(InputError, match="samples"):
        m(name).compute([np.ones((2, 3))], [np.ones((2, 3)), np.ones((2, 3))])


@pytest.mark.parametrize("name", list(SAMPLE))
def test_nan_is_refused(name):
    x = np.array(SAMPLE[name], dtype=float)
    bad = x.copy()
    bad.flat[0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        m(name).compute(bad, x)
    if name == "EPE":  # NaN in a reference flow marks an invalid pixel (test_epe_sparse_reference)
        bad = x.copy()
        bad.flat[0] = np.inf
        with pytest.raises(InputError, match="infinite"):
            m(name).compute(x, bad)
        return
    with pytest.raises(InputError, match="NaN"):
        m(name).compute(x, bad)


def test_non_numeric_input_is_refused():
    with pytest.raises(InputError):
        m("MAE").compute(["a", "b"], [1, 2])
    with pytest.raises(InputError):
        m("MAE").compute(None, [1, 2])
