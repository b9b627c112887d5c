"""Feature extractors registered by plugins: the :class:`Extractor` declaration and its catalogue.

Model-based metrics (FID, FVD, FAD, CLIP-*, DINO-I, CLAP, MUSIQ, AestheticScore, ...) take
precomputed features, a callable the user passes, or -- through this module -- the *name* of an
extractor that an installed plugin registered with the ``register_extractors`` hook::

    gl.get_metric("FID").compute(generated, real, extractor="inception-pool3")

Like a :class:`~generallevel.Metric`, an :class:`Extractor` is metadata plus a lazy reference to
code: ``factory`` is a callable or a ``"module:attr"`` string that is imported and called only on
first use, and it *returns* the extractor callable (``samples -> N x D`` array, or ``samples -> N``
scores for a predictor). Building a model is the expensive part, so the built callable is cached on
the declaration. generallevel ships no weights and downloads nothing on its own: the built-in
extractors (``generallevel_builtin.extractors_*``) load weights the user fetched into the standard
cache of the library that defines the model (``generallevel extractors fetch NAME``), or from an
explicit path.

A built callable that carries a ``cache_key`` (the model's identity: name, version, weights digest,
preprocessing, dtype) is wrapped by the feature cache (:mod:`generallevel.feature_cache`), so a
sample whose content was embedded before is not embedded again.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import threading
from dataclasses import dataclass, field
from typing import Any, Callable

from .catalog import NamedCatalog, name_key
from .errors import InputError, MissingDependencyError, RegistrationError, UnknownNameError

KINDS = ("image", "video", "audio", "text", "3d")
"""What an extractor embeds (the modality of the samples it accepts)."""

OUTPUTS = ("features", "scores", "text")
"""``features``: an N x D matrix (extractor= options); ``scores``: N numbers (predictor= options);
``text``: N strings (a transcriber, e.g. speech recognition before WER)."""

_BUILD_LOCK = threading.RLock()  # one model load at a time (server threads); re-entrant for nested factories


class MissingWeightsError(MissingDependencyError):
    """An extractor's weights are not where its library keeps them (or cannot be read).

    The message names the model, the file or folder expected and the command that fetches it
    (``generallevel extractors fetch NAME``); nothing is ever downloaded without that command.
    """


class UnknownExtractorError(UnknownNameError, MissingDependencyError, InputError):
    """An extractor name that no installed plugin registered.

    It is an unknown name (a ``KeyError`` with close matches, like an unknown metric), a missing
    dependency (the plugin that would provide it is not installed) and, when passed to a metric as
    ``extractor="name"``, a bad option value: callers may catch any of the three.
    """

    def __init__(self, name: str, suggestions: list[str] | None = None, message: str | None = None):
        super().__init__("extractor", name, suggestions)
        if message:
            self.args = (message,)


@dataclass
class Extractor:
    """A feature extractor (or score predictor) declaration, registered by a plugin.

    ``factory(**options)`` returns the callable that metrics call with the whole sequence of samples;
    it must return one row (``output="features"``: a D-vector) or one number (``output="scores"``)
    per sample. ``requires`` lists top-level *import* names checked (without importing them) before
    the factory is imported, so a missing library gives a clear MissingDependencyError.
    """

    name: str
    kind: str
    factory: Callable[..., Callable[[Any], Any]] | str
    dim: int | None = None
    metrics: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    output: str = "features"
    requires: tuple[str, ...] = ()
    description: str = ""
    reference: str = ""
    plugin: str = ""
    plugin_version: str = ""
    sample_rate: int | None = None
    """Audio extractors: the rate (Hz) of the float32 mono waveforms they take; None otherwise."""
    samples: str = ""
    """What one sample is, e.g. "uint8 RGB numpy array H x W x 3 (any size)"."""
    preprocessing: str = ""
    """The fixed preprocessing (resize, crop, normalisation, dtype), as documentation and cache key."""
    version: str = ""
    """The extractor's own revision (network definition + preprocessing); part of the cache key."""
    fetch: Callable[..., Any] | str | None = None
    """Downloads the weights with the defining library's own function ("module:attr" or callable)."""
    locate: Callable[[], Any] | str | None = None
    """Cheap, import-free: where the default weights are expected, as ``(path, present)``; for listings."""
    default_for: tuple[str, ...] = ()
    """Metrics for which this is the reference network (``extractor=`` / ``predictor=`` default)."""
    reference_for: tuple[str, ...] = ()
    """Metrics for which this embeds the *references* by default (``reference_extractor=``)."""
    identity: Callable[..., str] | str | None = None
    """Cheap: the built callable's ``cache_key`` for the factory's options, without building the model
    ("module:attr" or callable). With it, ``load`` builds the model only on the first feature-cache
    miss, so rescoring from a warm cache loads no weights (and imports no model library)."""
    _built: Callable[[Any], Any] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str) or not name_key(self.name):
            raise RegistrationError(f"extractor name must be a non-empty string with letters or digits, "
                                    f"got {self.name!r}")
        where = f"extractor {self.name!r}"
        if self.kind not in KINDS:
            raise RegistrationError(f"{where}: kind must be one of {KINDS}, got {self.kind!r}")
        if self.output not in OUTPUTS:
            raise RegistrationError(f"{where}: output must be one of {OUTPUTS}, got {self.output!r}")
        if not (callable(self.factory) or (isinstance(self.factory, str) and ":" in self.factory)):
            raise RegistrationError(f"{where}: factory must be a callable or a 'module:attr' string, "
                                    f"got {self.factory!r}")
        if self.dim is not None and (isinstance(self.dim, bool) or not isinstance(self.dim, int) or self.dim < 1):
            raise RegistrationError(f"{where}: dim must be a positive integer or None, got {self.dim!r}")
        if self.sample_rate is not None and (isinstance(self.sample_rate, bool) or not isinstance(self.sample_rate, int)
                                             or self.sample_rate < 1):
            raise RegistrationError(f"{where}: sample_rate must be a positive integer (Hz) or None, "
                                    f"got {self.sample_rate!r}")
        for attr in ("fetch", "locate", "identity"):
            value = getattr(self, attr)
            if value is not None and not (callable(value) or (isinstance(value, str) and ":" in value)):
                raise RegistrationError(f"{where}: {attr} must be a callable or a 'module:attr' string, got {value!r}")
        for attr in ("metrics", "aliases", "requires", "default_for", "reference_for"):
            value = getattr(self, attr)
            if isinstance(value, str):  # ("FID") is a string, not a tuple: a common slip
                value = (value,)
            value = tuple(value)
            if not all(isinstance(v, str) and v for v in value):
                raise RegistrationError(f"{where}: {attr} must be a tuple of non-empty strings, got {value!r}")
            setattr(self, attr, value)

    # -- availability ---------------------------------------------------------------------------
    def missing_requirements(self) -> list[str]:
        """The ``requires`` entries whose top-level module cannot be found (nothing is imported)."""
        missing = []
        for req in self.requires:
            top = req.split(".", 1)[0]
            try:
                found = importlib.util.find_spec(top) is not None
            except (ImportError, ValueError):
                found = False
            if not found:
                missing.append(req)
        return missing

    @property
    def available(self) -> bool:
        return not self.missing_requirements()

    # -- loading --------------------------------------------------------------------------------
    def _origin(self) -> str:
        version = f" {self.plugin_version}" if self.plugin_version else ""
        return f"extractor {self.name!r} (plugin {self.plugin or '?'}{version})"

    def _factory(self) -> Callable[..., Any]:
        return self._import(self.factory, "factory")

    def _import(self, target: Callable[..., Any] | str, role: str) -> Callable[..., Any]:
        if callable(target):
            return target
        mod, _, attr = target.partition(":")
        try:
            obj: Any = importlib.import_module(mod)
        except ImportError as e:
            raise MissingDependencyError(f"{self._origin()}: cannot import {mod!r} for {role} "
                                         f"{target!r}: {e}") from e
        try:
            for part in attr.split("."):
                obj = getattr(obj, part)
        except AttributeError as e:
            raise RegistrationError(f"{self._origin()}: {role} {target!r} does not exist: {e}") from e
        if not callable(obj):
            raise RegistrationError(f"{self._origin()}: {role} {target!r} is not callable")
        return obj

    def _check_requirements(self) -> None:
        missing = self.missing_requirements()
        if missing:
            builtin = isinstance(self.factory, str) and self.factory.startswith("generallevel_builtin.")
            how = "pip install 'generallevel[models]'" if builtin else "see the plugin's documentation"
            raise MissingDependencyError(
                f"{self._origin()} needs {', '.join(repr(m) for m in missing)}, which "
                f"{'is' if len(missing) == 1 else 'are'} not installed; install "
                f"{'it' if len(missing) == 1 else 'them'} ({how}) or pass "
                f"precomputed features / your own callable instead")

    def weights_status(self) -> tuple[str, bool] | None:
        """``(where the default weights are expected, whether they are there)``, or None when the
        extractor declares no ``locate``. Imports no model library."""
        if self.locate is None:
            return None
        try:
            where, present = self._import(self.locate, "locate")()
        except Exception:  # noqa: BLE001 - a listing never fails on one extractor
            return None
        return str(where), bool(present)

    def download(self, **options: Any) -> Any:
        """Fetch the weights with the defining library's own download function (needs a network).

        Returns what the plugin's ``fetch`` returns (the path written). Raises InputError when the
        extractor declares no ``fetch``.
        """
        if self.fetch is None:
            raise InputError(f"{self._origin()} declares no download; place its weights as its "
                             "documentation says and pass weights=PATH")
        self._check_requirements()
        return self._import(self.fetch, "fetch")(**options)

    def load(self, **options: Any) -> Callable[[Any], Any]:
        """Build (once, for the default options) and return the extractor callable.

        Raises MissingDependencyError naming the missing libraries when ``requires`` are not
        importable, before anything is imported. ``options`` go to the factory (e.g. ``device``);
        only the no-option build is cached.
        """
        if self._built is not None and not options:
            return self._built
        self._check_requirements()
        with _BUILD_LOCK:
            if self._built is not None and not options:
                return self._built
            fn = self._deferred(options) or self._build(options)
            if not options:
                self._built = fn
        return fn

    def _build(self, options: dict[str, Any]) -> Callable[[Any], Any]:
        """The factory's callable, behind the feature cache when it has a ``cache_key``."""
        fn = self._factory()(**options)
        if not callable(fn):
            raise RegistrationError(f"{self._origin()}: the factory returned {type(fn).__name__}, "
                                    "not a callable samples -> array")
        if getattr(fn, "cache_key", None):
            from .feature_cache import CachedExtractor

            fn = CachedExtractor(fn, self.name)
        return fn

    def _deferred(self, options: dict[str, Any]) -> Callable[[Any], Any] | None:
        """With an ``identity`` and the feature cache on: a cached extractor that builds the model on
        its first cache miss (:class:`~generallevel.feature_cache.LazyBuild`); else None."""
        if self.identity is None:
            return None
        from .feature_cache import CachedExtractor, LazyBuild, cache_root

        if cache_root() is None:
            return None
        key = self._import(self.identity, "identity")(**options)  # raises as the build would (missing weights)
        if not key:
            return None
        return CachedExtractor(LazyBuild(lambda: self._factory()(**options), str(key), self._origin()), self.name)

    def __call__(self, samples: Any) -> Any:
        """Extract features (or scores) from a sequence of samples with the default build."""
        return self.load()(samples)

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "aliases": list(self.aliases),
            "kind": self.kind,
            "output": self.output,
            "dim": self.dim,
            "metrics": list(self.metrics),
            "requires": list(self.requires),
            "available": self.available,
            "factory": self.factory if isinstance(self.factory, str)
            else f"{getattr(self.factory, '__module__', '?')}:{getattr(self.factory, '__qualname__', '?')}",
            "plugin": self.plugin,
            "plugin_version": self.plugin_version,
            "reference": self.reference,
            "description": self.description,
            "sample_rate": self.sample_rate,
            "samples": self.samples,
            "preprocessing": self.preprocessing,
            "version": self.version,
            "fetch": self.fetch is not None,
            "weights": (lambda st: None if st is None else {"path": st[0], "present": st[1]})(self.weights_status()),
            "default_for": list(self.default_for),
            "reference_for": list(self.reference_for),
        }


class ExtractorCatalog(NamedCatalog[Extractor]):
    """Extractors by canonical name, with an index of every name and alias key (as for metrics)."""

    item_kind = "extractor"
    unknown_error = UnknownExtractorError

    def filter(self, kind: str | None = None, metric: str | None = None,
               output: str | None = None) -> list[Extractor]:
        """Extractors of one kind / output, or meant for one metric (by name key, so aliases match
        once the registry has canonicalised the declared metric names)."""
        kind = kind.lower() if kind else None
        mkey = name_key(metric) if metric else None
        return [e for e in self if (kind is None or e.kind == kind)
                and (output is None or e.output == output)
                and (mkey is None or mkey in {name_key(m) for m in e.metrics})]


def resolve(value: Any, metric: str, option: str = "extractor",
            output: str = "features") -> tuple[Callable[[Any], Any], Extractor | None]:
    """A metric option's value as a callable: the callable itself, or a registered extractor by name.

    Returns ``(callable, declaration)``; the declaration is None for a plain callable. A name that
    no plugin registered raises :class:`UnknownExtractorError` (also a MissingDependencyError and
    an InputError) with close matches; missing ``requires`` raise MissingDependencyError; a
    predictor registered with ``output="scores"`` passed as ``extractor=`` (or the converse) raises
    InputError.
    """
    if isinstance(value, str):
        from .plugins import get_registry

        catalog = get_registry().extractors
        if value not in catalog:
            close = catalog.suggestions(value)
            hint = ("; did you mean " + " or ".join(repr(s) for s in close) + "?") if close else ""
            known = f"registered: {', '.join(catalog.names())}" if len(catalog) else \
                "no installed plugin registers any extractor"
            raise UnknownExtractorError(value, close, (
                f"{metric}: {option}={value!r} is not a registered extractor{hint} ({known}; "
                f"`generallevel extractors` lists them). Install a plugin that registers it, or pass "
                f"{option}=callable mapping a sequence of samples to "
                f"{'an N x D array' if output == 'features' else 'N scores'}, or precomputed "
                f"{'features' if output == 'features' else 'scores'} (see docs/metrics/extractors.md). "
                f"generallevel ships no model weights and downloads nothing."))
        value = catalog.get(value)
    if isinstance(value, Extractor):
        if value.output != output:
            role = "predictor (output='scores')" if value.output == "scores" else "extractor (output='features')"
            right = "predictor=" if value.output == "scores" else "extractor= or reference_extractor="
            raise InputError(f"{metric}: {option}={value.name!r} is a {role} from plugin {value.plugin!r}; "
                             f"pass it as {right}")
        return value.load(), value
    if callable(value):
        return value, None
    raise InputError(f"{metric}: {option} must be a callable or the name of a registered extractor, "
                     f"got {type(value).__name__}")


ROLES = ("extractor", "reference_extractor", "predictor", "transcriber")


def default_extractor(metric: str, role: str = "extractor") -> str | None:
    """The registered extractor that is ``metric``'s reference network, or None.

    ``role`` is the metric option it fills: ``"extractor"`` (the predictions side, or both sides of
    a Fréchet distance), ``"reference_extractor"`` (the references when they are another modality,
    e.g. the texts of CLIP-T), ``"predictor"`` (per-sample scores) or ``"transcriber"`` (speech to
    text before a text metric, e.g. WER on generated speech). Built-in extractors win over a
    third party's declaring the same metric; among several, the first name in sorted order.
    Nothing is imported or built.
    """
    if role not in ROLES:
        raise InputError(f"role must be one of {ROLES}, got {role!r}")
    from .plugins import get_registry

    registry = get_registry()
    mkey = name_key(metric)
    try:
        mkey = name_key(registry.metrics.get(metric).name)
    except Exception:  # noqa: BLE001 - an unknown metric simply has no default
        pass
    attr = "reference_for" if role == "reference_extractor" else "default_for"
    output = {"predictor": "scores", "transcriber": "text"}.get(role, "features")
    found = [e for e in registry.extractors if e.output == output
             and mkey in {name_key(m) for m in getattr(e, attr)}]
    builtin = {n for n, p in registry.plugins.items() if getattr(p, "builtin", False)}
    found.sort(key=lambda e: (e.plugin not in builtin, e.name.lower()))
    return found[0].name if found else None


DEVICES = ("auto", "cpu", "cuda")


def default_device() -> str:
    """The device built-in extractors use unless told: ``GENERALLEVEL_DEVICE`` (auto, cpu, cuda;
    ``cuda:N`` too), default ``auto`` (CUDA when torch sees a GPU, else the CPU)."""
    value = os.environ.get("GENERALLEVEL_DEVICE", "auto").strip().lower() or "auto"
    if value not in DEVICES and not value.startswith("cuda:"):
        raise InputError(f"GENERALLEVEL_DEVICE must be one of {DEVICES} (or cuda:N), got {value!r}")
    return value
