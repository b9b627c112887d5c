"""as_array must be np.asarray: same dtype, shape and values, or the same error, on every input."""

from __future__ import annotations

import random
import warnings
from fractions import Fraction

import numpy as np
import pytest

from generallevel.nested_lists import _MIN_VALUES, as_array

LEAVES = [0, 1, -7, 255, 2**40, 2**63, 2**70, -2**64, 1.5, -0.0, float("nan"), float("inf"), 1e308, True, False,
          None, "3", "1.5", "x", "nan", Fraction(1, 3), np.float32(2.5), np.int64(4), np.array(3.0),
          np.array([1.0]), np.array([1.0, 2.0]), (1, 2), [], [1], [1.0, 2.0]]


def _reference(x, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return np.asarray(x, dtype=dtype), None
        except Exception as e:  # noqa: BLE001 - the error is part of what must match
            return None, (type(e), str(e))


def _ours(x, dtype):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return as_array(x, dtype=dtype), None
        except Exception as e:  # noqa: BLE001
            return None, (type(e), str(e))


def assert_same(x, dtype):
    want, want_err = _reference(x, dtype)
    got, got_err = _ours(x, dtype)
    assert got_err == want_err
    if want is None:
        return
    assert type(got) is np.ndarray
    assert got.dtype == want.dtype and got.shape == want.shape
    assert got.flags.c_contiguous and got.flags.writeable
    if want.dtype == object:
        assert all((a is b) or (a == b) or (a != a and b != b) for a, b in zip(got.ravel(), want.ravel()))
    else:
        assert np.array_equal(got, want, equal_nan=want.dtype.kind in "fc")


def _rect(rng, shape, leaf):
    if len(shape) == 1:
        return [leaf() for _ in range(shape[0])]
    return [_rect(rng, shape[1:], leaf) for _ in range(shape[0])]


@pytest.mark.parametrize("dtype", [None, float, np.int64])
def test_numeric_rectangles_take_the_fast_path_and_equal_asarray(dtype, monkeypatch):
    rng = random.Random(1)
    kinds = [lambda: rng.randint(0, 255), lambda: rng.uniform(-1e3, 1e3), lambda: round(rng.uniform(0, 300), 1),
             lambda: rng.choice([0, 1, 2.5, True])]
    calls = []
    monkeypatch.setattr(np, "asarray", lambda *a, **k: calls.append(1) or np.array(*a, copy=None, **k))
    for shape in [(_MIN_VALUES, 3), (_MIN_VALUES + 5, 4), (70, 8, 3), (64, 2, 2, 2), (100, 1)]:
        for leaf in kinds:
            x = _rect(rng, shape, leaf)
            calls.clear()
            got = as_array(x, dtype=dtype)
            assert not calls, "a rectangle of numbers went through np.asarray"
            monkeypatch.undo()
            assert_same(x, dtype)
            monkeypatch.setattr(np, "asarray", lambda *a, **k: calls.append(1) or np.array(*a, copy=None, **k))
            assert got.shape == shape


@pytest.mark.parametrize("dtype", [None, float])
def test_random_nested_values_equal_asarray(dtype):
    rng = random.Random(7)
    for _ in range(3000):
        shape = tuple(rng.choice([1, 2, 3]) for _ in range(rng.randint(1, 3)))
        shape = (rng.choice([_MIN_VALUES, _MIN_VALUES + 1, 3]),) + shape
        base = rng.choice([lambda: rng.randint(-5, 300), lambda: rng.uniform(-1, 1)])
        x = _rect(rng, shape, base)
        for _ in range(rng.randint(0, 2)):  # disturb: a leaf, a row's length, a row's type
            node, path = x, []
            while type(node) is list and node and rng.random() < 0.7:
                i = rng.randrange(len(node))
                path.append((node, i))
                node = node[i]
            if not path:
                continue
            parent, i = path[-1]
            what = rng.random()
            if what < 0.6:
                parent[i] = rng.choice(LEAVES)
            elif what < 0.75 and type(parent[i]) is list:
                parent[i] = parent[i][:-1] if parent[i] else [1]
            elif what < 0.9 and type(parent[i]) is list:
                parent[i] = tuple(parent[i])
            else:
                parent.append(rng.choice(LEAVES))
        assert_same(x, dtype)


def test_edge_shapes_equal_asarray():
    for x in ([], [[]] * 70, [[[]]] * 70, [[1]] * 70 + [[]], [[1, 2]] * 69 + [(1, 2)], [[1]] * 69 + [1],
              [1] * 69 + [[1]], [[np.array([1.0])]] * 70, [[np.array(2.0)] * 3] * 70, [["a", "bc"]] * 70,
              [[2**70, 1]] * 70, [[2**63, 1]] * 70, [[None, 1.0]] * 70, [[True, False]] * 70,
              [np.zeros(3)] * 70, "not a list", 5, np.ones((70, 3))):
        for dtype in (None, float):
            assert_same(x, dtype)


def test_list_subclass_rows_equal_asarray():
    class Row(list):
        pass

    x = [Row([1, 2, 3]) for _ in range(70)]
    assert_same(x, None)
    assert_same([[1, 2, 3]] * 69 + [Row([1, 2, 3])], float)
