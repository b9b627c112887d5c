"""String-answer metrics: E-Acc, EM@1 and SQuAD token F1, with SQuAD answer normalisation.

Split out of classification.py, which imports these names so the declared ``impl=`` strings
(``generallevel_builtin.classification:exact_accuracy`` etc.) resolve unchanged. Pure Python.
"""

from __future__ import annotations

import math
import re
import string
from collections import Counter
from typing import Any

from generallevel import InputError

from ._labels import _is_missing, _pair


_PUNCT = str.maketrans("", "", string.punctuation)
_ARTICLES = re.compile(r"\b(a|an|the)\b")


def squad_normalize(text: str) -> str:
    """SQuAD answer normalisation: lower case, drop punctuation and articles, collapse spaces."""
    return " ".join(_ARTICLES.sub(" ", text.lower().translate(_PUNCT)).split())


def _light_normalize(text: str) -> str:
    return " ".join(text.split()).casefold()


def _text(v: Any, what: str) -> str:
    if not isinstance(v, str):
        raise InputError(f"{what} {'is a missing value' if _is_missing(v) else f'must be a string, got {v!r:.60}'}")
    return v


def _golds(ref: Any, i: int) -> list[str]:
    golds = [ref] if isinstance(ref, str) else list(ref) if isinstance(ref, (list, tuple)) else [ref]
    if not golds:
        raise InputError(f"references[{i}] is an empty list of gold answers")
    return [_text(g, f"references[{i}]") for g in golds]


def _match_rate(predictions: Any, references: Any, norm, top1: bool) -> float:
    p, r = _pair(predictions, references)
    hits = 0
    for i, (pred, ref) in enumerate(zip(p, r)):
        if top1 and isinstance(pred, (list, tuple)):
            if not pred:
                _golds(ref, i)
                continue  # no answer given: a miss
            pred = pred[0]
        guess = norm(_text(pred, f"predictions[{i}]"))
        hits += any(guess == norm(g) for g in _golds(ref, i))
    return 100.0 * hits / len(p)


def exact_accuracy(predictions: Any, references: Any) -> float:
    """Exact string match after collapsing whitespace and case-folding (any accepted reference)."""
    return _match_rate(predictions, references, _light_normalize, top1=False)


def exact_match_at_1(predictions: Any, references: Any, *, normalize: bool = True) -> float:
    """SQuAD exact match of the top-ranked answer against any gold answer."""
    return _match_rate(predictions, references, squad_normalize if normalize else (lambda s: s), top1=True)


def _token_f1(pred: str, gold: str) -> float:
    pt, gt = squad_normalize(pred).split(), squad_normalize(gold).split()
    if not pt or not gt:
        return float(pt == gt)  # SQuAD v2 convention: both empty is a match
    same = sum((Counter(pt) & Counter(gt)).values())
    return 0.0 if same == 0 else 2.0 * same / (len(pt) + len(gt))


def _whitespace_f1(pred: str, gold: str, multiset: bool) -> float:
    """General-Bench's token F1: whitespace tokens as written (no case or punctuation folding).

    ``multiset`` counts a repeated token as often as both sides have it (the textbook F1); the
    official code intersects token *sets* but divides by token *list* lengths, so an exact
    "Walla Walla" scores 0.5 there. An answer without tokens scores 0 (no SQuAD empty-match rule).
    """
    pt, gt = pred.split(), gold.split()
    if not pt or not gt:
        return 0.0
    same = sum((Counter(pt) & Counter(gt)).values()) if multiset else len(set(pt) & set(gt))
    if same == 0:
        return 0.0
    precision, recall = same / len(pt), same / len(gt)
    return 2 * precision * recall / (precision + recall)


def token_f1(predictions: Any, references: Any, *, normalize: str = "squad", count: str = "multiset") -> float:
    """Token-overlap F1, max over gold answers, mean over instances.

    normalize='squad' (default): SQuAD answer normalisation and SQuAD v2's empty-answer rules: gold
    answers that normalise to nothing ("the", ".") are dropped unless every one does (then the
    question is unanswerable and only an empty answer scores 1).
    normalize='none': whitespace tokens as written, General-Bench's convention; then
    count='multiset' (default, the textbook F1) or 'set' (the official General-Bench code's).
    """
    if normalize not in ("squad", "none"):
        raise InputError(f"token F1: unknown normalize {normalize!r}; use 'squad' or 'none'")
    if count not in ("multiset", "set"):
        raise InputError(f"token F1: unknown count {count!r}; use 'multiset' or 'set'")
    if normalize == "squad" and count != "multiset":
        raise InputError("token F1: count='set' is only defined with normalize='none' (General-Bench's code)")
    p, r = _pair(predictions, references)
    total = 0.0
    for i, (pred, ref) in enumerate(zip(p, r)):
        guess = _text(pred, f"predictions[{i}]")
        golds = _golds(ref, i)
        if normalize == "squad":
            # SQuAD v2 (evaluate-v2.0.py): golds that normalise to nothing are dropped unless all do
            golds = [g for g in golds if squad_normalize(g)] or [""]
            total += max(_token_f1(guess, g) for g in golds)
        else:
            total += max(_whitespace_f1(guess, g, count == "multiset") for g in golds)
    return 100.0 * total / len(p)


# -- General-Bench answer matching (its "ACC" for multiple choice, SQL, math, defect detection) -----
_THOUSANDS = re.compile(r"[-+]?\d{1,3}(,\d{3})+(\.\d*)?")


def _as_number(text: str) -> float | None:
    """A prediction read as a number ("42", " 3.50 ", "1,250"), or None when it is not one."""
    s = text.strip()
    if _THOUSANDS.fullmatch(s):
        s = s.replace(",", "")
    try:
        x = float(s)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _answer_hit(pred: Any, gold: Any) -> bool:
    if isinstance(gold, (int, float)) and not isinstance(gold, bool):
        value = pred if isinstance(pred, (int, float)) and not isinstance(pred, bool) else _as_number(str(pred))
        return value is not None and math.isclose(float(value), float(gold), rel_tol=1e-9, abs_tol=1e-12)
    return str(pred).strip() == str(gold).strip()


def answer_accuracy(predictions: Any, references: Any) -> float:
    """Share of items whose trimmed answer equals one of the accepted answers (case-sensitive).

    A reference is one answer or a list of accepted answers; a numeric answer (a math problem's
    ``final_answer``) also matches a prediction that reads as the same number ("42.0", "1,250").
    """
    p, r = _pair(predictions, references)
    hits = 0
    for i, (pred, ref) in enumerate(zip(p, r)):
        golds = list(ref) if isinstance(ref, (list, tuple)) else [ref]
        if not golds:
            raise InputError(f"references[{i}] is an empty list of accepted answers")
        for j, g in enumerate(golds):
            if g is None or isinstance(g, (dict, list, tuple, bool)) or _is_missing(g):
                raise InputError(f"references[{i}][{j}] must be a string or a number, got {g!r:.60}")
        if pred is None or _is_missing(pred) or isinstance(pred, (dict, list, tuple)):
            raise InputError(f"predictions[{i}] must be a string or a number, got {pred!r:.60}")
        hits += any(_answer_hit(pred, g) for g in golds)
    return 100.0 * hits / len(p)


def contains_accuracy(predictions: Any, references: Any) -> float:
    """Share of items whose answer contains an accepted answer (trimmed, case-folded on both sides).

    General-Bench's video QA and recognition convention: a generative model's sentence ("It is a
    basketball game.") is right when the reference ("basketball") occurs in it. The official code
    case-folds only when the reference contains the letters "yes" or "no" (also inside "snow");
    generallevel case-folds always. An empty reference would match everything and is refused.
    """
    p, r = _pair(predictions, references)
    hits = 0
    for i, (pred, ref) in enumerate(zip(p, r)):
        guess = " ".join(_text(str(pred) if isinstance(pred, (int, float)) else pred,
                               f"predictions[{i}]").split()).casefold()
        golds = [" ".join(str(g).split()).casefold() for g in (ref if isinstance(ref, (list, tuple)) else [ref])]
        if not golds or any(not g for g in golds):
            raise InputError(f"references[{i}]: an empty accepted answer would be contained in every answer")
        hits += any(g in guess for g in golds)
    return 100.0 * hits / len(p)
