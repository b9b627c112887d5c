"""Scaffold a new plugin distribution (``generallevel new-plugin NAME``).

Like the simonw/llm-plugin and datasette-plugin cookiecutters, but with ``string.Template`` and
templates shipped as package data (``generallevel/templates``), so it needs nothing beyond
generallevel. The result is a pip-installable distribution whose entry point in the
``generallevel`` group names a module with the hook implementations, plus a test and a README.
"""

from __future__ import annotations

import json
import keyword
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from .errors import InputError
from .tasks import MODALITIES, slugify

KINDS = ("metric", "task")
DIST_PREFIX = "generallevel-"

# template file -> output path (relative to the distribution root); "{module}" is substituted.
_FILES = {
    "common": {"pyproject.toml.tmpl": "pyproject.toml", "README.md.tmpl": "README.md"},
    "metric": {"module.py.tmpl": "{module}/__init__.py", "test.py.tmpl": "tests/test_{entry}.py"},
    "task": {"module.py.tmpl": "{module}/__init__.py", "test.py.tmpl": "tests/test_{entry}.py"},
}


@dataclass(frozen=True)
class PluginNames:
    """Every spelling of a plugin's name the templates need."""

    name: str  # as the user typed it (metric name / task name source)
    slug: str  # "my-metric"
    dist: str  # "generallevel-my-metric"
    module: str  # "generallevel_my_metric"
    entry: str  # entry-point name "my_metric"

    @classmethod
    def from_name(cls, name: str) -> "PluginNames":
        raw = " ".join(str(name).split())
        if raw.lower().startswith(DIST_PREFIX):
            raw = raw[len(DIST_PREFIX):]
        slug = slugify(raw)
        if not slug:
            raise InputError(f"plugin name {name!r} has no letters or digits")
        entry = slug.replace("-", "_")
        module = "generallevel_" + entry
        if not module.isidentifier() or keyword.iskeyword(module):  # pragma: no cover - slug is safe
            raise InputError(f"plugin name {name!r} does not give a valid module name ({module})")
        return cls(raw, slug, DIST_PREFIX + slug, module, entry)


def _template(kind: str, filename: str) -> Template:
    path = resources.files("generallevel").joinpath("templates", kind, filename)
    return Template(path.read_text(encoding="utf-8"))


def _check_free(names: PluginNames, kind: str, task_name: str, metric_name: str) -> None:
    """Refuse names that would clash with something already registered (a load-time error later)."""
    import generallevel as gl

    if kind == "metric" and metric_name in _registry().metrics:
        other = gl.get_metric(metric_name)
        raise InputError(f"a metric named {metric_name!r} already exists ({other.name!r}, plugin "
                         f"{other.plugin!r}); choose another " + ("--metric-name" if metric_name != names.name
                                                                   else "NAME (or --metric-name)"))
    if kind == "task":
        for key in (names.slug, task_name):
            if key in _registry().tasks:
                other = gl.get_task(key)
                raise InputError(f"a task {key!r} already exists ({other.id!r}, plugin {other.plugin!r}); "
                                 f"choose another NAME")


def _registry():
    from .plugins import get_registry

    return get_registry()


def _task_fields(metric: str, check_registry: bool, sota: float | None, unit: str | None) -> tuple[str, str, str]:
    """(metric name, SoTA unit, SoTA as Python) of a task scaffold; the SoTA is checked against the metric."""
    import math

    from .units import UNITS, conversion_factor

    if unit is not None and unit not in UNITS:
        raise InputError(f"unknown unit {unit!r}; known units: {', '.join(UNITS)}")
    if not check_registry:
        return metric, unit or "percent", repr(None if sota is None else float(sota))
    m = _registry().metrics.get(metric)  # unknown metric -> UnknownMetricError with suggestions
    unit = unit or m.unit
    factor = conversion_factor(unit, m.unit, where=f"--unit {unit} for {m.name} ({m.unit}): ")
    if sota is not None:
        if isinstance(sota, bool) or not isinstance(sota, (int, float)) or not math.isfinite(sota):
            raise InputError(f"--sota must be a finite number, got {sota!r}")
        m.check_raw(float(sota) * factor, where=f"--sota {sota:g} {unit}")
    return m.name, unit, repr(None if sota is None else float(sota))


def render(name: str, kind: str = "metric", metric: str = "Acc", modality: str = "Image",
           paradigm: str | None = None, check_registry: bool = True, *, metric_name: str | None = None,
           sota: float | None = None, unit: str | None = None, skill: str = "",
           short_name: str = "") -> dict[str, str]:
    """The files of a new plugin distribution: {relative path: text}.

    ``kind="metric"`` registers a metric called ``metric_name`` (default NAME); ``kind="task"``
    registers a task called NAME scored by the existing metric ``metric`` with an annotation
    adapter, with the SoTA ``sota`` in ``unit`` (default: the metric's unit), ``skill`` and
    ``short_name``. NAME always names the distribution (generallevel-NAME).
    """
    from ._version import version

    if kind not in KINDS:
        raise InputError(f"unknown plugin kind {kind!r}; choose from {', '.join(KINDS)}")
    task_only = {"--sota": sota is not None, "--unit": unit is not None, "--skill": bool(skill),
                 "--short-name": bool(short_name)}
    wrong = [k for k, given in (task_only.items() if kind == "metric" else
                                [("--metric-name", metric_name is not None)]) if given]
    if wrong:
        raise InputError(f"{', '.join(wrong)} do{'es' if len(wrong) == 1 else ''} not apply to --kind {kind}")
    names = PluginNames.from_name(name)
    if metric_name is not None and not " ".join(str(metric_name).split()):
        raise InputError("--metric-name must not be empty")
    mods = {m.lower(): m for m in MODALITIES}
    if modality.lower() not in mods:
        raise InputError(f"unknown modality {modality!r}; choose from {', '.join(MODALITIES)}")
    modality = mods[modality.lower()]
    if paradigm is None:
        paradigm = "none" if modality == "NLP" else "comprehension"
    if (modality == "NLP") != (paradigm == "none") or paradigm not in ("comprehension", "generation", "none"):
        raise InputError(f"paradigm {paradigm!r} does not fit modality {modality}: NLP tasks use 'none', "
                         f"others 'comprehension' or 'generation'")
    task_name = names.name.replace("-", " ").replace("_", " ").title() if names.name.islower() else names.name
    values = {
        "dist": names.dist, "module": names.module, "entry": names.entry, "kind": kind,
        "gl_version": version().split("+")[0],
        "dist_toml": json.dumps(names.dist),
        "modality": modality, "paradigm": paradigm, "task_id": names.slug,
        "task_name": task_name, "task_name_py": repr(task_name),
        "skill_py": repr(" ".join(str(skill).split())), "short_name_py": repr(" ".join(str(short_name).split())),
    }
    if kind == "metric":
        values["metric_name"] = " ".join(str(metric_name).split()) if metric_name is not None else names.name
        description = f"The {values['metric_name']} metric for generallevel."
        values["check_command"] = f"generallevel metrics | grep {json.dumps(values['metric_name'])}"
        values["kind_notes"] = (
            "## The metric\n\n`compute(predictions, references, **options)` returns the raw value in the "
            "declared `unit` (bounded metrics: percent, 0..100) and raises `generallevel.InputError` on "
            "bad input. Check it against an independent reference implementation in `tests/`. See "
            "\"Writing a metric plugin\" in the generallevel docs."
        )
    else:
        metric, unit, values["sota_py"] = _task_fields(metric, check_registry, sota, unit)
        values["sota_comment"] = ("  # TODO: the SoTA specialist's score (in sota_unit); None = the task cannot be won"
                                  if sota is None else "")
        values["metric_name"] = metric
        description = f"The General-Bench task \"{task_name}\" for generallevel."
        values["check_command"] = f"generallevel tasks validate path/to/{names.slug}/   # your dataset folder"
        values["kind_notes"] = (
            f"## The task\n\n`{names.slug}` ({modality} / {paradigm}) is scored with {metric}. Set `sota` to "
            f"the SoTA specialist's score in `sota_unit` ({unit}). The adapter `adapt(items, predictions)` "
            "maps annotation items to the metric's inputs. See \"Writing a task plugin\" and \"Registering a "
            "dataset\" in the generallevel docs."
        )
        values["sota_unit"] = unit
    values["metric_name_py"] = repr(values["metric_name"])
    values["description"] = description
    values["description_toml"] = json.dumps(description)
    if check_registry:
        _check_free(names, kind, task_name, values["metric_name"])

    out: dict[str, str] = {}
    for group in ("common", kind):
        for tmpl, target in _FILES[group].items():
            rel = target.format(module=names.module, entry=names.entry)
            out[rel] = _template(group, tmpl).substitute(values)
    return out


def scaffold(name: str, kind: str = "metric", directory: str | Path = ".", **options) -> Path:
    """Write a new plugin distribution into ``directory/generallevel-NAME`` and return that path."""
    files = render(name, kind, **options)
    root = Path(directory) / PluginNames.from_name(name).dist
    if root.exists() and any(root.iterdir()):
        raise InputError(f"{root} already exists and is not empty")
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root
