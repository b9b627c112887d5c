"""Segmentation metrics against sklearn / scipy / torchmetrics and hand computations."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest

import generallevel as gl
from generallevel import InputError

REL = 1e-9


def m(name):
    return gl.get_metric(name)


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def _noisy_labels(rng, shape, k, flip=0.3):
    g = rng.integers(0, k, shape)
    p = np.where(rng.random(shape) < flip, rng.integers(0, k, shape), g)
    return p, g


# -- mIoU ----------------------------------------------------------------------------------------
def test_miou_matches_sklearn_macro_jaccard(rng):
    from sklearn.metrics import jaccard_score

    preds, refs = zip(*[_noisy_labels(rng, s, 6) for s in [(20, 30), (11, 7), (40, 9)]])
    y = np.concatenate([r.ravel() for r in refs])
    p = np.concatenate([q.ravel() for q in preds])
    want = 100 * jaccard_score(y, p, average="macro")
    # classes 6 and 7 never occur: skipped, as sklearn skips labels absent from both
    assert m("mIoU").compute(list(preds), list(refs), num_classes=8) == pytest.approx(want, rel=REL)
    assert m("mIoU").compute(list(preds), list(refs)) == pytest.approx(want, rel=REL)


def test_miou_ignore_index(rng):
    from sklearn.metrics import jaccard_score

    p, g = _noisy_labels(rng, (50, 50), 5)
    g[rng.random(g.shape) < 0.2] = 255
    p[rng.random(p.shape) < 0.05] = 255  # "no class" predictions count as misses
    keep = g != 255
    labels = sorted((set(g[keep].tolist()) | set(p[keep].tolist())) - {255})
    want = 100 * jaccard_score(g[keep], p[keep], labels=labels, average="macro")
    assert m("mIoU").compute(p, g, num_classes=5, ignore_index=255) == pytest.approx(want, rel=REL)
    # hand value: gt [0,0,1,1], pred [0,1,1,1] -> IoU0 = 1/2, IoU1 = 2/3
    assert m("mIoU").compute([0, 1, 1, 1], [0, 0, 1, 1]) == pytest.approx(100 * (0.5 + 2 / 3) / 2, rel=REL)


def test_miou_refusals():
    with pytest.raises(InputError, match="reference labels"):
        m("mIoU").compute(np.array([[0, 1]]), np.array([[0, 5]]), num_classes=3)
    with pytest.raises(InputError, match="predicted label"):
        m("mIoU").compute(np.array([[0, 7]]), np.array([[0, 1]]), num_classes=3)
    with pytest.raises(InputError, match="integers"):
        m("mIoU").compute(np.array([[0, 0.5]]), np.array([[0, 1]]))
    with pytest.raises(InputError, match="ignore_index"):
        m("mIoU").compute(np.array([[0, 1]]), np.array([[255, 255]]), ignore_index=255)


# -- Instance mIoU (ShapeNet part) ---------------------------------------------------------------
def test_instance_miou_matches_sklearn_per_shape(rng):
    from sklearn.metrics import jaccard_score

    categories = [[0, 1, 2, 3], [4, 5], [6, 7, 8]]
    preds, refs, parts = [], [], []
    for i in range(25):
        cat = categories[i % 3]
        g = rng.choice(cat[:-1] if i % 2 else cat, 200)  # some shapes miss a part entirely
        p = np.where(rng.random(200) < 0.25, rng.choice(cat, 200), g)
        preds.append(p), refs.append(g), parts.append(cat)
    want = 100 * np.mean([jaccard_score(g, p, labels=c, average=None, zero_division=1.0).mean()
                          for p, g, c in zip(preds, refs, parts)])
    assert m("Instance-mIoU").compute(preds, refs, parts=parts) == pytest.approx(want, rel=REL)
    present = 100 * np.mean([jaccard_score(g, p, average="macro") for p, g in zip(preds, refs)])
    assert m("Instance-mIoU").compute(preds, refs) == pytest.approx(present, rel=REL)
    # an S x N array is S shapes
    assert m("Instance-mIoU").compute(np.stack(preds), np.stack(refs), parts=parts) == pytest.approx(want, rel=REL)


def test_instance_miou_hand_value_and_refusals():
    # parts 0..3; gt [0,1,2,2], pred [0,1,1,2]: IoU 1, 1/2, 1/2 and part 3 absent from both -> 1
    assert m("Instance-mIoU").compute([[0, 1, 1, 2]], [[0, 1, 2, 2]], parts=[0, 1, 2, 3]) == pytest.approx(75.0)
    with pytest.raises(InputError, match="shapes"):
        m("Instance-mIoU").compute([[0, 1]], [[0, 1], [1, 1]])
    with pytest.raises(InputError, match="parts"):
        m("Instance-mIoU").compute([[0, 1]], [[0, 1]], parts=[[0, 1], [0, 1]])


# -- m_vIoU --------------------------------------------------------------------------------------
def _iou(a, b):
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def test_mviou_hand_value():
    # gt in frames 0-2, prediction in frames 1-2: IoU 1 and 1/7; |T_u| = 3 -> (1 + 1/7) / 3
    pred = [[None, [0, 0, 2, 2], [0, 0, 2, 2]]]
    gt = [[[0, 0, 2, 2], [0, 0, 2, 2], [1, 1, 3, 3]]]
    assert m("m_vIoU").compute(pred, gt) == pytest.approx(100 * (8 / 7) / 3, rel=REL)
    # dicts and xywh describe the same tubes
    pred_d = [{1: [0, 0, 2, 2], 2: [0, 0, 2, 2]}]
    gt_d = [{0: [0, 0, 2, 2], 1: [0, 0, 2, 2], 2: [1, 1, 2, 2]}]
    assert m("m_vIoU").compute(pred_d, gt_d, box_format="xywh") == pytest.approx(100 * (8 / 7) / 3, rel=REL)


def test_mviou_random_videos_vs_loop(rng):
    def tube(n, lo, hi):
        out = []
        for t in range(n):
            if lo <= t < hi:
                x, y = rng.random(2) * 50
                out.append([x, y, x + 5 + rng.random() * 30, y + 5 + rng.random() * 30])
            else:
                out.append(None)
        return out

    preds, refs, want = [], [], []
    for _ in range(12):
        n = int(rng.integers(10, 40))
        g = tube(n, *sorted(rng.integers(0, n, 2) + [0, 1]))
        p = tube(n, *sorted(rng.integers(0, n, 2) + [0, 1]))
        both = [t for t in range(n) if g[t] is not None and p[t] is not None]
        either = [t for t in range(n) if g[t] is not None or p[t] is not None]
        want.append(sum(_iou(p[t], g[t]) for t in both) / len(either))
        preds.append(p), refs.append(g)
    assert m("m_vIoU").compute(preds, refs) == pytest.approx(100 * np.mean(want), rel=REL)
    assert m("m_vIoU").compute(refs, refs) == pytest.approx(100.0, rel=REL)


def test_mviou_refusals():
    with pytest.raises(InputError, match="no box"):
        m("m_vIoU").compute([[None]], [[None]])
    with pytest.raises(InputError, match="frames"):
        m("m_vIoU").compute([[None, None]], [[[0, 0, 1, 1]]])
    with pytest.raises(InputError, match="negative width"):
        m("m_vIoU").compute([[[2, 0, 1, 1]]], [[[0, 0, 1, 1]]])
    with pytest.raises(InputError, match="box of 4"):
        m("m_vIoU").compute([[[0, 0, 1]]], [[[0, 0, 1, 1]]])
    with pytest.raises(InputError, match="NaN"):
        m("m_vIoU").compute([[[0, 0, np.nan, 1]]], [[[0, 0, 1, 1]]])


# -- Dice ----------------------------------------------------------------------------------------
def test_dice_matches_scipy(rng):
    from scipy.spatial.distance import dice as dice_dissimilarity

    refs = [rng.random((30, 20)) < 0.3, rng.random((10, 10)) < 0.6, rng.random((5, 50)) < 0.1]
    preds = [np.where(rng.random(r.shape) < 0.2, ~r, r) for r in refs]
    want = 100 * np.mean([1 - dice_dissimilarity(r.ravel(), p.ravel()) for p, r in zip(preds, refs)])
    assert m("Dice").compute(preds, refs) == pytest.approx(want, rel=REL)
    pooled = 1 - dice_dissimilarity(np.concatenate([r.ravel() for r in refs]),
                                    np.concatenate([p.ravel() for p in preds]))
    assert m("Dice").compute(preds, refs, per_image=False) == pytest.approx(100 * pooled, rel=REL)
    # 0/1 integer masks are the same as booleans
    assert m("Dice").compute([p.astype(int) for p in preds], refs) == pytest.approx(want, rel=REL)


def test_dice_edge_cases():
    z = np.zeros((4, 4), bool)
    assert m("Dice").compute(z, z) == 100.0  # nothing to find, nothing found
    one = z.copy()
    one[0, 0] = True
    assert m("Dice").compute(z, one) == 0.0
    with pytest.raises(InputError, match="binary"):
        m("Dice").compute(np.full((4, 4), 0.7), one)


# -- PQ ------------------------------------------------------------------------------------------
def _panoptic_pair(rng, h=48, w=64):
    """Reference: stuff background (cats 0/1 halves), thing rectangles (cats 2, 3) and a void band (9);
    prediction: the same, with jittered rectangles, a dropped and an extra object."""
    g = np.zeros((h, w, 2), np.int64)
    g[:, w // 2:, 0] = 1
    p = g.copy()
    inst = 1
    for k in range(7):
        cat = 2 + k % 2
        y, x = rng.integers(0, h - 12), rng.integers(0, w - 12)
        hh, ww = rng.integers(5, 12, 2)
        g[y:y + hh, x:x + ww] = (cat, inst)
        if k != 3:  # one missed object
            dy, dx = rng.integers(-2, 3, 2)
            p[max(0, y + dy):y + hh + dy, max(0, x + dx):x + ww + dx] = (cat if k != 5 else 5 - cat, inst + 10)
        inst += 1
    p[:6, :10] = (3, 99)  # a spurious object
    g[-3:, :] = (9, 0)  # void in the reference (category outside things and stuffs)
    p[-3:, 20:30] = (2, 77)  # a predicted object lying on void: neither matched nor a false positive
    p[-4:, 40:46] = (3, 78)  # mostly on void (3 of 4 rows): not a false positive either
    g[:4, -8:, 1] = 42  # stuff pixels with an instance id: ignored
    return p, g


def test_pq_matches_torchmetrics(rng):
    torch = pytest.importorskip("torch")
    tm = pytest.importorskip("torchmetrics.detection")
    pairs = [_panoptic_pair(rng) for _ in range(4)]
    preds, refs = np.stack([p for p, _ in pairs]), np.stack([g for _, g in pairs])
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # torchmetrics' RQ denominator would otherwise be float32
    try:
        metric = tm.PanopticQuality(things={2, 3}, stuffs={0, 1})
        want = 100 * float(metric(torch.from_numpy(preds), torch.from_numpy(refs)))
    finally:
        torch.set_default_dtype(old)
    got = m("PQ").compute(preds, refs, things=[2, 3], stuffs=[0, 1])
    assert 0 < got < 100
    assert got == pytest.approx(want, rel=REL)
    assert m("PQ").compute(list(preds), list(refs), things=[2, 3], stuffs=[0, 1]) == pytest.approx(want, rel=REL)
    # unknown predicted categories as void: reference segments mostly under them are not false negatives
    preds[:, 10:30, 5:40] = (8, 0)
    torch.set_default_dtype(torch.float64)
    try:
        metric = tm.PanopticQuality(things={2, 3}, stuffs={0, 1}, allow_unknown_preds_category=True)
        want = 100 * float(metric(torch.from_numpy(preds), torch.from_numpy(refs)))
    finally:
        torch.set_default_dtype(old)
    got = m("PQ").compute(preds, refs, things=[2, 3], stuffs=[0, 1], allow_unknown_preds_category=True)
    assert got == pytest.approx(want, rel=REL)


def test_pq_hand_value_and_refusals():
    # thing category 1: reference objects A (4 px) and B (2 px); the prediction covers A with 3 px
    # (IoU 3/4 > 0.5, a match), misses B (FN) and adds C (1 px, FP): PQ_1 = 0.75 / (1 + 0.5 + 0.5).
    # stuff category 0: reference pixel {6}, predicted pixels {3, 4, 5}: no overlap, FP + FN, PQ_0 = 0.
    g = np.array([[[1, 1], [1, 1], [1, 1], [1, 1], [1, 2], [1, 2], [0, 0]]])
    p = np.array([[[1, 1], [1, 1], [1, 1], [0, 0], [0, 0], [0, 0], [1, 3]]])
    assert m("PQ").compute(p, g, things=[1], stuffs=[0]) == pytest.approx(100 * (0.375 + 0.0) / 2, rel=REL)
    assert m("PQ").compute(g, g, things=[1], stuffs=[0]) == 100.0
    with pytest.raises(InputError, match="things"):
        m("PQ").compute(p, g)
    with pytest.raises(InputError, match="not in things"):
        m("PQ").compute(p + 5, g, things=[1], stuffs=[0])
    with pytest.raises(InputError, match="shape"):
        m("PQ").compute(p[:, :3], g, things=[1], stuffs=[0])


# -- S-measure -----------------------------------------------------------------------------------
def test_s_measure_hand_computed_2x2():
    # GT [[1,0],[0,0]], prediction [[0.8,0.2],[0,0]]; mean(GT) u = 1/4.
    # Object, foreground: values {0.8}: x = 0.8, std 0 -> 2*0.8 / (0.64 + 1) = 1.6/1.64.
    # Object, background: 1 - prediction on GT==0 = {0.8, 1, 1}: x = 2.8/3, std (N-1) = sqrt(0.04/3).
    x = 2.8 / 3
    o_bg = 2 * x / (x * x + 1 + math.sqrt(0.04 / 3))
    s_obj = 0.25 * (1.6 / 1.64) + 0.75 * o_bg
    # Region: centroid (X, Y) = (1, 1) -> four 1-pixel quadrants, each with zero variances:
    # alpha = 0 and beta = 0 -> Q = 1 in every quadrant, S_region = 1.
    want = 100 * (0.5 * s_obj + 0.5 * 1.0)
    assert want == pytest.approx(97.4316, abs=1e-4)
    got = m("S-measure").compute(np.array([[0.8, 0.2], [0, 0]]), np.array([[1, 0], [0, 0]]))
    assert got == pytest.approx(want, rel=REL)


def test_s_measure_hand_computed_rounding_of_the_centroid():
    # GT [[1,1],[0,0]], prediction [[1,0.5],[0,0.5]]. Object: foreground {1, 0.5} and background
    # 1 - {0, 0.5} = {1, 0.5}: both x = 0.75, std = sqrt(0.125) -> S_object = 1.5 / (1.5625 + sqrt(0.125)).
    # Region: centroid column = round(1.5) = 2 (MATLAB rounds half away from zero; numpy would give 1),
    # row 1 -> LT = row 1 (w 1/2), LB = row 2 (w 1/2), RT/RB empty. LT: GT constant 1, prediction
    # varies -> alpha = 0, beta > 0 -> 0; LB: GT mean 0 -> alpha = 0, beta > 0 -> 0. S_region = 0.
    want = 100 * 0.5 * (1.5 / (1.5625 + math.sqrt(0.125)))
    got = m("S-measure").compute(np.array([[1, 0.5], [0, 0.5]]), np.array([[1, 1], [0, 0]]))
    assert got == pytest.approx(want, rel=REL)


def _matlab_s_measure(pred, gt):
    """A literal, loop-based transcription of StructureMeasure.m / S_object.m / S_region.m (1-based)."""
    eps = 2.220446049250313e-16
    rows, cols = gt.shape
    y = sum(sum(r) for r in gt.tolist()) / gt.size
    if y == 0:
        return 1 - pred.mean()
    if y == 1:
        return pred.mean()

    def obj(vals):
        if not vals:
            return 0.0
        x = sum(vals) / len(vals)
        sd = math.sqrt(sum((v - x) ** 2 for v in vals) / (len(vals) - 1)) if len(vals) > 1 else 0.0
        return 2 * x / (x * x + 1 + sd + eps)

    fg = [pred[i, j] for i in range(rows) for j in range(cols) if gt[i, j]]
    bg = [1 - pred[i, j] for i in range(rows) for j in range(cols) if not gt[i, j]]
    s_o = y * obj(fg) + (1 - y) * obj(bg)
    total = gt.sum()
    rnd = lambda v: int(Decimal(repr(float(v))).quantize(Decimal(1), rounding=ROUND_HALF_UP))  # noqa: E731
    X = rnd(sum(gt[:, j - 1].sum() * j for j in range(1, cols + 1)) / total)
    Y = rnd(sum(gt[i - 1, :].sum() * i for i in range(1, rows + 1)) / total)

    def ssim(p, g):
        p, g = p.ravel().tolist(), g.ravel().astype(float).tolist()
        n = len(p)
        x, yy = sum(p) / n, sum(g) / n
        sx = sum((a - x) ** 2 for a in p) / (n - 1 + eps)
        sy = sum((b - yy) ** 2 for b in g) / (n - 1 + eps)
        sxy = sum((a - x) * (b - yy) for a, b in zip(p, g)) / (n - 1 + eps)
        al, be = 4 * x * yy * sxy, (x * x + yy * yy) * (sx + sy)
        return al / (be + eps) if al != 0 else (1.0 if be == 0 else 0.0)

    area = rows * cols
    w1, w2, w3 = X * Y / area, (cols - X) * Y / area, X * (rows - Y) / area
    w4 = 1 - w1 - w2 - w3
    s_r = (w1 * ssim(pred[:Y, :X], gt[:Y, :X]) + w2 * ssim(pred[:Y, X:], gt[:Y, X:])
           + w3 * ssim(pred[Y:, :X], gt[Y:, :X]) + w4 * ssim(pred[Y:, X:], gt[Y:, X:]))
    return max(0.0, 0.5 * s_o + 0.5 * s_r)


def test_s_measure_random_maps_vs_literal_transcription(rng):
    preds, gts = [], []
    for _ in range(6):
        h, w = rng.integers(9, 20, 2)
        g = np.zeros((h, w), bool)
        y0, x0 = rng.integers(1, h // 2), rng.integers(1, w // 2)
        g[y0:y0 + rng.integers(2, h // 2), x0:x0 + rng.integers(2, w // 2)] = True
        p = np.clip(g * 0.7 + rng.random((h, w)) * 0.4, 0, 1)
        preds.append(p), gts.append(g)
    want = 100 * np.mean([_matlab_s_measure(p, g) for p, g in zip(preds, gts)])
    assert m("S-measure").compute(preds, gts) == pytest.approx(want, rel=REL)
    assert m("S-measure").compute(np.stack(preds[:1] * 2), np.stack(gts[:1] * 2)) == pytest.approx(
        100 * _matlab_s_measure(preds[0], gts[0]), rel=REL)


def test_s_measure_special_cases_and_refusals(rng):
    p = rng.random((6, 6))
    assert m("S-measure").compute(p, np.zeros((6, 6))) == pytest.approx(100 * (1 - p.mean()), rel=REL)
    assert m("S-measure").compute(p, np.ones((6, 6))) == pytest.approx(100 * p.mean(), rel=REL)
    g = np.zeros((6, 6))
    g[1:4, 2:5] = 1
    assert m("S-measure").compute(g, g) == pytest.approx(100.0, rel=1e-12)
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        m("S-measure").compute(p * 255, g)
    with pytest.raises(InputError, match="binary"):
        m("S-measure").compute(p, p)
    with pytest.raises(InputError, match="2-D"):
        m("S-measure").compute(p.ravel(), g.ravel())


# -- shared edge cases ---------------------------------------------------------------------------
_G = np.array([[0, 1, 1], [0, 2, 2]])
PERFECT = {
    "mIoU": (_G, _G, {}),
    "Instance-mIoU": ([[0, 1, 1, 2]], [[0, 1, 1, 2]], {}),
    "m_vIoU": ([[[0, 0, 1, 1], None]], [[[0, 0, 1, 1], None]], {}),
    "Dice": (_G > 0, _G > 0, {}),
    "PQ": (np.stack([_G, _G], -1), np.stack([_G, _G], -1), {"things": [1, 2], "stuffs": [0]}),
    "S-measure": (_G > 0, _G > 0, {}),
}


@pytest.mark.parametrize("name", list(PERFECT))
def test_perfect_prediction_is_100(name):
    p, g, kw = PERFECT[name]
    assert m(name).compute(p, g, **kw) == pytest.approx(100.0, rel=1e-12)
    assert m(name).normalize(100.0) == 100.0


@pytest.mark.parametrize("name", list(PERFECT))
def test_empty_input_is_refused(name):
    _, _, kw = PERFECT[name]
    with pytest.raises(InputError):
        m(name).compute([], [], **kw)


@pytest.mark.parametrize("name", ["mIoU", "Dice", "PQ", "S-measure"])
def test_shape_and_count_mismatch_are_refused(name):
    p, g, kw = PERFECT[name]
    with pytest.raises(InputError, match="shape"):
        m(name).compute(p[:1], g, **kw)
    with pytest.raises(InputError, match="samples"):
        m(name).compute([p], [g, g], **kw)


@pytest.mark.parametrize("name", ["mIoU", "Instance-mIoU", "Dice", "PQ", "S-measure"])
def test_nan_is_refused(name):
    p, g, kw = PERFECT[name]
    bad = np.array(p, dtype=float)
    bad.flat[1] = np.nan
    with pytest.raises(InputError, match="NaN"):
        m(name).compute(bad, g, **kw)


def test_list_masks_read_in_c_equal_the_numpy_path():
    """``_binary``'s fast path for JSON-like 0/1 lists gives numpy's mask; anything else is left to the
    numpy path, with its own errors."""
    from generallevel_builtin import segmentation as seg

    def numpy_path(x):
        a = np.asarray(x, dtype=float)
        assert np.isin(a, (0.0, 1.0)).all()
        return a.astype(bool)

    rng = np.random.default_rng(4)
    for h, w in [(1, 1), (3, 7), (48, 48), (17, 5)]:
        m = rng.integers(0, 2, (h, w))
        for x in (m.tolist(), m.astype(bool).tolist(), [list(r) for r in m]):  # ints, bools, numpy ints
            got = seg._list_mask(x)
            assert got is not None and got.dtype == bool and np.array_equal(got, numpy_path(x))
            assert np.array_equal(seg._binary(x, "m"), got)
    for x in ([[0.0, 1.0]], [[0, 2]], [[0, 1], [1]], [[[0, 1]]], [[]], [], [(0, 1)], [[0, -1]], [[0, "1"]]):
        assert seg._list_mask(x) is None
    with pytest.raises(gl.InputError, match="binary mask"):
        seg._binary([[0, 2]], "m")
    assert np.array_equal(seg._binary([[0.0, 1.0]], "m"), [[False, True]])
