"""The General-Bench conventions the registry sets per task for video and audio (metric_options),
and the metric options they use, checked against the reference implementations."""

from __future__ import annotations

import pytest

import generallevel as gl
from generallevel import InputError


def _tasks(modality, paradigm, metric):
    return [t for t in gl.list_tasks(modality=modality, paradigm=paradigm) if t.metric == metric]


@pytest.mark.parametrize("modality, paradigm, metric, options, count", [
    ("Video", "comprehension", "BLEU-1", {"tokenize": "none", "lowercase": True}, 42),
    ("Video", "comprehension", "mIoU", {"per_video": True}, 21),
    ("Video", "comprehension", "m_vIoU", {"zero_box_absent": True}, 5),
    ("Video", "comprehension", "S-measure", {"variant": "general-bench"}, 4),
    ("Video", "comprehension", "EPE", {"reduction": "per_sample"}, 3),
    ("Video", "generation", "PSNR", {"skip_identical": True}, 10),
    ("Audio", "comprehension", "BLEU-1", {"sentence": True, "smoothing": 4, "tokenize": "nltk"}, 2),
])
def test_registry_sets_the_official_convention(modality, paradigm, metric, options, count):
    tasks = _tasks(modality, paradigm, metric)
    assert len(tasks) == count and all(t.metric_options == options for t in tasks)


def test_video_accuracy_is_containment_except_matching():
    acc = _tasks("Video", "comprehension", "Acc")
    matching = [t for t in acc if "matching" in t.name.lower()]
    assert len(matching) == 8 and all(t.metric_options == {"match": "answers"} for t in matching)
    assert len(acc) - 8 == 14 and all(t.metric_options == {"match": "contains"} for t in acc if t not in matching)
    assert gl.get_task("Environment Sound Recognition").metric_options == {"match": "contains"}


def test_contains_accuracy_hand_computed():
    acc = gl.get_metric("Acc").compute
    preds = ["It is a Basketball game.", "two", "The answer is snow", "cats", 3]
    refs = ["basketball", ["2", "Two"], "no", "dog", "3"]
    # hits: "basketball" in answer; "two" equals an accepted answer; "no" is inside "snow" (containment
    # is literal, as in the official code); "dog" is not in "cats"; "3" in "3"
    assert acc(preds, refs, match="contains") == pytest.approx(100 * 4 / 5)
    with pytest.raises(InputError, match="empty accepted answer"):
        acc(["x"], [""], match="contains")


def test_video_bleu1_equals_pycocoevalcap():
    from pycocoevalcap.bleu.bleu import Bleu

    preds = ["A man Rides a horse on the beach", "Two dogs play in the snow", "a cooking show"]
    refs = [["a man is riding a horse along the beach", "A person rides a horse"], ["two dogs playing in snow"],
            ["someone is cooking pasta in a kitchen"]]
    gts = {i: [r.lower() for r in group] for i, group in enumerate(refs)}
    res = {i: [p.lower()] for i, p in enumerate(preds)}
    (b1, *_), _ = Bleu(4).compute_score(gts, res, verbose=0)
    ours = gl.get_metric("BLEU-1").compute(preds, refs, tokenize="none", lowercase=True)
    assert ours == pytest.approx(100 * b1, rel=1e-9)
    assert gl.get_metric("BLEU-1").compute(preds, refs, tokenize="none") < ours  # case matters without it


def test_tracking_reads_the_official_answer_field():
    from generallevel.adapters import default_adapter

    task = gl.get_task("ball-tracking")
    records = [{"id": 1, "output": {"answer": [[0, 0, 10, 10], [1, 1, 10, 10]]}}]
    preds, refs, _ = default_adapter(records, [[[0, 0, 10, 10], [1, 1, 10, 10]]], task)
    assert refs == [[[0, 0, 10, 10], [1, 1, 10, 10]]]
    assert gl.get_metric("AUC").compute(preds, refs, **task.metric_options) == pytest.approx(100 * 20 / 21)
