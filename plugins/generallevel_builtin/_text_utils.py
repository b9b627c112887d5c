"""Private helpers for the text metrics: input checks, tokenisers, LCS and Levenshtein distances.

Kept free of heavy imports (sacrebleu, rouge_score, nltk, rapidfuzz load only when used) so that
declaring the text metrics stays cheap. Everything here runs once per instance on up to ~1e5
pairs, so the per-item work is kept to plain loops over built-in types.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping, Set
from typing import Any, Callable, Sequence

from generallevel import InputError

from ._inputs import ordered, same_length

Tokenizer = Callable[[str], list]


# -- input checks ---------------------------------------------------------------------------------
def _describe_bad(value: Any) -> str:
    if value is None:
        return "is None (a missing value)"
    if isinstance(value, (float, int)) and not isinstance(value, bool) and math.isnan(value):
        return "is NaN (a missing value)"
    return f"must be a string, got {type(value).__name__} {value!r:.60}"


def as_list(values: Any, what: str) -> list:
    """``values`` as a list; a bare string, a mapping or a set is refused (order would be lost)."""
    return ordered(values, what, none_expects="a sequence with one entry per instance")


def text_list(values: Any, what: str = "predictions") -> list[str]:
    """A non-empty list of strings; None/NaN or a non-string entry raises with its index."""
    out = as_list(values, what)
    for i, v in enumerate(out):
        if not isinstance(v, str):
            raise InputError(f"{what}[{i}] {_describe_bad(v)}")
    return out


def reference_lists(values: Any, n: int) -> list[list[str]]:
    """Per instance a non-empty list of reference strings (a bare string means one reference)."""
    refs = as_list(values, "references")
    same_length(n, len(refs))
    out: list[list[str]] = []
    for i, r in enumerate(refs):
        if isinstance(r, str):
            out.append([r])
            continue
        if r is None or isinstance(r, (float, int, bytes, Mapping, Set)):
            raise InputError(f"references[{i}] {_describe_bad(r)} or a list of strings")
        try:
            group = list(r)
        except TypeError:
            raise InputError(f"references[{i}] {_describe_bad(r)} or a list of strings") from None
        if not group:
            raise InputError(f"references[{i}] is an empty list; each instance needs >= 1 reference")
        for j, s in enumerate(group):
            if not isinstance(s, str):
                raise InputError(f"references[{i}][{j}] {_describe_bad(s)}")
        out.append(group)
    return out


def text_pairs(predictions: Any, references: Any) -> tuple[list[str], list[list[str]]]:
    """Validated (predictions, per-instance reference lists) of equal length."""
    preds = text_list(predictions, "predictions")
    return preds, reference_lists(references, len(preds))


# -- ROUGE tokenisers -----------------------------------------------------------------------------
# rouge_score's DefaultTokenizer: lowercase, every non [a-z0-9] run becomes a separator. It drops
# every non-ASCII letter, so Chinese/Japanese text tokenises to nothing and scores 0.
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_VALID = re.compile(r"^[a-z0-9]+$")
# Han (incl. extension A/B+ and compatibility ideographs), kana, Hangul syllables: one token each.
_CJK_CHARS = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af\U00020000-\U0002fa1f"
_CJK_TOKEN = re.compile(f"[{_CJK_CHARS}]|[a-z0-9]+")


def _porter() -> Callable[[str], str]:
    """nltk's Porter stemmer (as rouge_score uses), memoised per token; stems only words > 3 chars."""
    from nltk.stem import porter

    stem = porter.PorterStemmer().stem
    cache: dict[str, str] = {}

    def stem_token(tok: str) -> str:
        s = cache.get(tok)
        if s is None:
            s = cache[tok] = stem(tok) if len(tok) > 3 else tok
        return s

    return stem_token


def rouge_tokenizer(tokenizer: Any = "default", use_stemmer: bool = False) -> Tokenizer:
    """A str -> tokens function for ROUGE.

    "default" reproduces rouge_score's tokenizer exactly; "cjk" additionally keeps every CJK
    character (Han, kana, Hangul) as its own token; a callable (or an object with a ``tokenize``
    method, as rouge_score accepts) is used as given and ``use_stemmer`` is then ignored.
    """
    if not isinstance(tokenizer, str):
        fn = getattr(tokenizer, "tokenize", tokenizer)
        if not callable(fn):
            raise InputError("tokenizer must be 'default', 'cjk', a callable or have .tokenize()")
        return fn
    stem = _porter() if use_stemmer else None
    if tokenizer == "default":
        if stem is None:
            return lambda text: _NON_ALNUM.sub(" ", text.lower()).split()

        def default_stemmed(text: str) -> list[str]:
            toks = [stem(t) for t in _NON_ALNUM.sub(" ", text.lower()).split()]
            return [t for t in toks if _VALID.match(t)]

        return default_stemmed
    if tokenizer == "cjk":
        if stem is None:
            return lambda text: _CJK_TOKEN.findall(text.lower())
        return lambda text: [stem(t) for t in _CJK_TOKEN.findall(text.lower())]
    raise InputError(f"unknown ROUGE tokenizer {tokenizer!r}; use 'default', 'cjk' or a callable")


# -- word tokenisers for sentence BLEU --------------------------------------------------------------
# General-Bench tokenises BLEU inputs with nltk.word_tokenize, which needs nltk's downloadable punkt
# model and silently falls back to str.split() without it (so its BLEU depends on the machine).
# "nltk" here is word_tokenize without the download: sentences split by punkt's algorithm with
# common English abbreviations declared, then nltk's NLTKWordTokenizer per sentence (what
# word_tokenize runs); on text without unlisted abbreviations the tokens are word_tokenize's.
_ABBREVIATIONS = ("dr", "mr", "mrs", "ms", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "inc",
                  "ltd", "co", "corp", "no", "fig", "al", "u.s", "u.k", "a.m", "p.m", "jan", "feb", "mar",
                  "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mt", "gen", "gov")


@functools.lru_cache(maxsize=None)
def _nltk_words() -> Tokenizer:
    """Built once per process: building it (Punkt and the word tokenizer's patterns) takes ~7 ms, as
    long as tokenising twenty sentences, and --ci scores items one at a time. Its results are
    memoised per text (the same tokens, as a new list each call)."""
    from nltk.tokenize import NLTKWordTokenizer
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    from ._nltk_words import guarded_words, plain_words

    params = PunktParameters()
    params.abbrev_types = set(_ABBREVIATIONS)
    punkt, treebank = PunktSentenceTokenizer(params), NLTKWordTokenizer()
    # the same tokens, passes that cannot match skipped (nltk's own way if the guard disagrees)
    split = guarded_words(punkt, treebank) or plain_words(punkt, treebank)

    @functools.lru_cache(maxsize=1 << 14)  # a task's texts (a few MB); --ci scores each item again
    def tokens(text: str) -> tuple[str, ...]:
        return tuple(split(text))

    return lambda text: list(tokens(text))


def word_tokenizer(tokenize: Any) -> Tokenizer:
    """str -> tokens for sentence-level BLEU: 'nltk' (see above), 'whitespace' or a callable."""
    if callable(tokenize):
        return tokenize
    if tokenize == "nltk":
        return _nltk_words()
    if tokenize == "whitespace":
        return str.split
    raise InputError(f"unknown sentence-BLEU tokenize {tokenize!r}; use 'nltk', 'whitespace' or a callable")


# -- sequence algorithms --------------------------------------------------------------------------
def lcs_length(a: Sequence, b: Sequence) -> int:
    """Length of the longest common subsequence of two token sequences.

    Bit-parallel (Allison-Dix / Hyyro): one big-integer update per token of ``a`` instead of the
    O(len(a)*len(b)) table rouge_score fills in Python; the result is the same exact integer.
    """
    if not a or not b:
        return 0
    masks: dict[Any, int] = {}
    for i, tok in enumerate(b):
        masks[tok] = masks.get(tok, 0) | (1 << i)
    full = (1 << len(b)) - 1
    v = full
    for tok in a:
        m = masks.get(tok)
        if m is not None:
            u = v & m
            v = ((v + u) | (v - u)) & full
    return len(b) - v.bit_count()


def _levenshtein_py(a: str, b: str) -> int:
    """Edit distance (insert/delete/substitute, unit costs) by the two-row dynamic programme."""
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def levenshtein_function() -> Callable[[str, str], int]:
    """rapidfuzz's C Levenshtein distance when installed (it comes with jiwer), else pure Python."""
    try:
        from rapidfuzz.distance import Levenshtein
    except ImportError:
        return _levenshtein_py
    return Levenshtein.distance
