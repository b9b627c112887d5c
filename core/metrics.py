"""The metric contract: what a metric declares, and the case/alias-insensitive catalogue of them.

A :class:`Metric` is pure metadata plus a *reference* to its compute function ("module:attr" or a
callable). Declaring a metric therefore never imports its heavy dependencies; they load on the
first ``compute`` call (the lm-evaluation-harness lazy-registry idea).
"""

from __future__ import annotations

import importlib
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .catalog import NamedCatalog, name_key  # name_key is also imported from here (its old home)
from .errors import InputError, RegistrationError, UnknownMetricError
from .normalize import Normalization, contract_problems
from .units import UNITS


RESAMPLING = ("auto", "mean", "recompute", "none")
_PROBED: dict[Any, list[str]] = {}  # (normalization, raw_range, direction) -> contract problems


@dataclass
class Metric:
    """A metric declaration (the stable public contract).

    ``raw_range`` bounds are inclusive; ``None`` means unbounded. ``unit`` is one of
    :data:`generallevel.units.UNITS`. ``impl`` is the compute function or a "module:attr" string.
    """

    name: str
    higher_is_better: bool
    raw_range: tuple[float | None, float | None]
    unit: str
    normalization: Normalization
    impl: Callable[..., float] | str | None = None
    aliases: tuple[str, ...] = ()
    description: str = ""
    inputs: str = ""
    reference: str = ""
    requires: tuple[str, ...] = ()
    plugin: str = ""
    plugin_version: str = ""
    # How ``evaluate --ci`` resamples this metric's items (generallevel.intervals): "auto" (a mean
    # where per-item values average to the task's value, else recomputed), "mean", "recompute", "none".
    resampling: str = "auto"
    item_scores: Callable[..., Any] | str | None = None  # per-item values whose mean is the value
    item_stats: Callable[..., Any] | str | None = None  # per-item sufficient statistics (items x k)
    from_stats: Callable[..., Any] | str | None = None  # the value from summed statistics (resamples x k)
    # resampler(predictions, references, **options) -> f(counts (resamples x items)) -> values (resamples,):
    # the metric on items weighted by how often each was drawn, from work done once (COCO's matches)
    resampler: Callable[..., Any] | str | None = None
    max_resamples: int | None = None  # a cap for metrics recomputed per resample (e.g. FID's matrix root)
    _loaded: Callable[..., float] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise RegistrationError(f"metric name must be a non-empty string, got {self.name!r}")
        if self.unit not in UNITS:
            raise RegistrationError(f"metric {self.name!r}: unknown unit {self.unit!r} (known: {UNITS})")
        if not isinstance(self.normalization, Normalization):
            raise RegistrationError(f"metric {self.name!r}: normalization must be a Normalization")
        if len(self.raw_range) != 2:
            raise RegistrationError(f"metric {self.name!r}: raw_range must be (lo, hi)")
        self.aliases = tuple(self.aliases)
        if self.resampling not in RESAMPLING:
            raise RegistrationError(f"metric {self.name!r}: resampling must be one of {RESAMPLING}, "
                                    f"got {self.resampling!r}")
        if (self.item_stats is None) != (self.from_stats is None):
            raise RegistrationError(f"metric {self.name!r}: item_stats and from_stats go together")

    # -- values ---------------------------------------------------------------------------
    def check_raw(self, raw: Any, where: str = "") -> float:
        """Return ``raw`` as a float if it is a finite number inside ``raw_range``, else raise."""
        prefix = f"{where}: " if where else ""
        if isinstance(raw, bool) or raw is None:
            raise InputError(f"{prefix}{self.name} score must be a number, got {raw!r}")
        try:
            x = float(raw)
        except (TypeError, ValueError):
            raise InputError(f"{prefix}{self.name} score must be a number, got {raw!r}") from None
        if not math.isfinite(x):
            raise InputError(f"{prefix}{self.name} score is {raw!r}; scores must be finite numbers")
        lo, hi = self.raw_range
        if (lo is not None and x < lo) or (hi is not None and x > hi):
            rng = f"[{'-inf' if lo is None else f'{lo:g}'}, {'inf' if hi is None else f'{hi:g}'}]"
            raise InputError(
                f"{prefix}{self.name} score {x:g} is outside the metric's raw range {rng} ({self.unit})"
            )
        return x

    def check_normalization(self) -> None:
        """Raise RegistrationError when the normalisation breaks its contract over ``raw_range``
        (:func:`generallevel.normalize.contract_problems`; the plugin host calls this at registration)."""
        key: Any = (self.normalization, tuple(self.raw_range), self.higher_is_better)
        try:
            problems = _PROBED.get(key)
        except TypeError:  # an unhashable plugin normalisation: probed every time
            key, problems = None, None
        if problems is None:
            problems = contract_problems(self.normalization, self.raw_range, self.higher_is_better)
            if key is not None:
                _PROBED[key] = problems
        if problems:
            raise RegistrationError(f"metric {self.name!r}: its normalisation {type(self.normalization).__name__} "
                                    + "; ".join(problems) + " (see the normalisation contract in "
                                    "docs/writing-a-metric-plugin.md)")

    def normalize(self, raw):
        """Map a raw value (or an array of them) in this metric's unit to a 0..100 task score."""
        if np.ndim(raw) == 0:
            return self.normalization(self.check_raw(raw))
        arr = np.asarray(raw, dtype=float)
        for x in arr.ravel():
            self.check_raw(x)
        return self.normalization(arr)

    # -- compute --------------------------------------------------------------------------
    @property
    def has_compute(self) -> bool:
        return self.impl is not None

    def _resolve(self) -> Callable[..., float]:
        if self._loaded is None:
            if self.impl is None:
                raise InputError(f"metric {self.name!r} (plugin {self.plugin}) has no compute function")
            if callable(self.impl):
                self._loaded = self.impl
            else:
                mod, _, attr = str(self.impl).partition(":")
                try:
                    obj = importlib.import_module(mod)
                    for part in attr.split("."):
                        obj = getattr(obj, part)
                except (ImportError, AttributeError) as e:
                    raise InputError(
                        f"metric {self.name!r} (plugin {self.plugin}): cannot load compute {self.impl!r}: {e}"
                    ) from e
                self._loaded = obj
        return self._loaded

    def load_hook(self, name: str) -> Callable[..., Any] | None:
        """One of the resampling helpers (``item_scores``, ``item_stats``, ``from_stats``, ``resampler``), loaded
        like ``impl`` from its "module:attr" reference; None when the metric does not declare it."""
        ref = getattr(self, name)
        if ref is None or callable(ref):
            return ref
        mod, _, attr = str(ref).partition(":")
        try:
            obj = importlib.import_module(mod)
            for part in attr.split("."):
                obj = getattr(obj, part)
        except (ImportError, AttributeError) as e:
            raise InputError(f"metric {self.name!r} (plugin {self.plugin}): cannot load {name} {ref!r}: {e}") from e
        return obj

    def compute(self, predictions: Any, references: Any, **options: Any) -> float:
        """Compute the raw metric value (in ``unit``) from predictions and references.

        A missing optional library is a :class:`MissingDependencyError` naming the extra that brings
        it (``pip install 'generallevel[vision]'``), whether the compute function said so or not.
        """
        from .errors import MissingDependencyError

        try:
            value = self._resolve()(predictions, references, **options)
        except (MissingDependencyError, ModuleNotFoundError) as e:
            from .extras import missing_dependency

            err = missing_dependency(self.name, self.plugin, e)
            if err is e:
                raise
            raise err from e
        return self.check_raw(value, where=f"metric {self.name} compute")

    def shown_formula(self) -> str:
        """The normalisation's formula as it applies over the raw range (clips written out)."""
        shown = getattr(self.normalization, "shown", None)
        return shown(self.raw_range) if callable(shown) else self.normalization.formula

    def describe(self) -> dict[str, Any]:
        lo, hi = self.raw_range
        return {
            "name": self.name,
            "aliases": list(self.aliases),
            "higher_is_better": self.higher_is_better,
            "raw_range": [lo, hi],
            "unit": self.unit,
            "normalization": self.shown_formula(),
            "plugin": self.plugin,
            "plugin_version": self.plugin_version,
            "compute": self.impl if isinstance(self.impl, str) or self.impl is None
            else f"{self.impl.__module__}:{self.impl.__qualname__}",
            "requires": list(self.requires),
            "resampling": self.resampling,
            "reference": self.reference,
            "inputs": self.inputs,
            "description": self.description,
        }


class MetricCatalog(NamedCatalog[Metric]):
    """Metrics by canonical name, with an index of every name and alias key."""

    item_kind = "metric"
    unknown_error = UnknownMetricError
