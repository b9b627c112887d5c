"""Reduced reports -> one validated :class:`~generallevel.results_matrix.ResultMatrix`, row by row.

A :class:`MatrixBuilder` is told the number of reports up front and writes each reduced report into
preallocated arrays (scores as float64, win flags as int8), so a board of 100,000 models holds the
score matrix and a few names per model, never the reports. ``evaluate`` reports (raw values) are
normalised BATCH at a time in one vectorised pass each.

What the whole set must agree on is checked in :meth:`MatrixBuilder.finish` before any error found
inside one report is raised, in this order, exactly as when all reports were first read into memory:
one registry fingerprint, the expected one (``--expect-registry``), one scoring mode, unique model
names; then the first report's own error.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import InputError
from .results_matrix import Reduced, Reference, ResultMatrix, _provenance, _raw_block, _RawRows

BATCH = 1024  # evaluate reports normalised together


class MatrixBuilder:
    def __init__(self, n: int, expect_registry: str | None = None) -> None:
        self.n, self.expect = n, expect_registry
        self.models: list[str] = []
        self.sources: list[str] = []
        self.shas: list[str] = []
        self.modes: list[str] = []
        self.setups: dict[str, list] = {}  # setup key -> [provenance, reports]
        self.reference: Reference | None = None
        self.sigma: np.ndarray | None = None
        self.flags: np.ndarray | None = None
        self.error: InputError | None = None
        self._raw: list[tuple[int, _RawRows, str]] = []  # waiting to be normalised
        self._raw_rows: list[int] = []  # rows holding evaluate reports (in the registry's task order)
        self._table: Any = None  # (table, sota) of the normalised evaluate reports

    # -- adding ---------------------------------------------------------------------------------
    def _allocate(self, width: int) -> None:
        if self.sigma is None:  # every row is written before finish() returns (or finish raises); left
            # untouched until then, the pages are not resident, nor shared with forked readers
            self.sigma = np.empty((self.n, width))
            self.flags = np.empty((self.n, width), dtype=np.int8)
        elif self.sigma.shape[1] != width:
            where = self.reference.where if self.reference else self.sources[0]
            self._fail(InputError(f"{where}: its task list differs from the installed registry's although the "
                                  f"fingerprint is the same; the file was edited"))

    def _fail(self, error: InputError) -> None:
        if self.error is None:
            self.error = error

    def add(self, r: Reduced) -> None:
        i = len(self.models)
        if i >= self.n:
            raise ValueError("more reports than announced")
        self.models.append(r.model)
        self.sources.append(r.source)
        self.shas.append(r.sha)
        self.modes.append(r.mode)
        slot = self.setups.get(r.setup)
        if slot is None:
            if r.provenance is None:
                raise ValueError(f"{r.source}: its scoring setup arrived without its provenance")
            slot = self.setups[r.setup] = [r.provenance, 0]
        slot[1] += 1
        if r.reference is not None and self.reference is None:
            self.reference = r.reference
            self._allocate(len(r.reference.ids))
        if r.error is not None:
            self._fail(r.error)
        elif r.raw is not None:
            self._raw.append((i, r.raw, r.mode))
            if len(self._raw) >= BATCH or r.mode != self._raw[0][2]:
                self._normalise()
        elif r.sigma is not None and self.error is None and len(r.sigma) == self.sigma.shape[1]:
            self.sigma[i] = r.sigma
            self.flags[i] = r.flags

    def _normalise(self) -> None:
        """Normalise the waiting evaluate reports (one mode at a time) into their rows."""
        while self._raw and self.error is None:
            mode = self._raw[0][2]
            batch = [x for x in self._raw if x[2] == mode]
            self._raw = [x for x in self._raw if x[2] != mode]
            try:
                table, sigma, sota, wins = _raw_block([x[1] for x in batch], mode)
            except InputError as e:
                self._fail(e)
                return
            self._table = (table, sota)
            self._allocate(sigma.shape[1])
            if self.error is not None:
                return
            rows = [x[0] for x in batch]
            self.sigma[rows] = sigma
            self.flags[rows] = -1 if wins is None else wins.astype(np.int8)
            self._raw_rows += rows
        self._raw = []

    # -- finishing ------------------------------------------------------------------------------
    def _check_set(self) -> None:
        if not self.models:
            raise InputError("no result files given")
        shas: dict[str, list[str]] = {}
        for sha, src in zip(self.shas, self.sources):
            shas.setdefault(sha, []).append(src)
        if len(shas) > 1:
            parts = "; ".join(f"{sha[:16]}… in {', '.join(srcs[:5])}" + (" …" if len(srcs) > 5 else "")
                              for sha, srcs in shas.items())
            raise InputError(f"the result files were scored against different task registries ({parts}); "
                             f"rescore every model with the same generallevel installation and plugins")
        if self.expect and self.expect.strip().lower() != self.shas[0]:
            raise InputError(f"the result files were scored against registry {self.shas[0]}, not the expected "
                             f"registry {self.expect}; refusing to rank them")
        modes = set(self.modes)
        if len(modes) > 1:
            raise InputError(f"the result files mix scoring modes {sorted(modes)}; use one --compat mode for all")
        seen: dict[str, str] = {}
        for model, src in zip(self.models, self.sources):
            if model.lower() in seen:
                raise InputError(f"duplicate model name {model!r}: in {seen[model.lower()]} and {src}")
            seen[model.lower()] = src

    def _align_raw_rows(self) -> Reference:
        """The task list: the first score report's, with the evaluate reports' columns moved to it; or,
        with evaluate reports only, the installed registry's."""
        table, sota = self._table
        ref = self.reference
        if ref is None:
            meta = [(t.modality, t.paradigm, t.skill or "", t.skill_group or "", t.skill_group_name or "")
                    for t in table.tasks]
            return Reference([t.id for t in table.tasks], meta, sota.tolist(), np.asarray(sota, dtype=float),
                             self.sources[0])
        if set(ref.ids) != set(table.index) or len(ref.ids) != len(table.index):
            raise InputError(f"{ref.where}: its task list differs from the installed registry's although the "
                             f"fingerprint is the same; the file was edited")
        cols = np.array([table.index[t] for t in ref.ids], dtype=np.intp)
        if not np.array_equal(sota[cols], ref.sota, equal_nan=True):
            raise InputError(f"{ref.where}: its SoTA scores differ from the installed registry's although the "
                             f"fingerprint is the same")
        if not np.array_equal(cols, np.arange(len(cols))):
            rows = np.asarray(self._raw_rows, dtype=np.intp)
            self.sigma[rows] = self.sigma[rows][:, cols]
            self.flags[rows] = self.flags[rows][:, cols]
        return ref

    def finish(self) -> ResultMatrix:
        self._check_set()
        self._normalise()
        if self.error is not None:
            raise self.error
        if len(self.models) != self.n:
            raise ValueError(f"{self.n} reports announced, {len(self.models)} added")
        ref = self._align_raw_rows() if self._raw_rows else self.reference
        mode = self.modes[0]
        mod, par, skill, group, group_name = (np.array(col, dtype=object) for col in zip(*ref.meta))
        wins = None if mode == "official" else _wins(self.sigma, ref.sota, self.flags)
        self.flags = None
        return ResultMatrix(self.models, self.sources, ref.ids, mod, par, skill, self.sigma, ref.sota,
                            self.shas[0], mode, _provenance(self.setups.values(), self.shas[0]), group,
                            group_name, wins)


def _wins(sigma: np.ndarray, sota: np.ndarray, flags: np.ndarray, chunk: int = 8192) -> np.ndarray:
    """Who beats the SoTA: sigma >= SoTA sigma, except where the two tie (float saturation: FID 0.51 and
    a SoTA of 0.228 both normalise to 100.0) and the report decided the win on its raw value: there
    the report's win counts (``flags``: 1 won, 0 lost, -1 not given). In row chunks (bounded memory)."""
    from .levels import TIE_RTOL

    wins = np.empty(sigma.shape, dtype=bool)
    slack = TIE_RTOL * np.maximum(1.0, np.abs(sota))[None, :]
    for lo in range(0, len(sigma), chunk):
        s, f = sigma[lo:lo + chunk], flags[lo:lo + chunk]
        with np.errstate(invalid="ignore"):
            tie = np.abs(s - sota[None, :]) <= slack
            w = ~np.isnan(s) & ~np.isnan(sota)[None, :] & (s >= sota[None, :] - slack)
        given = tie & (f >= 0)
        w[given] = f[given] == 1
        wins[lo:lo + chunk] = w
    return wins
