"""Streaming validation of prediction files: the shapes read_predictions accepts, the same refusals,
and memory bounded by one item whatever a file expands to."""

from __future__ import annotations

import json
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from generallevel.errors import InputError
from generallevel.prediction_stream import scan_predictions
from generallevel.readers.benchfolder import read_predictions
from generallevel.submission import check_submission

IMG = "image/comprehension/Bird-Detection/prediction.json"


def scan(tmp_path: Path, text: str, **kw):
    p = tmp_path / "p.json"
    p.write_text(text, encoding="utf-8")
    return scan_predictions(lambda: open(p, "rb"), "FILE", **kw)


@pytest.mark.parametrize("text", [
    '[{"id": 1, "prediction": 2}, {"id": "b", "prediction_final": [1, 2]}]',
    '{"task": "T", "type": "qa", "data": [{"id": 1, "prediction": {"a": [1, 2]}}]}',
    '{"data": [{"id": 1, "prediction": null}], "skill": "s"}',
    '  [ {"id" : 1 ,"prediction" : NaN} ]  \n',
])
def test_accepts_what_read_predictions_accepts(tmp_path, text):
    (tmp_path / "q.json").write_text(text, encoding="utf-8")
    assert scan(tmp_path, text).count == len(read_predictions(tmp_path / "q.json"))


@pytest.mark.parametrize("text, match", [
    ("", "malformed JSON: Expecting value"),
    ('[{"id": 1, "prediction": 2},]', "malformed JSON"),
    ('[{"id": 1, "prediction": 2}] extra', "Extra data"),
    ('[{"id": 1, "prediction": 2}', "malformed JSON"),
    ('{"task": "x"}', "a prediction object needs 'data'"),
    ('{"data": 3}', "a prediction object needs 'data'"),
    ("7", "got int"),
    ('[{"prediction": 1}]', "item 0: expected an object with 'id' and 'prediction'"),
    ('[{"id": 1}]', r"item 0 \(id 1\): no 'prediction'"),
    ('[{"id": true, "prediction": 1}]', "'id' must be a non-empty string or an integer"),
    ('[{"id": 1, "prediction": 1}, {"id": "1", "prediction": 1}, {"id": 1, "prediction": 1}]',
     r"2 duplicate id\(s\) \('1', '1'\)"),
    ("[]", "holds no predictions"),
    ('{"data": [{"id": 1, "prediction": 1}], "data": []}', "'data' appears twice"),
    ("\ufeff[]", "BOM"),
])
def test_refusals_name_the_problem(tmp_path, text, match):
    with pytest.raises(InputError, match=match) as e:
        scan(tmp_path, text)
    assert str(e.value).startswith("FILE: ")


def test_item_and_count_limits(tmp_path):
    with pytest.raises(InputError, match="item 1 is larger than 1,000 characters"):
        scan(tmp_path, json.dumps([{"id": 0, "prediction": "a"}, {"id": 1, "prediction": "x" * 2000}]),
             max_item_chars=1000)
    with pytest.raises(InputError, match="more than 3 predictions in one file"):
        scan(tmp_path, json.dumps([{"id": i, "prediction": 0} for i in range(4)]), max_predictions=3)
    # chunk boundaries inside numbers, literals, escapes and strings
    items = [{"id": f"i{i}", "prediction": [1.25e-3, True, None, "é\\\"\u2028" * (i % 50)]} for i in range(20000)]
    for ascii_only in (True, False):
        assert scan(tmp_path, json.dumps(items, ensure_ascii=ascii_only)).count == 20000


def test_checking_a_large_archive_holds_one_item_at_a_time(tmp_path):
    """60 MiB of predictions (1 MiB each): checking never holds more than a few items' worth."""
    path = tmp_path / "m-scope-a.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open(IMG, "w") as fh:
            fh.write(b"[")
            for i in range(60):
                fh.write(json.dumps({"id": i, "prediction": "p" * (1 << 20)}).encode() + (b"," if i < 59 else b"]"))
    tracemalloc.start()
    try:
        info = check_submission(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.members[0].predictions == 60 and info.total_bytes > 60 << 20
    assert peak < 16 << 20, f"peak {peak / 2**20:.1f} MiB while checking 60 MiB of JSON"
