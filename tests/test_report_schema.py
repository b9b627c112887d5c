"""docs/report-schema.json describes the real JSON reports (score, evaluate, submission) and rejects
malformed ones."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import generallevel as gl

jsonschema = pytest.importorskip("jsonschema")

SCHEMA_PATH = Path(__file__).resolve().parents[1] / "docs" / "report-schema.json"
EXAMPLE = Path(gl.__file__).parent / "examples" / "example-model-scores.csv"


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _example():
    from generallevel.readers import read_results

    entries, units = read_results(EXAMPLE)
    return entries, units


@pytest.fixture(scope="module")
def score_doc() -> dict:
    entries, units = _example()
    return json.loads(json.dumps(gl.score(entries, model="m", units=units).to_dict(include_tasks=True)))


@pytest.fixture(scope="module")
def evaluate_doc() -> dict:
    from generallevel.evaluate import evaluate_demo

    return json.loads(json.dumps(evaluate_demo(jobs=1).to_dict()))


def _errors(validator, doc) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]


@pytest.mark.parametrize("compat", ["paper", "official"])
@pytest.mark.parametrize("include_tasks", [False, True])
def test_score_reports_validate(validator, compat, include_tasks):
    entries, units = _example()
    rep = gl.score(entries, model="m", units=units, compat=compat)
    doc = json.loads(json.dumps(rep.to_dict(include_tasks=include_tasks)))  # exactly what --format json writes
    assert _errors(validator, doc) == []
    assert ("mode" in doc) == (compat == "official")


def test_empty_and_cli_reports_validate(validator, tmp_path):
    from click.testing import CliRunner

    from generallevel.cli import main

    assert _errors(validator, gl.score({}, model="nothing").to_dict(include_tasks=True)) == []
    r = CliRunner().invoke(main, ["score", str(EXAMPLE), "--format", "json", "--tasks"], catch_exceptions=False)
    assert r.exit_code == 0 and _errors(validator, json.loads(r.output)) == []


def test_evaluate_report_validates(validator, evaluate_doc):
    assert _errors(validator, evaluate_doc) == []
    assert {t["status"] for t in evaluate_doc["tasks"]} >= {"scored", "unsupported"}


@pytest.mark.parametrize("ci", [False, True])
def test_submission_report_validates(validator, tmp_path, ci):
    import zipfile

    from generallevel.evaluate import DEMO_DATASET, DEMO_PREDICTIONS
    from generallevel.submission import score_submission

    archive = tmp_path / "demo-omni-scope-a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for f in sorted(DEMO_PREDICTIONS.rglob("prediction.json")):
            zf.write(f, f.relative_to(DEMO_PREDICTIONS).as_posix())
    options = {"ci": True, "resamples": 50} if ci else {}  # the leaderboard service's reports carry intervals
    doc = json.loads(json.dumps(score_submission(archive, DEMO_DATASET, **options).to_dict(include_tasks=True)))
    assert _errors(validator, doc) == []
    assert ("intervals" in doc) == ci and any("interval" in t for t in doc["tasks"]) == ci


@pytest.mark.parametrize("mutate, where", [
    (lambda d: d.update(level=6), "level"),
    (lambda d: d["levels"].pop("level5"), "levels"),
    (lambda d: d["modalities"]["Image"].update(level2=130.0), "modalities/Image/level2"),
    (lambda d: d["modalities"].pop("3D"), "modalities"),
    (lambda d: d["provenance"].update(registry_sha256="abc"), "provenance/registry_sha256"),
    (lambda d: d.update(mode="paper"), "mode"),
    (lambda d: d.update(extra=1), ""),
    (lambda d: d["tasks"][0].update(score="12"), "tasks/0/score"),
    (lambda d: d["tasks"][0].update(modality="Smell"), "tasks/0/modality"),
    (lambda d: d["tasks"][0].pop("win"), "tasks/0"),
    (lambda d: d.update(problems=[]), ""),  # problems belong to evaluate reports only
])
def test_schema_rejects_malformed_reports(validator, score_doc, mutate, where):
    doc = {**score_doc, "tasks": [t for t in score_doc["tasks"] if t["score"] is not None][:10]}
    assert _errors(validator, doc) == []
    bad = copy.deepcopy(doc)
    mutate(bad)
    errors = _errors(validator, bad)
    assert errors and any(e.startswith(where) for e in errors), errors


def test_schema_rejects_score_rows_in_evaluate_reports(validator, evaluate_doc, score_doc):
    doc = {**evaluate_doc, "tasks": score_doc["tasks"][:2]}
    assert _errors(validator, doc)
    assert _errors(validator, {**score_doc, "tasks": evaluate_doc["tasks"][:2]})


def test_official_mode_may_leave_the_paper_range(validator, score_doc):
    doc = copy.deepcopy({**score_doc, "tasks": score_doc["tasks"][:10]})
    doc["levels"]["level3"] = -0.9  # what the official ranker's errors produce
    assert _errors(validator, doc)
    doc["mode"] = "official"
    assert _errors(validator, doc) == []
