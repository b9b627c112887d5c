"""Multipart uploads read straight into the service's own scratch folder.

Starlette's form parser spools files into the system's temporary folder; this one writes each file
part to ``<scratch>/part-<n>`` as it arrives (memory: one network chunk), hashing and counting it,
and refuses a file over the upload limit while it streams (413). Text fields are capped.
"""

from __future__ import annotations

import codecs
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, BinaryIO

import python_multipart
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header

from .storage import TooLarge


class FormError(Exception):
    """A malformed or over-large form (HTTP 400); the message is safe to show."""


@dataclass
class StoredFile:
    """A file part as stored: the client's file name, where it is, its size and sha256."""

    filename: str | None
    path: Path
    size: int = 0
    sha256: str = ""


@dataclass
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, StoredFile] = field(default_factory=dict)

    def text(self, name: str) -> str:
        return self.fields.get(name, "")


class _Collector:
    def __init__(self, dest: Path, max_files: int, max_fields: int, max_field_bytes: int, max_file_bytes: int,
                 charset: str) -> None:
        self.dest, self.charset = dest, charset
        self.max_files, self.max_fields = max_files, max_fields
        self.max_field_bytes, self.max_file_bytes = max_field_bytes, max_file_bytes
        self.form = Form()
        self.n_files = self.n_fields = 0
        self._headers: list[tuple[bytes, bytes]] = []
        self._hname = self._hvalue = b""
        self._name = ""
        self._data = bytearray()
        self._file: StoredFile | None = None
        self._fh: BinaryIO | None = None
        self._hash: Any = None

    def callbacks(self) -> dict[str, Any]:
        return {"on_part_begin": self.part_begin, "on_part_data": self.part_data, "on_part_end": self.part_end,
                "on_header_field": self.header_field, "on_header_value": self.header_value,
                "on_header_end": self.header_end, "on_headers_finished": self.headers_finished}

    def decode(self, raw: bytes) -> str:
        try:
            return raw.decode(self.charset)
        except UnicodeDecodeError:
            return raw.decode("latin-1")

    def part_begin(self) -> None:
        self._headers, self._data, self._file = [], bytearray(), None

    def header_field(self, data: bytes, start: int, end: int) -> None:
        self._hname += data[start:end]

    def header_value(self, data: bytes, start: int, end: int) -> None:
        self._hvalue += data[start:end]

    def header_end(self) -> None:
        self._headers.append((self._hname.lower(), self._hvalue))
        self._hname = self._hvalue = b""

    def headers_finished(self) -> None:
        disposition = dict(self._headers).get(b"content-disposition", b"")
        _, options = parse_options_header(disposition)
        if b"name" not in options:
            raise FormError('every form part needs a Content-Disposition "name"')
        self._name = self.decode(options[b"name"])
        if b"filename" in options:
            self.n_files += 1
            if self.n_files > self.max_files:
                raise FormError(f"too many files: at most {self.max_files}")
            path = self.dest / f"part-{self.n_files}"
            self._file = StoredFile(self.decode(options[b"filename"]), path)
            self._fh = open(path, "xb")
            self._hash = hashlib.sha256()
        else:
            self.n_fields += 1
            if self.n_fields > self.max_fields:
                raise FormError(f"too many fields: at most {self.max_fields}")

    def part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._file is None:
            if len(self._data) + len(chunk) > self.max_field_bytes:
                raise FormError(f"the field {self._name!r} is longer than {self.max_field_bytes // 1024} KB")
            self._data.extend(chunk)
            return
        self._file.size += len(chunk)
        if self._file.size > self.max_file_bytes:
            raise TooLarge(f"the upload is larger than the limit of {self.max_file_bytes} bytes")
        self._hash.update(chunk)
        assert self._fh is not None
        self._fh.write(chunk)

    def part_end(self) -> None:
        if self._file is None:
            self.form.fields.setdefault(self._name, self.decode(bytes(self._data)))
            return
        assert self._fh is not None
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        self._fh = None
        self._file.sha256 = self._hash.hexdigest()
        self.form.files.setdefault(self._name, self._file)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


async def read_multipart(headers: Any, stream: AsyncIterator[bytes], dest: Path, *, max_files: int,
                         max_file_bytes: int, max_fields: int = 20, max_field_bytes: int = 64 * 1024) -> Form:
    """Parse a ``multipart/form-data`` body from ``stream``, writing files below ``dest``."""
    ctype = headers.get("content-type", "")
    _, params = parse_options_header(ctype)
    boundary = params.get(b"boundary")
    if not boundary:
        raise FormError("malformed multipart form: no boundary")
    charset = params.get(b"charset", b"utf-8").decode("latin-1")
    try:
        charset = codecs.lookup(charset).name
    except LookupError:
        charset = "latin-1"
    collector = _Collector(dest, max_files, max_fields, max_field_bytes, max_file_bytes, charset)
    parser = python_multipart.MultipartParser(boundary, collector.callbacks())
    try:
        async for chunk in stream:
            parser.write(chunk)
        parser.finalize()
    except FormParserError:
        raise FormError("malformed multipart form") from None
    finally:
        collector.close()
    return collector.form
