"""The plugin host: entry-point discovery, isolation of broken plugins, the allow-list, listing.

Plugins register metrics, tasks, feature extractors and annotation types (see hookspecs.py).

Every plugin, built-in or third-party, is a module exposed in the ``generallevel`` entry-point
group. The built-in plugins (distribution ``generallevel``) load first, so no other plugin can take
their names; then the others, by entry-point name. A plugin is kept or dropped *whole*: one whose
import or hook raises, whose entry-point name is taken, whose metric's normalisation breaks the
contract (:func:`generallevel.normalize.contract_problems`, probed at registration), or one of
whose tasks cannot be added (a clash, an unknown metric, a SoTA outside the metric's range) is
dropped with everything it registered. A plugin that writes to standard output while loading (its
output is discarded, so ``--json`` stays valid) or takes longer than the load budget is kept. Each
plugin with a problem is named, with its distribution, in one :class:`PluginWarning`; with
``GENERALLEVEL_STRICT=1`` any problem raises :class:`PluginLoadError` instead.

``GENERALLEVEL_PLUGINS`` (comma list of entry-point or distribution names; empty = none) limits
which *external* plugins load. The built-in plugins of the ``generallevel`` distribution always load.
``GENERALLEVEL_PLUGIN_BUDGET`` (seconds, default 1) is the load time above which a plugin is named.
"""

from __future__ import annotations

import functools
import io
import os
import re
import sys
import time
import warnings
from contextlib import redirect_stdout, suppress
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Callable, Iterable

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
DEFAULT_BUDGET_S = 1.0


# -- entry-point discovery -----------------------------------------------------------------------
# ``importlib.metadata`` costs ~35 ms at every start (its import pulls in email, zipfile and csv, and
# each ``dist.name``/``dist.version`` parses METADATA with the email package), a tenth of the
# start-up budget. ``_scan_entry_points`` reads the same files the same way for the common layout
# (plain directories on sys.path, the standard path finder) and answers None otherwise, in which
# case the host asks importlib.metadata (tests/test_plugin_discovery.py compares the two).
_EP_PATTERN = re.compile(r"(?P<module>[\w.]+)\s*(:\s*(?P<attr>[\w.]+)\s*)?((?P<extras>\[.*\])\s*)?$")


@dataclass(frozen=True)
class FoundEntryPoint:
    """One entry point of the ``generallevel`` group and its distribution's name and version."""

    name: str
    value: str
    dist_name: str
    dist_version: str

    def load(self) -> Any:
        """Import the module and walk the attributes, as ``importlib.metadata.EntryPoint.load``."""
        match = _EP_PATTERN.match(self.value)
        if match is None:  # importlib's own error for a malformed value
            from importlib.metadata import EntryPoint

            return EntryPoint(self.name, self.value, ENTRY_POINT_GROUP).load()
        module = import_module(match.group("module"))
        attrs = filter(None, (match.group("attr") or "").split("."))
        return functools.reduce(getattr, attrs, module)


def _normalize_dist(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower().replace("-", "_")


def _read(path: str) -> str | None:
    with suppress(FileNotFoundError, IsADirectoryError, KeyError, NotADirectoryError, PermissionError):
        with open(path, encoding="utf-8") as f:
            return f.read()
    return None


def _parse_group(text: str, group: str) -> list[tuple[str, str]] | None:
    """``(name, value)`` of ``group``'s entries (importlib.metadata's Sectioned rules); None when a
    line would make importlib.metadata raise."""
    out, section = [], None
    for line in map(str.strip, text.splitlines()):
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line.strip("[]")
            continue
        if section is None:
            continue
        parts = line.split("=", 1)
        if len(parts) != 2:
            return None
        if section == group:
            out.append((parts[0].strip(), parts[1].strip()))
    return out


def _name_version(info_dir: str) -> tuple[str, str] | None:
    """Name and Version headers of METADATA (else PKG-INFO), as the email parser reads the simple case."""
    text = _read(os.path.join(info_dir, "METADATA")) or _read(os.path.join(info_dir, "PKG-INFO"))
    if not text:
        return None
    found: dict[str, str] = {}
    last = None
    for line in text.splitlines():
        if not line:
            break
        if line[0] in " \t":
            if last in ("name", "version"):
                return None  # a folded header: leave it to the email parser
            continue
        key, sep, value = line.partition(":")
        if not sep or not key or key != key.strip():
            return None
        last = key.lower()
        if last in ("name", "version") and last not in found:
            found[last] = value.lstrip(" \t")
    if "name" not in found or "version" not in found:
        return None
    return found["name"], found["version"]


# Finders that search sys.path the way the standard PathFinder does, so they find nothing it misses:
# the importlib_metadata backport's (dask and others import it, and it adds itself to sys.meta_path).
_SAME_AS_PATHFINDER = {"importlib_metadata.MetadataPathFinder"}


def _finder_name(finder: Any) -> str:
    cls = finder if isinstance(finder, type) else type(finder)
    return f"{cls.__module__}.{cls.__qualname__}"


def _scan_entry_points(group: str, paths: Iterable[Any] | None = None) -> list[FoundEntryPoint] | None:
    """The entry points of ``group`` as ``importlib.metadata.entry_points(group=group)`` finds them,
    or None when this layout needs importlib.metadata itself (a zip or egg on the path, another
    distribution finder, an unusual file)."""
    from importlib.machinery import PathFinder

    for finder in sys.meta_path:
        if finder is not PathFinder and getattr(finder, "find_distributions", None) is not None \
                and _finder_name(finder) not in _SAME_AS_PATHFINDER:
            return None
    seen: set[str] = set()
    found: list[FoundEntryPoint] = []
    for root in sys.path if paths is None else paths:
        if not isinstance(root, (str, os.PathLike)):
            return None
        root = os.fspath(root)
        if os.path.basename(root).lower().endswith(".egg"):
            return None
        try:
            children = os.listdir(root or ".")
        except Exception:  # noqa: BLE001 - as importlib.metadata: an unreadable entry is skipped
            if os.path.isfile(root):
                return None  # a zip on sys.path
            continue
        infos: dict[str, list[str]] = {}
        for child in children:
            low = child.lower()
            if low.endswith((".dist-info", ".egg-info")):
                if not child.endswith((".dist-info", ".egg-info")):
                    return None  # importlib names it from its metadata, not its folder
                infos.setdefault(_normalize_dist(low.rpartition(".")[0].partition("-")[0]), []).append(child)
        for norm, names in infos.items():
            for child in names:
                path = os.path.join(root or ".", child)
                if norm in seen:
                    continue
                seen.add(norm)
                text = _read(os.path.join(path, "entry_points.txt"))
                if not text:
                    continue
                pairs = _parse_group(text, group)
                if pairs is None:
                    return None
                if not pairs:
                    continue
                nv = _name_version(path)
                if nv is None:
                    return None
                found.extend(FoundEntryPoint(n, v, nv[0], nv[1]) for n, v in pairs)
    return found


def _entry_points(group: str) -> list[FoundEntryPoint]:
    fast = _scan_entry_points(group)
    if fast is not None:
        return fast
    from importlib.metadata import entry_points

    out = []
    for ep in entry_points(group=group):
        dist, ver = (ep.dist.name, ep.dist.version) if ep.dist is not None else ("?", "?")
        out.append(FoundEntryPoint(ep.name, ep.value, dist, ver))
    return out


class PluginWarning(UserWarning):
    """A plugin failed to load (it was skipped) or misbehaved while loading (it was kept)."""


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
    error: str | None = None  # set when the plugin was dropped
    warnings: list[str] = field(default_factory=list)  # problems of a plugin that was kept

    def describe(self) -> dict[str, Any]:
        """The ``generallevel plugins --json`` row.

        ``extractors`` appears only for plugins that implement ``register_extractors`` (no built-in
        plugin does), ``annotation_types`` only for those that implement ``register_annotation_types``
        and ``warnings`` only for a kept plugin that misbehaved, so the rows of well-behaved metric-
        and task-only plugins keep their established shape.
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
        if self.warnings:
            row["warnings"] = list(self.warnings)
        return row

    def headline(self) -> str:
        return f"generallevel plugin {self.name!r} (distribution {self.distribution} {self.version})"


def strict_mode() -> bool:
    return os.environ.get("GENERALLEVEL_STRICT", "").strip().lower() in ("1", "true", "yes")


def load_budget() -> float:
    raw = os.environ.get("GENERALLEVEL_PLUGIN_BUDGET", "").strip()
    try:
        return float(raw) if raw else DEFAULT_BUDGET_S
    except ValueError:
        return DEFAULT_BUDGET_S


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
        if getattr(obj, "plugin", "") not in ("", info.name):
            raise RegistrationError(f"{hook}: {cls.__name__} {getattr(obj, 'name', obj)!r} is plugin "
                                    f"{obj.plugin!r}'s object; register a new one")
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

    # -- problems -------------------------------------------------------------------------
    def _fail(self, info: PluginInfo, stage: str, exc: BaseException) -> None:
        """Drop ``info``'s plugin whole (strict mode: raise)."""
        info.error = f"{stage} failed: {type(exc).__name__}: {exc}"
        if strict_mode():
            raise PluginLoadError(f"{info.headline()} {info.error}") from exc
        self._drop(info)

    def _note(self, info: PluginInfo, problem: str) -> None:
        """A problem that does not cost the plugin its place (strict mode: raise)."""
        if strict_mode():
            raise PluginLoadError(f"{info.headline()} {problem}")
        info.warnings.append(problem)

    def warn(self) -> None:
        """One PluginWarning per plugin that was dropped or misbehaved."""
        for info in self.plugins.values():
            parts = ([info.error] if info.error else []) + info.warnings
            if parts:
                fate = "plugin skipped" if info.error else "plugin kept"
                warnings.warn(f"{info.headline()} {'; '.join(parts)}; {fate}", PluginWarning, stacklevel=4)

    def _drop(self, info: PluginInfo) -> None:
        """Forget everything ``info``'s plugin registered (it may have registered some)."""
        name = info.name
        fresh_metrics, fresh_extractors, fresh_types = MetricCatalog(), ExtractorCatalog(), TypeCatalog()
        for m in list(self.metrics):
            if m.plugin != name:
                fresh_metrics.add(m)
        for x in list(self.extractors):
            if x.plugin != name:
                fresh_extractors.add(x)
        for t in list(self.types):
            if t.plugin != name:
                fresh_types.add(t)
        self.metrics, self.extractors, self.types = fresh_metrics, fresh_extractors, fresh_types
        self._pending_tasks = [t for t in self._pending_tasks if t.plugin != name]
        if self.pm.get_plugin(name) is not None:
            self.pm.unregister(name=name)
        info.metrics, info.extractors, info.annotation_types, info.tasks = [], [], [], []

    # -- loading --------------------------------------------------------------------------
    def load_entry_points(self) -> None:
        allowed = _allowed_external()
        eps = []
        for ep in _entry_points(ENTRY_POINT_GROUP):
            eps.append((ep.dist_name.lower() != BUILTIN_DISTRIBUTION, ep.name, ep, ep.dist_name))
        for external, _, ep, dist in sorted(eps, key=lambda e: (e[0], e[1].lower(), e[1])):
            if external and allowed is not None and not ({ep.name.lower(), dist.lower()} & allowed):
                continue
            self.load(PluginInfo(ep.name, dist, ep.dist_version, ep.value, not external), ep.load)

    def load(self, info: PluginInfo, load: Callable[[], Any]) -> PluginInfo:
        """Import one plugin (``load()`` returns its module or object) and run its hooks, guarded."""
        other = next((p for n, p in self.plugins.items() if n.lower() == info.name.lower()), None)
        if other is not None:  # e.g. an external entry point named like a built-in one: refused
            self.plugins[f"{info.distribution}:{info.name}"] = info
            info.error = (f"entry point name {info.name!r} is already taken by plugin {other.name!r} of "
                          f"distribution {other.distribution}; rename the entry point")
            if strict_mode():
                raise PluginLoadError(f"{info.headline()} {info.error}")
            return info
        self.plugins[info.name] = info
        out = io.StringIO()
        start = time.perf_counter()
        with redirect_stdout(out):
            try:
                module = load()
            except Exception as e:  # noqa: BLE001 - isolation is the point
                self._fail(info, "import", e)
            else:
                self._register(module, info)
        elapsed = time.perf_counter() - start
        printed = out.getvalue()
        if printed and info.error is None:
            first = printed.strip().splitlines()[0][:60] if printed.strip() else ""
            self._note(info, f"wrote {len(printed)} characters to standard output while loading "
                             f"({first!r}...; discarded: a plugin must not print, it would corrupt --json output)")
        budget = load_budget()
        if not info.builtin and info.error is None and elapsed > budget:
            self._note(info, f"took {elapsed:.2f} s to import and register (budget {budget:g} s, "
                             f"GENERALLEVEL_PLUGIN_BUDGET): import heavy libraries inside compute, not at import")
        return info

    def add_plugin(self, module: Any, info: PluginInfo) -> PluginInfo:
        """Register one already-imported plugin object (guarded like an entry point)."""
        return self.load(info, lambda: module)

    def _register(self, module: Any, info: PluginInfo) -> None:
        """Register ``module`` with pluggy and run its hooks; keep all of it or none of it."""
        try:
            self.pm.register(module, name=info.name)
        except Exception as e:  # noqa: BLE001
            self._fail(info, "registration", e)
            return
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
                m.check_normalization()
                self.metrics.add(m)
            for x in extractors:
                self.extractors.add(x)
            for t in types:
                self.types.add(t)
        except Exception as e:  # noqa: BLE001
            self._fail(info, "register", e)
            return
        info.metrics = [m.name for m in metrics]
        info.extractors = [x.name for x in extractors]
        info.annotation_types = [t.name for t in types]
        self._pending_tasks.extend(tasks)
        info.tasks = [t.id for t in tasks]

    def finalize_tasks(self) -> None:
        """Add every plugin's tasks once all metrics are known, resolving metric names and SoTA units.

        A plugin with a task that cannot be added is dropped whole (metrics included) and the tasks
        are added again without it, since other plugins' tasks may have used its metrics.
        """
        while True:
            catalog = TaskCatalog()
            failed = None
            for task in self._pending_tasks:
                try:
                    self._resolve(task)
                    catalog.add(task)
                except Exception as e:  # noqa: BLE001
                    failed = (self.plugins[task.plugin], task, e)
                    break
            if failed is None:
                break
            info, task, e = failed
            if info.builtin:
                raise RegistrationError(f"plugin {info.name!r}: {e}") from e
            self._fail(info, f"task {task.id!r}", e)
        self.tasks = catalog
        self._pending_tasks = []

    def _resolve(self, task: Task) -> None:
        from .units import conversion_factor

        metric = self.metrics.get(task.metric)
        task.metric = metric.name
        if task.sota is not None:
            factor = conversion_factor(task.sota_unit, metric.unit, where=f"task {task.id}: ")
            task.sota_metric_unit = metric.check_raw(float(task.sota) * factor, where=f"task {task.id} SoTA")

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
    reg.warn()
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
