"""An independent restatement of the official General-Bench NLP evaluation, for tests only.

Written from the behaviour of path2generalist/General-Level ``processors/nlp_processor.py`` (read,
not copied), in the plainest form: one function per metric as that code computes it, including
its errors (unanswered items skipped, token F1 on sets over list lengths, Micro-F1 lower-casing
the reference only, an empty string counted as a label). Returns fractions of 1, as the official
code writes them. nltk's punkt model is not installable here; the official code then tokenises
with ``str.split``; the tests give BLEU items one sentence each, where ``word_tokenize`` with punkt
equals nltk's word tokenizer on each line (the tests write one sentence per line), which this oracle uses.
"""

from __future__ import annotations

from typing import Any


def reference(output: Any, type_: str) -> Any:
    """Where the official code reads each type's reference (None = item skipped)."""
    get = output.get if isinstance(output, dict) else (lambda k, d=None: d)
    table = {
        "MultipleChoiceQA": lambda: get("answer"), "OpenQA": lambda: get("answer"),
        "Summarization": lambda: get("summary") or get("highlights"),
        "Translation": lambda: output if isinstance(output, str) else get("translation"),
        "Story Generation": lambda: get("story"), "Dialogue": lambda: get("reference"),
        "Code Generation": lambda: get("response", {}).get("content"),
        "Code Repair": lambda: get("repairCode"), "Code Defect Detection": lambda: str(get("target")),
        "Text to SQL": lambda: get("sql"), "Code Explanation": lambda: get("nl"),
        "Mathematical Word Problem Solving": lambda: get("solution", {}).get("final_answer"),
        "Paraphrase Generation": lambda: get("paraphraseSentence"),
        "Grammar Correction": lambda: get("Standard English"), "Text Style Transfer": lambda: get("answer"),
        "Table-to-Text Generation": lambda: get("response", {}).get("text"), "Time Series": lambda: get("target"),
    }
    if type_ == "Proof":
        proof = get("proof", {})
        return "\n".join(proof.get("steps", [])) + "\nConclusion: " + proof.get("conclusion", "")
    if type_ in table:
        return table[type_]()
    first = list(output.values())[0] if output else ""
    if type_ in ("classification", "multiple choice"):
        return first.lower() if output else ""
    if type_ in ("multi label classification", "ner", "extraction", "relation extraction", "event detection",
                 "parsing"):
        return "<p>".join(first.lower().split(", ")) if isinstance(first, str) else ""
    return first


METRIC = {"MultipleChoiceQA": "ACC", "Code Defect Detection": "ACC", "Text to SQL": "ACC",
          "Mathematical Word Problem Solving": "ACC", "Summarization": "ROUGE-1", "Translation": "ROUGE-1",
          "Code Generation": "CodeBLEU", "Code Repair": "CodeBLEU", "Time Series": "MAE",
          **{t: "BLEU-1" for t in ("Story Generation", "Dialogue", "Paraphrase Generation", "Grammar Correction",
                                    "Text Style Transfer", "Table-to-Text Generation", "Code Explanation", "Proof")},
          **{t: "Micro-F1" for t in ("classification", "multiple choice", "multi label classification", "ner",
                                      "extraction", "relation extraction", "event detection", "parsing")}}


def _exact(preds, refs):
    hits = 0
    for p, r in zip(preds, refs):
        alts = [r] if isinstance(r, str) else r  # a number here raises TypeError: the task fails
        hits += any(str(p).strip() == str(a).strip() for a in alts)
    return hits / len(preds)


def _token_f1(preds, refs):
    total = 0.0
    for p, r in zip(preds, refs):
        best = 0.0
        for a in ([r] if isinstance(r, str) else r):
            pt, rt = str(p).strip().split(), str(a).strip().split()
            common = len(set(pt) & set(rt))
            if common:
                prec, rec = common / len(pt), common / len(rt)
                best = max(best, 2 * prec * rec / (prec + rec))
        total += best
    return total / len(preds)


def _micro_f1(preds, refs):
    tp = fp = fn = 0
    for p, r in zip(preds, refs):
        ps, rs = set(str(p).strip().split("<p>")), set(str(r).strip().split("<p>"))
        tp, fp, fn = tp + len(ps & rs), fp + len(ps - rs), fn + len(rs - ps)
    if tp == 0:
        return 0.0
    prec, rec = tp / (tp + fp), tp / (tp + fn)
    return 2 * prec * rec / (prec + rec)


def _rouge1(preds, refs):
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1"], use_stemmer=True)
    vals = [max(scorer.score(str(a), str(p))["rouge1"].fmeasure for a in ([r] if isinstance(r, str) else r))
            for p, r in zip(preds, refs)]
    return sum(vals) / len(vals)


def _bleu1(preds, refs):
    from nltk import word_tokenize
    from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu

    def tok(text):  # punkt's sentences are the test texts' lines; word_tokenize runs on each
        return [t for line in str(text).split("\n") for t in word_tokenize(line, preserve_line=True)]
    smooth = SmoothingFunction().method4
    vals = [max(sentence_bleu([tok(a)], tok(p), weights=(1, 0, 0, 0), smoothing_function=smooth)
                for a in ([r] if isinstance(r, str) else r)) for p, r in zip(preds, refs)]
    return sum(vals) / len(vals)


def _codebleu(preds, refs):
    from codebleu import calc_codebleu

    return calc_codebleu(refs, preds, lang="python", weights=(0.25, 0.25, 0.25, 0.25), tokenizer=None)["codebleu"]


def _mae(preds, refs):
    return sum(abs(float(p) - float(r)) for p, r in zip(preds, refs)) / len(preds)


SCORERS = {"ACC": _exact, "ROUGE-1": _rouge1, "BLEU-1": _bleu1, "CodeBLEU": _codebleu, "MAE": _mae,
           "Micro-F1": _micro_f1}


def official_task(annotation: dict, predictions: list[dict]) -> tuple[str, float | None]:
    """(metric as the official code names it, score as a fraction; None where it scores nothing)."""
    type_ = annotation.get("type", "")
    by_id = {p["id"]: p for p in predictions}
    preds, refs = [], []
    for item in annotation["data"]:
        p = by_id.get(item["id"])
        if p is None:
            continue
        if "prediction" in p:
            value = p["prediction"]
        elif "prediction_final" in p:
            value = p["prediction_final"]
        else:
            continue
        ref = reference(item.get("output", {}), type_)
        if ref is None:
            continue
        preds.append(value)
        refs.append(ref)
    metric = METRIC.get(type_, "F1")
    if not preds:
        return metric, None
    try:
        return metric, SCORERS.get(metric, _token_f1)(preds, refs)
    except Exception:  # noqa: BLE001 - the official loop skips a task that raises
        return metric, None
