"""evaluate --ci end to end: reports, Level intervals checked against re-scoring each resample with
``score``, the same intervals for any --jobs, the CLI, the schema and the HTML report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import generallevel as gl
from generallevel.cli import main
from generallevel.evaluate import evaluate_demo
from generallevel.intervals import IntervalSpec
from generallevel.level_intervals import resampled_levels

SCHEMA = Path(__file__).resolve().parents[1] / "docs" / "report-schema.json"


@pytest.fixture(scope="module")
def demo_ci():
    return evaluate_demo(jobs=1, ci=True, resamples=200, seed=5)


def test_every_scored_task_has_an_interval_or_says_why(demo_ci):
    for t in demo_ci.tasks:
        if t.status != "scored":
            assert t.interval_info is None
            continue
        if t.interval_info is None:
            assert any(n.startswith("no confidence interval:") for n in t.notes), t.task_id
            continue
        iv = t.interval_info
        lo, hi = iv["raw"]
        assert lo <= hi and iv["score"][0] <= iv["score"][1]
        if iv["method"] == "mean":  # an analytic interval around the mean holds the mean
            assert lo - 1e-9 <= t.raw <= hi + 1e-9
        if iv["p_win"] is not None:
            assert 0.0 <= iv["p_win"] <= 1.0
    assert demo_ci.intervals["tasks_resampled"] >= 15


def test_level_intervals_equal_rescoring_every_resample_with_score(demo_ci):
    """Each resample's raw values, scored from scratch by gl.score, give the same S2..S5 and Level."""
    spec = IntervalSpec(resamples=200, seed=5)
    raw, lv = resampled_levels(demo_ci.tasks, demo_ci.report, spec)
    ids = [t.task.id for t in demo_ci.report.tasks]
    levels = []
    for b in range(spec.resamples):
        rep = gl.score({ids[i]: float(raw[b, i]) for i in range(len(ids)) if not np.isnan(raw[b, i])},
                       model="resample", measured=True)
        levels.append(rep.level)
        if b < 40:
            assert [lv.s2[b], lv.s3[b], lv.s4[b], lv.s5[b]] == pytest.approx(
                [rep.levels[f"level{k}"] for k in (2, 3, 4, 5)], rel=1e-12, abs=1e-12)
    freq = {str(k): levels.count(k) / spec.resamples for k in range(1, 6)}
    assert demo_ci.intervals["level_probability"] == pytest.approx(freq)
    for k in (2, 3, 4, 5):
        col = [lv.s2, lv.s3, lv.s4, lv.s5][k - 2]
        assert demo_ci.intervals["levels"][f"level{k}"] == pytest.approx(list(np.quantile(col, [0.025, 0.975])))


def test_intervals_do_not_depend_on_jobs(demo_ci):
    two = evaluate_demo(jobs=2, ci=True, resamples=200, seed=5)
    assert two.to_dict()["intervals"] == demo_ci.to_dict()["intervals"]
    assert [t.interval_info for t in two.tasks] == [t.interval_info for t in demo_ci.tasks]
    other = evaluate_demo(jobs=1, ci=True, resamples=200, seed=6)
    assert other.to_dict()["intervals"] != demo_ci.to_dict()["intervals"]


def test_ci_report_validates_against_the_schema(demo_ci):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    doc = json.loads(json.dumps(demo_ci.to_dict()))
    errors = [e.message for e in jsonschema.validators.validator_for(schema)(schema).iter_errors(doc)]
    assert errors == []
    assert "intervals" in doc and any("interval" in t for t in doc["tasks"])
    plain = json.loads(json.dumps(evaluate_demo(jobs=1).to_dict()))
    assert "intervals" not in plain and not any("interval" in t for t in plain["tasks"])


def test_cli_flags_and_outputs(tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["evaluate", "--resamples", "50", "-j", "1"])
    assert res.exit_code != 0 and "--ci" in res.output
    res = runner.invoke(main, ["evaluate", "--ci", "--compat", "official", "-j", "1"])
    assert res.exit_code != 0 and "--compat official" in res.output
    res = runner.invoke(main, ["evaluate", "--ci", "--resamples", "50", "--seed", "3", "-j", "1"])
    assert res.exit_code == 0, res.output
    assert "95 % CI" in res.output and "Probability of each Level" in res.output
    out = tmp_path / "r.html"
    res = runner.invoke(main, ["evaluate", "--ci", "--resamples", "50", "-j", "1", "--format", "html", "-o", str(out)])
    assert res.exit_code == 0, res.output
    page = out.read_text(encoding="utf-8")
    assert 'id="fragile"' in page and 'class="ci"' in page and "How sure the Levels are" in page
    md = runner.invoke(main, ["evaluate", "--ci", "--resamples", "50", "-j", "1", "--format", "markdown"])
    header = next(line for line in md.output.splitlines() if line.startswith("| Task"))
    align = md.output.splitlines()[md.output.splitlines().index(header) + 1]
    assert header.count("|") == align.count("|")


def test_fragile_wins_are_the_wins_below_the_threshold(demo_ci):
    fragile = demo_ci.fragile_wins()
    expected = [t for t in demo_ci.tasks if t.win and t.interval_info and t.interval_info["p_win"] < 0.9]
    assert fragile == expected and fragile  # the demo's 6-item tasks won by a hair are fragile


def test_paired_comparison_of_two_models(demo_ci, tmp_path):
    """Two runs on the same instances with the same seed share every draw: comparing a model with itself
    gives zero differences, and a worse copy (one task's predictions spoiled) is lower in every resample
    where that task decides."""
    from generallevel.errors import InputError
    from generallevel.level_intervals import compare

    same = compare(demo_ci, evaluate_demo(jobs=1, ci=True, resamples=200, seed=5))
    assert all(same[k]["difference"] == [0.0, 0.0] and same[k]["p_higher"] == 0.0 for k in
               ("level2", "level3", "level4", "level5"))
    assert same["level"]["p_equal"] == 1.0
    import shutil

    from generallevel.evaluate import DEMO_DATASET, DEMO_PREDICTIONS, evaluate

    worse = tmp_path / "worse"
    shutil.copytree(DEMO_PREDICTIONS, worse)
    pred = next(worse.rglob("Human_Action_Recognition/prediction.json"))
    doc = json.loads(pred.read_text(encoding="utf-8"))
    rows = doc["data"] if isinstance(doc, dict) else doc
    for row in rows:
        row["prediction"] = "certainly not an answer"
    pred.write_text(json.dumps(doc), encoding="utf-8")
    spoiled = evaluate(DEMO_DATASET, worse, "worse", jobs=1, ci=True, resamples=200, seed=5)
    res = compare(demo_ci, spoiled)
    # the spoiled task's accuracy is 0 in every resample; the original's is 0 only when all 6 draws
    # hit its one wrong answer ((1/6)^6 of resamples)
    assert res["level2"]["p_higher"] >= 0.99 and res["level2"]["difference"][0] > 0
    assert res["paired_tasks"] == demo_ci.intervals["tasks_resampled"]
    with pytest.raises(InputError, match="resampled differently"):
        compare(demo_ci, evaluate_demo(jobs=1, ci=True, resamples=200, seed=6))
    with pytest.raises(InputError, match="no intervals"):
        compare(demo_ci, evaluate_demo(jobs=1))
