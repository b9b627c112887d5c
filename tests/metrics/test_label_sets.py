"""Micro-F1 / F1 on per-instance label sets: the totals path (_labels.set_totals) against brute-force
Python sets, scikit-learn's MultiLabelBinarizer route and the per-label path it replaces."""

from __future__ import annotations

import numpy as np
import pytest

import generallevel as gl
from generallevel_builtin import _labels
from generallevel_builtin._labels import set_totals


def _brute(p, r):
    return (sum(len(set(a) & set(b)) for a, b in zip(p, r)), sum(len(set(a)) for a in p),
            sum(len(set(b)) for b in r))


def _messy_sets(rng, n):
    """Lists with repeated labels, empty instances, tuples, sets; labels 1, 1.0 and True are one label."""
    vocab = [f"t{i}" for i in range(30)] + [1, 1.0, True, 2, 2.5, ("PER", 0, 2), ("LOC", 3, 4)]
    pick = lambda k: [vocab[i] for i in rng.integers(0, len(vocab), k)]  # noqa: E731
    gold = [pick(int(rng.integers(0, 6))) for _ in range(n)]
    pred = [[x for x in g if rng.random() < 0.7] + pick(int(rng.poisson(0.7))) for g in gold]
    kinds = (list, tuple, set, frozenset)
    return ([kinds[i % 4](x) for i, x in enumerate(pred)], [kinds[(i + 1) % 4](x) for i, x in enumerate(gold)])


@pytest.mark.parametrize("bitmap", [True, False])
def test_set_totals_equal_brute_force_sets(monkeypatch, bitmap):
    if not bitmap:
        monkeypatch.setattr(_labels, "_BITMAP_MAX", 0)  # the sort path
    p, r = _messy_sets(np.random.default_rng(3), 3000)
    assert set_totals(p, r) == _brute(p, r)
    assert set_totals([[]], [[]]) == (0, 0, 0)


def test_micro_f1_on_sets_equals_sklearn_and_the_per_label_path():
    from sklearn.metrics import f1_score
    from sklearn.preprocessing import MultiLabelBinarizer

    rng = np.random.default_rng(8)
    vocab = [f"tag_{i}" for i in range(40)]
    gold = [sorted({vocab[i] for i in rng.integers(0, 40, rng.integers(1, 6))}) for _ in range(20_000)]
    pred = [sorted({x for x in g if rng.random() < 0.75} | {vocab[i] for i in rng.integers(0, 40, rng.poisson(0.5))})
            for g in gold]
    mlb = MultiLabelBinarizer(sparse_output=True).fit(gold + pred)
    want = 100.0 * f1_score(mlb.transform(gold), mlb.transform(pred), average="micro")
    got = gl.get_metric("Micro-F1").compute(pred, gold)
    assert got == pytest.approx(want, abs=1e-9)
    assert gl.get_metric("F1").compute(pred, gold) == got
    # the per-label path (any labels= selection takes it) over every label gives the same number
    assert gl.get_metric("Micro-F1").compute(pred, gold, labels=vocab) == pytest.approx(got, abs=1e-9)
    tp, npred, ntrue = _brute(pred, gold)
    assert got == 100.0 * (2.0 * tp / (npred + ntrue))


def test_messy_sets_score_like_the_per_label_path():
    p, r = _messy_sets(np.random.default_rng(5), 2000)
    tp, npred, ntrue = _brute(p, r)
    assert gl.get_metric("Micro-F1").compute(p, r) == 100.0 * (2.0 * tp / (npred + ntrue))


def test_inputs_the_totals_path_declines_keep_their_errors():
    m = gl.get_metric("Micro-F1")
    with pytest.raises(gl.InputError, match="missing value"):
        m.compute([["a", None]], [["a"]])
    with pytest.raises(gl.InputError, match="missing value"):
        m.compute([["a"]], [[float("nan")]])
    with pytest.raises(gl.InputError, match="not a set of labels"):
        m.compute([["a"], "b"], [["a"], ["b"]])
    # list items are labels compared as tuples (the per-label path converts them)
    assert m.compute([[["x", 1]]], [[("x", 1)]]) == 100.0
    assert m.compute([[]], [[]]) == 0.0
    assert m.compute([[]], [[]], zero_division=1.0) == 100.0
