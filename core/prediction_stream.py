"""Validate a ``prediction.json`` as a stream: bounded memory whatever the file's size.

``read_predictions`` (:mod:`generallevel.readers.benchfolder`) loads a whole file; a leaderboard
checking uploads cannot afford that (a 200 MiB member expands to gigabytes of Python objects).
:func:`scan_predictions` accepts exactly the shapes ``read_predictions`` accepts — a JSON list of
``{"id", "prediction"}`` items (or ``prediction_final``), or the General-Bench object
``{"task", "skill", "type", "data": [...]}`` — and refuses the rest with the same wording, while
holding at most one item at a time:

* memory per scan: one item's JSON text (at most ``max_item_chars``, 4 Mi characters by default)
  and its decoded object, plus 8 bytes per prediction for duplicate detection (at most
  ``max_predictions``, 1,000,000 by default, so 8 MB);
* a duplicate id is found by a 64-bit hash of each id; only then is the file read a second time to
  name the duplicates.
"""

from __future__ import annotations

import codecs
import hashlib
import json
import re
from array import array
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Callable, ContextManager

from .errors import InputError
from .readers.benchfolder import PREDICTION_KEYS, _check_id

MAX_ITEM_CHARS = 4 * 1024 * 1024
MAX_PREDICTIONS = 1_000_000
CHUNK = 256 * 1024
FIRST = 5
_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
_NEAR_END = 16  # a decode error this close to the buffer's end may only mean "read more"


class LimitedReader:
    """A binary stream that raises ``InputError(message)`` once more than ``limit`` bytes are read.

    Decompression is driven by these reads, so a zip bomb stops at the limit whatever its headers say.
    """

    def __init__(self, raw: BinaryIO, limit: int, message: str) -> None:
        self.raw, self.limit, self.message, self.count = raw, limit, message, 0

    def read(self, n: int = CHUNK) -> bytes:
        data = self.raw.read(min(n, self.limit - self.count + 1))
        self.count += len(data)
        if self.count > self.limit:
            raise InputError(self.message)
        return data


@dataclass
class ScanResult:
    count: int = 0
    header: dict[str, Any] = field(default_factory=dict)


class _Text:
    """Decoded JSON text read chunk by chunk; ``buf[pos:]`` is what is not consumed yet."""

    def __init__(self, stream: BinaryIO, where: str, max_item_chars: int) -> None:
        self.stream, self.where, self.max_item = stream, where, max_item_chars
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.buf, self.pos, self.dropped, self.eof = "", 0, 0, False

    def fill(self) -> None:
        if self.eof:
            return
        data = self.stream.read(CHUNK)
        try:
            text = self.decoder.decode(data, final=not data)
        except UnicodeDecodeError as e:
            raise InputError(f"{self.where}: not UTF-8 text ({e})") from None
        self.eof = not data
        self.dropped += self.pos
        self.buf = self.buf[self.pos:] + text
        self.pos = 0

    def peek(self) -> str:
        while True:
            self.pos = _WS.match(self.buf, self.pos).end()
            if self.pos < len(self.buf) or self.eof:
                return self.buf[self.pos] if self.pos < len(self.buf) else ""
            self.fill()

    def advance(self) -> None:
        self.pos += 1

    def malformed(self, msg: str, at: int | None = None) -> InputError:
        where = self.dropped + (self.pos if at is None else at)
        return InputError(f"{self.where}: malformed JSON: {msg} (character {where})")

    def value(self, what: str) -> Any:
        """The next JSON value, reading as much as it needs (up to ``max_item`` characters)."""
        self.peek()
        want = 0
        while True:
            avail = len(self.buf) - self.pos
            over = avail > self.max_item
            if avail >= want or self.eof or over:
                try:
                    obj, end = _DECODER.raw_decode(self.buf, self.pos)
                except json.JSONDecodeError as e:
                    truncated = e.pos >= len(self.buf) - _NEAR_END or e.msg.startswith("Unterminated string")
                    if self.eof or not truncated:
                        raise self.malformed(e.msg, e.pos) from None
                else:
                    if end < len(self.buf) or self.eof:  # something follows: the value is complete
                        if end - self.pos > self.max_item:
                            raise self.too_large(what)
                        self.pos = end
                        return obj
                if over:
                    raise self.too_large(what)
                want = max(2 * avail, CHUNK)  # doubling: each byte is rescanned O(1) times
            self.fill()

    def too_large(self, what: str) -> InputError:
        return InputError(f"{self.where}: {what} is larger than {self.max_item:,} characters of JSON (the limit "
                          f"per item); split it or leave the task out")


def _walk(text: _Text, on_item: Callable[[int, Any], None], header: dict[str, Any]) -> None:
    first = text.peek()
    if first == "[":
        _items(text, on_item)
    elif first == "{":
        _object(text, on_item, header)
    elif first == "":
        raise text.malformed("Expecting value")
    elif first == "\ufeff":
        raise text.malformed("Unexpected UTF-8 BOM (save the file as UTF-8 without a byte-order mark)")
    else:
        got = text.value("the top-level value")
        raise InputError(f"{text.where}: expected {{\"task\", \"type\", \"data\": [...]}} or a JSON list of "
                         f"{{\"id\", \"prediction\"}} objects, got {type(got).__name__}")
    if text.peek() != "":
        raise text.malformed("Extra data")


def _items(text: _Text, on_item: Callable[[int, Any], None]) -> None:
    text.advance()  # '['
    if text.peek() == "]":
        text.advance()
        return
    i = 0
    while True:
        on_item(i, text.value(f"item {i}"))
        i += 1
        if not _more(text, "]"):
            return


def _more(text: _Text, close: str) -> bool:
    """After a member: True at ',' (another follows), False at ``close``; both consumed."""
    c = text.peek()
    if c not in (",", close):
        raise text.malformed("Expecting ',' delimiter")
    text.advance()
    return c == ","


def _object(text: _Text, on_item: Callable[[int, Any], None], header: dict[str, Any]) -> None:
    text.advance()  # '{'
    keys: list[str] = []
    data_seen = False
    if text.peek() == "}":
        text.advance()
    else:
        while True:
            if text.peek() != '"':
                raise text.malformed("Expecting property name enclosed in double quotes")
            key = text.value("a key")
            if text.peek() != ":":
                raise text.malformed("Expecting ':' delimiter")
            text.advance()
            keys.append(key)
            if key == "data":
                if data_seen:
                    raise InputError(f"{text.where}: the key 'data' appears twice; give one list of predictions")
                data_seen = True
                if text.peek() == "[":
                    _items(text, on_item)
                else:
                    text.value("'data'")
                    data_seen = False  # not a list: refused below, as read_predictions does
            else:
                value = text.value(f"the value of {key[:40]!r}")
                if key in ("task", "skill", "type"):
                    header[key] = value
            if not _more(text, "}"):
                break
    if not data_seen:
        raise InputError(f"{text.where}: a prediction object needs 'data', a list of {{\"id\", \"prediction\"}} "
                         f"items (found keys {sorted(set(keys))[:8]})")


def _id_hash(ident: str) -> int:
    return int.from_bytes(hashlib.blake2b(ident.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")


def scan_predictions(open_stream: Callable[[], ContextManager[BinaryIO]], where: str, *,
                     max_item_chars: int = MAX_ITEM_CHARS, max_predictions: int = MAX_PREDICTIONS) -> ScanResult:
    """Check one prediction file read from ``open_stream()`` (called again only to name duplicate ids).

    Raises :class:`InputError` naming the first problem (``where`` stands for the file in messages):
    malformed JSON, a wrong shape, an item without ``id`` or ``prediction``, a bad id, no predictions,
    more than ``max_predictions``, an item over ``max_item_chars``, or duplicate ids.
    """
    result = ScanResult()
    hashes = array("Q")

    def on_item(i: int, item: Any) -> None:
        if not isinstance(item, dict) or "id" not in item:
            raise InputError(f"{where}: item {i}: expected an object with 'id' and 'prediction'")
        if not any(k in item for k in PREDICTION_KEYS):
            raise InputError(f"{where}: item {i} (id {item['id']!r}): no 'prediction' (or 'prediction_final')")
        _check_id(item["id"], where, i)  # type: ignore[arg-type]  # formatted into the message only
        if len(hashes) >= max_predictions:
            raise InputError(f"{where}: more than {max_predictions:,} predictions in one file (the limit)")
        hashes.append(_id_hash(str(item["id"])))

    with open_stream() as stream:
        _walk(_Text(stream, where, max_item_chars), on_item, result.header)
    result.count = len(hashes)
    if not hashes:
        raise InputError(f"{where}: holds no predictions; leave an unsupported task out of the archive")
    dup_hashes = _duplicate_hashes(hashes)
    message = _duplicates_message(open_stream, where, max_item_chars, dup_hashes) if dup_hashes else ""
    if message:
        raise InputError(message)
    return result


def _duplicate_hashes(hashes: array) -> set[int]:
    import numpy as np

    arr = np.sort(np.frombuffer(hashes, dtype=np.uint64))
    same = arr[1:] == arr[:-1]
    return {int(x) for x in np.unique(arr[1:][same])}


def _duplicates_message(open_stream, where: str, max_item_chars: int, dup_hashes: set[int]) -> str:
    seen: set[str] = set()
    dups: list[str] = []
    count = 0

    def on_item(_i: int, item: Any) -> None:
        nonlocal count
        ident = str(item["id"])
        if _id_hash(ident) not in dup_hashes:
            return
        if ident in seen:
            count += 1
            if len(dups) < FIRST:
                dups.append(ident)
        seen.add(ident)

    with open_stream() as stream:
        _walk(_Text(stream, where, max_item_chars), on_item, {})
    if not count:  # two different ids with one 64-bit hash: vanishingly rare, and not a problem
        return ""
    return (f"{where}: {count} duplicate id(s) ({', '.join(repr(d) for d in dups)}); "
            f"each id must be predicted once")
