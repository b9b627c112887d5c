"""The plugin host: entry-point discovery, isolation of broken plugins, the allow-list, listing.

Plugins register metrics, tasks and feature extractors (see hookspecs.py).

Every plugin, built-in or third-party, is a module exposed in the ``generallevel`` entry-point
group. Each plugin's hooks are called one plugin at a time with a ``register`` callable that tags
what it registers; a plugin whose import or hook raises is reported and skipped *as a whole* (none
of its registrations are kept), unless ``GENERALLEVEL_STRICT=1``.

``GENERALLEVEL_PLUGINS`` (comma list of entry-point or distribution names; empty = none) limits
which *external* plugins load. The built-in plugins of the ``generallevel`` distribution always load.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any, Callable

import pluggy

from . import hookspecs
from ._version import version as _gl_version
from .errors import PluginLoadError, RegistrationError
from .annotation_types import AnnotationType, TypeCatalog
from .extractors import Extractor, ExtractorCatalog
from .metrics import Metric, MetricCatalog
from .tasks import Task, TaskCatalog

ENTRY_POINT_GROUP = "generallevel"
BUILTIN_DISTRIBUTION = "generallevel"


class PluginWarning(UserWarning):
    """A plugin failed to import or register and was skipped."""


@dataclass
class PluginInfo:
    name: str
    distribution: str
    version: str
    module: str
    builtin: bool
    hooks: list[str] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    tasks: list[str] = field(default_factory=list)
    extractors: list[str] = field(default_factory=list)
    annotation_types: list[str] = field(default_factory=list)
    error: str | None = None

    def describe(self) -> dict[str, Any]:
        """The ``generallevel plugins --json`` row.

        ``extractors`` appears only for plugins that implement ``register_extractors`` (no built-in
        plugin does), so the rows of metric- and task-only plugins keep their established shape.
        """
        row: dict[str, Any] = {
            "name": self.name, "distribution": self.distribution, "version": self.version,
            "module": self.module, "builtin": self.builtin, "hooks": self.hooks,
            "metrics": self.metrics, "tasks": len(self.tasks), "error": self.error,
        }
        if self.extractors or "register_extractors" in self.hooks:
            row["extractors"] = self.extractors
        if self.annotation_types or "register_annotation_types" in self.hooks:
            row["annotation_types"] = self.annotation_types
        return row


def strict_mode() -> bool:
    return os.environ.get("GENERALLEVEL_STRICT", "").strip().lower() in ("1", "true", "yes")


def _allowed_external() -> set[str] | None:
    raw = os.environ.get("GENERALLEVEL_PLUGINS")
    if raw is None:
        return None
    return {p.strip().lower() for p in raw.split(",") if p.strip()}


def _collector(hook: str, cls: type, bucket: list, info: PluginInfo) -> Callable[[Any], None]:
    """The ``register`` callable a hook receives: checks the type, tags the plugin, collects."""
    def register(obj: Any) -> None:
        if not isinstance(obj, cls):
            raise RegistrationError(f"{hook} expects {cls.__name__} objects, got {type(obj).__name__}")
        obj.plugin = info.name
        if hasattr(obj, "plugin_version"):
            obj.plugin_version = info.version
        bucket.append(obj)
    return register


class Registry:
    """Everything the plugins registered: metrics, tasks, extractors and a record of each plugin."""

    def __init__(self) -> None:
        self.pm = pluggy.PluginManager("generallevel")
        self.pm.add_hookspecs(hookspecs)
        self.metrics = MetricCatalog()
        self.tasks = TaskCatalog()
        self.extractors = ExtractorCatalog()
        self.types = TypeCatalog()
        self.plugins: dict[str, PluginInfo] = {}
        self._fingerprint: str | None = None
        self._pending_tasks: list[Task] = []  # added by finalize_tasks once every metric is known

    # -- loading --------------------------------------------------------------------------
    def _fail(self, info: PluginInfo, stage: str, exc: BaseException) -> None:
        info.error = f"{stage} failed: {type(exc).__name__}: {exc}"
        msg = f"generallevel plugin {info.name!r} (distribution {info.distribution} {info.version}) {info.error}"
        if strict_mode():
            raise PluginLoadError(msg) from exc
        warnings.warn(msg + "; plugin skipped", PluginWarning, stacklevel=3)

    def load_entry_points(self) -> None:
        allowed = _allowed_external()
        for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
            dist = ep.dist.name if ep.dist is not None else "?"
            ver = ep.dist.version if ep.dist is not None else "?"
            builtin = dist.lower() == BUILTIN_DISTRIBUTION
            if not builtin and allowed is not None and not ({ep.name.lower(), dist.lower()} & allowed):
                continue
            info = PluginInfo(ep.name, dist, ver, ep.value, builtin)
            try:
                module = ep.load()
            except Exception as e:  # noqa: BLE001 - isolation is the point
                self.plugins[ep.name] = info
                self._fail(info, "import", e)
                continue
            self.add_plugin(module, info)

    def add_plugin(self, module: Any, info: PluginInfo) -> PluginInfo:
        """Register one plugin object and run its hooks transactionally."""
        self.plugins[info.name] = info
        try:
            self.pm.register(module, name=info.name)
        except Exception as e:  # noqa: BLE001
            self._fail(info, "registration", e)
            return info
        info.hooks = sorted(h.name for h in self.pm.get_hookcallers(module) or [])
        metrics: list[Metric] = []
        tasks: list[Task] = []
        extractors: list[Extractor] = []
        types: list[AnnotationType] = []
        hooks = (("register_metrics", _collector("register_metrics", Metric, metrics, info)),
                 ("register_tasks", _collector("register_tasks", Task, tasks, info)),
                 ("register_extractors", _collector("register_extractors", Extractor, extractors, info)),
                 ("register_annotation_types", _collector("register_annotation_types", AnnotationType, types, info)))
        try:
            for hook, reg in hooks:
                for impl in getattr(self.pm.hook, hook).get_hookimpls():
                    if impl.plugin is module:
                        impl.function(reg)
            for m in metrics:
                self.metrics.add(m)
            for x in extractors:
                self.extractors.add(x)
            for t in types:
                self.types.add(t)
        except Exception as e:  # noqa: BLE001
            self._rollback(metrics, extractors)
            self.types = self.types.without({id(t) for t in types})
            self.pm.unregister(module)
            self._fail(info, "register", e)
            return info
        info.metrics = [m.name for m in metrics]
        info.extractors = [x.name for x in extractors]
        info.annotation_types = [t.name for t in types]
        self._pending_tasks.extend(tasks)
        info.tasks = [t.id for t in tasks]
        return info

    def _rollback(self, metrics: list[Metric], extractors: list[Extractor]) -> None:
        """Rebuild the catalogues without what one failing plugin added (it may have added some)."""
        mine = {id(m) for m in metrics} | {id(x) for x in extractors}
        fresh_metrics, fresh_extractors = MetricCatalog(), ExtractorCatalog()
        for m in list(self.metrics):
            if id(m) not in mine:
                fresh_metrics.add(m)
        for x in list(self.extractors):
            if id(x) not in mine:
                fresh_extractors.add(x)
        self.metrics, self.extractors = fresh_metrics, fresh_extractors

    def finalize_tasks(self) -> None:
        """Add tasks after all metrics are known, resolving metric names and SoTA units."""
        from .units import conversion_factor

        for task in self._pending_tasks:
            info = self.plugins[task.plugin]
            try:
                metric = self.metrics.get(task.metric)
                task.metric = metric.name
                if task.sota is not None:
                    factor = conversion_factor(task.sota_unit, metric.unit, where=f"task {task.id}: ")
                    task.sota_metric_unit = metric.check_raw(
                        float(task.sota) * factor, where=f"task {task.id} SoTA"
                    )
                self.tasks.add(task)
            except Exception as e:  # noqa: BLE001
                if info.builtin or strict_mode():
                    raise RegistrationError(f"plugin {info.name!r}: {e}") from e
                info.tasks.remove(task.id)
                self._fail(info, f"task {task.id!r}", e)
        self._pending_tasks = []

    def finalize_extractors(self) -> None:
        """Spell each extractor's intended metrics canonically, once every plugin's metrics are known.

        A name no loaded plugin registers is kept as declared: the metric may come from a plugin
        that is simply not installed, which is no reason to refuse the extractor.
        """
        for ext in self.extractors:
            ext.metrics = tuple(self.metrics.get(m).name if m in self.metrics else m for m in ext.metrics)

    def fingerprint(self) -> str:
        if self._fingerprint is None:
            formulas = {m.name: f"{m.unit}|{m.normalization.formula}|{m.higher_is_better}" for m in self.metrics}
            self._fingerprint = self.tasks.fingerprint(formulas)
        return self._fingerprint

    def provenance(self) -> dict[str, Any]:
        return {
            "generallevel": _gl_version(),
            "plugins": {
                name: {"distribution": p.distribution, "version": p.version}
                for name, p in sorted(self.plugins.items()) if p.error is None
            },
            "registry_sha256": self.fingerprint(),
        }


_REGISTRY: Registry | None = None
_EXTRA: list[tuple[Any, str]] = []


def build_registry() -> Registry:
    reg = Registry()
    reg.load_entry_points()
    for obj, name in _EXTRA:
        reg.add_plugin(obj, PluginInfo(name, name, getattr(obj, "__version__", "0"), repr(obj), False))
    reg.finalize_tasks()
    reg.finalize_extractors()
    return reg


def get_registry() -> Registry:
    """The process-wide registry, built on first use."""
    global _REGISTRY
    if _REGISTRY is None:
        _REGISTRY = build_registry()
    return _REGISTRY


def register_plugin(obj: Any, name: str) -> None:
    """Register an in-process plugin object (tests, notebooks) in addition to entry points."""
    _EXTRA.append((obj, name))
    reset()


def unregister_plugin(name: str) -> None:
    _EXTRA[:] = [(o, n) for o, n in _EXTRA if n != name]
    reset()


def reset() -> None:
    """Forget the built registry; the next use rediscovers plugins (e.g. after pip install)."""
    global _REGISTRY
    _REGISTRY = None
