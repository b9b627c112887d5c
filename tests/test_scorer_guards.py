"""A scorer that cannot be fooled: wins on raw values (normalised scores saturate in float64), percent
where a fraction is expected, empty inputs that would score Level 1 silently, and the report texts
that say what the numbers mean. Expected values are hand-worked or come from the registry's SoTA.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import generallevel as gl
from generallevel.cli import main
from generallevel.evaluate import DEMO_DATASET, DEMO_PREDICTIONS, evaluate

EXAMPLE = Path(gl.__file__).parent / "examples" / "example-model-scores.csv"


def _row(report, task_id):
    return next(t for t in report.tasks if t.task.id == task_id)


# -- wins are decided on raw values ---------------------------------------------------------------
@pytest.mark.parametrize("task_id,worse,better", [
    ("text-to-3d-motion-generation", 0.51, 0.2),  # FID, SoTA 0.228: 25/0.51 and 25/0.228 both give 100.0
    ("text-to-3d-motion-generation", 0.9, 0.228),
    ("point-cloud-to-mesh-object-reconstruction", 0.04, 9.0e-5),  # CD, SoTA 9.32e-5
])
def test_a_worse_raw_value_never_wins_even_when_both_saturate(task_id, worse, better):
    bad = _row(gl.score({task_id: worse}), task_id)
    # the normalised scores saturate: equal, or closer than any slack a float comparison can allow
    assert bad.sota_sigma == 100.0 and 0 <= bad.sota_sigma - bad.sigma < 1e-7
    assert not bad.win
    assert _row(gl.score({task_id: better}), task_id).win  # better or equal still wins


def _lower_is_better_tasks():
    out = []
    for t in gl.list_tasks():
        m = gl.get_metric(t.metric)
        if not m.higher_is_better and t.sota_metric_unit is not None:
            out.append((t.id, t.sota_metric_unit, m.raw_range[1]))
    return out


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_property_no_raw_value_worse_than_the_sota_wins(data):
    """Over every lower-is-better metric's tasks: any raw value above the SoTA (by more than the four
    units in the last place that count as equal) never wins, however the normalisation saturates; a
    value at or below it always does."""
    tasks = _lower_is_better_tasks()
    assert {gl.get_task(i).metric for i, _, _ in tasks} >= {"FID", "CD", "MAE", "WER", "AbsRel", "RTE", "MCD"}
    task_id, sota, hi = data.draw(st.sampled_from(tasks), label="task")
    factor = data.draw(st.floats(1e-14, 1e6, allow_nan=False), label="relative excess")
    worse = sota * (1 + factor) if sota > 0 else factor
    worse = max(worse, float(np.nextafter(sota, np.inf) + 4 * np.spacing(sota)))
    if hi is not None and worse > hi:
        return
    unit = gl.get_metric(gl.get_task(task_id).metric).unit
    row = _row(gl.score([(task_id, worse, unit)]), task_id)
    assert not row.win, (task_id, sota, worse, row.sigma, row.sota_sigma)
    at_or_below = data.draw(st.floats(0.0, 1.0), label="fraction of the SoTA") * sota
    assert _row(gl.score([(task_id, at_or_below, unit)]), task_id).win


def test_equal_up_to_float_noise_still_wins():
    # 0.58 as a fraction is 57.99999999999999 %: equal to a SoTA of 58 for every purpose
    task = next(t for t in gl.list_tasks() if t.metric == "Acc" and t.sota_unit == "percent")
    value = task.sota / 100
    row = _row(gl.score([(task.id, value, "fraction")]), task.id)
    assert row.win


def test_leaderboard_uses_the_raw_decided_wins():
    from generallevel.leaderboard import compute_boards, matrix_from_reports

    reps = [gl.score({"text-to-3d-motion-generation": v}, model=m).to_dict(include_tasks=True)
            for m, v in (("worse", 0.51), ("better", 0.2))]
    board = compute_boards(matrix_from_reports(reps), board_ids=["scope-a"])[0]
    wins = {r["model"]: r["wins"] for r in board.rows()}
    assert wins == {"worse": 0, "better": 1}


# -- percent where a fraction is expected ---------------------------------------------------------
def test_wer_in_percent_is_refused_not_scored_zero(tmp_path):
    with pytest.raises(gl.InputError, match=r"WER 12.5 is 1250 % read as a fraction.*looks like a percentage"):
        gl.score({"texttospeech": 12.5})
    csv = tmp_path / "r.csv"
    csv.write_text("task,score\ntexttospeech,12.5\n")
    r = CliRunner().invoke(main, ["score", str(csv)])
    assert r.exit_code == 2 and "Give 0.125 (a fraction), or the unit 'percent'" in r.output
    # with its unit it is fine, and a real WER above 100 % can still be given as a fraction
    assert _row(gl.score([("texttospeech", 12.5, "percent")]), "texttospeech").raw == pytest.approx(0.125)
    assert _row(gl.score([("texttospeech", 1.3, "fraction")]), "texttospeech").sigma == 0.0
    assert _row(gl.score({"texttospeech": 0.125}), "texttospeech").raw == 0.125


# -- empty inputs are errors, not Level 1 ---------------------------------------------------------
def test_a_header_only_csv_is_an_error(tmp_path):
    csv = tmp_path / "empty.csv"
    csv.write_text("task,score,unit\n")
    with pytest.raises(gl.InputError, match="no scores in the file"):
        gl.score(str(csv))
    r = CliRunner().invoke(main, ["score", str(csv)])
    assert r.exit_code == 2 and "Level" not in r.output


def test_evaluate_on_an_empty_predictions_folder_is_an_error(tmp_path):
    empty = tmp_path / "emptydir"
    empty.mkdir()
    with pytest.raises(gl.InputError, match=r"no prediction.json matches a task folder.*holds no prediction.json"):
        evaluate(DEMO_DATASET, empty, jobs=1)
    r = CliRunner().invoke(main, ["evaluate", str(DEMO_DATASET), "-p", str(empty), "-j", "1"])
    assert r.exit_code == 2 and "Level 1" not in r.output


def test_evaluate_on_a_predictions_folder_one_level_too_high_says_so(tmp_path):
    import shutil

    runs = tmp_path / "runs"
    shutil.copytree(DEMO_PREDICTIONS, runs / "my-model")
    with pytest.raises(gl.InputError, match=r"one level deeper \(--predictions .*my-model\)"):
        evaluate(DEMO_DATASET, runs, jobs=1)
    assert evaluate(DEMO_DATASET, runs / "my-model", jobs=1).report.level >= 2


# -- what the reports say -------------------------------------------------------------------------
def test_text_reports_explain_their_terms_and_list_tasks_on_request():
    runner = CliRunner()
    for fmt in ("table", "markdown"):
        plain = runner.invoke(main, ["score", str(EXAMPLE), "--format", fmt]).output
        assert "Supported: tasks given a score" in plain and "S_L: the NLP tasks' mean score" in plain
        assert "w_L = S_L / 100" in plain and "Wins: tasks whose raw result" in plain
        assert "leukemia-classification" not in plain
        rows = runner.invoke(main, ["score", str(EXAMPLE), "--format", fmt, "--tasks"]).output
        assert "leukemia-classification" in rows and "Image-comprehension" in rows
        assert "36 supported tasks; 663 unsupported tasks not listed" in rows


def test_score_json_carries_the_task_rows_a_leaderboard_needs(tmp_path):
    from generallevel.leaderboard import load_results

    runner = CliRunner()
    paths = []
    for model in ("a", "b"):
        r = runner.invoke(main, ["score", str(EXAMPLE), "--model", model, "--format", "json"])
        assert r.exit_code == 0
        paths.append(tmp_path / f"{model}.json")
        paths[-1].write_text(r.stdout)
        assert len(json.loads(r.stdout)["tasks"]) == 699
    assert load_results(paths).models == ["a", "b"]
    r = runner.invoke(main, ["leaderboard", *map(str, paths)])
    assert r.exit_code == 0, r.output


def test_official_mode_notes_scores_outside_0_100():
    report = gl.score([("texttospeech", 5.6, "percent"), ("crowd-counting", 3.0)], compat="official")
    text = CliRunner().invoke(main, ["score", "--compat", "official", str(EXAMPLE)]).output
    assert report.notes and "outside 0..100" in report.notes[0] and "docs/official-differences.md" in report.notes[0]
    from generallevel.reports import render

    for fmt in ("table", "markdown"):
        assert "Note: 1 task score outside 0..100 (texttospeech -460" in render(report, fmt)
    assert "Note:" not in render(gl.score({"crowd-counting": 3.0}), "table")
    assert "Level" in text


def test_metrics_show_where_the_clip_bites():
    rows = {m["name"]: m for m in json.loads(CliRunner().invoke(main, ["metrics", "--json"]).output)}
    assert rows["CIDEr"]["normalization"] == "min(x, 100)"  # raw 0..1000 %
    assert rows["PCC"]["normalization"] == "max(x, 0)"  # raw -100..100 %
    assert rows["Acc"]["normalization"] == "x" and rows["WER"]["normalization"] == "100*max(0,1-x)"
    assert gl.get_metric("CIDEr").normalize(250.0) == 100.0 and gl.get_metric("PCC").normalize(-30.0) == 0.0
    table = CliRunner().invoke(main, ["metrics"]).output
    assert "min(x, 100)" in table and "max(x, 0)" in table


def test_evaluate_writes_html_and_other_formats_to_a_file(tmp_path):
    runner = CliRunner()
    page = tmp_path / "report.html"
    r = runner.invoke(main, ["evaluate", "-j", "1", "--format", "html", "--output", str(page)])
    assert r.exit_code == 0, r.output
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and "Wins over SoTA per task" in html and "demo-omni" in html
    out = tmp_path / "report.json"
    assert runner.invoke(main, ["evaluate", "-j", "1", "--format", "json", "-o", str(out)]).exit_code == 0
    assert json.loads(out.read_text())["model"] == "demo-omni"


# -- the registry carries what its tasks need -----------------------------------------------------
CITYSCAPES_THINGS = [24, 25, 26, 27, 28, 31, 32, 33]  # person rider car truck bus train motorcycle bicycle
CITYSCAPES_STUFF = [7, 8, 11, 12, 13, 17, 19, 20, 21, 22, 23]


def test_road_scene_panoptic_carries_the_cityscapes_split_and_matches_torchmetrics():
    task = gl.get_task("Road Scene Panoptic Segmentation")
    assert task.metric_options == {"things": CITYSCAPES_THINGS, "stuffs": CITYSCAPES_STUFF}
    torch = pytest.importorskip("torch")
    tm = pytest.importorskip("torchmetrics.detection")
    rng = np.random.default_rng(7)
    cats = np.array(CITYSCAPES_THINGS + CITYSCAPES_STUFF)
    gold = np.stack([rng.choice(cats, (2, 24, 32)), rng.integers(0, 3, (2, 24, 32))], axis=-1)
    pred = gold.copy()
    flip = rng.random((2, 24, 32)) < 0.15
    pred[..., 0][flip] = rng.choice(cats, flip.sum())
    got = gl.get_metric(task.metric).compute(pred, gold, **task.metric_options)
    ref = tm.PanopticQuality(things=set(CITYSCAPES_THINGS), stuffs=set(CITYSCAPES_STUFF))
    want = 100 * float(ref(torch.as_tensor(pred), torch.as_tensor(gold)))
    assert got == pytest.approx(want, abs=1e-6)


def test_the_registry_is_what_the_converter_writes(official_ref, tmp_path):
    import importlib.util

    script = Path(__file__).resolve().parents[1] / "scripts" / "convert_sota_sheet.py"
    spec = importlib.util.spec_from_file_location("convert_sota_sheet", script)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    text = mod.convert(official_ref / "sota_result.xlsx")
    assert text == (script.parents[1] / "registry.toml").read_text(encoding="utf-8")


# -- a light install names the extra that brings what is missing ----------------------------------
LIGHT = """
import sys
BLOCK = {"torch", "torchmetrics", "torchvision", "sklearn", "scipy", "pycocotools", "sacrebleu", "rouge_score",
         "nltk", "jiwer", "codebleu", "tree_sitter_python", "pycocoevalcap", "pymcd", "pyworld", "rapidfuzz",
         "openpyxl", "PIL"}
class Block:  # what `pip install generallevel` without extras looks like to an import
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in BLOCK:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
sys.meta_path.insert(0, Block())
from generallevel.cli import main
main()
"""


def test_every_missing_optional_library_names_its_extra():
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", LIGHT, "evaluate", "--format", "json", "-j", "1"],
                          capture_output=True, text=True)
    failed = [t for t in json.loads(proc.stdout)["tasks"] if t["status"] == "failed"]
    assert len(failed) >= 6, "the demo needs several optional libraries"
    for t in failed:
        assert "pip install 'generallevel[" in t["error"], t
        assert "ModuleNotFoundError" not in t["error"], t
    errors = " ".join(t["error"] for t in failed)
    # the demo's generation tasks read media files and run extractors: each missing piece names its extra
    assert "needs Pillow, which is not installed: pip install 'generallevel[media]'" in errors
    assert "extractor 'r3d18-kinetics'" in errors and "install them (pip install 'generallevel[models]')" in errors
    assert "WER needs jiwer, which is not installed: pip install 'generallevel[audio]'" in errors
    assert "BLEU needs sacrebleu: pip install sacrebleu (it comes with pip install 'generallevel[text]')" in errors
