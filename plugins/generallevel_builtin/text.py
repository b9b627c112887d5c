"""Text generation metrics: BLEU, ROUGE, CIDEr, ANLS, CodeBLEU, judged scores. Percent."""

from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache
from typing import Any, Callable

from generallevel import InputError, Metric, MissingDependencyError, hookimpl
from generallevel.normalize import Percent

from ._declare import percent
from ._inputs import first_nonfinite, same_length
from ._text_utils import as_list, lcs_length, levenshtein_function, rouge_tokenizer, text_pairs, word_tokenizer

_M = "generallevel_builtin.text:"
_S = "generallevel_builtin.resampling_stats:"
_T = "generallevel_builtin.text_resampling:"


@hookimpl
def register_metrics(register):
    txt = "predictions: strings; references: a string or list of strings per instance"
    bleu = "; option tokenize='13a' (any sacrebleu tokenizer, e.g. 'zh', 'char', 'intl', 'none')"
    rouge = ("; F-measure averaged over instances, best reference per instance; options "
             "tokenizer='default' (rouge_score's, drops CJK) | 'cjk' (one token per CJK character) | callable, "
             "use_stemmer=False")
    register(percent("BLEU-1", _M + "bleu1", "BLUE_1", "BLEU1", "BLEU@1",
                     reference="nltk corpus_bleu weights (1,) on 13a tokens; sacrebleu BLEU(max_ngram_order=1); "
                     "nltk sentence_bleu (sentence=True)",
                     inputs=txt + "; corpus BLEU with unigram precision only, brevity penalty included" + bleu
                     + "; sentence=True: mean over items of the best single-reference sentence BLEU-1 "
                     "(General-Bench), with tokenize='nltk'|'whitespace' and smoothing=0..7 (nltk method<n>); "
                     "lowercase=False", 
                     item_stats=_S + "bleu1_stats", from_stats=_S + "bleu1_from_stats"))
    register(percent("BLEU-4", _M + "bleu4", "BLEU@4", "BLEU", "SacreBLEU", reference="sacrebleu.corpus_bleu",
                     inputs=txt + "; sacrebleu corpus BLEU" + bleu, 
                     item_stats=_S + "bleu4_stats", from_stats=_S + "bleu4_from_stats"))
    register(percent("ROUGE-1", _M + "rouge1", "ROUGE1", reference="rouge_score.rouge_scorer (rouge1 F)",
                     inputs=txt + rouge))
    register(percent("ROUGE-L", _M + "rouge_l", "Rouge-L f", "ROUGEL", "Rouge-L", reference="rouge_score.rouge_scorer (rougeL F)",
                     inputs=txt + rouge))
    register(Metric("CIDEr", True, (0.0, 1000.0), "percent", Percent(), _M + "cider", aliases=("CIDEr-D",),
                    reference="pycocoevalcap Cider",
                    inputs=txt + "; CIDEr-D x 100 (pycocoevalcap's 0..10 scale times 100; can exceed 100, the "
                    "task score is clipped at 100); option tokenize='coco' (lowercase, strip punctuation) | "
                    "'none' (already tokenised) | callable", resampler=_T + "cider"))
    register(percent("ANLS", _M + "anls", "Average Normalized Levenshtein Similarity",
                     reference="hand-computed ANLS (threshold 0.5) with Levenshtein distance",
                     inputs=txt + "; DocVQA ANLS, max over references; option threshold=0.5"))
    register(percent("CodeBLEU", _M + "codebleu", "Code BLEU", reference="codebleu.calc_codebleu",
                     inputs=txt + "; options lang='python', weights=(0.25, 0.25, 0.25, 0.25); "
                     "needs codebleu and tree-sitter-python==0.21.0", item_stats=_T + "codebleu_stats",
                     from_stats=_T + "codebleu_from_stats", max_resamples=25))
    register(percent("GPT-Score", _M + "judged_score", "GPT Score", "Judge Score",
                     reference="hand-computed mean of judged scores rescaled to 0..100",
                     inputs="predictions: judge scores per instance (references ignored, may be None); "
                     "option scale=(lo, hi), default (0, 10)"))


# -- compute functions (heavy libraries are imported inside each function) -----------------------
def _at_most_100(x: float) -> float:
    """Absorb float noise above 100: sacrebleu's exp(log(100)) is 100.00000000000004 for a perfect match."""
    return min(float(x), 100.0)


def _sacrebleu_corpus(predictions: Any, references: Any, order: int, tokenize: str, lowercase: bool = False) -> float:
    """Corpus BLEU (percent) from sacrebleu with n-grams up to ``order``; variable refs allowed."""
    preds, refs = text_pairs(predictions, references)
    try:
        from sacrebleu.metrics import BLEU
    except ImportError:
        raise MissingDependencyError("BLEU needs sacrebleu: pip install sacrebleu") from None
    if tokenize not in BLEU.TOKENIZERS:
        raise InputError(f"unknown sacrebleu tokenize {tokenize!r}; known: {sorted(BLEU.TOKENIZERS)}")
    # sacrebleu takes reference *streams*; a None entry marks "no k-th reference for this instance".
    k = max(len(r) for r in refs)
    streams = [[r[j] if j < len(r) else None for r in refs] for j in range(k)]
    try:
        scorer = BLEU(tokenize=tokenize, max_ngram_order=order, lowercase=bool(lowercase))
    except (ImportError, RuntimeError) as e:  # ja-mecab / ko-mecab / spm need extra packages
        raise MissingDependencyError(f"sacrebleu tokenize={tokenize!r} needs an extra package: {e}") from e
    if order == 1:
        fast = _corpus_bleu1_stats(scorer, preds, streams)
        if fast is not None:
            return _at_most_100(scorer._aggregate_and_compute(fast).score)
    return _at_most_100(scorer.corpus_score(preds, streams).score)


# sacrebleu's 13a tokenizer (Tokenizer13a + TokenizerRegexp), the same steps: its first regex replaces
# single characters, so a translate table does it; the other three keep their regexes with callables
# for the template expansion (Python 3.11 expands r' \1 ' templates in Python, ~40 % of the time).
_TOK13A_TABLE = {c: f" {chr(c)} " for lo, hi in (("{", "~"), ("[", "`"), (" ", "&"), ("(", "+"), (":", "@"), ("/", "/"))
                 for c in range(ord(lo), ord(hi) + 1)}
_TOK13A_STEPS = ((re.compile(r"([^0-9])([\.,])"), lambda m: f"{m[1]} {m[2]} "),
                 (re.compile(r"([\.,])([^0-9])"), lambda m: f" {m[1]} {m[2]}"),
                 (re.compile(r"([0-9])(-)"), lambda m: f"{m[1]} {m[2]} "))


@lru_cache(maxsize=2**16)
def tokenize_13a(line: str) -> str:
    """``sacrebleu.tokenizers.tokenizer_13a.Tokenizer13a()(line)``, equal on every input
    (tests/metrics/test_text.py compares them on random strings)."""
    line = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
    if "&" in line:
        line = line.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    line = f" {line} ".translate(_TOK13A_TABLE)
    for rx, repl in _TOK13A_STEPS:
        line = rx.sub(repl, line)
    return " ".join(line.split())


def _corpus_bleu1_stats(scorer: Any, preds: list[str], streams: list[list[Any]]) -> list[list[int]] | None:
    """sacrebleu's per-segment statistics [hyp_len, ref_len, correct, total] for unigram BLEU, as
    ``BLEU._extract_corpus_statistics`` computes them (its tokenizer, its closest-reference length,
    counts clipped by the largest count in any reference), with plain token Counters instead of
    its n-gram tuples: ~3x faster. None (use sacrebleu itself) where sacrebleu would raise or warn."""
    scorer._check_corpus_score_args(preds, streams)
    if not scorer._force and sum(1 for h in preds if h.endswith(" .")) >= 100:
        return None  # sacrebleu logs its "forgot to detokenize" warning: let it
    prep: Callable[[str], str] = scorer._preprocess_segment
    tok = type(scorer.tokenizer)
    if (tok.__module__, tok.__name__) == ("sacrebleu.tokenizers.tokenizer_13a", "Tokenizer13a"):
        lower = bool(scorer.lowercase)
        # BLEU._preprocess_segment with the same 13a tokenizer, faster
        prep = (lambda sent: tokenize_13a(sent.lower().rstrip())) if lower else \
            (lambda sent: tokenize_13a(sent.rstrip()))
    closest = scorer._get_closest_ref_len
    stats = []
    for hyp, refs in zip(preds, zip(*streams)):
        ref_max: Counter | None = None
        ref_lens = []
        for ref in refs:
            if ref is None:
                continue
            tokens = prep(ref).split()
            ref_lens.append(len(tokens))
            if ref_max is None:
                ref_max = Counter(tokens)
            else:
                for tok, n in Counter(tokens).items():
                    if n > ref_max[tok]:
                        ref_max[tok] = n
        if ref_max is None:
            return None
        tokens = prep(hyp).split()
        correct = 0
        for tok, n in Counter(tokens).items():
            m = ref_max.get(tok)
            if m is not None:
                correct += n if n < m else m
        stats.append([len(tokens), closest(len(tokens), ref_lens), correct, len(tokens)])
    return stats


def bleu1(predictions: Any, references: Any, *, tokenize: Any = None, sentence: bool = False,
          smoothing: int = 0, lowercase: bool = False) -> float:
    """BLEU with unigram precision only, brevity penalty included (percent).

    Default: corpus BLEU (sacrebleu, tokenize='13a'). ``sentence=True`` is General-Bench's BLEU-1:
    per item, nltk's sentence_bleu with weights (1, 0, 0, 0) against each reference on its own,
    the best of them, averaged over items; ``tokenize`` 'nltk' (default there) or 'whitespace',
    ``smoothing`` n picks nltk's SmoothingFunction().method<n> (General-Bench: 4). ``lowercase``
    compares lower-cased text (General-Bench's video captioning: ``tokenize='none'``, lower-cased).
    """
    if not sentence:
        return _sacrebleu_corpus(predictions, references, 1, "13a" if tokenize is None else tokenize, lowercase)
    if lowercase:
        preds, refs = text_pairs(predictions, references)
        predictions, references = [p.lower() for p in preds], [[r.lower() for r in g] for g in refs]
    return _sentence_bleu1(predictions, references, "nltk" if tokenize is None else tokenize, smoothing)


def _sentence_bleu1(predictions: Any, references: Any, tokenize: Any, smoothing: int) -> float:
    preds, refs = text_pairs(predictions, references)
    if isinstance(smoothing, bool) or smoothing not in range(8):
        raise InputError(f"BLEU-1 smoothing must be 0..7 (nltk SmoothingFunction().method<n>), got {smoothing!r}")
    try:
        from nltk.translate.bleu_score import SmoothingFunction, sentence_bleu
    except ImportError:
        raise MissingDependencyError("sentence-level BLEU needs nltk: pip install nltk") from None
    smooth = getattr(SmoothingFunction(), f"method{smoothing}")
    tok = word_tokenizer(tokenize)
    one = _unigram_sentence_bleu if smoothing in _P1_KEPT else \
        (lambda ref, hyp: sentence_bleu([ref], hyp, weights=(1, 0, 0, 0), smoothing_function=smooth))
    total = 0.0
    for pred, group in zip(preds, refs):
        hyp = tok(pred)
        total += max(one(tok(r), hyp) for r in group)
    return _at_most_100(100.0 * total / len(preds))


# nltk smoothing methods that leave a non-zero unigram precision as it is and neither warn nor raise:
# with weights (1, 0, 0, 0) the other orders then only add 0 * log(p_n) (or are skipped), so the score
# is the brevity penalty times exp(log(p_1)).
_P1_KEPT = (1, 2, 3, 4)


def _unigram_sentence_bleu(ref: list[str], hyp: list[str]) -> float:
    """``nltk sentence_bleu([ref], hyp, weights=(1, 0, 0, 0), smoothing_function=method1..4)``, the
    same float (tests/metrics/test_text.py compares them): clipped unigram matches over
    max(1, len(hyp)), nltk's brevity penalty, and its exp(fsum(log)) of that precision."""
    ref_counts = Counter(ref)
    matches = 0
    for token, n in Counter(hyp).items():
        m = ref_counts[token]
        matches += n if n < m else m
    if matches == 0:
        return 0
    hyp_len, ref_len = len(hyp), len(ref)
    bp = 1 if hyp_len > ref_len else math.exp(1 - ref_len / hyp_len)
    return bp * math.exp(math.fsum([math.log(matches / max(1, hyp_len))]))


def bleu4(predictions: Any, references: Any, *, tokenize: str = "13a") -> float:
    """sacrebleu corpus BLEU (4-grams, 'exp' smoothing, 13a tokenizer by default), percent."""
    return _sacrebleu_corpus(predictions, references, 4, tokenize)


def _f(overlap: int, n_pred: int, n_ref: int) -> float:
    """rouge_score's F-measure from an overlap count (same operation order, same float result)."""
    p = overlap / max(n_pred, 1)
    r = overlap / max(n_ref, 1)
    return 2 * p * r / (p + r) if p + r > 0 else 0.0


def _rouge(predictions: Any, references: Any, kind: str, tokenizer: Any, use_stemmer: bool) -> float:
    """Mean over instances of the best (over references) ROUGE F-measure, in percent."""
    preds, refs = text_pairs(predictions, references)
    tok = rouge_tokenizer(tokenizer, use_stemmer)
    total = 0.0
    for pred, group in zip(preds, refs):
        p = tok(pred)
        best = 0.0
        if kind == "1":
            cp = Counter(p)
            for ref in group:
                t = tok(ref)
                ct = Counter(t)
                overlap = sum(min(c, ct[w]) for w, c in cp.items() if w in ct)
                best = max(best, _f(overlap, len(p), len(t)))
        else:
            for ref in group:
                t = tok(ref)
                if p and t:
                    best = max(best, _f(lcs_length(p, t), len(p), len(t)))
        total += best
    return 100.0 * total / len(preds)


def rouge1(predictions: Any, references: Any, *, tokenizer: Any = "default", use_stemmer: bool = False) -> float:
    """ROUGE-1 F-measure (rouge_score semantics), averaged over instances, percent."""
    return _rouge(predictions, references, "1", tokenizer, use_stemmer)


def rouge_l(predictions: Any, references: Any, *, tokenizer: Any = "default", use_stemmer: bool = False) -> float:
    """ROUGE-L (LCS) F-measure (rouge_score semantics), averaged over instances, percent."""
    return _rouge(predictions, references, "L", tokenizer, use_stemmer)


_COCO_PUNCT = re.compile(r"[^\w\s]|_")


def _cider_tokenizer(tokenize: Any) -> Callable[[str], str]:
    if callable(tokenize):
        return lambda s: " ".join(tokenize(s))
    if tokenize == "coco":
        return lambda s: " ".join(_COCO_PUNCT.sub(" ", s.lower()).split())
    if tokenize == "none":
        return lambda s: s
    raise InputError(f"unknown CIDEr tokenize {tokenize!r}; use 'coco', 'none' or a callable")


def cider(predictions: Any, references: Any, *, tokenize: Any = "coco") -> float:
    """CIDEr-D (pycocoevalcap Cider: n=4, sigma=6, corpus idf, x10) times 100.

    pycocoevalcap reports CIDEr-D on a 0..10 scale (about 1 for good captioners); times 100 gives
    the 0..1000 value declared here. The idf comes from the references of this corpus, so a single
    instance always scores 0.
    """
    preds, refs = text_pairs(predictions, references)
    try:
        from pycocoevalcap.cider.cider import Cider
    except ImportError:
        raise MissingDependencyError("CIDEr needs pycocoevalcap: pip install pycocoevalcap") from None
    tok = _cider_tokenizer(tokenize)
    res = {i: [tok(p)] for i, p in enumerate(preds)}
    gts = {i: [tok(r) for r in group] for i, group in enumerate(refs)}
    if not any(r.split() for group in gts.values() for r in group):
        raise InputError("CIDEr: every reference is empty after tokenisation")
    score, _ = Cider().compute_score(gts, res)
    return min(100.0 * float(score), 1000.0)  # a perfect cosine can round to 1 + 2e-16


def anls(predictions: Any, references: Any, *, threshold: float = 0.5) -> float:
    """Average Normalized Levenshtein Similarity (DocVQA), percent.

    Per instance, as the official DocVQA/InfographicVQA script computes it: the distance is taken
    between the lower-cased, whitespace-collapsed answers, but divided by the length of the answers
    *as written*: NL = lev(norm(pred), norm(ref)) / max(len(pred), len(ref)), 0 if both are empty;
    the instance scores max over references of (1 - NL), set to 0 when the best NL exceeds
    ``threshold`` (0.5).
    """
    preds, refs = text_pairs(predictions, references)
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
        raise InputError(f"ANLS threshold must be a number in [0, 1], got {threshold!r}")
    lev = levenshtein_function()
    total = 0.0
    for pred, group in zip(preds, refs):
        p = " ".join(pred.lower().split())
        best_nl = 1.0
        for ref in group:
            r = " ".join(ref.lower().split())
            length = max(len(pred.upper()), len(ref.upper()))  # the raw lengths, as the official script
            nl = lev(p, r) / length if length else 0.0
            best_nl = min(best_nl, nl)
        if best_nl <= threshold:
            total += 1.0 - best_nl
    return 100.0 * total / len(preds)


def codebleu(predictions: Any, references: Any, *, lang: str = "python",
             weights: tuple[float, float, float, float] = (0.25, 0.25, 0.25, 0.25)) -> float:
    """CodeBLEU (codebleu.calc_codebleu: n-gram, weighted n-gram, AST and data-flow match), percent."""
    preds, refs = text_pairs(predictions, references)
    try:
        from codebleu import calc_codebleu
        from codebleu.utils import AVAILABLE_LANGS, get_tree_sitter_language
    except ImportError:
        raise MissingDependencyError(
            "CodeBLEU needs codebleu and the tree-sitter grammar: pip install codebleu tree-sitter-python==0.21.0"
        ) from None
    if lang not in AVAILABLE_LANGS:
        raise InputError(f"CodeBLEU lang {lang!r} is not supported; known: {AVAILABLE_LANGS}")
    w = tuple(weights) if not isinstance(weights, str) else ()
    if len(w) != 4 or not all(isinstance(x, (int, float)) and math.isfinite(x) for x in w):
        raise InputError(f"CodeBLEU weights must be 4 finite numbers, got {weights!r}")
    try:
        get_tree_sitter_language(lang)
    except (ImportError, ValueError) as e:  # missing grammar package, or an incompatible version
        raise MissingDependencyError(
            f"CodeBLEU lang={lang!r} needs a tree-sitter grammar compatible with codebleu "
            f"(python: pip install tree-sitter-python==0.21.0): {e}"
        ) from e
    result = calc_codebleu(refs, preds, lang=lang, weights=w)
    return _at_most_100(100.0 * float(result["codebleu"]))


def judged_score(predictions: Any, references: Any = None, *, scale: tuple[float, float] = (0.0, 10.0)) -> float:
    """Mean judge score (e.g. GPT-4 ratings), rescaled linearly from ``scale`` = (lo, hi) to 0..100.

    Nothing is called here: the judge's scores are the input. ``references`` is ignored; if given,
    its length must match (a cheap guard against misaligned files).
    """
    import numpy as np

    scores = as_list(predictions, "predictions (judge scores)")
    if references is not None:
        same_length(len(scores), len(as_list(references, "references")), preds="judge scores")
    try:
        lo, hi = (float(x) for x in scale)
    except (TypeError, ValueError):
        raise InputError(f"scale must be a pair (lo, hi) of numbers, got {scale!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise InputError(f"scale must be finite with lo < hi, got {scale!r}")
    arr = np.asarray(scores)
    if arr.ndim != 1 or arr.dtype.kind not in "iuf":
        for i, s in enumerate(scores):  # find the offending entry for the message
            if isinstance(s, bool) or not isinstance(s, (int, float, np.integer, np.floating)):
                raise InputError(f"judge score [{i}] must be a number, got {s!r:.60}")
        raise InputError("judge scores must be a flat sequence of numbers")
    arr = arr.astype(float)
    bad = first_nonfinite(arr)
    if bad is not None:
        raise InputError(f"judge score [{bad[0]}] is {arr[bad]!r}; scores must be finite")
    out = np.flatnonzero((arr < lo) | (arr > hi))
    if out.size:
        raise InputError(f"judge score [{out[0]}] = {arr[out[0]]:g} is outside the scale [{lo:g}, {hi:g}]")
    return float(100.0 * np.mean((arr - lo) / (hi - lo)))
