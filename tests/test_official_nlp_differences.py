"""Every NLP difference documented in docs/official-differences.md, recomputed from its example.

Each example is a one-task General-Bench tree evaluated in both modes; the doc's table under the
heading must print these numbers, and the official number must equal the official code's
restated in ``official_nlp_oracle`` (so the "official" column is not our own claim).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from generallevel.evaluate import evaluate
from official_nlp_oracle import official_task

DOC = Path(__file__).resolve().parents[1] / "docs" / "official-differences.md"
U = None

# heading, task name, type, [(output, prediction)]
EXAMPLES = [
    ("Unanswered items count as wrong", "Commonsense Reasoning", "MultipleChoiceQA",
     [({"answer": "B"}, "B"), ({"answer": "A"}, U)]),
    ("Token F1 counts tokens as a multiset", "Counterfactual Reasoning", "OpenQA",
     [({"answer": "Walla Walla"}, "Walla Walla")]),
    ("Labels are case-folded on both sides", "Sentiment Classification", "classification",
     [({"label": "Positive"}, "Positive"), ({"label": "negative"}, "negative")]),
    ("An empty answer is not a label", "Legal NER", "ner",
     [({"entities": ""}, ""), ({"entities": "Supreme Court"}, "congress")]),
    ("Chinese, Japanese and Korean text is tokenised, not deleted", "English-Chinese Translation", "Translation",
     [("我喜欢读书", "我喜欢读书"), ("今天天气很好", "今天天气不错")]),
    ("Numeric answers work", "Mathematical Word Problem Solving", "Mathematical Word Problem Solving",
     [({"solution": {"final_answer": 42}}, "42"), ({"solution": {"final_answer": "x = 2"}}, "x = 2")]),
    ("A type scored with another metric than its SoTA", "Time Series", "Time Series",
     [({"target": 10}, "12.5"), ({"target": 3}, "3")]),
]


def _tree(base: Path, name: str, type_: str, pairs) -> Path:
    folder = base / "nlp" / "T"
    folder.mkdir(parents=True)
    ann = {"task": name, "type": type_, "data": [{"id": i, "input": {}, "output": o} for i, (o, _) in enumerate(pairs)]}
    preds = {"task": name, "type": type_, "data": [{"id": i, "prediction": p} for i, (_, p) in enumerate(pairs)
                                                   if p is not U]}
    (folder / "annotation.json").write_text(json.dumps(ann, ensure_ascii=False), encoding="utf-8")
    (folder / "prediction.json").write_text(json.dumps(preds, ensure_ascii=False), encoding="utf-8")
    return base


def _shown(x) -> str:
    return "no score" if x is None else f"{x:.2f}"


def _section(heading: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"### {heading}\n")
    end = text.find("\n#", start + 4)
    return text[start:end if end > 0 else None]


@pytest.mark.parametrize("heading,name,type_,pairs", EXAMPLES, ids=[e[0][:30] for e in EXAMPLES])
def test_documented_example(tmp_path, heading, name, type_, pairs):
    root = _tree(tmp_path, name, type_, pairs)
    ours = evaluate(root, None, "m", jobs=1).tasks[0]
    official = evaluate(root, None, "m", jobs=1, compat="official").tasks[0]
    assert ours.status == "scored"
    _, oracle = official_task(json.loads((root / "nlp/T/annotation.json").read_text(encoding="utf-8")),
                              json.loads((root / "nlp/T/prediction.json").read_text(encoding="utf-8"))["data"])
    if official.status == "scored":
        assert official.raw == pytest.approx(100 * oracle)
    section = _section(heading)
    assert re.search(rf"^\| generallevel \| {re.escape(_shown(ours.raw))} \|", section, re.M), (heading, ours.raw)
    assert re.search(rf"^\| official \| {re.escape(_shown(official.raw))} \|", section, re.M), (heading, official.raw)


def test_bleu_tokenisation_example():
    """The BLEU heading's numbers: str.split (official without punkt) against our word tokenisation."""
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    from generallevel import get_metric

    ref, hyp = "The cat sat on the mat.", "The cat sat on the mat ."
    split = 100 * sentence_bleu([ref.split()], hyp.split(), weights=(1, 0, 0, 0),
                                smoothing_function=SmoothingFunction().method4)
    ours = get_metric("BLEU-1").compute([hyp], [ref], sentence=True, smoothing=4, tokenize="nltk")
    section = " ".join(_section("BLEU does not depend on the machine").split())
    assert f"BLEU-1 100.00 with punkt, {split:.2f} without" in section and f"{ours:.2f} on that example" in section
