"""read_json's msgspec path gives exactly what the standard library gives: the same values (types,
key order, duplicate keys, float bits, integers of any size) and, for everything msgspec or the
stdlib refuses, the same InputError text, because those files are parsed by ``json`` as before."""

from __future__ import annotations

import gc
import json
import math

import numpy as np
import pytest

from generallevel import InputError
from generallevel.readers import fastjson
from generallevel.readers.benchfolder import read_json

pytest.importorskip("msgspec")

CASES = [
    b'{"a": 1, "a": 2, "b": 3}', b'{"b": 1, "a": 2, "b": 3}',  # duplicate keys: last value, first position
    b"[NaN, Infinity, -Infinity]", b"[1e400]", b"[-1e400]", b"[1e-400]", b"[-0]", b"[-0.0]",  # stdlib accepts
    b"[18446744073709551616]", b"[-9223372036854775809]", b"[9223372036854775807]",  # beyond 64 bits
    b'{"id": "12345678901234567890123"}', b'["\\ud800"]', b'["\\udc00\\ud800"]', b'"\\u0000"',
    b"\xef\xbb\xbf[1]", b'["a\tb"]', b"[1]\x00", b"\x0c[1]", b"[.5]", b"[01]", b'{"a": 1,}', b"[1,]",
    b"[\xff]", b'["\xed\xa0\x80"]', b"", b" ", b"[tru]", b"[1]\r\n", b"[\r1]", b'{\r\n"a":\r\n[1,\r\n}',
    b'["\x7f"]', b"[1.7976931348623157e308]", b"[1.7976931348623159e308]", b"[4.9e-324]",
    b"[2.4703282292062327e-324]", b"[2.4703282292062328e-324]", b"[123456789012345678.5]", b"[12345678901234567890.5]", b"[12345678901234567890e2]",
    b"[0.0001234567890123456789]", b"[1e12345678901234567890]",
    b"[" * 1100 + b"]" * 1100, b"[" * 900 + b"]" * 900, '{"é": "ü\u2028"}'.encode(), b'{"a": [1, {"b": null}]}',
]


def _stdlib(path):
    """read_json as it was: read_text + json.loads."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        return "error", f"{path}: not UTF-8 text ({e})"
    try:
        return "value", json.loads(text)
    except json.JSONDecodeError as e:
        return "error", f"{path}: malformed JSON: {e}"
    except RecursionError:
        return "recursion", None


def _ours(path):
    try:
        return "value", read_json(path)
    except InputError as e:
        return "error", str(e)
    except RecursionError:
        return "recursion", None


def _same(a, b):
    return a[0] == b[0] and repr(a[1]) == repr(b[1]) and json.dumps(a[1], default=str) == json.dumps(b[1], default=str)


@pytest.mark.parametrize("with_msgspec", [True, False])
def test_every_edge_case_reads_as_the_standard_library_reads_it(tmp_path, monkeypatch, with_msgspec):
    if not with_msgspec:
        monkeypatch.setattr(fastjson, "msgspec_json", lambda: None)
    for k, data in enumerate(CASES):
        path = tmp_path / f"case{k}.json"
        path.write_bytes(data)
        want, got = _stdlib(path), _ours(path)
        assert _same(want, got), (data[:60], want, got)


def test_values_and_float_bits_equal_on_a_large_random_document(tmp_path):
    rng = np.random.default_rng(4)
    floats = (rng.standard_normal(20_000) * 10.0 ** rng.integers(-300, 300, 20_000)).tolist()
    doc = {"data": [{"id": i, "output": floats[i * 10:(i + 1) * 10], "text": f"item {i} ü", "ok": i % 2 == 0,
                     "none": None, "int": int(rng.integers(-10**17, 10**17))} for i in range(2000)]}
    doc["small"] = (rng.random(5000) * 1e-2).tolist()  # 0.00xxxxxxxxxxxxxxxxx: 19+ fraction digits
    path = tmp_path / "big.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert fastjson.parse_bytes(path.read_bytes()) is not fastjson.NOT_PARSED  # the msgspec path ran
    got = read_json(path)
    want = json.loads(path.read_text(encoding="utf-8"))
    assert got == want
    assert [math.copysign(1, x) * abs(x) for x in got["data"][7]["output"]] == want["data"][7]["output"]
    assert all(type(a) is type(b) for a, b in zip(got["data"][3].values(), want["data"][3].values()))


def test_numbers_equal_the_standard_library_bit_for_bit():
    """Random number literals (integers of any size, fractions, exponents): msgspec's value or none."""
    rng = np.random.default_rng(9)
    literals = []
    for _ in range(20_000):
        digits = "".join(map(str, rng.integers(0, 10, int(rng.integers(1, 26))))).lstrip("0") or "0"
        s = digits
        if rng.random() < 0.5 and len(digits) > 1:
            cut = int(rng.integers(1, len(digits)))
            s = digits[:cut] + "." + digits[cut:]
        if rng.random() < 0.5:
            s += "eE"[int(rng.integers(0, 2))] + ["", "+", "-"][int(rng.integers(0, 3))] + str(int(rng.integers(0, 330)))
        literals.append(("-" if rng.random() < 0.3 else "") + s)
    parsed = 0
    for lit in literals:
        got = fastjson.parse_bytes(f"[{lit}]".encode())
        if got is not fastjson.NOT_PARSED:
            parsed += 1
            want = json.loads(f"[{lit}]")
            assert repr(got) == repr(want) and type(got[0]) is type(want[0]), lit
    assert parsed > 15_000


def test_the_collector_is_paused_only_while_parsing(tmp_path):
    path = tmp_path / "x.json"
    path.write_bytes(b'{"a": [1, 2]}')
    assert gc.isenabled()
    read_json(path)
    assert gc.isenabled()
    path.write_bytes(b'{"a": [1, 2}')
    with pytest.raises(InputError, match="malformed JSON"):
        read_json(path)
    assert gc.isenabled()
    gc.disable()
    try:
        read_json(tmp_path / "x.json") if False else None
        with pytest.raises(InputError):
            read_json(path)
        assert not gc.isenabled()  # a caller's choice is kept
    finally:
        gc.enable()


_PARK_SCRIPT = r"""
import gc, json, sys
from pathlib import Path
from generallevel.readers import fastjson
from generallevel.readers.benchfolder import read_json
path = Path(sys.argv[1])
path.write_text(json.dumps({"data": [[i, [float(i)] * 3] for i in range(20000)]}))
if sys.argv[2] == "foreign":
    gc.freeze()  # the process froze objects of its own first
base = gc.get_freeze_count()
outside = read_json(path)  # outside a task's parking(): nothing is parked
unparked = gc.get_freeze_count() - base
with fastjson.parking():
    value = read_json(path)
    parked = gc.get_freeze_count() - base
    tracked = sum(len(g) for g in (gc.get_objects(0), gc.get_objects(1), gc.get_objects(2)))
    value2 = read_json(path)  # a second file of the same task: parked too
print(parked, tracked, gc.get_freeze_count(), gc.isenabled(), value == value2 == outside, unparked)
"""


@pytest.mark.parametrize("mode", ["own", "foreign"])
def test_a_parsed_task_file_is_parked_out_of_the_collectors_sight_until_released(tmp_path, mode):
    """Inside a task's ``parking()`` the 40,000 parsed lists sit in the permanent generation (no
    collection scans them) until it ends; outside it nothing is parked; a process that froze
    objects itself keeps them frozen (we never unfreeze then)."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _PARK_SCRIPT, str(tmp_path / "x.json"), mode], capture_output=True,
                         text=True, check=True).stdout.split()
    parked, tracked, after, enabled, same = int(out[0]), int(out[1]), int(out[2]), out[3], out[4]
    assert parked >= 40_000 and tracked < 40_000 and enabled == "True" and same == "True"
    assert int(out[5]) <= 0  # (frozen objects of the process may be freed meanwhile)
    assert (after == 0) if mode == "own" else (after >= parked)


_TASK_SCRIPT = r"""
import gc, sys
from pathlib import Path
from generallevel.evaluate import _pairs, evaluate_folder
demo = Path(sys.argv[1])
pairs, _ = _pairs(demo / "bench", demo / "predictions" / "demo-omni")
folder, pred = next((f, p) for f, p in pairs if p is not None and f.path.name == "COCO_Image_Captioning")
res = evaluate_folder(folder, pred)
print(res.status, gc.get_freeze_count(), gc.isenabled())
"""


def test_evaluate_folder_releases_what_its_files_parked():
    import subprocess
    import sys
    from pathlib import Path

    demo = Path(__file__).resolve().parents[1] / "core" / "examples" / "demo"
    out = subprocess.run([sys.executable, "-c", _TASK_SCRIPT, str(demo)], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["scored", "0", "True"]


def test_missing_file_and_folder_errors_are_unchanged(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        read_json(tmp_path / "nope.json")
    with pytest.raises(InputError, match="cannot read"):
        read_json(tmp_path)
