"""Result workbooks as the official pipeline writes them: NLP scores as fractions of 1, the SoTA sheet
and the other sheets in percent.

``--compat official`` takes the numbers as they are, as the official ranker does (checked against the
independent oracle in tests/official_oracle.py); the default mode refuses a sheet that looks like
fractions unless its unit is declared (``--unit NLP=fraction``), and then scores exactly as the same
workbook written in percent. The workbooks are rebuilt here from the official template.
"""

from __future__ import annotations

import json
import random
import shutil

import openpyxl
import pytest
from click.testing import CliRunner

import generallevel as gl
from generallevel.cli import main

from official_oracle import official_levels, official_s_l

MODEL = "Pipeline-Model"


def _build(official_ref, out, seed, fractions, model=MODEL):
    """A result workbook with one model column; NLP bounded-metric cells as fractions of 1 (as the
    official NLP processor writes them) or in percent. The NLP RMSE cell (Time Series) is raw, and
    Mathematical Word Problem Solving (SoTA 1.0) is at 100 %, so the official S_L is not 0."""
    rng = random.Random(seed)
    shutil.copy(official_ref / "template_result.xlsx", out)
    wb = openpyxl.load_workbook(out)
    for ws in wb.worksheets:
        col = ws.max_column + 1
        ws.cell(row=1, column=col, value=model)
        for r in range(2, ws.max_row + 1):
            name = ws.cell(row=r, column=2).value
            metric = str(ws.cell(row=r, column=4).value or "").strip()
            if not name:
                continue
            task = gl.get_task(str(name))
            nlp = ws.title.strip() == "NLP"
            if nlp and task.id == "mathematical-word-problem-solving":
                ws.cell(row=r, column=col, value=1.0 if fractions else 100.0)
                continue
            if rng.random() < 0.3 and task.id != "time-series":
                continue  # unsupported task
            if task.sota_unit == "percent":
                v = round(min(100.0, max(0.0, task.sota * rng.uniform(0.6, 1.4))), 4)
                if nlp:  # the official NLP processor writes fractions; x100 is what generallevel computes
                    v = v / 100.0 if fractions else (v / 100.0) * 100.0
            elif metric == "MOS":
                v = rng.uniform(1.5, 5.0)
            elif metric == "MS-SSIM":
                v = rng.uniform(0.2, 0.9)
            else:
                v = task.sota * rng.uniform(0.5, 1.6)
            ws.cell(row=r, column=col, value=v)
    wb.save(out)


@pytest.fixture
def books(official_ref, tmp_path):
    """(fraction workbook, the same workbook with its NLP cells in percent)."""
    frac, pct = tmp_path / "fraction.xlsx", tmp_path / "percent.xlsx"
    _build(official_ref, frac, 11, fractions=True)
    _build(official_ref, pct, 11, fractions=False)
    return frac, pct


def _cli(*args):
    return CliRunner().invoke(main, ["score", *map(str, args)])


def _nlp_values(path):
    ws = openpyxl.load_workbook(path, read_only=True)["NLP"]
    return [r[-1] for r in ws.iter_rows(min_row=2, values_only=True) if r[-1] is not None]


def test_the_builder_writes_fractions_and_percent(books):
    frac, pct = books
    f, p = _nlp_values(frac), _nlp_values(pct)
    assert len(f) == len(p) > 50
    assert max(v for v in f if v <= 1.0) <= 1.0 and sum(v > 1 for v in f) == 1  # only the raw RMSE
    assert [a for a in f if a <= 1] != [a for a in p if a <= 1]


def test_official_mode_takes_the_numbers_as_they_are(official_ref, books):
    frac, _ = books
    expected, per = official_levels(official_ref / "sota_result.xlsx", frac, MODEL)
    s_l = official_s_l(openpyxl.load_workbook(official_ref / "sota_result.xlsx", read_only=True),
                       openpyxl.load_workbook(frac, read_only=True), MODEL)
    assert s_l > 0 and expected["level4"] > 0 and expected["level5"] > 0  # a non-trivial comparison
    for rep in (gl.score(frac, model=MODEL, compat="official"),
                gl.score(str(frac), model=MODEL.lower(), compat="official")):
        for k in ("level2", "level3", "level4", "level5"):
            assert rep.levels[k] == pytest.approx(expected[k], abs=1e-9), k
        for j, k in enumerate(("level2", "level3", "level4")):
            for m, vals in per.items():
                assert rep.modalities[m][k] == pytest.approx(vals[j], abs=1e-9), (m, k)
        assert rep.nlp["s_l"] == pytest.approx(s_l, abs=1e-9)
        assert rep.units["NLP"] == {"unit": "percent", "declared": None, "values": rep.units["NLP"]["values"],
                                    "checked": False}
    r = _cli(frac, "--model", MODEL, "--compat", "official")
    assert r.exit_code == 0, r.output
    assert f"Level-5 {expected['level5']:.2f}" in r.output and f"Level-2 {expected['level2']:.2f}" in r.output
    assert "percent in every sheet (the sheet's unit, taken as is;" in r.output


def test_official_mode_with_a_declared_unit_is_the_ranker_on_the_percent_workbook(official_ref, books):
    frac, pct = books
    expected, _ = official_levels(official_ref / "sota_result.xlsx", pct, MODEL)
    rep = gl.score(frac, model=MODEL, compat="official", units={"NLP": "fraction"})
    for k in expected:
        assert rep.levels[k] == pytest.approx(expected[k], abs=1e-9), k


def test_default_mode_refuses_undeclared_fractions_and_names_the_declaration(books):
    frac, _ = books
    with pytest.raises(gl.InputError) as e:
        gl.score(frac, model=MODEL)
    msg = str(e.value)
    assert "1 problem(s)" in msg and "sheet NLP: every percent-scale score is between 0 and 1" in msg
    assert "--unit NLP=fraction" in msg and "units={'NLP': 'fraction'}" in msg
    assert "Image-Comprehension" not in msg  # the other sheets are in percent: checked one by one
    r = _cli(frac, "--model", MODEL)
    assert r.exit_code == 2 and "--unit NLP=fraction" in r.output and "Traceback" not in r.output


def test_declared_fraction_scores_as_the_percent_workbook(books):
    frac, pct = books
    want = gl.score(pct, model=MODEL)
    for units in ({"NLP": "fraction"}, ["NLP=fraction"], {"nlp": "FRACTION"}, {f"NLP:{MODEL.upper()}": "fraction"},
                  {"*": "fraction", "Image-Comprehension": "percent", "Image-Generation": "percent",
                   "Video-Comprehension": "percent", "Video-Generation": "percent", "Audio-Comprehension": "percent",
                   "Audio-Generation": "percent", "3D-Comprehension": "percent", "3D-Generation": "percent"}):
        got = gl.score(frac, model=MODEL, units=units)
        assert got.level == want.level
        for k in want.levels:
            assert got.levels[k] == pytest.approx(want.levels[k], rel=1e-12, abs=1e-12), (units, k)
        assert got.nlp == pytest.approx(want.nlp, rel=1e-12)
        for a, b in zip(got.tasks, want.tasks):
            assert (a.raw is None) == (b.raw is None) and a.win == b.win
            if a.raw is not None:
                assert a.raw == pytest.approx(b.raw, rel=1e-12) and a.sigma == pytest.approx(b.sigma, rel=1e-12)
        assert got.units["NLP"]["unit"] == "fraction" and got.units["NLP"]["values"] > 50
    assert want.units["NLP"] == {"unit": "percent", "declared": None, "values": got.units["NLP"]["values"],
                                 "checked": True}


def test_the_report_states_the_units(books):
    frac, pct = books
    r = _cli(frac, "--model", MODEL, "--unit", "NLP=fraction", "--format", "json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    n = doc["units"]["NLP"]["values"]
    assert doc["units"]["NLP"] == {"unit": "fraction", "declared": "NLP=fraction", "values": n, "checked": False}
    assert set(doc["units"]) == {"NLP", "Image-Comprehension", "Image-Generation", "Video-Comprehension",
                                 "Video-Generation", "Audio-Comprehension", "Audio-Generation", "3D-Comprehension",
                                 "3D-Generation"}
    assert all(u["unit"] == "percent" and u["declared"] is None and u["checked"]
               for s, u in doc["units"].items() if s != "NLP")
    assert doc["units"]["Image-Comprehension"]["values"] > 100
    jsonschema = pytest.importorskip("jsonschema")
    from pathlib import Path

    schema = json.loads((Path(__file__).resolve().parents[1] / "docs" / "report-schema.json").read_text("utf-8"))
    jsonschema.validate(doc, schema)
    for fmt, needle in (("table", f"fraction in NLP (declared NLP=fraction; {n} values); percent in the other 8 "
                                  f"sheets (the sheet's unit, checked for fractions;"),
                        ("markdown", "fraction in NLP (declared NLP=fraction;"),
                        ("html", "Workbook percent-scale cells read as</dt><dd>fraction in NLP")):
        r = _cli(frac, "--model", MODEL, "--unit", "NLP=fraction", "--format", fmt)
        assert r.exit_code == 0 and needle in r.output, (fmt, r.output[-600:])
    r = _cli(pct, "--model", MODEL, "--unit", "*=percent")
    assert r.exit_code == 0 and "percent in every sheet (declared *=percent;" in r.output
    # CSV/JSON scores carry no workbook units
    assert "units" not in gl.score({"crowd-counting": 3.0}).to_dict()


def test_an_explicit_percent_declaration_accepts_small_values(books):
    frac, _ = books
    rep = gl.score(frac, model=MODEL, units={"NLP": "percent"})  # the user says: these really are < 1 %
    assert rep.units["NLP"] == {"unit": "percent", "declared": "NLP=percent", "values": rep.units["NLP"]["values"],
                                "checked": False}
    won = {t.task.id for t in rep.tasks if t.win and t.task.modality == "NLP"}
    assert "mathematical-word-problem-solving" in won  # 1.0 % against the SoTA 1.0
    assert gl.score(frac, model=MODEL, assume_percent=True).units["NLP"]["checked"] is False


def test_declarations_for_another_column_do_not_apply(books, official_ref, tmp_path):
    frac, _ = books
    with pytest.raises(gl.InputError, match="--unit NLP=fraction"):
        gl.score(frac, model=MODEL, units={"NLP:Another-Model": "fraction"})
    # precedence: SHEET:COLUMN > SHEET > *:COLUMN > *
    rep = gl.score(frac, model=MODEL, units={"*": "fraction", f"*:{MODEL}": "percent", "NLP": "percent",
                                             f"NLP:{MODEL}": "fraction"})
    assert rep.units["NLP"]["declared"] == f"NLP:{MODEL}=fraction"
    assert rep.units["Image-Comprehension"]["declared"] == f"*:{MODEL}=percent"
    with pytest.raises(gl.InputError, match="sheet Image-Comprehension row .*read as fraction, declared by "
                                            "\\*:Pipeline-Model=fraction.*outside"):
        gl.score(frac, model=MODEL, units={f"*:{MODEL}": "fraction"})


@pytest.mark.parametrize("decl,match", [
    ("Text=fraction", "unknown sheet 'Text'; use '\\*' or one of NLP, Image-Comprehension"),
    ("NLP=dB", "one of percent, fraction"),
    ("NLP", "expected SHEET=UNIT"),
    ("NLP:=fraction", "empty column name"),
])
def test_bad_declarations(books, decl, match):
    frac, _ = books
    with pytest.raises(gl.InputError, match=match):
        gl.score(frac, model=MODEL, units=[decl])
    r = _cli(frac, "--model", MODEL, "--unit", decl)
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_contradicting_declarations(books):
    frac, _ = books
    r = _cli(frac, "--model", MODEL, "--unit", "NLP=fraction", "--unit", "nlp=percent")
    assert r.exit_code == 2 and "contradict" in r.output
    assert _cli(frac, "--model", MODEL, "--unit", "NLP=fraction", "--unit", "nlp=fraction").exit_code == 0


def test_declarations_are_for_workbooks_only(tmp_path):
    p = tmp_path / "s.csv"
    p.write_text("task,score\nCommonsense Reasoning,0.8\n", encoding="utf-8")
    r = _cli(p, "--unit", "*=fraction")
    assert r.exit_code == 2 and "give a row its unit" in r.output
    with pytest.raises(gl.InputError, match="give a row its unit"):
        gl.score({"Commonsense Reasoning": 0.8}, units={"*": "fraction"})
    with pytest.raises(gl.InputError, match="look like fractions"):
        gl.score(p)  # a path is read like the CLI reads it; the file-wide check is unchanged
    assert gl.score(p, units="fraction").nlp["supported"] == 1


def test_a_workbook_unit_string_asks_for_a_declaration(books):
    frac, _ = books
    with pytest.raises(gl.InputError, match="declare a workbook's units per sheet"):
        gl.score(frac, model=MODEL, units="fraction")


def test_the_official_differences_example(official_ref, tmp_path):
    """The numbers of docs/official-differences.md#nlp-scores-written-as-fractions, recomputed."""
    from pathlib import Path

    path = tmp_path / "mini.xlsx"
    shutil.copy(official_ref / "template_result.xlsx", path)
    cells = {"analogical-reasoning": 0.745, "crowd-counting": 3.0, "eeg-based-image-generation": 50.0}
    wb = openpyxl.load_workbook(path)
    for ws in wb.worksheets:
        col = ws.max_column + 1
        ws.cell(row=1, column=col, value="M")
        for r in range(2, ws.max_row + 1):
            name = ws.cell(row=r, column=2).value
            if name and gl.get_task(str(name)).id in cells:
                ws.cell(row=r, column=col, value=cells[gl.get_task(str(name)).id])
    wb.save(path)
    text = (Path(__file__).resolve().parents[1] / "docs" / "official-differences.md").read_text("utf-8")
    section = text[text.index("## NLP scores written as fractions"):].split("\n## ")[0]
    rows = {}
    for label, kw in (("generallevel `--unit NLP=fraction`", {"units": {"NLP": "fraction"}}),
                      ("official", {"compat": "official"})):
        rep = gl.score(path, model="M", **kw)
        t = next(t for t in rep.tasks if t.task.id == "analogical-reasoning")
        line = (f"| {label} | {t.sigma:.2f} | {t.sota_sigma:.2f} | {'yes' if t.win else 'no'} | "
                f"{rep.nlp['s_l']:.2f} | {rep.levels['level5']:.2g} | {rep.level} |")
        assert line in section, f"expected\n{line}\nin\n{section}"
        rows[label] = line
    expected, _ = official_levels(official_ref / "sota_result.xlsx", path, "M")
    assert gl.score(path, model="M", compat="official").levels == pytest.approx(expected, abs=1e-12)
    with pytest.raises(gl.InputError) as e:
        gl.score(path, model="M")
    assert ("sheet NLP: every percent-scale score is between 0 and 1 (e.g. row 6): these look like fractions"
            in str(e.value))
    assert "Declare the sheet's unit: --unit NLP=fraction" in str(e.value)
