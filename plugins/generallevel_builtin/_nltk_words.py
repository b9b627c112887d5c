"""nltk's word tokenisation (Punkt sentences, then NLTKWordTokenizer) without the passes that cannot match.

General-Bench's sentence BLEU-1 tokenises every prediction and reference with ``nltk.word_tokenize``.
NLTKWordTokenizer runs ~25 regular-expression substitutions over every sentence, most of which look
for one particular character: a quote, a bracket, a dash, ``;@#$%&``... A substitution whose pattern
needs a character the text does not contain returns the text unchanged, so skipping it changes
nothing. This module runs nltk's own compiled patterns, in nltk's order, and skips exactly those:
for each pattern it derives, from the parsed regular expression, a set of characters one of which
every match must contain (``None`` when it cannot tell, e.g. ``\\s+``: that pass always runs).
Likewise Punkt only looks for sentence ends at ``.``, ``?`` and ``!``: a text without them is one
sentence, ``text.rstrip()`` (nothing when that is empty), which is what Punkt returns for it.

Why it matters: on the full-scale tree the passes took ~6 s of the ~7 s of sentence BLEU-1; plain
text now costs one or two passes, a caption with commas and a final period five or six.

Safety: the pass list is nltk's class attributes, so a changed pattern changes its trigger set by
itself; a changed *order* of passes in nltk's ``tokenize`` is caught at build time by comparing both
tokenisers on probe sentences that exercise every pass (then nltk's tokenizer is used as it is).
tests/test_nltk_words.py compares both on random text from an alphabet of every trigger character,
cased letters with their Unicode case-folding partners, and the contraction words.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable

try:  # the regular-expression parser of the standard library (private; absent: nothing is skipped)
    from re import _parser as _sre_parse  # type: ignore[attr-defined]
    from re import _constants as _sre_c  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python < 3.11
    _sre_parse = _sre_c = None

Needed = tuple[frozenset, bool]  # (characters, holds only for ASCII text)

# every pass of NLTKWordTokenizer.tokenize should be hit by one of these (see _self_check)
PROBES = (
    '"Hello," she said. "It\'s 3:30 -- isn\'t it?" (yes) [no] {x} <y> a*b @home #tag $5 50% A&B; ok...',
    "``Quoted'' text, and 'single' quotes: they're we've I'll he'd I'm she's can't 'tis 'twas.",
    "«Guillemets» “curly” ‘single’ „low” — dashes – \u2012 \u2015 and the end.",
    "Cannot gimme gonna gotta lemme more'n wanna go d'ye WANNA Gonna: 1,000 and 1:2, a,b",
    'A sentence.) Another one!" And "more"? Yes.\'',
    "Mr. Smith went to Washington. He arrived at 5 p.m. on Jan. 3. Then\tleft\n  again .",
    "trailing colon: and comma, ",
    "",
    "   ",
)


def _char(c: str, ignorecase: bool) -> Needed | None:
    if not ignorecase or c.lower() == c.upper() == c:
        return frozenset(c), False
    if c.isascii():  # a cased ASCII letter: on ASCII text only its two cases can match it
        return frozenset((c, c.lower(), c.upper())), True
    return None


def _rank(got: Needed) -> tuple[bool, bool, int]:
    """Rarer is better: a set valid on any text, without letters, digits or spaces, small."""
    return got[1], any(ch.isalnum() or ch.isspace() for ch in got[0]), len(got[0])


def _needed_seq(items: Iterable, ignorecase: bool) -> Needed | None:
    """Every match of a concatenation contains a match of each of its parts: take the rarest."""
    best = None
    for op, av in items:
        got = _needed_op(op, av, ignorecase)
        if got is not None and (best is None or _rank(got) < _rank(best)):
            best = got
    return best


def _union(parts: list[Needed | None]) -> Needed | None:
    if not parts or any(p is None for p in parts):
        return None
    return frozenset().union(*(p[0] for p in parts)), any(p[1] for p in parts)


def _needed_op(op: Any, av: Any, ignorecase: bool) -> Needed | None:
    c = _sre_c
    if op is c.LITERAL:
        return _char(chr(av), ignorecase)
    if op is c.IN:
        parts: list[Needed | None] = []
        for iop, iav in av:
            if iop is c.LITERAL:
                parts.append(_char(chr(iav), ignorecase))
            elif iop is c.RANGE and iav[1] - iav[0] < 64:
                parts.append(_union([_char(chr(i), ignorecase) for i in range(iav[0], iav[1] + 1)]))
            else:  # NEGATE, a category (\w, \d, \s), a wide range
                return None
        return _union(parts)
    if op is c.SUBPATTERN:
        _, add, dele, sub = av
        ic = (ignorecase or bool(add & c.SRE_FLAG_IGNORECASE)) and not dele & c.SRE_FLAG_IGNORECASE
        return _needed_seq(sub, ic)
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", c.MAX_REPEAT)):
        lo, _, sub = av
        return _needed_seq(sub, ignorecase) if lo >= 1 else None
    if op is c.BRANCH:
        return _union([_needed_seq(alt, ignorecase) for alt in av[1]])
    return None  # anchors, look-arounds, any character, NOT_LITERAL, categories, group references


def needed_chars(pattern: str, flags: int = 0) -> Needed | None:
    """Characters one of which every match of ``pattern`` contains (and whether that holds only on
    ASCII text), or None when the pattern may match without any particular character."""
    if _sre_parse is None:
        return None
    try:
        parsed = _sre_parse.parse(pattern, flags & (re.IGNORECASE | re.VERBOSE))
    except Exception:  # noqa: BLE001 - syntax only the `regex` module knows: always run that pass
        return None
    return _needed_seq(parsed, bool(parsed.state.flags & re.IGNORECASE))


def _literal_runs(items: Iterable, ignorecase: bool, runs: list[str], run: list[str]) -> None:
    c = _sre_c
    for op, av in items:
        if op is c.LITERAL:
            run.append(chr(av))
        elif op is c.SUBPATTERN and not av[1] and not av[2]:  # a group matches its text in place
            _literal_runs(av[3], ignorecase, runs, run)
        elif op is not c.AT:  # an anchor (\b, ^) matches no text: the literals around it are adjacent
            runs.append("".join(run))
            run.clear()


def needed_word(pattern: str, flags: int = 0) -> tuple[str, bool] | None:
    """The longest string of 2+ literal characters every match contains, and whether it is to be
    found case-insensitively (then only on ASCII text), or None. ``(?i)\\b(can)(not)\\b``: 'cannot'."""
    if _sre_parse is None:
        return None
    try:
        parsed = _sre_parse.parse(pattern, flags & (re.IGNORECASE | re.VERBOSE))
    except Exception:  # noqa: BLE001
        return None
    ignorecase = bool(parsed.state.flags & re.IGNORECASE)
    runs: list[str] = []
    run: list[str] = []
    _literal_runs(parsed, ignorecase, runs, run)
    runs.append("".join(run))
    word = max(runs, key=len)
    if len(word) < 2:
        return None
    cased = ignorecase and word.lower() != word.upper()
    if cased and not word.isascii():
        return None
    return (word.lower(), True) if cased else (word, False)


ALWAYS, CHARS, CHARS_ASCII, WORD, WORD_CI, SPACES = range(6)
# whitespace other than " " that ``\\s`` may match in ASCII text (a superset of both re's and regex's)
_ODD_SPACES = frozenset("\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f")


class _Pass:
    """One substitution and the cheapest test that it may change the text."""

    __slots__ = ("sub", "repl", "kind", "chars", "word")

    def __init__(self, rx: Any, repl: str):
        self.sub, self.repl = rx.sub, repl
        flags = getattr(rx, "flags", 0)
        got, word = needed_chars(rx.pattern, flags), needed_word(rx.pattern, flags)
        self.chars, self.word = None if got is None else got[0], None if word is None else word[0]
        if rx.pattern == r"\s+" and repl == " ":  # a no-op unless two spaces or another whitespace
            self.kind = SPACES
        elif word is not None:
            self.kind = WORD_CI if word[1] else WORD
        elif got is not None:
            self.kind = CHARS_ASCII if got[1] else CHARS
        else:
            self.kind = ALWAYS


def _run(passes: list[_Pass], text: str) -> str:
    chars, ascii_, lower = set(text), text.isascii(), None
    for p in passes:
        k = p.kind
        if k == CHARS:
            hit = not chars.isdisjoint(p.chars)
        elif k == WORD:
            hit = p.word in text
        elif k == WORD_CI:
            if ascii_:
                if lower is None:
                    lower = text.lower()
                hit = p.word in lower
            else:
                hit = True
        elif k == CHARS_ASCII:
            hit = not ascii_ or not chars.isdisjoint(p.chars)
        elif k == SPACES:
            hit = not ascii_ or "  " in text or not chars.isdisjoint(_ODD_SPACES)
        else:
            hit = True
        if hit:
            new = p.sub(p.repl, text)
            if new != text:
                text, chars, ascii_, lower = new, set(new), new.isascii(), None
    return text


class GuardedWordTokenizer:
    """NLTKWordTokenizer().tokenize (convert_parentheses=False) with impossible passes skipped."""

    def __init__(self, tokenizer: Any):
        t = tokenizer
        self.head = [_Pass(rx, s) for rx, s in
                     [*t.STARTING_QUOTES, *t.PUNCTUATION, t.PARENS_BRACKETS, t.DOUBLE_DASHES]]
        self.tail = ([_Pass(rx, s) for rx, s in t.ENDING_QUOTES]
                     + [_Pass(rx, r" \1 \2 ") for rx in [*t.CONTRACTIONS2, *t.CONTRACTIONS3]])

    def __call__(self, text: str) -> list[str]:
        text = _run(self.head, text)
        return _run(self.tail, " " + text + " ").split()


def plain_words(sentences: Any, words: Any) -> Callable[[str], list[str]]:
    """str -> tokens as ``nltk.word_tokenize`` composes them: Punkt sentences, then the word
    tokenizer per sentence (the reference for the guarded version, and its fallback)."""
    split_sentences, split_words = sentences.tokenize, words.tokenize
    return lambda text: [w for s in split_sentences(text) for w in split_words(s)]


def guarded_words(sentences: Any, words: Any) -> Callable[[str], list[str]] | None:
    """str -> tokens like ``[w for s in sentences.tokenize(text) for w in words.tokenize(s)]``, or
    None when the guarded version disagrees with nltk on a probe (nltk changed how it tokenises)."""
    guarded = GuardedWordTokenizer(words)
    ends = frozenset(sentences._lang_vars.sent_end_chars)
    split_sentences = sentences.tokenize

    def tokens(text: str) -> list[str]:
        if ends.isdisjoint(text):  # Punkt's answer for a text without a sentence end
            text = text.rstrip()
            return guarded(text) if text else []
        return [w for s in split_sentences(text) for w in guarded(s)]

    plain = plain_words(sentences, words)
    if any(tokens(probe) != plain(probe) for probe in PROBES):
        return None
    return tokens
