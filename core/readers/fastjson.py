"""JSON parsing with orjson where it gives the standard library's result, the standard library otherwise.

orjson (``pip install 'generallevel[fast]'``) parses 1.5-2x faster than ``json.loads``. It is used
only where its result is provably the same value: it refuses (and we then parse with ``json`` as
before, so every result and every error message is the standard library's) NaN, Infinity,
numbers that overflow a double, lone surrogates, invalid UTF-8, a byte-order mark, control
characters and nesting deeper than 1024; duplicate keys keep the last value in the first key's
position in both. The one silent difference, integers beyond 64 bits (orjson returns a float), is
avoided by never giving orjson a file where a run of 19 or more digits may be an integer (a numpy
scan costing about 5 % of the parse; fractions such as 0.0012345678901234567 do not count).

The cyclic garbage collector is paused while a file is parsed: a parser allocates millions of
containers that all stay alive, and every collection triggered on the way would only re-scan them.
"""

from __future__ import annotations

import contextlib
import gc
from typing import Any, Iterator

import numpy as np

NOT_PARSED = object()  # parse_bytes' answer when the standard library must decide
_LONG_DIGITS = 19  # int64 has at most 19 digits; a longer run may be an integer orjson turns into a float
_CHUNK = 1 << 20


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector (reference counting still frees memory)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _orjson() -> Any:
    try:
        import orjson
    except ImportError:
        return None
    return orjson


def _digits(a: np.ndarray) -> np.ndarray:
    return (a - 48) < 10  # uint8 wraps: True exactly for b"0".."9"


def _widen(a: np.ndarray, lo: int, hi: int) -> tuple[int, int]:
    """[lo, hi) grown to the ends of the digit runs it cuts (block by block: a run can be long)."""
    while lo > 0 and 48 <= a[lo - 1] <= 57:
        block = a[max(0, lo - 4096):lo]
        other = np.flatnonzero(~_digits(block))
        lo = lo - len(block) + (int(other[-1]) + 1 if other.size else 0)
        if other.size:
            break
    while hi < len(a) and 48 <= a[hi] <= 57:
        block = a[hi:hi + 4096]
        other = np.flatnonzero(~_digits(block))
        hi += int(other[0]) if other.size else len(block)
        if other.size:
            break
    return lo, hi


_NOT_INTEGER_BEFORE = frozenset(b".")  # a run after "." is a fraction
_NOT_INTEGER_AFTER = frozenset(b".eE")  # a run before these is a float's integer part


def _integer_run(a: np.ndarray, lo: int, hi: int, run: int) -> bool:
    """Whether a[lo:hi] holds a run of ``run``+ digits that may be an integer literal."""
    lo, hi = _widen(a, lo, hi)
    d = _digits(a[lo:hi]).astype(np.int8)
    edges = np.flatnonzero(np.diff(np.r_[np.int8(0), d, np.int8(0)]))
    starts, ends = edges[0::2] + lo, edges[1::2] + lo
    for s, e in zip(starts[ends - starts >= run].tolist(), ends[ends - starts >= run].tolist()):
        before = int(a[s - 1]) if s > 0 else -1
        after = int(a[e]) if e < len(a) else -1
        if before not in _NOT_INTEGER_BEFORE and after not in _NOT_INTEGER_AFTER:
            return True
    return False


def has_long_integer(data: bytes, run: int = _LONG_DIGITS) -> bool:
    """Whether ``data`` may hold an integer literal of ``run`` or more digits.

    A run of digits after "." (a fraction: 0.0012345678901234567) or before ".", "e", "E" (a float's
    integer part) is not one; any other run is, even inside a string (a harmless false alarm).
    Repeated halving of digit masks finds 1 MiB blocks with a long run; only those are looked at closely.
    """
    a = np.frombuffer(data, dtype=np.uint8)
    steps, have = [], 1
    while have < run:  # window widths 1 -> 2 -> 4 -> ... -> run
        step = min(have, run - have)
        steps.append(step)
        have += step
    for start in range(0, len(a), _CHUNK):
        mask = _digits(a[start:start + _CHUNK + run - 1])
        for step in steps:
            mask = mask[:-step] & mask[step:]
            if not mask.any():
                break
        else:
            if _integer_run(a, start, min(start + _CHUNK + run - 1, len(a)), run):
                return True
    return False


def parse_bytes(data: bytes) -> Any:
    """The parsed value where orjson's equals ``json.loads``'s, else :data:`NOT_PARSED`."""
    orjson = _orjson()
    if orjson is None or has_long_integer(data):
        return NOT_PARSED
    try:
        with no_gc():
            return orjson.loads(data)
    except orjson.JSONDecodeError:
        return NOT_PARSED


def loads_text(text: str) -> Any:
    """``json.loads`` with the collector paused (raises ``json.JSONDecodeError`` as usual)."""
    import json

    with no_gc():
        return json.loads(text)
