"""The paper's mappings from a metric's raw value to a 0..100 task score.

Each mapping is a small frozen object so that a metric can *declare* it (and the CLI can print it)
without computing anything. All mappings accept a float or a numpy array and are vectorised, because
the leaderboard normalises thousands of models at once.

Lower-is-better metrics use ``100 * (2*sigmoid(T/x) - 1)``: x = 0 (a perfect result) maps to 100,
large x to 0. This is the paper's form; the official scorer treats x = 0 as "missing" (a bug).

Every normalisation, built-in or from a plugin, must keep the contract that
:func:`contract_problems` checks when a plugin registers its metric (docs/writing-a-metric-plugin.md):
a float in [0, 100] for every raw value of the declared range, monotone in the metric's direction,
the same value for a scalar and inside an array, and a ``formula`` string.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


def _clip(y):
    return np.clip(y, 0.0, 100.0)


def _finish(y, x):
    """Return a Python float for scalar input and an array otherwise."""
    if np.ndim(x) == 0:
        return float(y)
    return y


@dataclass(frozen=True)
class Normalization:
    """A declared mapping raw -> [0, 100]. Subclasses implement ``_map`` and ``formula``."""

    def __call__(self, raw):
        x = np.asarray(raw, dtype=float)
        with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
            y = _clip(self._map(x))
        return _finish(y, raw)

    def _map(self, x: np.ndarray) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def shown(self, raw_range: tuple[float | None, float | None]) -> str:
        """``formula`` as applied over ``raw_range``: wrapped in min/max where the clip to 0..100 bites
        (CIDEr 0..1000 %: ``min(x, 100)``; PCC -100..100 %: ``max(x, 0)``). For a monotone ``_map`` the
        ends of the range decide; a normalisation without ``_map`` is shown as its formula."""
        lo, hi = raw_range
        ends = np.array([-np.inf if lo is None else lo, np.inf if hi is None else hi], dtype=float)
        try:
            with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
                y = np.asarray(self._map(ends), dtype=float)
        except Exception:  # noqa: BLE001 - a plugin's normalisation may not have _map
            return self.formula
        below, above = bool(np.any(y < 0)), bool(np.any(y > 100))
        if below and above:
            return f"clip({self.formula}, 0, 100)"
        return f"min({self.formula}, 100)" if above else f"max({self.formula}, 0)" if below else self.formula

    @property
    def formula(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class Percent(Normalization):
    """Bounded higher-is-better metric already on 0..100: identity (clipped)."""

    def _map(self, x):
        return x

    @property
    def formula(self) -> str:
        return "x"


@dataclass(frozen=True)
class Fraction(Normalization):
    """Bounded higher-is-better metric on 0..1: times 100."""

    def _map(self, x):
        return 100.0 * x

    @property
    def formula(self) -> str:
        return "100*x"


@dataclass(frozen=True)
class InverseSigmoid(Normalization):
    """Unbounded lower-is-better metric: 100*(2*sigmoid(T/x) - 1); x = 0 is perfect (100)."""

    T: float = 1.0

    def _map(self, x):
        # 2*sigmoid(z) - 1 == tanh(z/2); tanh is stable for huge z (x -> 0) and gives 1 at z = inf.
        z = np.where(x == 0, np.inf, self.T / np.where(x == 0, 1.0, x))
        return 100.0 * np.tanh(z / 2.0)

    @property
    def formula(self) -> str:
        return f"100*(2*sigmoid({self.T:g}/x)-1)"


@dataclass(frozen=True)
class Tanh(Normalization):
    """Unbounded higher-is-better metric (PSNR): 100*tanh(x/scale)."""

    scale: float = 20.0

    def _map(self, x):
        return 100.0 * np.tanh(x / self.scale)

    @property
    def formula(self) -> str:
        return f"100*tanh(x/{self.scale:g})"


@dataclass(frozen=True)
class OneMinus(Normalization):
    """Error rate given as a fraction (WER): 100*max(0, 1-x)."""

    def _map(self, x):
        return 100.0 * (1.0 - x)

    @property
    def formula(self) -> str:
        return "100*max(0,1-x)"

    def shown(self, raw_range) -> str:
        return self.formula  # the clip is already written out


@dataclass(frozen=True)
class Affine(Normalization):
    """Bounded scale [lo, hi] mapped linearly to 0..100 (MS-SSIM: [-1,1]; MOS: [1,5])."""

    lo: float = 0.0
    hi: float = 1.0

    def _map(self, x):
        return 100.0 * (x - self.lo) / (self.hi - self.lo)

    @property
    def formula(self) -> str:
        return f"100*(x-({self.lo:g}))/{self.hi - self.lo:g}"


# The paper's named mappings, by the metric they were written for.
PAPER_T = {
    "MAE": 50.0,
    "RMS": 50.0,
    "MSE": 5.0,
    "RMSE": 5.0,
    "AbsRel": 0.1,
    "EPE": 1.0,
    "FID": 25.0,
    "FVD": 100.0,
    "FAD": 10.0,
    "SAD": 10.0,
    "RTE": 0.5,
    "CD": 1.0,
    "MCD": 5.0,
}


# -- the contract a normalisation keeps ----------------------------------------------------------
_SPAN = np.geomspace(1e-6, 1e9, 61)  # offsets from a finite end of an unbounded raw range
_SLACK = 1e-9  # float noise allowed against monotonicity (far below any printed digit)


def probe_points(raw_range: tuple[float | None, float | None]) -> np.ndarray:
    """Increasing raw values spanning ``raw_range`` (inclusive bounds; None = unbounded)."""
    lo, hi = raw_range
    if lo is not None and hi is not None:
        xs = np.sort(np.concatenate([np.linspace(lo, hi, 201), lo + (hi - lo) * np.geomspace(1e-9, 1e-3, 7)]))
        return xs[np.concatenate([[True], xs[1:] != xs[:-1]])]  # np.unique, without importing numpy.ma
    if lo is not None:
        return np.concatenate([[lo], lo + _SPAN])
    if hi is not None:
        return np.concatenate([hi - _SPAN[::-1], [hi]])
    return np.concatenate([-_SPAN[::-1], [0.0], _SPAN])


def contract_problems(normalization: Any, raw_range: tuple[float | None, float | None],
                      higher_is_better: bool) -> list[str]:
    """What is wrong with ``normalization`` over ``raw_range`` (empty = it keeps the contract).

    Probed: ``formula`` is a non-empty string; every probe value maps to a float, finite, in
    [0, 100]; an array maps element-wise to the same values; the values never move against the
    declared direction and do move between the ends of the range. Never raises.
    """
    problems: list[str] = []
    try:
        formula = normalization.formula
        if not isinstance(formula, str) or not formula.strip():
            problems.append(f"formula must be a non-empty string, got {formula!r:.60}")
    except Exception as e:  # noqa: BLE001 - a plugin's property may raise anything
        problems.append(f"has no formula ({type(e).__name__}: {e})" if str(e) else
                        f"has no formula ({type(e).__name__})")
    xs = probe_points(raw_range)
    try:
        ys = np.asarray(normalization(xs.copy()))
    except Exception as e:  # noqa: BLE001
        return problems + [f"fails on an array of raw values: {type(e).__name__}: {e}"]
    if ys.shape != xs.shape or ys.dtype.kind not in "fiu":
        return problems + [f"maps an array of {xs.size} raw values to {ys.dtype} of shape {ys.shape}, "
                           f"not {xs.size} numbers"]
    ys = ys.astype(float)
    bad = ~np.isfinite(ys) | (ys < 0.0) | (ys > 100.0)
    if bad.any():
        i = int(np.argmax(bad))
        problems.append(f"maps raw {xs[i]:g} to {float(ys[i])!r}, not a finite number in [0, 100]")
        return problems
    for i in sorted({0, len(xs) // 2, len(xs) - 1}):
        try:
            y = normalization(float(xs[i]))
        except Exception as e:  # noqa: BLE001
            problems.append(f"fails on raw {xs[i]:g}: {type(e).__name__}: {e}")
            return problems
        if isinstance(y, bool) or not isinstance(y, float):
            problems.append(f"maps raw {xs[i]:g} to {y!r:.60} ({type(y).__name__}), not a float")
            return problems
        if not (math.isfinite(y) and math.isclose(y, ys[i], rel_tol=1e-9, abs_tol=1e-9)):
            problems.append(f"maps raw {xs[i]:g} to {y!r} alone but to {float(ys[i])!r} in an array")
            return problems
    step = np.diff(ys) if higher_is_better else -np.diff(ys)
    against = step < -_SLACK * np.maximum(1.0, np.abs(ys[1:]))
    if against.any():
        i = int(np.argmax(against))
        problems.append(f"is not monotone in the declared direction ({'higher' if higher_is_better else 'lower'} "
                        f"is better): raw {xs[i]:g} maps to {ys[i]:g} but raw {xs[i + 1]:g} to {ys[i + 1]:g}")
    elif ys[0] == ys[-1]:
        problems.append(f"is constant ({ys[0]:g}) over the raw range, so it cannot tell results apart")
    return problems
