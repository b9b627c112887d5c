"""read_annotation / read_predictions check ids in bulk; the answers and messages must be the
item-by-item ones (written out here as the reference)."""

from __future__ import annotations

import json
import random

import pytest

from generallevel import InputError
from generallevel.readers.benchfolder import read_annotation, read_predictions

KEYS = ("prediction", "prediction_final")


def reference_predictions(items, path):
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or "id" not in item:
            raise InputError(f"{path}: item {i}: expected an object with 'id' and 'prediction'")
        key = next((k for k in KEYS if k in item), None)
        if key is None:
            raise InputError(f"{path}: item {i} (id {item['id']!r}): no 'prediction' (or 'prediction_final')")
        v = item["id"]
        if isinstance(v, bool) or not isinstance(v, (str, int)) or (isinstance(v, str) and not v.strip()):
            raise InputError(f"{path}: item {i}: 'id' must be a non-empty string or an integer, got {v!r}")
        out.append((str(v), item[key]))
    return out


def outcome(fn, *args):
    try:
        return "ok", fn(*args)
    except InputError as e:
        return "error", str(e)


ODD_IDS = ["", "  ", True, False, None, 1.5, [1], {"a": 1}, "\t", "x", 0, -3, 10**30]


def random_items(rng: random.Random) -> list:
    items = []
    for i in range(rng.randint(1, 12)):
        r = rng.random()
        item = {"id": f"id-{i}" if rng.random() < 0.5 else i}
        if r < 0.08:
            item["id"] = rng.choice(ODD_IDS)
        elif r < 0.12:
            del item["id"]
        elif r < 0.15:
            item = rng.choice([[1, 2], "text", 3, None])
        if isinstance(item, dict):
            key = rng.choices(["prediction", "prediction_final", "both", "none"], [8, 1, 1, 0.3])[0]
            if key in ("prediction", "both"):
                item["prediction"] = rng.random()
            if key in ("prediction_final", "both"):
                item["prediction_final"] = "final"
        items.append(item)
    return items


def test_predictions_equal_the_item_by_item_reading(tmp_path):
    rng = random.Random(11)
    path = tmp_path / "prediction.json"
    seen = set()
    for _ in range(600):
        items = random_items(rng)
        doc = items if rng.random() < 0.5 else {"task": "T", "data": items}
        path.write_text(json.dumps(doc))
        want = outcome(reference_predictions, items, path)
        assert outcome(read_predictions, path) == want, items
        seen.add(want[0])
    assert seen == {"ok", "error"}


def test_annotations_equal_the_item_by_item_checks(tmp_path):
    rng = random.Random(5)
    path = tmp_path / "annotation.json"
    for _ in range(400):
        items = [{**it, "output": 1} if isinstance(it, dict) else it for it in random_items(rng)]
        for it in items:
            if isinstance(it, dict):
                it.pop("prediction", None), it.pop("prediction_final", None)
        path.write_text(json.dumps({"task": "T", "data": items}))
        want = "ok"
        for i, item in enumerate(items):
            if not isinstance(item, dict) or "id" not in item:
                want = f"{path}: item {i}: expected an object with 'id', 'input' and 'output'"
                break
            v = item["id"]
            if isinstance(v, bool) or not isinstance(v, (str, int)) or (isinstance(v, str) and not v.strip()):
                want = f"{path}: item {i}: 'id' must be a non-empty string or an integer, got {v!r}"
                break
        got = outcome(read_annotation, path)
        assert (got[0] if got[0] == "ok" else got[1]) == want, items


@pytest.mark.parametrize("ids", [["a", "b"], [1, 2], ["a", 7], [10**30, "x"]])
def test_plain_ids_keep_their_string_form(tmp_path, ids):
    path = tmp_path / "p.json"
    path.write_text(json.dumps([{"id": i, "prediction": n} for n, i in enumerate(ids)]))
    assert read_predictions(path) == [(str(i), n) for n, i in enumerate(ids)]
