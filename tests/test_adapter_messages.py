"""The default adapter names the refused item in exactly these words (the converters build no
per-item message on the way: the location is composed only when a value is refused)."""

from __future__ import annotations

import types

import pytest

from generallevel import InputError
from generallevel import adapters
from generallevel.adapters import FAMILIES, default_adapter


def _run(family: str, pred, ref=None, monkeypatch=None):
    monkeypatch.setattr(adapters, "family_for", lambda task: FAMILIES[family])
    task = types.SimpleNamespace(metric="X", metric_options={})
    good = {"labels": "a", "text": "t", "numbers": 1.0, "features": [1.0, 2.0], "ratings": 3.0, "flags": True,
            "votes": "win"}[family]
    records = [{"id": "ok", "output": {"value": good}}, {"id": "it-2", "output": {"value": good if ref is None else ref}}]
    return default_adapter(records, [good, pred], task)


@pytest.mark.parametrize("family, bad, message", [
    ("labels", {"x": 1}, "prediction for annotation item 'it-2': expected a label (string or number) or a list of "
                         "them, got {'x': 1}"),
    ("labels", ["a", None], "prediction for annotation item 'it-2': expected a label (string or number) or a list "
                            "of them, got None"),
    ("text", 3j, "prediction for annotation item 'it-2': expected text, got 3j"),
    ("text", ["a"], "prediction for annotation item 'it-2': expected text, got ['a']"),
    ("numbers", float("nan"), "prediction for annotation item 'it-2': expected a finite number, got nan"),
    ("numbers", ["a", 1], "prediction for annotation item 'it-2': expected numbers, got ['a', 1]"),
    ("features", [], "prediction for annotation item 'it-2': expected a feature vector (a non-empty list of numbers)"),
    ("flags", 2, "prediction for annotation item 'it-2': expected true/false (or 1/0), got 2"),
    ("votes", "draw", "prediction for annotation item 'it-2': expected 'win', 'tie' or 'loss' (or 1, 0.5, 0), "
                      "got 'draw'"),
])
def test_a_refused_prediction_names_its_item(monkeypatch, family, bad, message):
    with pytest.raises(InputError) as e:
        _run(family, bad, monkeypatch=monkeypatch)
    assert str(e.value) == message


@pytest.mark.parametrize("family, bad, message", [
    ("labels", {"x": 1}, "annotation item 'it-2': expected a label (string or number) or a list of them, got {'x': 1}"),
    ("text", [1, None], "annotation item 'it-2': expected text, got None"),
    ("numbers", True, "annotation item 'it-2': expected a finite number, got True"),
])
def test_a_refused_reference_names_its_item(monkeypatch, family, bad, message):
    good = {"labels": "a", "text": "t", "numbers": 1.0}[family]
    with pytest.raises(InputError) as e:
        _run(family, good, ref=bad, monkeypatch=monkeypatch)
    assert str(e.value) == message


def test_converted_values(monkeypatch):
    preds, refs, _ = _run("labels", [3, " b "], ref=["x", 2.5], monkeypatch=monkeypatch)
    assert preds == ["a", ["3", "b"]] and refs == ["a", ["x", "2.5"]]
    preds, refs, _ = _run("text", 7, ref=["r1", 2], monkeypatch=monkeypatch)
    assert preds == ["t", "7"] and refs == ["t", ["r1", "2"]]
    preds, refs, _ = _run("features", [1, 2], monkeypatch=monkeypatch)
    assert preds.tolist() == [[1.0, 2.0], [1.0, 2.0]] and preds.dtype == float
