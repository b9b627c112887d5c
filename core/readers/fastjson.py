"""JSON parsing with msgspec where it gives the standard library's result, the standard library otherwise.

msgspec (``pip install 'generallevel[fast]'``) parses 1.5-2.5x faster than ``json.loads`` and, typed,
reads only the fields asked for. Where it answers it gives exactly ``json.loads``' value: the same
types (integers of any size, floats correctly rounded), duplicate keys keeping the last value in the
first key's position, the same strings. Everything it refuses, the standard library then decides,
so every error message (and every value only ``json`` accepts: NaN, Infinity, numbers overflowing a
double, lone surrogates) is unchanged: invalid UTF-8, a byte-order mark, control characters, NaN and
friends all make msgspec raise. tests/test_fastjson.py holds the cases.

The cyclic garbage collector is paused while a file is parsed: a parser allocates millions of
containers that all stay alive, and every collection triggered on the way would only re-scan them.
"""

from __future__ import annotations

import contextlib
import gc
from typing import Any, Iterator

NOT_PARSED = object()  # parse_bytes' answer when the standard library must decide
_DECODER: Any = None


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


def msgspec_json() -> Any:
    """The ``msgspec`` module (its ``json`` submodule loaded), or None when msgspec is not installed
    (then everything goes through ``json``)."""
    try:
        import msgspec
        import msgspec.json  # noqa: F401
    except ImportError:
        return None
    return msgspec


def parse_bytes(data: bytes) -> Any:
    """The parsed value where msgspec's equals ``json.loads``'s, else :data:`NOT_PARSED`."""
    global _DECODER
    ms = msgspec_json()
    if ms is None:
        return NOT_PARSED
    if _DECODER is None:
        _DECODER = ms.json.Decoder()
    try:
        with no_gc():
            return _DECODER.decode(data)
    except ms.DecodeError:  # ValidationError (numbers out of range) is a DecodeError too
        return NOT_PARSED


def loads_text(text: str) -> Any:
    """``json.loads`` with the collector paused (raises ``json.JSONDecodeError`` as usual)."""
    import json

    with no_gc():
        return json.loads(text)
