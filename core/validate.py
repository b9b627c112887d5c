"""Check task declarations and dataset folders before they are registered (``generallevel tasks validate``).

Maintainers registering a dataset get *every* problem at once, each with its location
(``file:line`` for TOML entries, ``folder/annotation.json: item #i (id '7')`` for annotations),
instead of the first exception at plugin-load time:

* task entries (``[[task]]`` tables in a TOML file): fields known and present, id a slug, modality
  and paradigm valid, the metric registered, the SoTA a finite number in the metric's unit and raw
  range (after converting from ``sota_unit``), ids and names unique (in the file and against the
  registry), the adapter importable;
* dataset folders (``annotation.json`` per task, General-Bench layout
  ``<root>/<modality>/<comprehension|generation>/<Task-Folder>/``, NLP ``<root>/nlp/<Task-Folder>/``):
  JSON well-formed, the task known (registry or a ``task(s).toml`` in the folder), the folder's
  modality/paradigm matching the task, items with ``id``/``input``/``output``, ids unique, and a
  sample of items mapping through the task's adapter to references.

The folder checks live in :mod:`generallevel.validate_dataset`; this module keeps the report, the
task-entry checks and the entry points (``validate``, ``validate_task_file``, ``validate_dataset_dir``).
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .errors import GeneralLevelError
from .tasks import _TASK_FIELDS, MODALITIES, PARADIGMS, Task, TaskCatalog, _task_key, slugify
from .units import UNITS, conversion_factor
from .validate_dataset import (  # noqa: F401 - _sample: still importable from here, as before the split
    _FOLDER_MODALITY, ANNOTATION, TASK_TOML_NAMES, _load_adapter, _sample, _task_folders, validate_task_folder,
)

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REQUIRED = ("id", "name", "modality", "paradigm", "metric", "sota_unit")
_HEADER = re.compile(r"^\s*\[\[\s*task\s*\]\]")


@dataclass
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class ValidationReport:
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    entries: int = 0
    folders: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, where: str, message: str) -> None:
        self.problems.append(Problem(where, message))


# -- task entries ---------------------------------------------------------------------------------
class _Lines:
    """Line numbers of ``[[task]]`` tables and their fields in a TOML text (tomllib keeps none)."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.headers = [i for i, line in enumerate(self.lines) if _HEADER.match(line)]

    def of(self, entry: int, key: str | None = None) -> int | None:
        if entry >= len(self.headers):
            return None
        start = self.headers[entry]
        if key is None:
            return start + 1
        end = self.headers[entry + 1] if entry + 1 < len(self.headers) else len(self.lines)
        pat = re.compile(rf"^\s*{re.escape(key)}\s*=")
        for i in range(start + 1, end):
            if pat.match(self.lines[i]):
                return i + 1
        return start + 1


def _same_task(a: Task, b: Task) -> bool:
    return (a.id, _task_key(a.name), a.modality, a.paradigm, a.metric, a.sota_metric_unit) == \
        (b.id, _task_key(b.name), b.modality, b.paradigm, b.metric, b.sota_metric_unit)


def _check_entry(entry: Any, where: Callable[[str | None], str], registry, report: ValidationReport) -> Task | None:
    """Check one [[task]] table; return the Task (metric canonical, SoTA converted) if it is valid."""
    if not isinstance(entry, dict):
        report.add(where(None), "a task entry must be a table")
        return None
    bad = len(report.problems)
    for key in sorted(set(entry) - _TASK_FIELDS):
        report.add(where(key), f"unknown field {key!r} (known: {', '.join(sorted(_TASK_FIELDS))})")
    for key in REQUIRED:
        if key not in entry:
            report.add(where(None), f"missing field {key!r}")
    for key in ("id", "name", "modality", "paradigm", "metric", "sota_unit", "short_name", "skill", "skill_group",
                "skill_group_name", "domain"):
        if key in entry and not isinstance(entry[key], str):
            report.add(where(key), f"{key} must be a string, got {entry[key]!r}")
    tid = entry.get("id")
    if isinstance(tid, str) and (not tid or slugify(tid) != tid):
        report.add(where("id"), f"id {tid!r} is not a slug (lower-case a-z, 0-9 and '-'); e.g. {slugify(tid)!r}")
    if isinstance(entry.get("name"), str) and not entry["name"].strip():
        report.add(where("name"), "name is empty")
    modality, paradigm = entry.get("modality"), entry.get("paradigm")
    if isinstance(modality, str) and modality not in MODALITIES:
        hint = f"; did you mean {_FOLDER_MODALITY[modality.lower()]!r}?" if modality.lower() in _FOLDER_MODALITY else ""
        report.add(where("modality"), f"modality {modality!r} is not one of {', '.join(MODALITIES)}{hint}")
    if isinstance(paradigm, str) and paradigm not in PARADIGMS:
        report.add(where("paradigm"), f"paradigm {paradigm!r} is not one of {', '.join(PARADIGMS)}")
    elif modality in MODALITIES and paradigm in PARADIGMS and (modality == "NLP") != (paradigm == "none"):
        report.add(where("paradigm"), f"paradigm {paradigm!r} does not fit modality {modality}: NLP tasks use "
                                      f"'none', other modalities 'comprehension' or 'generation'")
    metric = None
    if isinstance(entry.get("metric"), str):
        try:
            metric = registry.metrics.get(entry["metric"])
        except GeneralLevelError as e:
            report.add(where("metric"), str(e))
    unit = entry.get("sota_unit")
    if isinstance(unit, str) and unit not in UNITS:
        report.add(where("sota_unit"), f"unknown unit {unit!r}; known units: {', '.join(UNITS)}")
        unit = None
    sota_metric_unit = None
    if entry.get("sota") is not None:
        sota = entry["sota"]
        if isinstance(sota, bool) or not isinstance(sota, (int, float)) or not math.isfinite(sota):
            report.add(where("sota"), f"sota must be a finite number, got {sota!r}")
        elif metric is not None and isinstance(unit, str):
            try:
                factor = conversion_factor(unit, metric.unit)
                sota_metric_unit = metric.check_raw(float(sota) * factor)
            except GeneralLevelError as e:
                report.add(where("sota"), f"SoTA {sota!r} {unit}: {e}")
    if entry.get("adapter") is not None:
        try:
            _load_adapter(entry["adapter"], str(entry.get("id")))
        except Exception as e:  # noqa: BLE001 - any failure to load is the problem to report
            report.add(where("adapter"), str(e) if isinstance(e, GeneralLevelError) else f"{type(e).__name__}: {e}")
    if len(report.problems) > bad:
        return None
    values = dict(entry, metric=metric.name if metric else entry["metric"])
    values.setdefault("sota", None)  # no SoTA: the task can never be won
    try:
        task = Task(**values)
    except (GeneralLevelError, TypeError) as e:  # pragma: no cover - the checks above cover Task's
        report.add(where(None), str(e))
        return None
    task.sota_metric_unit = sota_metric_unit
    task.plugin = "(this file)"
    return task


def _registry_clash(entry: Any, task: Task | None, registry, where, report: ValidationReport) -> bool:
    """Report an id or name that an already-registered, different task uses (TaskCatalog.add's rule)."""
    if not isinstance(entry, dict):
        return False
    names = registry.tasks._names  # name keys (and id keys) exactly as TaskCatalog.add checks them
    for what in ("id", "name"):
        key = entry.get(what)
        if not isinstance(key, str):
            continue
        other_id = key if (what == "id" and key in registry.tasks._by_id) else names.get(_task_key(key))
        if other_id is None:
            continue
        other = registry.tasks.get(other_id)
        if task is not None and _same_task(task, other):
            continue  # this very entry is already installed (e.g. validating an installed plugin's file)
        report.add(where(what), f"{what} {key!r} is already registered: task {other.id!r} (plugin {other.plugin!r})")
        return True
    return False


def validate_task_file(path: str | Path, registry=None, report: ValidationReport | None = None,
                       local: TaskCatalog | None = None, standalone: bool = False) -> ValidationReport:
    """Check every ``[[task]]`` entry of a registry-style TOML file; valid tasks go into ``local``.

    ``standalone`` skips the check against already-registered tasks (an edited copy of the catalogue).
    """
    registry = registry or _registry()
    report = report if report is not None else ValidationReport()
    local = local if local is not None else TaskCatalog()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as e:
        report.add(str(path), f"cannot read: {e}")
        return report
    except tomllib.TOMLDecodeError as e:
        report.add(str(path), f"malformed TOML: {e}")
        return report
    entries = data.get("task")
    if not isinstance(entries, list):
        report.add(str(path), "expected [[task]] tables")
        return report
    lines = _Lines(text)
    seen_ids: dict[str, str] = {}
    seen_names: dict[str, str] = {}
    for i, entry in enumerate(entries):
        label = f"[[task]] #{i + 1}" + (f" (id {entry.get('id')!r})" if isinstance(entry, dict) and "id" in entry else "")

        def where(key: str | None, i=i, label=label) -> str:
            line = lines.of(i, key)
            return f"{path}:{line} {label}" if line else f"{path} {label}"

        report.entries += 1
        if isinstance(entry, dict):
            tid, name = entry.get("id"), entry.get("name")
            if isinstance(tid, str) and tid in seen_ids:
                report.add(where("id"), f"duplicate id {tid!r} (first at {seen_ids[tid]})")
            elif isinstance(tid, str):
                seen_ids[tid] = where("id")
            if isinstance(name, str) and _task_key(name) in seen_names:
                report.add(where("name"), f"duplicate name {name!r} (first at {seen_names[_task_key(name)]})")
            elif isinstance(name, str):
                seen_names[_task_key(name)] = where("name")
        task = _check_entry(entry, where, registry, report)
        if (not standalone and _registry_clash(entry, task, registry, where, report)) or task is None:
            continue
        other_id = task.id if task.id in local._by_id else local._names.get(_task_key(task.name))
        if other_id is not None:  # (direct key lookups: ``in`` would compute "did you mean" suggestions)
            other = local.get(other_id)
            report.add(where("id"), f"task {task.id!r} is also declared as {other.id!r} in another task file")
            continue
        local.add(task)
    return report


# -- dataset folders (the checks of one folder: generallevel.validate_dataset) --------------------
def validate_dataset_dir(path: str | Path, registry=None, report: ValidationReport | None = None,
                         sample: int = 20, standalone: bool = False) -> ValidationReport:
    """Check a task folder or a General-Bench tree, with task declarations found inside it."""
    registry = registry or _registry()
    report = report if report is not None else ValidationReport()
    root = Path(path)
    local = TaskCatalog()
    for toml in sorted(p for name in TASK_TOML_NAMES for p in root.rglob(name)):
        validate_task_file(toml, registry, report, local, standalone)
    folders = _task_folders(root, report)
    if not folders and not report.entries:
        report.add(str(root), f"no {ANNOTATION} (and no {' / '.join(TASK_TOML_NAMES)}) found")
    for folder, modality, paradigm in folders:
        validate_task_folder(folder, registry, local, report, sample, modality, paradigm)
    return report


def validate(path: str | Path, sample: int = 20, registry=None, standalone: bool = False,
             predictions: str | Path | None = None) -> ValidationReport:
    """Validate a task TOML file or a dataset folder (see the module docstring for the checks);
    with ``predictions`` (a prediction file or tree) also the media files its predictions name
    (:func:`generallevel.validate_media.validate_predictions`)."""
    report = _validate(path, sample, registry, standalone)
    if predictions is not None:
        from .validate_media import validate_predictions

        validate_predictions(predictions, path if Path(path).is_dir() else None, report)
    return report


def _validate(path: str | Path, sample: int, registry, standalone: bool) -> ValidationReport:
    path = Path(path)
    if path.is_dir():
        return validate_dataset_dir(path, registry, sample=sample, standalone=standalone)
    if not path.exists():
        report = ValidationReport()
        report.add(str(path), "no such file or folder")
        return report
    if path.name == ANNOTATION:
        report = ValidationReport()
        validate_task_folder(path.parent, registry or _registry(), TaskCatalog(), report, sample)
        return report
    return validate_task_file(path, registry, standalone=standalone)


def _registry():
    from .plugins import get_registry

    return get_registry()
