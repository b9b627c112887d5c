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
Pausing alone only postpones that work: the first collection after it scans every container parsed
(0.14 s for a 22 MB tracking file), then moves them through the older generations to scan them
again. A task's files are therefore *parked* while the task is scored (``with parking():``, which
``evaluate_folder`` opens; ``no_gc(park=True)`` inside it): their containers are moved to the
collector's permanent generation (``gc.freeze``), where no collection looks at them; they are
acyclic, so reference counting frees them when the task drops them. Leaving ``parking()`` hands
whatever is still there back to the collector (:func:`release_parked`), so cyclic garbage that
happened to be alive at a freeze is not kept for the life of a long-running process; outside it
(validation, the service's upload checks) nothing is parked. A process that froze objects itself
before we did keeps them frozen: we then never unfreeze. Measured on the full-scale tree (699 tasks
in one process, benchmarks/profile_tasks.py), the collector ran 4.3 s before parking and 0.15 s
after; reading the files took 6.5 s instead of 12.
"""

from __future__ import annotations

import contextlib
import gc
from contextvars import ContextVar
from typing import Any, Iterator

NOT_PARSED = object()  # parse_bytes' answer when the standard library must decide
_DECODER: Any = None


_PARKING: ContextVar[bool] = ContextVar("generallevel_parking", default=False)  # inside parking()
_PARKED = False  # the permanent generation holds only what this module froze
_FOREIGN = False  # the process froze objects itself before we did: never unfreeze


@contextlib.contextmanager
def no_gc(park: bool = False) -> Iterator[None]:
    """Pause the cyclic garbage collector (reference counting still frees memory); ``park``, inside
    :func:`parking`: then move every tracked container, the parsed value's included, out of the
    collector's sight."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if park and _PARKING.get():
            _park()
        if enabled:
            gc.enable()


@contextlib.contextmanager
def parking() -> Iterator[None]:
    """Files parsed with ``park=True`` inside (in this thread or task) are parked until it ends."""
    token = _PARKING.set(True)
    try:
        yield
    finally:
        _PARKING.reset(token)
        release_parked()


def _park() -> None:
    global _PARKED, _FOREIGN
    if not (_PARKED or _FOREIGN):  # get_freeze_count walks the whole generation: asked when it is empty
        _FOREIGN = gc.get_freeze_count() > 0
        _PARKED = not _FOREIGN
    gc.freeze()


def release_parked() -> None:
    """Give what :func:`no_gc` parked back to the collector (into its oldest generation), unless
    the process had frozen objects of its own first."""
    global _PARKED
    if _PARKED:
        _PARKED = False
        gc.unfreeze()


def msgspec_json() -> Any:
    """The ``msgspec`` module (its ``json`` submodule loaded), or None when msgspec is not installed
    (then everything goes through ``json``)."""
    try:
        import msgspec
        import msgspec.json  # noqa: F401
    except ImportError:
        return None
    return msgspec


def parse_bytes(data: bytes, park: bool = False) -> Any:
    """The parsed value where msgspec's equals ``json.loads``'s, else :data:`NOT_PARSED`; ``park``:
    see :func:`no_gc`."""
    global _DECODER
    ms = msgspec_json()
    if ms is None:
        return NOT_PARSED
    if _DECODER is None:
        _DECODER = ms.json.Decoder()
    try:
        with no_gc(park):
            return _DECODER.decode(data)
    except ms.DecodeError:  # ValidationError (numbers out of range) is a DecodeError too
        return NOT_PARSED


def loads_text(text: str, park: bool = False) -> Any:
    """``json.loads`` with the collector paused (raises ``json.JSONDecodeError`` as usual)."""
    import json

    with no_gc(park):
        return json.loads(text)
