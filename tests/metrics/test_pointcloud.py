"""Chamfer distance against a brute-force numpy pairwise computation, plus bad-input refusals."""

from __future__ import annotations

import numpy as np
import pytest

import generallevel as gl
from generallevel import InputError

pytest.importorskip("scipy.spatial")
REL = 1e-9


def cd():
    return gl.get_metric("CD")


def brute_chamfer(p, g, squared=True, combine="mean"):
    d2 = ((p[:, None, :] - g[None, :, :]) ** 2).sum(-1)  # |P| x |G| squared distances
    a, b = d2.min(axis=1), d2.min(axis=0)
    if not squared:
        a, b = np.sqrt(a), np.sqrt(b)
    s = a.mean() + b.mean()
    return s / 2 if combine == "mean" else s


@pytest.fixture
def rng():
    return np.random.default_rng(99)


@pytest.mark.parametrize("squared", [True, False])
@pytest.mark.parametrize("combine", ["mean", "sum"])
def test_chamfer_matches_brute_force(rng, squared, combine):
    p = rng.normal(size=(700, 3))
    g = rng.normal(size=(900, 3)) * 1.1 + 0.05
    want = brute_chamfer(p, g, squared, combine)
    assert cd().compute(p, g, squared=squared, combine=combine) == pytest.approx(want, rel=REL)


def test_chamfer_is_symmetric_and_defaults_to_squared_mean(rng):
    p, g = rng.random((300, 3)), rng.random((200, 3))
    assert cd().compute(p, g) == pytest.approx(brute_chamfer(p, g), rel=REL)
    assert cd().compute(p, g) == pytest.approx(cd().compute(g, p), rel=REL)
    # hand value: P = {(0,0,0)}, G = {(1,0,0), (3,0,0)}: P->G 1; G->P (1 + 9)/2 = 5 -> (1 + 5)/2 = 3
    assert cd().compute([[0, 0, 0]], [[1, 0, 0], [3, 0, 0]]) == pytest.approx(3.0)
    assert cd().compute([[0, 0, 0]], [[1, 0, 0], [3, 0, 0]], squared=False) == pytest.approx(1.5)


def test_batches_average_over_samples(rng):
    ps = [rng.random((n, 3)) for n in (50, 120, 80)]
    gs = [rng.random((n, 3)) for n in (60, 100, 90)]
    want = np.mean([brute_chamfer(p, g) for p, g in zip(ps, gs)])
    assert cd().compute(ps, gs) == pytest.approx(want, rel=REL)
    bp, bg = rng.random((4, 64, 3)), rng.random((4, 32, 3))
    want = np.mean([brute_chamfer(p, g) for p, g in zip(bp, bg)])
    assert cd().compute(bp, bg) == pytest.approx(want, rel=REL)  # B x N x D batch
    assert cd().compute(list(bp), list(bg)) == pytest.approx(want, rel=REL)
    # any dimension works (2-D points here)
    p2, g2 = rng.random((40, 2)), rng.random((30, 2))
    assert cd().compute(p2, g2) == pytest.approx(brute_chamfer(p2, g2), rel=REL)


def test_perfect_prediction_is_zero_and_normalises_to_100(rng):
    g = rng.random((500, 3))
    assert cd().compute(g[::-1].copy(), g) == 0.0
    assert cd().normalize(0.0) == 100.0
    assert 0 < cd().normalize(cd().compute(g + 1.0, g)) < 100.0


def test_refusals(rng):
    g = rng.random((10, 3))
    with pytest.raises(InputError):
        cd().compute([], [])
    with pytest.raises(InputError, match="non-empty"):
        cd().compute(np.zeros((0, 3)), g)
    with pytest.raises(InputError, match="NaN"):
        cd().compute(np.where(np.arange(30).reshape(10, 3) == 4, np.nan, g), g)
    with pytest.raises(InputError, match="2-D points"):
        cd().compute(rng.random((10, 2)), g)
    with pytest.raises(InputError, match="point clouds"):
        cd().compute([g, g], [g])
    with pytest.raises(InputError, match="shape"):
        cd().compute(g.ravel(), g.ravel())
    with pytest.raises(InputError, match="combine"):
        cd().compute(g, g, combine="max")


def test_large_clouds_need_no_pairwise_matrix(rng):
    """1e5-point clouds: KD-tree queries, no |P| x |G| matrix (which would need 80 GB)."""
    p, g = rng.random((100_000, 3)), rng.random((100_000, 3))
    v = cd().compute(p, g)
    # density check: for uniform points in the unit cube, NN squared distance is ~ 1e-4 scale
    assert 0 < v < 1e-3


def test_query_threads_follow_the_process_budget_and_never_change_the_distance(rng, monkeypatch):
    """evaluate gives each task one thread (OMP_NUM_THREADS=1): the KD-tree queries then use one;
    without a budget every core. Brute force is the reference for every thread count."""
    from generallevel_builtin.pointcloud import query_threads

    p, g = rng.random((700, 3)), rng.random((900, 3))
    d2 = ((p[:, None, :] - g[None, :, :]) ** 2).sum(-1)
    want = 0.5 * (d2.min(1).mean() + d2.min(0).mean())
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert query_threads() == 1
    for workers in (None, 1, 2, -1):
        assert cd().compute(p, g, workers=workers) == pytest.approx(want, rel=1e-12)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert query_threads() == 3
    for bad in ("", "0", "x", "-2"):
        monkeypatch.setenv("OMP_NUM_THREADS", bad)
        assert query_threads() == -1
    monkeypatch.delenv("OMP_NUM_THREADS")
    assert query_threads() == -1 and cd().compute(p, g) == pytest.approx(want, rel=1e-12)
