"""Checks of General-Bench dataset folders for ``generallevel tasks validate`` (entry points: ``validate``).

A dataset folder is checked against tasks that are already known (registered, or declared in a
``task(s).toml`` that :func:`generallevel.validate.validate_task_file` read into a local catalogue):
where the task folders are (General-Bench layout ``<root>/<modality>/<comprehension|generation>/<Task-Folder>/``,
NLP ``<root>/nlp/<Task-Folder>/``), which task each one holds, its ``annotation.json`` items (``id``/``input``/
``output``, ids unique), and a sample of items mapped through the task's adapter to references.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from .errors import GeneralLevelError
from .tasks import MODALITIES, Task, TaskCatalog

if TYPE_CHECKING:  # the report type lives with the entry points; imported for annotations only
    from .validate import ValidationReport

TASK_TOML_NAMES = ("task.toml", "tasks.toml", "registry.toml")
ANNOTATION = "annotation.json"
_FOLDER_MODALITY = {m.lower(): m for m in MODALITIES}
_SHOW_IDS = 5


# (also used by the task-entry checks in ``validate``, which import it from here: no import cycle)
def _load_adapter(spec: Any, task_id: str) -> Callable:
    """The adapter a task declares, loaded the way ``evaluate`` loads it (InputError if it cannot be)."""
    from types import SimpleNamespace

    from .adapters import load_adapter

    return load_adapter(SimpleNamespace(id=task_id, adapter=spec))


def _context_from_names(folder: Path, root: Path) -> tuple[str | None, str | None]:
    """(modality, paradigm) implied by folder names between ``root`` (included) and ``folder``."""
    try:
        parts = folder.resolve().relative_to(root.resolve()).parts
    except ValueError:
        parts = ()
    modality = paradigm = None
    for p in (root.resolve().name, *parts):
        low = p.lower()
        if low in _FOLDER_MODALITY:
            modality = _FOLDER_MODALITY[low]
        elif low in ("comprehension", "generation"):
            paradigm = low
    if modality == "NLP":
        paradigm = "none"
    return modality, paradigm


def _task_folders(root: Path, report: ValidationReport) -> list[tuple[Path, str | None, str | None]]:
    """(folder, modality, paradigm) of every task folder: the root itself, a General-Bench tree read
    exactly as ``evaluate`` reads it (layout problems reported), or any folders holding annotations."""
    if (root / ANNOTATION).is_file():
        return [(root, *_context_from_names(root, root))]
    from .readers.benchfolder import MODALITY_DIRS, scan_tree

    if any(p.is_dir() and p.name.lower() in MODALITY_DIRS for p in root.iterdir()):
        found, problems = scan_tree(root)
        for msg in problems:
            where, _, text = msg.partition(": ")
            report.add(where, text)
        return [(tf.path, tf.modality, tf.paradigm) for tf in found]
    return [(p.parent, *_context_from_names(p.parent, root)) for p in sorted(root.rglob(ANNOTATION))]


def _find_task(names: list[str], registry, local: TaskCatalog) -> tuple[Task | None, str]:
    """The task the first resolvable name refers to (local declarations first), or an error."""
    error = ""
    for name in names:
        for catalog in (local, registry.tasks):
            try:
                return catalog.get(name), ""
            except GeneralLevelError as e:
                if catalog is registry.tasks and not error:
                    error = str(e)
    return None, error


def _sample(items: list, n: int) -> list[tuple[int, Any]]:
    """Up to n (index, item) pairs spread evenly over the list (deterministic)."""
    if n <= 0 or not items:
        return []
    step = max(1, len(items) // n)
    return [(i, items[i]) for i in range(0, len(items), step)][:n]


def _item_where(ann: Path, i: int, item: Any) -> str:
    tid = item.get("id") if isinstance(item, dict) else None
    return f"{ann}: item #{i + 1}" + (f" (id {tid!r})" if tid is not None else "")


def validate_task_folder(folder: Path, registry, local: TaskCatalog, report: ValidationReport,
                         sample: int = 20, modality: str | None = None, paradigm: str | None = None) -> None:
    """Check one task folder holding ``annotation.json`` (placed under ``modality``/``paradigm``, if known)."""
    ann = folder / ANNOTATION
    report.folders += 1
    try:
        data = json.loads(ann.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        report.add(str(ann), f"cannot read: {e}")
        return
    except json.JSONDecodeError as e:
        report.add(f"{ann}:{e.lineno}:{e.colno}", f"malformed JSON: {e.msg}")
        return
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        report.add(str(ann), 'expected an object {"task": name, "type": ..., "data": [items]}')
        return
    if "task" in data and not isinstance(data["task"], str):
        report.add(str(ann), f"'task' must be a string (the task's name), got {data['task']!r}")
    names = [data["task"]] if isinstance(data.get("task"), str) and data["task"].strip() else []
    names.append(folder.name)
    task, error = _find_task(names, registry, local)
    if task is None:
        report.add(str(ann), f"no registered task for this folder ({error}); register it in a plugin or "
                             f"declare it in {' / '.join(TASK_TOML_NAMES)}")
    else:
        if modality and modality != task.modality:
            report.add(str(folder), f"task {task.id!r} is {task.modality}, but the folder is under {modality}")
        elif paradigm and modality and paradigm != task.paradigm:
            report.add(str(folder), f"task {task.id!r} is {task.paradigm}, but the folder is under {paradigm}")
        if task.metric not in registry.metrics:
            report.add(str(ann), f"task {task.id!r}: metric {task.metric!r} is not registered")
    items = data["data"]
    if not items:
        report.add(str(ann), "no annotation items ('data' is empty)")
        return
    first: dict[Any, int] = {}
    dups: dict[Any, list[int]] = {}
    bad_items = 0
    for i, item in enumerate(items):
        missing = [k for k in ("id", "input", "output") if not isinstance(item, dict) or k not in item]
        if missing:
            bad_items += 1
            if bad_items <= _SHOW_IDS:
                report.add(_item_where(ann, i, item), f"missing {', '.join(missing)}")
            continue
        tid = item["id"]
        if not isinstance(tid, (str, int)) or isinstance(tid, bool) or (isinstance(tid, str) and not tid.strip()):
            report.add(_item_where(ann, i, item), f"id must be a non-empty string or an integer, got {tid!r}")
            continue
        key = str(tid)
        if key in first:
            dups.setdefault(key, [first[key]]).append(i)
        else:
            first[key] = i
    if bad_items > _SHOW_IDS:
        report.add(str(ann), f"{bad_items} items lack id/input/output in all (first {_SHOW_IDS} shown)")
    for key, where in list(dups.items()):
        report.add(str(ann), f"duplicate id {key!r} at items " + ", ".join(f"#{i + 1}" for i in where))
    from .validate_media import check_annotation

    depth = 0 if not modality else 2 if modality.lower() != "nlp" else 1  # <root>/<modality>[/<paradigm>]/<Task>
    check_annotation(ann, items, folder.parents[depth - 1] if depth and len(folder.parents) >= depth else folder,
                     report)
    if task is not None:
        _check_adapter(task, ann, items, report, sample, data.get("type"), registry)


def _typed_references(task: Task, ann: Path, type_name: Any, registry, report: ValidationReport):
    """The reference reader of a typed annotation (as ``evaluate`` reads it), or None if untyped."""
    from .annotation_types import check_known
    from .typed_adapter import reference_of, resolve, type_for

    t = type_for(task, type_name, registry.metrics, registry.types)
    if t is None:
        return None
    note = check_known(registry.types, task.modality, type_name)
    if note:  # evaluate reads it as General-Bench reads unlisted types: worth a note, not an error
        report.notes.append(f"{ann}: {note}")
    t, _, _ = resolve(t, task, registry.metrics, registry.types, False)
    return (lambda item: [reference_of(t, item)]), f"annotation type {t.name!r}"


def _check_adapter(task: Task, ann: Path, items: list, report: ValidationReport, sample: int,
                   type_name: Any = None, registry: Any = None) -> None:
    """Map a sample of items to references; each failing item is reported with its number and id.

    A task's own adapter is called as ``evaluate`` calls it for items the model did not answer (every
    prediction missing), so only the annotation side is exercised. A task without one gets the
    default adapter of its metric's family, whose reference reading is checked directly.
    """
    from .adapters import MISSING, _convert, adapt, family_of, reference_of

    typed = _typed_references(task, ann, type_name, registry, report) if registry is not None else None
    if typed is not None:
        references, label = typed
    elif task.adapter is None:
        family = family_of(task.metric)
        if not family.references:
            report.notes.append(f"{ann}: {task.metric} scores predictions alone; no references to check")
            return

        from .media_adapter import file_value, need_of, precomputed, text_of

        need = need_of(task.metric)

        def references(item: dict) -> list:
            out = item.get("output")
            if need is not None and file_value(out) is not None:
                return [out]  # a media file, as evaluate decodes it (check_annotation probed it above)
            if need is not None and need.text_refs and precomputed(out) is None and text_of(item) is not None:
                return [text_of(item)]  # the prompt, which evaluate embeds with the metric's text extractor
            return [_convert(reference_of(item, family), family.convert, f"annotation item {item.get('id')!r}", True)]
        label = f"default adapter ({family.name})"
    else:
        try:
            _load_adapter(task.adapter, task.id)
        except Exception as e:  # noqa: BLE001
            report.add(str(ann), str(e) if isinstance(e, GeneralLevelError) else f"{type(e).__name__}: {e}")
            return

        def references(item: dict) -> Any:
            return adapt(task, [item], [MISSING])[1]
        label = f"adapter {task.adapter!r}"
    failures = 0
    for i, item in _sample(items, sample):
        if not isinstance(item, dict) or "output" not in item:
            continue  # already reported
        try:
            refs = references(item)
            if refs is None or len(refs) != 1:
                raise ValueError(f"expected 1 reference for 1 item, got {refs!r}")
            if refs[0] is None:
                raise ValueError("no reference (None)")
        except Exception as e:  # noqa: BLE001 - report the item, keep checking the others
            failures += 1
            if failures <= _SHOW_IDS:
                report.add(_item_where(ann, i, item), f"{label}: {type(e).__name__}: {e}")
    if failures > _SHOW_IDS:
        report.add(str(ann), f"{failures} sampled items fail the {label} (first {_SHOW_IDS} shown)")

