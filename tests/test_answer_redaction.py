"""Closed-set answers never appear in what a submitter is told (generallevel.answer_redaction)."""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path

import pytest

from generallevel.answer_redaction import AnswerRedactor, answer_values, mask_reference_values
from generallevel.evaluate import DEMO_DATASET
from generallevel.submission import score_submission

sys.path.insert(0, str(Path(__file__).resolve().parent / "server"))
from serverkit import plant_canaries  # noqa: E402

ANN = {"task": "T", "type": "qa", "secret": "top-level secret",
       "data": [{"id": "q1", "input": {"prompt": "open question"},
                 "output": {"answer": "The quick brown fox jumps over the lazy dog, twice", "count": 23,
                            "labels": "<p>cat</p><p>dog</p>", "short": "B", "score": 0.33333}}]}


def test_answer_values_skip_ids_and_inputs():
    vals = set(map(str, answer_values(ANN)))
    assert "top-level secret" in vals and "23" in vals and "B" in vals
    assert not {"q1", "open question", "T", "qa"} & vals


@pytest.mark.parametrize("message, gone, kept", [
    ("references[0] = 'The quick brown fox jumps over the lazy dog, twice' is not a set of labels",
     "quick brown", "references[0] = '<answer>' is not a set of labels"),
    ("references[0] = 'The quick brown fox jumps over the la is not a set", "quick brown", "references[0]"),  # {!r:.40}
    ("got THE QUICK BROWN FOX JUMPS", "QUICK", "got <answer>"),
    ("label set {'cat', 'dog'} differs", "'cat'", "differs"),
    ("references[0] = 'B'; predictions[0] = 'A'", "'B'", "predictions[0] = 'A'"),
    ("references[23] = 23 and 0.333 (rounded)", " 23 ", "references[23] = <answer> and <answer>"),
    ("see top-level secret here", "secret", "see <answer> here"),
])
def test_redactor(message, gone, kept):
    out = AnswerRedactor(answer_values(ANN)).redact(message)
    assert gone not in out and kept in out, out


def test_mask_reference_values_only_where_references_are_meant():
    assert mask_reference_values("prediction for item 'x7': expected a number, got 'abc'") == \
        "prediction for item 'x7': expected a number, got 'abc'"
    masked = mask_reference_values("predictions[2] = 'mine'; references[2] = 'gold answer' is not 0.5")
    assert masked == "predictions[2] = 'mine'; references[2] = '…' is not …"
    assert "'<answer>'" in mask_reference_values("reference '<answer>' cannot be read")


def test_scored_submission_quotes_no_answer(tmp_path):
    answers = tmp_path / "answers"
    assert plant_canaries(DEMO_DATASET, answers) > 100
    archive = tmp_path / "m-scope-a.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for ann in answers.rglob("annotation.json"):
            ids = [it["id"] for it in json.loads(ann.read_text())["data"]]
            zf.writestr(f"{ann.parent.relative_to(answers).as_posix()}/prediction.json",
                        json.dumps([{"id": i, "prediction": None} for i in ids]))
    plain = json.dumps(score_submission(archive, answers).to_dict(include_tasks=True))
    assert "zqans" in plain  # without redaction, metric messages quote the planted answers
    redacted = score_submission(archive, answers, redact_answers=True).to_dict(include_tasks=True)
    assert "zqans" not in json.dumps(redacted)
    assert redacted["submission"]["problems"], "the failures are still explained"
