"""Reading many result files for a leaderboard: folders, lists of paths, worker processes.

``generallevel leaderboard DIR`` takes every ``*.json`` file directly inside DIR (sorted by name) and
``--from-list FILE`` one path per line, so 100,000 models never meet the operating system's limit on
command-line length. Each file is parsed (msgspec where it gives json's value) and at once reduced to
a score row (:func:`generallevel.results_matrix.reduce_report`); with ``jobs`` > 1 worker processes
parse and reduce batches of files and send back only the rows, in file order, so the first error
reported is the same whatever the number of jobs.
"""

from __future__ import annotations

import json
import operator
import os
import sys
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

import numpy as np

from .errors import InputError
from .readers.fastjson import no_gc
from .results_matrix import Reduced, Reference, ResultMatrix, _check_report, reduce_report, setup_key, tie_flags

FILES_PER_TASK = 64  # files a worker parses per round trip


def result_paths(items: Iterable[str | Path] = (), from_list: str | Path | None = None) -> list[Path]:
    """Result files named directly, ``*.json`` files in named folders (sorted, not recursive), and the
    paths listed in ``from_list`` (one per line; blank lines and lines starting with ``#`` skipped;
    relative paths are relative to the current folder, as ``tar -T``; ``-`` reads standard input)."""
    paths: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            found = sorted(q for q in p.iterdir() if q.suffix.lower() == ".json" and q.is_file())
            if not found:
                raise InputError(f"{p}: no result files (*.json) in this folder")
            paths += found
        else:
            paths.append(p)
    if from_list is not None:
        try:
            text = sys.stdin.read() if str(from_list) == "-" else Path(from_list).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            raise InputError(f"{from_list}: cannot read the list of result files: {e}") from None
        listed = [line.strip() for line in text.splitlines()]
        paths += [Path(line) for line in listed if line and not line.startswith("#")]
    return paths


def read_report(path: Path, data: bytes | None = None) -> Any:
    """One result file's JSON (msgspec where it gives the standard library's value), errors naming it."""
    from .readers.fastjson import NOT_PARSED, loads_text, parse_bytes

    try:
        value = parse_bytes(path.read_bytes() if data is None else data)
        if value is NOT_PARSED:
            value = loads_text(path.read_text(encoding="utf-8"))
        return value
    except FileNotFoundError:
        raise InputError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, expected a result JSON file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise InputError(f"{path}: malformed JSON: {e}") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e.strerror or e}") from None


_TYPED: Any = None  # (decoder, UNSET, DecodeError) once built; False without msgspec


def _typed_decoder() -> Any:
    """A msgspec decoder reading only what a score report's row needs (other fields are skipped)."""
    global _TYPED
    if _TYPED is None:
        from .readers.fastjson import msgspec_json

        ms = msgspec_json()
        if ms is None:
            _TYPED = False
            return _TYPED
        unset = ms.UNSET
        # score and sota_score must be numbers or null, win a bool or null: anything else (and a missing
        # score) fails the typed decode, and the generic path then names the problem
        # gc=False: decoded rows are never part of a cycle, so the collector need not track them
        # (~15 % faster decoding of a 230 KB report)
        row = ms.defstruct("Row", [("score", float | None), ("sota_score", float | None), ("id", Any, unset),
                                   ("win", bool | None, None), ("raw", Any, None)], gc=False)
        # provenance stays raw text: reports of one setup carry the same bytes, decoded and keyed once
        report = ms.defstruct("Report", [(name, Any, unset) for name in ("model", "mode", "evaluation")]
                              + [("provenance", ms.Raw | ms.UnsetType, unset),
                                 ("tasks", list[row] | ms.UnsetType, unset)], gc=False)
        _TYPED = (ms.json.Decoder(report), unset, ms.DecodeError)
    return _TYPED


_SETUPS: dict[bytes, tuple[Any, str | None]] = {}  # a provenance's JSON text -> (its value, setup_key)
_MAX_SETUPS = 256


def _provenance(text: bytes) -> tuple[Any, str | None] | None:
    """A provenance's value and setup key (None where it is not an object), from its JSON text; None
    where the standard library would have to decide (the generic path then does)."""
    hit = _SETUPS.get(text)
    if hit is None:
        from .readers.fastjson import NOT_PARSED, parse_bytes

        value = parse_bytes(text)
        if value is NOT_PARSED:
            return None
        hit = (value, setup_key(value) if isinstance(value, dict) else None)
        if len(_SETUPS) < _MAX_SETUPS:
            _SETUPS[text] = hit
    return hit


def _fast_reduce(data: bytes, source: str, ref: Reference) -> Reduced | None:
    """A score report in the reference's task order, reduced from typed rows without building its
    dicts; None for anything else (the generic path decides: same values, same errors)."""
    typed = _typed_decoder()
    if not typed:
        return None
    decoder, unset, decode_error = typed
    try:
        with no_gc():
            rep = decoder.decode(data)
    except decode_error:
        return None
    rows = rep.tasks
    if rep.evaluation is not unset or rows is unset or list(map(_ATTR_ID, rows)) != ref.ids:
        return None
    scores, other_sota = list(map(_ATTR_SCORE, rows)), list(map(_ATTR_SOTA, rows))
    head = {k: v for k, v in (("model", rep.model), ("mode", rep.mode)) if v is not unset}
    setup = None
    if rep.provenance is not unset:
        parsed = _provenance(bytes(rep.provenance))
        if parsed is None:
            return None
        head["provenance"], setup = parsed
    model, sha, mode, _, prov = _check_report({**head, "tasks": rows}, source)
    sigma = np.array(scores, dtype=float)  # null -> NaN; msgspec gave finite floats only
    if (mode != "official" and ((sigma < 0) | (sigma > 100)).any()) or other_sota != ref.sota_list:
        return None  # the generic path's verdict, and its message with the values as written (130, not 130.0)
    out = Reduced(model, sha, mode, source, setup, prov)  # _check_report refused a report without provenance
    out.sigma, out.flags = sigma, tie_flags(sigma, ref.sota, rows, _ATTR_WIN, _ATTR_RAW)
    return out


_ATTR_ID, _ATTR_SCORE, _ATTR_SOTA, _ATTR_WIN, _ATTR_RAW = map(operator.attrgetter, ("id", "score", "sota_score",
                                                                                     "win", "raw"))


def reduce_file(path: Path | str, ref: Reference | None) -> Reduced:
    """One file reduced: the typed fast path when the task list is known, else parse and reduce."""
    source = str(path)
    if ref is not None:
        try:
            with open(source, "rb", buffering=0) as fh:  # a str path: no Path object per file
                data = fh.read()
        except OSError:
            data = None  # read_report names the problem
        if data is not None:
            fast = _fast_reduce(data, source, ref)
            if fast is not None:
                return fast
        return reduce_report(read_report(Path(path), data), source, ref)
    return reduce_report(read_report(Path(path)), source, ref)


_REFERENCE: Reference | None = None  # a worker's copy of the task list (sent once, at its start)


def _set_reference(ref: Reference) -> None:
    global _REFERENCE
    _REFERENCE = ref


_SENT: set[str] = set()  # setups whose provenance this worker has sent (once is enough)


def _reduce_files(paths: Sequence[str]) -> list[Reduced]:
    """Worker: parse and reduce a batch of files against the parent's task list. A worker takes batches
    in order, so the parent meets each setup's provenance before the reports that leave it out."""
    out = []
    for p in paths:
        r = reduce_file(p, _REFERENCE)
        if r.setup in _SENT:
            r.provenance = None
        _SENT.add(r.setup)
        out.append(r)
    return out


def _reduced(paths: list[Path], builder: Any, jobs: int) -> Iterator[Reduced]:
    """Reduced reports in file order; the first files are read here until the task list is known."""
    ahead = _Prefetch([str(p) for p in paths], lead=FILES_PER_TASK * (2 * jobs + 4))
    try:
        i = 0
        while i < len(paths) and (builder.reference is None or jobs <= 1):
            r = reduce_file(paths[i], builder.reference)
            i += 1
            ahead.done = i
            yield r  # the caller adds it, which may set builder.reference
        rest = [str(p) for p in paths[i:]]
        if not rest:
            return
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)
        batches = [rest[k:k + FILES_PER_TASK] for k in range(0, len(rest), FILES_PER_TASK)]
        with ProcessPoolExecutor(max_workers=min(jobs, len(batches)), mp_context=ctx, initializer=_set_reference,
                                 initargs=(builder.reference,)) as pool:
            for k, batch in enumerate(pool.map(_reduce_files, batches)):
                ahead.done = i + (k + 1) * FILES_PER_TASK
                yield from batch
    finally:
        ahead.stop()


class _Prefetch:
    """Asks the kernel to read the next files ahead of the readers (``posix_fadvise(WILLNEED)`` from a
    thread, which mostly waits): many files in flight at once instead of one per reader, which on a
    disk (rather than the page cache) doubles the reading rate. A no-op where unsupported."""

    def __init__(self, paths: list[str], lead: int) -> None:
        import threading

        self.done = 0
        self._paths, self._lead = paths, lead
        self._halt = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True) if hasattr(os, "posix_fadvise") else None
        if self._thread is not None:
            self._thread.start()

    def _run(self) -> None:
        for i, p in enumerate(self._paths):
            while i >= self.done + self._lead:
                if self._halt.wait(0.01):
                    return
            if self._halt.is_set():
                return
            try:
                fd = os.open(p, os.O_RDONLY)
                try:
                    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_WILLNEED)
                finally:
                    os.close(fd)
            except OSError:
                pass  # the reader names the problem

    def stop(self) -> None:
        self._halt.set()
        if self._thread is not None:
            self._thread.join()


def load_files(paths: Sequence[str | Path], expect_registry: str | None = None, jobs: int = 1) -> ResultMatrix:
    """Read result files into a :class:`ResultMatrix`, one reduced row at a time (see module docstring)."""
    from .result_builder import MatrixBuilder

    paths = [Path(p) for p in paths]
    if not paths:
        raise InputError("no result files given")
    jobs = max(1, min(int(jobs or 1), os.cpu_count() or 1))
    builder = MatrixBuilder(len(paths), expect_registry)
    for r in _reduced(paths, builder, jobs):
        builder.add(r)
    matrix = builder.finish()
    _release_freed_memory()
    return matrix


def _release_freed_memory() -> None:
    """Give the heap's free pages back to the system (glibc): reading left many small holes that the
    boards' large arrays cannot reuse. Elsewhere a no-op."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass
