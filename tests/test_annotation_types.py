"""Annotation types as declared data: reading references, plugin registration, prediction file shapes,
and the metric options the General-Bench conventions rely on (checked against hand computations)."""

from __future__ import annotations

import json
import warnings
from collections import Counter
from pathlib import Path

import pytest

import generallevel as gl
from generallevel import AnnotationType, InputError, RegistrationError, hookimpl, plugins
from generallevel.annotation_types import load_declarations, read_reference
from generallevel.evaluate import evaluate


def _t(**kw):
    kw.setdefault("name", "x")
    kw.setdefault("metric", "BLEU-1")
    return AnnotationType(**kw)


# -- reading references ----------------------------------------------------------------------------
def test_reference_paths_first_present_wins():
    t = _t(reference=("summary", "highlights"))
    assert read_reference(t, {"summary": "", "highlights": "h"}) == "h"  # an empty summary falls through
    assert read_reference(t, {"summary": "s", "highlights": "h"}) == "s"
    assert read_reference(t, {"other": 1}) is None


def test_reference_nested_self_and_first_value():
    assert read_reference(_t(reference=("response.content",)), {"response": {"content": "c"}}) == "c"
    assert read_reference(_t(reference=("response.content",)), {"response": "flat"}) is None
    both = _t(reference=(".", "translation"))
    assert read_reference(both, "bonjour") == "bonjour" and read_reference(both, {"translation": "t"}) == "t"
    assert read_reference(_t(reference=("*",)), {"whatever": "v", "b": 2}) == "v"


def test_reference_compose_and_empty_labels():
    proof = _t(compose=("proof.steps", "proof.conclusion"), template="{0}\nConclusion: {1}")
    assert read_reference(proof, {"proof": {"steps": ["a", "b"], "conclusion": "c"}}) == "a\nb\nConclusion: c"
    assert read_reference(proof, {"nothing": 1}) is None
    assert read_reference(_t(reference=("*",), answer="labels"), {"entities": ""}) == ""


def test_declaration_errors_are_clear(tmp_path):
    with pytest.raises(RegistrationError, match="answer must be one of"):
        _t(answer="prose")
    with pytest.raises(RegistrationError, match="compose needs a template"):
        _t(compose=("a",))
    bad = tmp_path / "types.toml"
    bad.write_text('[[type]]\nname = "x"\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"types.toml: type #1 needs at least 'name' and 'metric'"):
        load_declarations(bad)
    bad.write_text("[[type]\n", encoding="utf-8")
    with pytest.raises(InputError, match="malformed TOML"):
        load_declarations(bad)


def test_builtin_table_covers_the_official_nlp_types():
    names = {t.name for t in plugins.get_registry().types if t.modality == "NLP"}
    for official in ("MultipleChoiceQA", "OpenQA", "Summarization", "Translation", "Story Generation", "Dialogue",
                     "Code Generation", "Code Repair", "Code Defect Detection", "Text to SQL", "Code Explanation",
                     "Proof", "Mathematical Word Problem Solving", "Paraphrase Generation", "Grammar Correction",
                     "Text Style Transfer", "Table-to-Text Generation", "Time Series", "classification",
                     "multiple choice", "multi label classification", "ner", "extraction", "relation extraction",
                     "event detection", "parsing"):
        assert official in names
    for t in plugins.get_registry().types:  # every declared metric exists
        assert t.metric in plugins.get_registry().metrics


# -- plugins ---------------------------------------------------------------------------------------
class ShortAnswers:
    @staticmethod
    @hookimpl
    def register_annotation_types(register):
        register(AnnotationType(name="ShortVQA", modality="Image", metric="Acc", answer="answers",
                                reference=("answer.text",), options={"match": "answers"}))


class Clashing:
    @staticmethod
    @hookimpl
    def register_annotation_types(register):
        register(AnnotationType(name="another", modality="Image", metric="Acc"))
        register(AnnotationType(name="Summarization", metric="ROUGE-1"))


def _image_tree(tmp_path: Path) -> Path:
    folder = tmp_path / "Image" / "comprehension" / "T"
    folder.mkdir(parents=True)
    ann = {"task": "Human Action Recognition", "type": "ShortVQA",
           "data": [{"id": 1, "output": {"answer": {"text": "running"}}},
                    {"id": 2, "output": {"answer": {"text": "Jumping"}}}]}
    (folder / "annotation.json").write_text(json.dumps(ann))
    (folder / "prediction.json").write_text(json.dumps([{"id": 1, "prediction": " running "},
                                                        {"id": 2, "prediction_final": "jumping"}]))
    return tmp_path


def test_a_plugin_type_is_used_by_evaluate(tmp_path):
    plugins.register_plugin(ShortAnswers, "short_answers")
    try:
        assert plugins.get_registry().plugins["short_answers"].describe()["annotation_types"] == ["ShortVQA"]
        task = evaluate(_image_tree(tmp_path), None, "m", jobs=1).tasks[0]
        assert (task.status, task.annotation_type, task.raw) == ("scored", "ShortVQA", 50.0)
    finally:
        plugins.unregister_plugin("short_answers")


def test_a_clashing_type_skips_the_plugin_and_names_both(tmp_path):
    plugins.register_plugin(Clashing, "clashing")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            reg = plugins.get_registry()
        msg = " ".join(str(w.message) for w in caught)
        assert "'Summarization'" in msg and "builtin_tasks" in msg and "clashing" in msg
        assert reg.types.find("Image", "another") is None  # nothing of the failed plugin stays
        assert reg.types.find("NLP", "Summarization").plugin == "builtin_tasks"
    finally:
        plugins.unregister_plugin("clashing")


# -- prediction files and layouts ------------------------------------------------------------------
def _nlp(tmp_path: Path, preds, type_="MultipleChoiceQA") -> Path:
    folder = tmp_path / "data" / "nlp" / "Commonsense_Reasoning"
    folder.mkdir(parents=True)
    ann = {"task": "Commonsense Reasoning", "type": type_,
           "data": [{"id": "a", "output": {"answer": "B"}}, {"id": "b", "output": {"answer": "A"}}]}
    (folder / "annotation.json").write_text(json.dumps(ann))
    if preds is not None:
        (folder / "prediction.json").write_text(json.dumps(preds))
    return tmp_path / "data"


def test_object_without_data_fails_naming_the_file(tmp_path):
    root = _nlp(tmp_path, {"task": "Commonsense Reasoning", "predictions": []})
    task = evaluate(root, None, "m", jobs=1).tasks[0]
    assert task.status == "failed" and "prediction.json" in task.error and "'data'" in task.error


def test_header_disagreement_and_unknown_type_are_problems(tmp_path):
    root = _nlp(tmp_path, {"task": "Causal Reasoning", "type": "MultipleChoiceQA",
                           "data": [{"id": "a", "prediction": "B"}, {"id": "b", "prediction": "A"}]},
                type_="MultipleChoiceQ")
    task = evaluate(root, None, "m", jobs=1).tasks[0]
    text = " ".join(task.problems)
    assert "differs from the annotation's 'Commonsense Reasoning'" in text
    assert "'MultipleChoiceQ' is not a known NLP type" in text and "did you mean 'MultipleChoiceQA'" in text


def test_no_predictions_inside_the_tree_is_a_clear_error(tmp_path):
    root = _nlp(tmp_path, None)
    with pytest.raises(InputError, match="no prediction.json beside any annotation.json; pass --predictions"):
        evaluate(root, None, "m", jobs=1)


def test_prediction_file_name_option(tmp_path):
    root = _nlp(tmp_path, None)
    (root / "nlp" / "Commonsense_Reasoning" / "qwen.json").write_text(
        json.dumps([{"id": "a", "prediction": "B"}, {"id": "b", "prediction": "B"}]))
    assert evaluate(root, None, "m", jobs=1, prediction_file="qwen.json").tasks[0].raw == 50.0
    with pytest.raises(InputError, match="plain"):
        evaluate(root, None, "m", prediction_file="../x.json")


# -- metric options behind the conventions (hand-computed references) ------------------------------
def test_token_f1_whitespace_multiset_and_set():
    f1 = gl.get_metric("F1").compute
    pred, gold = "a a b c", "a b b"
    counts = sum((Counter(pred.split()) & Counter(gold.split())).values())  # 2 (a, b)
    p, r = counts / 4, counts / 3
    assert f1([pred], [gold], mode="token", normalize="none") == pytest.approx(100 * 2 * p * r / (p + r))
    ps, rs = 2 / 4, 2 / 3  # set overlap {a, b} over list lengths
    assert f1([pred], [gold], mode="token", normalize="none", count="set") == pytest.approx(100 * 2 * ps * rs / (ps + rs))
    assert f1(["The Cat"], ["the cat"], mode="token", normalize="none") == 0.0  # case-sensitive, as General-Bench
    with pytest.raises(InputError, match="count"):
        f1(["a"], ["a"], mode="token", normalize="none", count="bag")


def test_answer_accuracy_numbers_lists_and_trimming():
    acc = gl.get_metric("Acc").compute
    assert acc(["42", "3.50", "1,250", " B ", "b", "x"], [42, 3.5, 1250, ["A", "B"], "B", 7], match="answers") \
        == pytest.approx(100 * 4 / 6)
    with pytest.raises(InputError, match=r"references\[0\]\[0\] must be a string or a number"):
        acc(["a"], [[None]], match="answers")


def test_sentence_bleu1_best_single_reference_mean():
    from nltk import word_tokenize
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    preds = ["the quick brown fox jumps", "hello there"]
    refs = [["a quick brown dog jumps high", "the fast brown fox leaps"], "hello there my friend"]
    m4 = SmoothingFunction().method4
    tok = lambda s: word_tokenize(s, preserve_line=True)  # noqa: E731
    expected = (max(sentence_bleu([tok(r)], tok(preds[0]), weights=(1, 0, 0, 0), smoothing_function=m4)
                    for r in refs[0])
                + sentence_bleu([tok(refs[1])], tok(preds[1]), weights=(1, 0, 0, 0), smoothing_function=m4)) / 2
    got = gl.get_metric("BLEU-1").compute(preds, refs, sentence=True, smoothing=4)
    assert got == pytest.approx(100 * expected, abs=1e-9)
    corpus = gl.get_metric("BLEU-1").compute(preds, refs)  # the textbook corpus BLEU stays the default
    assert corpus != pytest.approx(got)
    with pytest.raises(InputError, match="smoothing"):
        gl.get_metric("BLEU-1").compute(preds, refs, sentence=True, smoothing=9)


# -- validate reads typed annotations as evaluate does ---------------------------------------------
def test_validate_reads_typed_references(tmp_path):
    from generallevel.validate import validate

    folder = tmp_path / "NLP" / "Proofs"
    folder.mkdir(parents=True)
    items = [{"id": 1, "input": {}, "output": {"proof": {"steps": ["a"], "conclusion": "b"}}},
             {"id": 2, "input": {}, "output": {"answer": "no proof here"}}]
    (folder / "annotation.json").write_text(json.dumps({"task": "Mathematical Proof Generation", "type": "Proof",
                                                        "data": items}))
    report = validate(tmp_path)
    assert len(report.problems) == 1 and "(id 2)" in report.problems[0].where
    assert "no reference at output.proof.steps + output.proof.conclusion" in report.problems[0].message
    items[1]["output"] = {"proof": {"steps": [], "conclusion": "c"}}
    (folder / "annotation.json").write_text(json.dumps({"task": "Mathematical Proof Generation", "type": "Proof",
                                                        "data": items}))
    assert validate(tmp_path).ok
    answers = [{"id": 1, "input": {}, "output": {"answer": "x"}}]
    (folder / "annotation.json").write_text(json.dumps({"task": "Mathematical Proof Generation", "type": "Prof",
                                                        "data": answers}))
    report = validate(tmp_path)
    assert report.ok, report.problems  # an unknown type is read as unlisted types are: a note, not an error
    assert any("'Prof' is not a known NLP type" in n and "did you mean 'Proof'" in n for n in report.notes)


class NumericNLPTask:
    @staticmethod
    @hookimpl
    def register_tasks(register):
        register(gl.Task(id="essay-scoring", name="Essay Scoring", modality="NLP", paradigm="none",
                         metric="PCC", sota=50.0, sota_unit="percent"))


def test_unlisted_fallback_leaves_a_plugin_metric_to_its_default_adapter(tmp_path):
    """No General-Bench type scores PCC: an untyped NLP annotation of such a task is read by the PCC
    family's default adapter (numbers), not as token-F1 text."""
    plugins.register_plugin(NumericNLPTask, "numeric_nlp")
    try:
        folder = tmp_path / "nlp" / "Essay_Scoring"
        folder.mkdir(parents=True)
        refs, preds = [1.0, 2.0, 3.0, 4.0], [1.5, 1.8, 3.3, 3.9]
        (folder / "annotation.json").write_text(json.dumps(
            {"task": "Essay Scoring", "data": [{"id": i, "output": {"value": v}} for i, v in enumerate(refs)]}))
        (folder / "prediction.json").write_text(json.dumps([{"id": i, "prediction": v} for i, v in enumerate(preds)]))
        task = evaluate(tmp_path, None, "m", jobs=1).tasks[0]
        import numpy as np

        assert task.status == "scored" and task.annotation_type is None
        assert task.raw == pytest.approx(100 * np.corrcoef(preds, refs)[0, 1])
    finally:
        plugins.unregister_plugin("numeric_nlp")
