"""A General-Bench NLP tree in the official format, every annotation type, scored two ways.

The tree is built here: annotation ``type``s and nested references as in the published data,
predictions as the official predictors write them (the documented object shape, bare lists,
``prediction_final``), some items unanswered. Each task's raw score is checked against

* the General-Bench convention computed independently (nltk sentence BLEU, rouge-score with the
  stemmer, hand-computed token F1 and exact match, scikit-learn's micro F1, codebleu), with the
  fixes generallevel makes by default (unanswered = wrong, multiset token F1, labels case-folded
  on both sides, no empty label, CJK tokenised, numeric answers), and
* ``tests/official_nlp_oracle.py``, a restatement of the official code, under ``--compat official``.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from generallevel.evaluate import evaluate
from official_nlp_oracle import official_task

U = None  # an unanswered item: no entry in the prediction file

# folder, task name, type, [(output, prediction)], file shape, prediction key
TASKS = [
    ("Commonsense_Reasoning", "Commonsense Reasoning", "MultipleChoiceQA", [
        ({"answer": "B"}, "B"), ({"answer": ["C", "c) a kettle"]}, " c) a kettle "), ({"answer": "A"}, "B"),
        ({"answer": "D"}, U), ({"answer": "A"}, "A")], "object", "prediction"),
    ("Math_Word_Problems", "Mathematical Word Problem Solving", "Mathematical Word Problem Solving", [
        ({"solution": {"steps": ["6*7"], "final_answer": 42}}, "42"),
        ({"solution": {"final_answer": 3.5}}, "3.50"), ({"solution": {"final_answer": "x = 2"}}, "x = 2"),
        ({"solution": {"final_answer": 1250}}, "1,250"), ({"solution": {"final_answer": 7}}, "8")], "object",
     "prediction"),
    ("Code_Defect", "Code Defect Detection", "Code Defect Detection", [
        ({"target": True}, "True"), ({"target": False}, "false"), ({"target": 0}, "0"), ({"target": 1}, U)],
     "list", "prediction"),
    ("Counterfactual", "Counterfactual Reasoning", "OpenQA", [
        ({"answer": "Walla Walla"}, "Walla Walla"), ({"answer": "the glass would break"}, "the glass breaks"),
        ({"answer": ["New York", "NYC"]}, "NYC"), ({"answer": "no change"}, U)], "object", "prediction"),
    ("Table_QA", "Table Question Answering", "TableQA", [
        ({"answer": "1998 season"}, "the 1998 season"), ({"answer": "12"}, "12"),
        ({"answer": "red red wine"}, "red wine")], "object", "prediction"),
    ("Abstractive_Summarization", "Abstractive Summarization", "Summarization", [
        ({"summary": "The council approved the new budget on Tuesday."},
         "Council approves new budgets Tuesday."),
        ({"highlights": "Heavy rains flooded several villages in the north."},
         "Several northern villages were flooded by heavy rain."),
        ({"summary": ["Stocks rallied.", "Markets rose sharply after the report."]}, "Markets rallied sharply."),
        ({"summary": "A new species of frog was discovered."}, U)], "object", "prediction_final"),
    ("EN_ZH_Translation", "English-Chinese Translation", "Translation", [
        ("今天天气很好", "今天天气不错"), ("我喜欢读书", "我喜欢读书"), ("他们在公园里散步", "他们在散步")],
     "object", "prediction"),
    ("EN_FR_Translation", "English-French Translation", "Translation", [
        ({"translation": "Le chat est sur la table."}, "Le chat est sur la table."),
        ({"translation": "Il fait beau aujourd'hui."}, "Aujourd'hui il fait beau."),
        ({"translation": "Nous allons au marché."}, "Nous partons au marché.")], "list", "prediction"),
    ("Story_Generation", "Story Generation", "Story Generation", [
        ({"story": "The old fisherman sailed out before dawn and caught nothing all day."},
         "An old fisherman went out at dawn but caught nothing."),
        ({"story": "She found a map in the attic that led to her grandmother's garden."},
         "She discovered an old map in the attic."),
        ({"story": "The robot learned to paint by watching the rain."}, U)], "object", "prediction"),
    ("Daily_Dialogue", "Multi-Turn Daily Dialogue Generation", "Dialogue", [
        ({"reference": "Sure, I can meet you at six."}, "Yes, see you at six."),
        ({"reference": "I'd rather stay home tonight."}, "I would like to stay at home tonight.")], "object",
     "prediction"),
    ("Paraphrase", "Paraphrase Generation", "Paraphrase Generation", [
        ({"paraphraseSentence": "The meeting was postponed until next week."},
         "The meeting has been moved to next week."),
        ({"paraphraseSentence": "He rarely eats breakfast."}, "He seldom has breakfast.")], "object", "prediction"),
    ("Grammar_Correction", "Grammar Correction", "Grammar Correction", [
        ({"Standard English": "She doesn't like apples."}, "She doesn't like apples."),
        ({"Standard English": "They were going to the store."}, "They was going to the store.")], "object",
     "prediction"),
    ("Style_Transfer", "Text Style Transfer", "Text Style Transfer", [
        ({"answer": "Could you please pass the salt?"}, "Please pass the salt."),
        ({"answer": "I would be delighted to attend."}, "I'd love to come.")], "object", "prediction"),
    ("Table_to_Text", "Table-to-Text Generation", "Table-to-Text Generation", [
        ({"response": {"text": "Paris is the capital of France with 2.1 million people."}},
         "Paris, the capital of France, has 2.1 million people."),
        ({"response": {"text": "The team won 12 of its 15 games."}}, "The team won 12 games.")], "object",
     "prediction"),
    ("Code_Explanation", "Code Explanation", "Code Explanation", [
        ({"nl": "Return the sum of a list of numbers."}, "This function returns the sum of the numbers."),
        ({"nl": "Sort the items in place by their key."}, U)], "object", "prediction"),
    ("Proof_Generation", "Mathematical Proof Generation", "Proof", [
        ({"proof": {"steps": ["Let n be even, so n = 2k.", "Then n squared is 4k squared."],
                    "conclusion": "n squared is even"}},
         "Let n = 2k.\nThen n squared equals 4k squared.\nConclusion: n squared is even"),
        ({"proof": {"steps": ["Assume the contrary."], "conclusion": "the set is infinite"}},
         "Assume it is finite.\nConclusion: the set is infinite")], "object", "prediction"),
    ("Code_Generation", "Code Generation", "Code Generation", [
        ({"response": {"content": "def add(a, b):\n    return a + b\n"}}, "def add(x, y):\n    return x + y\n"),
        ({"response": {"content": "def square(n):\n    return n * n\n"}}, "def square(n):\n    return n ** 2\n"),
        ({"response": {"content": "def first(xs):\n    return xs[0]\n"}}, U)], "object", "prediction"),
    ("Code_Repair", "Code Repair", "Code Repair", [
        ({"repairCode": "for i in range(10):\n    print(i)\n"}, "for i in range(10):\n    print(i)\n"),
        ({"repairCode": "if x > 0:\n    y = 1\nelse:\n    y = 0\n"}, "if x > 0:\n    y = 1\n")], "object",
     "prediction"),
    ("Text_to_SQL", "Text-to-SQL Generation", "Text to SQL", [
        ({"sql": "SELECT name FROM users WHERE age > 30"}, "SELECT name FROM users WHERE age > 30"),
        ({"sql": "SELECT COUNT(*) FROM orders"}, "SELECT COUNT(id) FROM orders")], "object", "prediction"),
    ("Time_Series", "Time Series", "Time Series", [
        ({"target": 10.0}, "12.5"), ({"target": 3}, 3.0), ({"target": 7.5}, "6")], "object", "prediction"),
    ("Sentiment", "Sentiment Classification", "classification", [
        ({"label": "Positive"}, "Positive"), ({"label": "negative"}, "negative"), ({"label": "Neutral"}, "positive"),
        ({"label": "Negative"}, U)], "object", "prediction"),
    ("NLI", "Natural Language Inference", "multiple choice", [
        ({"answer": "entailment"}, "Entailment"), ({"answer": "contradiction"}, "contradiction"),
        ({"answer": "neutral"}, "entailment")], "list", "prediction"),
    ("Topic", "Topic Classification", "multi label classification", [
        ({"labels": "Sports, Politics"}, "sports<p>politics"), ({"labels": "Science"}, "science<p>health"),
        ({"labels": "Health, Science"}, "health")], "object", "prediction"),
    ("Legal_NER", "Legal NER", "ner", [
        ({"entities": "Apple Inc., Tim Cook"}, "Apple Inc.<p>Tim Cook"), ({"entities": ""}, ""),
        ({"entities": "Supreme Court"}, "supreme court<p>Congress")], "object", "prediction"),
    ("Aspect_Terms", "Aspect Term Extraction", "extraction", [
        ({"aspects": "battery life, screen"}, "battery life<p>screen"), ({"aspects": "price"}, "Price")],
     "object", "prediction"),
    ("News_RE", "News Relation Extraction", "relation extraction", [
        ({"relations": "(Obama, born_in, Hawaii)"}, "(obama, born_in, hawaii)"),
        ({"relations": "(Apple, founded_by, Jobs), (Apple, based_in, Cupertino)"}, "(apple, founded_by, jobs)")],
     "object", "prediction"),
    ("Event_Triggers", "Event Trigger Detection", "event detection", [
        ({"triggers": "attack, fled"}, "attack<p>fled"), ({"triggers": "election"}, U)], "object", "prediction"),
    ("Dependency_Parsing", "Dependency Parsing", "parsing", [
        ({"arcs": "nsubj(saw, I), dobj(saw, dog)"}, "nsubj(saw, i)<p>det(dog, the)")], "object", "prediction"),
]


# -- independent computations of the General-Bench convention (with generallevel's fixes) ---------
def _alts(ref):
    return ref if isinstance(ref, list) else [ref]


def ind_exact(preds, refs):
    def hit(p, a):
        if isinstance(a, (int, float)) and not isinstance(a, bool):
            try:
                return math.isclose(float(str(p).replace(",", "")), a)
            except ValueError:
                return False
        return str(p).strip() == str(a).strip()
    return 100 * np.mean([any(hit(p, a) for a in _alts(r)) for p, r in zip(preds, refs)])


def ind_token_f1(preds, refs):
    def f1(p, a):
        pt, rt = p.split(), a.split()
        same = sum((Counter(pt) & Counter(rt)).values())
        return 0.0 if same == 0 else 2 * same / (len(pt) + len(rt))
    return 100 * np.mean([max(f1(p, a) for a in _alts(r)) for p, r in zip(preds, refs)])


class _CJK:
    def tokenize(self, text):
        return re.findall(r"[\u4e00-\u9fff]|[a-z0-9]+", text.lower())


def ind_rouge1(preds, refs, cjk=False):
    from rouge_score import rouge_scorer

    scorer = (rouge_scorer.RougeScorer(["rouge1"], tokenizer=_CJK()) if cjk
              else rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True))
    return 100 * np.mean([max(scorer.score(a, p)["rouge1"].fmeasure for a in _alts(r)) for p, r in zip(preds, refs)])


def ind_bleu1(preds, refs):
    from nltk import word_tokenize
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    def tok(text):  # word_tokenize per line-sentence (each test text has one sentence per line)
        return [t for line in text.split("\n") for t in word_tokenize(line, preserve_line=True)]
    m4 = SmoothingFunction().method4
    return 100 * np.mean([max(sentence_bleu([tok(a)], tok(p), weights=(1, 0, 0, 0), smoothing_function=m4)
                              for a in _alts(r)) for p, r in zip(preds, refs)])


def ind_codebleu(preds, refs):
    from codebleu import calc_codebleu

    return 100 * calc_codebleu(refs, preds, lang="python", weights=(0.25, 0.25, 0.25, 0.25))["codebleu"]


def ind_micro_f1(preds, refs):
    from sklearn.metrics import f1_score
    from sklearn.preprocessing import MultiLabelBinarizer

    mlb = MultiLabelBinarizer().fit(preds + refs)
    return 100 * f1_score(mlb.transform(refs), mlb.transform(preds), average="micro", zero_division=0)


def ind_rmse(preds, refs):
    return float(np.sqrt(np.mean((np.asarray(preds, float) - np.asarray(refs, float)) ** 2)))


def _labels(text, sep):
    parts = text.split(sep) if sep else [text]
    return sorted({p.strip().casefold() for p in parts if p.strip()})


def _first(output):
    return next(iter(output.values()))


def expected_default(type_, pairs):
    """The raw score generallevel must give by default, computed without generallevel."""
    outs = [o for o, _ in pairs]
    preds = ["" if p is U else p for _, p in pairs]
    if type_ == "MultipleChoiceQA":
        return ind_exact(preds, [o["answer"] for o in outs])
    if type_ == "Mathematical Word Problem Solving":
        return ind_exact(preds, [o["solution"]["final_answer"] for o in outs])
    if type_ == "Code Defect Detection":
        return ind_exact(preds, [str(o["target"]) for o in outs])
    if type_ == "OpenQA":
        return ind_token_f1(preds, [o["answer"] for o in outs])
    if type_ == "TableQA":
        return ind_token_f1(preds, [_first(o) for o in outs])
    if type_ == "Summarization":
        return ind_rouge1(preds, [o.get("summary") or o.get("highlights") for o in outs])
    if type_ == "Translation":
        if isinstance(outs[0], str):
            return ind_rouge1(preds, outs, cjk=True)
        return ind_rouge1(preds, [o["translation"] for o in outs])
    keys = {"Story Generation": "story", "Dialogue": "reference", "Paraphrase Generation": "paraphraseSentence",
            "Grammar Correction": "Standard English", "Text Style Transfer": "answer", "Code Explanation": "nl",
            "Text to SQL": "sql"}
    if type_ in keys:
        return ind_bleu1(preds, [o[keys[type_]] for o in outs])
    if type_ == "Table-to-Text Generation":
        return ind_bleu1(preds, [o["response"]["text"] for o in outs])
    if type_ == "Proof":
        return ind_bleu1(preds, ["\n".join(o["proof"]["steps"]) + "\nConclusion: " + o["proof"]["conclusion"]
                                 for o in outs])
    if type_ == "Code Generation":
        return ind_codebleu(preds, [o["response"]["content"] for o in outs])
    if type_ == "Code Repair":
        return ind_codebleu(preds, [o["repairCode"] for o in outs])
    if type_ == "Time Series":
        return ind_rmse(preds, [o["target"] for o in outs])
    multi = type_ not in ("classification", "multiple choice")
    refs = [_labels(str(_first(o)), ", " if multi else None) for o in outs]
    return ind_micro_f1([_labels(p, "<p>") for p in preds], refs)


# -- the tree --------------------------------------------------------------------------------------
def _write_task(root: Path, pred_root: Path, modality: str, entry) -> None:
    folder, name, type_, pairs, shape, key = entry
    ann = {"task": name, "type": type_, "data": [
        {"id": f"{folder.lower()}_{i}", "input": {"query": f"question {i}"}, "output": o}
        for i, (o, _) in enumerate(pairs)]}
    items = [{"id": f"{folder.lower()}_{i}", key: p} for i, (_, p) in enumerate(pairs) if p is not U]
    preds = {"task": name, "skill": "nlp", "type": type_, "data": items} if shape == "object" else items
    for base, fname, data in ((root, "annotation.json", ann), (pred_root, "prediction.json", preds)):
        (base / modality / folder).mkdir(parents=True, exist_ok=True)
        (base / modality / folder / fname).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


@pytest.fixture(scope="module")
def trees(tmp_path_factory):
    """(dataset tree with predictions inside, as the official layout, and a mirrored tree)."""
    base = tmp_path_factory.mktemp("gb")
    inside, mirror_data, mirror_preds = base / "inside", base / "data", base / "preds"
    for entry in TASKS:
        _write_task(inside, inside, "NLP", entry)  # the official pipeline writes beside annotation.json
        _write_task(mirror_data, mirror_preds, "nlp", entry)
    return inside, mirror_data, mirror_preds


@pytest.fixture(scope="module")
def default_result(trees):
    return evaluate(trees[0], None, "gb-model", jobs=1)


def _by_folder(result):
    return {Path(t.folder).name: t for t in result.tasks}


def test_every_type_scores_without_failure(default_result):
    failed = [(t.folder, t.error) for t in default_result.tasks if t.status != "scored"]
    assert failed == []
    assert len(default_result.tasks) == len(TASKS)
    assert any("inside the dataset tree" in n for n in default_result.notes)


@pytest.mark.parametrize("entry", TASKS, ids=[t[0] for t in TASKS])
def test_default_convention_matches_independent_computation(default_result, entry):
    folder, _, type_, pairs, _, _ = entry
    got = _by_folder(default_result)[folder]
    assert got.raw == pytest.approx(expected_default(type_, pairs), abs=1e-9), (folder, got.options, got.problems)


def test_mirrored_tree_and_official_layout_agree(trees, default_result):
    mirrored = evaluate(trees[1], trees[2], "gb-model", jobs=2)
    assert [(t.task_id, t.raw) for t in mirrored.tasks] == [(t.task_id, t.raw) for t in default_result.tasks]


def test_compat_official_reproduces_the_official_code(trees):
    result = _by_folder(evaluate(trees[0], None, "gb-model", jobs=1, compat="official"))
    import generallevel as gl

    checked = 0
    for folder, name, type_, pairs, _, _ in TASKS:
        ann = json.loads((trees[0] / "NLP" / folder / "annotation.json").read_text(encoding="utf-8"))
        preds = json.loads((trees[0] / "NLP" / folder / "prediction.json").read_text(encoding="utf-8"))
        preds = preds["data"] if isinstance(preds, dict) else preds
        metric, value = official_task(ann, preds)
        got = result[folder]
        written = value is not None and gl.get_metric(metric).name == gl.get_task(name).metric
        if written:
            assert got.status == "scored" and got.raw == pytest.approx(100 * value, abs=1e-9), (folder, got.error)
            checked += 1
        else:
            assert got.status == "unsupported", (folder, got.status, got.raw, got.error)
    assert checked >= 20


def test_each_documented_fix_changes_the_official_number(default_result, trees):
    """The fixes are real: on the tasks built to show them, default and official numbers differ."""
    official = _by_folder(evaluate(trees[0], None, "gb-model", jobs=1, compat="official"))
    default = _by_folder(default_result)
    for folder in ("Commonsense_Reasoning",  # unanswered items count as wrong
                   "Counterfactual",  # token F1 on a multiset ("Walla Walla")
                   "Sentiment",  # labels case-folded on both sides
                   "Legal_NER",  # an empty answer is no label
                   "EN_ZH_Translation"):  # CJK is tokenised
        assert default[folder].raw != pytest.approx(official[folder].raw), folder
    assert official["Math_Word_Problems"].status == "unsupported"  # a numeric answer fails the official task
    assert official["EN_ZH_Translation"].raw == 0.0


def test_type_mismatch_computes_the_registry_metric_and_says_so(default_result):
    ts = _by_folder(default_result)["Time_Series"]
    assert ts.metric == "RMSE" and any("MAE" in p and "RMSE" in p for p in ts.notes)


def test_report_records_type_and_options(default_result):
    row = next(t for t in default_result.to_dict()["tasks"] if t["folder"].endswith("Story_Generation"))
    assert row["annotation_type"] == "Story Generation"
    assert row["metric_options"] == {"sentence": True, "smoothing": 4, "tokenize": "nltk"}
