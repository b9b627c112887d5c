"""The guarded word tokenizer (plugins/generallevel_builtin/_nltk_words.py) against nltk itself.

Reference: Punkt (the same parameters) then ``NLTKWordTokenizer().tokenize`` per sentence, which is
what ``nltk.word_tokenize`` runs; the guarded version must give the same tokens on every text.
"""

from __future__ import annotations

import random
import re

import pytest

nltk = pytest.importorskip("nltk")
from nltk.tokenize import NLTKWordTokenizer  # noqa: E402
from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer  # noqa: E402

from generallevel_builtin import _nltk_words as nw  # noqa: E402
from generallevel_builtin._text_utils import _ABBREVIATIONS  # noqa: E402

TRIGGERS = "\"'`.,:;@#$%&?!*()[]{}<>-«»“”‘’„\u2012\u2013\u2014\u2015"
UNICODE = "éİıſ\u212a\u3002ß\u00a0\u2029"  # case-folding partners of ASCII letters, a CJK stop, spaces
WORDS = ["cannot", "Cannot", "gimme", "gonna", "GOTTA", "lemme", "more'n", "wanna", "d'ye", "'tis", "'Twas",
         "can't", "it's", "they're", "I'll", "he'd", "Mr.", "U.S.", "3.88", "e.g.", "1,000", "3:30", "--", "...",
         "``", "''", "(x)", "[y]", "a*b", "@home", "50%", "A&B", "horse", "the", "ſtate", "\u212aelvin", "wannabe"]


def reference(punkt, treebank, text: str) -> list[str]:
    return [w for s in punkt.tokenize(text) for w in treebank.tokenize(s)]


@pytest.fixture(scope="module")
def tokenizers():
    params = PunktParameters()
    params.abbrev_types = set(_ABBREVIATIONS)
    punkt, treebank = PunktSentenceTokenizer(params), NLTKWordTokenizer()
    fast = nw.guarded_words(punkt, treebank)
    assert fast is not None, "the guarded tokenizer disagrees with the installed nltk on a probe"
    return punkt, treebank, fast


def random_text(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(0, 14)):
        r = rng.random()
        if r < 0.45:
            parts.append(rng.choice(WORDS))
        elif r < 0.75:
            parts.append("".join(rng.choice("abcdefgnostwy") for _ in range(rng.randint(1, 7))))
        else:
            parts.append("".join(rng.choice(TRIGGERS + UNICODE + "aN0 ") for _ in range(rng.randint(1, 3))))
        parts.append(rng.choice([" ", " ", " ", "", "  ", "\t", "\n", " . ", ", ", "? ", "! ", '" ', " '"]))
    return "".join(parts)


def test_same_tokens_as_nltk_on_random_text(tokenizers):
    punkt, treebank, fast = tokenizers
    rng = random.Random(20261201)
    texts = [random_text(rng) for _ in range(6000)]
    differ = [t for t in texts if fast(t) != reference(punkt, treebank, t)]
    assert not differ, differ[:3]


def test_same_tokens_on_captions_and_probes(tokenizers):
    punkt, treebank, fast = tokenizers
    texts = [*nw.PROBES,
             "A man riding a horse on the beach.", "two dogs play in the snow ", "  leading space, then words",
             'He said "no." Then left.', "It's a cat's toy (red), isn't it? Yes!", "end with colon:",
             "zzq ab aams brtqx", "UPPER CASE WORDS", "tabs\tand\nnewlines", "ſo \u212aing wanna\tgo", "。",
             "mixed 。 sentence. Another", "ok...", "... start", "a -- b --c", "'quoted' start", '"quoted" start']
    for t in texts:
        assert fast(t) == reference(punkt, treebank, t), t


def test_every_skipped_pass_really_cannot_match():
    """For each of nltk's patterns: a text without any of its trigger characters (or without its
    literal word) has no match (checked on random text; ASCII-only triggers on ASCII text)."""
    treebank = NLTKWordTokenizer()
    g = nw.GuardedWordTokenizer(treebank)
    rx = [r for r, _ in [*treebank.STARTING_QUOTES, *treebank.PUNCTUATION, treebank.PARENS_BRACKETS,
                          treebank.DOUBLE_DASHES, *treebank.ENDING_QUOTES]]
    rx += [*treebank.CONTRACTIONS2, *treebank.CONTRACTIONS3]
    passes = g.head + g.tail
    assert len(rx) == len(passes)
    rng = random.Random(7)
    alphabet = TRIGGERS + UNICODE + "abcdeghilmnorstwyACGLNTW019 \t\n"
    checked = 0
    for pattern, p in zip(rx, passes):
        if p.kind not in (nw.CHARS, nw.CHARS_ASCII):
            continue
        pool = [c for c in alphabet if c not in p.chars and (p.kind == nw.CHARS or c.isascii())]
        for _ in range(300):
            text = " " + "".join(rng.choice(pool) for _ in range(rng.randint(1, 30))) + " "
            assert pattern.search(text) is None, (pattern.pattern, text)
            checked += 1
    assert checked > 15 * 300
    words = 0
    for pattern, p in zip(rx, passes):
        if p.kind not in (nw.WORD, nw.WORD_CI):
            continue
        for _ in range(400):
            text = " " + " ".join(rng.choice(WORDS + ["ca", "nnot", "gon na", "t'is", "'t is"]) for _ in range(6)) + " "
            ci = p.kind == nw.WORD_CI
            absent = (p.word not in text.lower()) if ci else (p.word not in text)
            if absent and (text.isascii() or not ci):
                assert pattern.search(text) is None, (pattern.pattern, text)
                words += 1
    assert words > 2000
    spaces = [p for p in passes if p.kind == nw.SPACES]
    assert len(spaces) == 1
    for _ in range(2000):  # single spaces only, ASCII: \s+ -> " " changes nothing
        text = " " + " ".join("".join(rng.choice(TRIGGERS[:20] + "abcXYZ09") for _ in range(rng.randint(1, 5)))
                              for _ in range(rng.randint(1, 6))) + " "
        assert spaces[0].sub(spaces[0].repl, text) == text


def test_trigger_sets_of_simple_patterns():
    assert nw.needed_chars(r"[;@#$%&]") == (frozenset(";@#$%&"), False)
    assert nw.needed_chars(r"\s+") is None
    assert nw.needed_chars(r"(?i)\b(can)(not)\b") == (frozenset("cC"), True)
    assert nw.needed_chars(r"(a|b)c*") == (frozenset("ab"), False)
    assert nw.needed_chars(r"x?y*") is None
    assert nw.needed_chars(r"([^'])' ") == (frozenset("'"), False)
    assert nw.needed_chars(r"[\u2012-\u2015]") == (frozenset("\u2012\u2013\u2014\u2015"), False)
    assert nw.needed_word(r"(?i)\b(can)(?#X)(not)\b") == ("cannot", True)
    assert nw.needed_word(r"(?i) ('t)(?#X)(is)\b") == (" 'tis", True)
    assert nw.needed_word(r"([^'])' ") == ("' ", False)
    assert nw.needed_word(r"ab?c") is None and nw.needed_word(r"(a|bc)d") is None
    assert nw.needed_word(r"(?i)\u00e9t\u00e9") is None  # a cased non-ASCII word: always run


def test_a_tokenizer_that_changed_its_order_is_used_as_it_is():
    """If nltk's tokenize ran its passes differently, the probes disagree and nltk's own is used."""

    class Reordered(NLTKWordTokenizer):
        PUNCTUATION = list(reversed(NLTKWordTokenizer.PUNCTUATION))

        def tokenize(self, text, convert_parentheses=False, return_str=False):  # nltk's, punctuation first
            for regexp, substitution in NLTKWordTokenizer.PUNCTUATION:
                text = regexp.sub(substitution, text)
            return super().tokenize(text)

    assert nw.guarded_words(PunktSentenceTokenizer(PunktParameters()), Reordered()) is None


def test_bleu1_sentence_scores_unchanged_by_the_guarded_path(monkeypatch):
    """General-Bench sentence BLEU-1 through the metric, guarded tokenizer on and off."""
    from generallevel_builtin import _text_utils
    from generallevel_builtin.text import bleu1

    rng = random.Random(3)
    preds = [random_text(rng) or "x" for _ in range(300)]
    refs = [[random_text(rng) or "y"] for _ in range(300)]
    on = bleu1(preds, refs, sentence=True, tokenize="nltk", smoothing=4)
    _text_utils._nltk_words.cache_clear()
    monkeypatch.setattr(nw, "guarded_words", lambda punkt, treebank: None)
    try:
        off = bleu1(preds, refs, sentence=True, tokenize="nltk", smoothing=4)
    finally:
        _text_utils._nltk_words.cache_clear()
    assert on == off and re.match(r"^\d", repr(on))
