"""Keep closed-set answers out of what a submitter is told.

A metric that refuses its input explains why, and some explanations quote the offending value:
``references[0] = 'a cat' is not a set of labels``. On a public leaderboard the references are the
closed-set answers, so two layers stand between them and a submitter:

1. :class:`AnswerRedactor` (where the answers are at hand, i.e. when a submission is scored):
   every value from a task's answers is replaced by ``<answer>`` in that task's messages: any
   stretch of at least 3 characters that begins like an answer string (so truncated quotes are
   caught too, case-insensitively, also in their ``repr``/JSON-escaped spellings), quoted short
   strings, and numeric tokens equal to an answer number (or to it rounded to the token's
   decimals). Indices such as ``references[3]`` are kept.
2. :func:`mask_reference_values` (anywhere, no answers needed; applied again before a stored
   report is served): in every ``;``-separated part of a message that talks about references,
   ground truth, gold labels or answers, each quoted literal and each number that is
   not an index is replaced by ``…``.

What counts as an answer: every value inside an annotation item except its ``id`` and ``input``
(the open part a submitter is given), and every top-level field except ``task``, ``type`` and
``data``.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any, Iterable

PLACEHOLDER = "<answer>"
MASK = "…"
LONG = 3  # answer strings at least this long are found anywhere; shorter ones only when quoted
ANCHOR = 16  # characters of an answer that must match before a longer stretch is redacted
_PARTS = re.compile(r"</?p>|[\n;,|]")
_NUMBER = re.compile(r"(?<![\w.])(?<![\w\])]\[)-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.])")
_REF_WORDS = re.compile(r"referenc|ground[\s_-]?truth|\bgold|\banswer|\bgt\b", re.IGNORECASE)
_QUOTED = re.compile(r"""(?<!\w)'(?:[^'\\]|\\.)*(?:'|$)|(?<!\w)"(?:[^"\\]|\\.)*(?:"|$)""")


def _leaves(value: Any) -> Iterable[Any]:
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _leaves(v)
    elif value is not None and not isinstance(value, bool):
        yield value


def answer_values(annotation: Any) -> Iterable[Any]:
    """The answer leaves of a parsed ``annotation.json`` (see the module docstring)."""
    if not isinstance(annotation, dict):
        yield from _leaves(annotation)
        return
    for key, value in annotation.items():
        if key in ("task", "type"):
            continue
        if key != "data":
            yield from _leaves(value)
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                yield from _leaves({k: v for k, v in item.items() if k not in ("id", "input")})
            else:
                yield from _leaves(item)


def _as_number(text: str) -> float | None:
    try:
        x = float(text)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


class AnswerRedactor:
    """Replaces answer values in free text; build it from the answers' values or files."""

    def __init__(self, values: Iterable[Any]) -> None:
        self.long: set[str] = set()  # lower-cased spellings, >= LONG characters
        self.short: set[str] = set()
        self.numbers: set[float] = set()
        for v in values:
            if isinstance(v, (int, float)):
                if math.isfinite(v):
                    self.numbers.add(float(v))
                continue
            self._add_text(str(v))
        self._anchors: dict[str, list[str]] = {}
        for form in self.long:
            self._anchors.setdefault(form[:ANCHOR], []).append(form)

    def _add_text(self, text: str) -> None:
        pieces = {text.strip()} | {p.strip() for p in _PARTS.split(text)}
        for piece in pieces:
            if not piece:
                continue
            number = _as_number(piece)
            if number is not None:
                self.numbers.add(number)
            spellings = {piece, repr(piece)[1:-1], json.dumps(piece)[1:-1], json.dumps(piece, ensure_ascii=False)[1:-1]}
            for s in spellings:
                (self.long if len(s) >= LONG else self.short).add(s.lower() if len(s) >= LONG else s)

    @classmethod
    def from_files(cls, paths: Iterable[Path]) -> "AnswerRedactor":
        values: list[Any] = []
        for p in paths:
            try:
                values.extend(answer_values(json.loads(Path(p).read_text(encoding="utf-8"))))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError):
                continue  # an unreadable answers file fails its task without quoting anything
        return cls(values)

    def __bool__(self) -> bool:
        return bool(self.long or self.short or self.numbers)

    def redact(self, text: str | None) -> str | None:
        if not text:
            return text
        spans = self._long_spans(text)
        out, last = [], 0
        for start, end in _merge(spans):
            out.append(text[last:start])
            out.append(PLACEHOLDER)
            last = end
        text = "".join(out) + text[last:]
        if self.short:
            text = _QUOTED.sub(lambda m: f"'{PLACEHOLDER}'" if _unquote(m.group(0)) in self.short else m.group(0), text)
        if self.numbers:
            text = _NUMBER.sub(lambda m: PLACEHOLDER if self._is_answer_number(m.group(0)) else m.group(0), text)
        return text

    def _long_spans(self, text: str) -> list[tuple[int, int]]:
        lowered = text.lower()
        if len(lowered) != len(text):  # a character whose lower case is longer: compare as written
            lowered = text
        spans = []
        for anchor, forms in self._anchors.items():
            at = lowered.find(anchor)
            while at >= 0:
                end = at + len(anchor)
                for form in forms:
                    e = at
                    while e - at < len(form) and e < len(lowered) and lowered[e] == form[e - at]:
                        e += 1
                    end = max(end, e)
                spans.append((at, end))
                at = lowered.find(anchor, at + 1)
        return spans

    def _is_answer_number(self, token: str) -> bool:
        x = _as_number(token)
        if x is None:
            return False
        if x in self.numbers:
            return True
        if "." in token and "e" not in token.lower():
            decimals = len(token.split(".")[1])
            return any(round(a, decimals) == x for a in self.numbers)
        return False


def _unquote(literal: str) -> str:
    body = literal[1:]
    return body[:-1] if body.endswith(literal[0]) else body


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def mask_reference_values(text: str | None) -> str | None:
    """Quoted literals and non-index numbers masked in each ``;``-part that mentions references."""
    if not text or not _REF_WORDS.search(text):
        return text
    parts = text.split("; ")
    for i, part in enumerate(parts):
        if _REF_WORDS.search(part):
            part = _QUOTED.sub(lambda m: m.group(0) if _unquote(m.group(0)) == PLACEHOLDER else f"'{MASK}'", part)
            parts[i] = _NUMBER.sub(MASK, part)
    return "; ".join(parts)
