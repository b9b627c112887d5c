"""Reading a General-Bench folder tree: task folders, annotation.json and prediction.json files.

Layout (folder names of modalities and paradigms are case-insensitive)::

    <root>/<image|video|audio|3d>/<comprehension|generation>/<Task-Folder>/annotation.json
    <root>/nlp/<Task-Folder>/annotation.json

A predictions tree mirrors it with ``prediction.json`` in each task folder. This module only finds
and parses files (every error names the file); it knows nothing about tasks, metrics or scoring.
"""

from __future__ import annotations

import json
import operator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import InputError

ANNOTATION = "annotation.json"
PREDICTION = "prediction.json"
MODALITY_DIRS = {"image": "Image", "video": "Video", "audio": "Audio", "3d": "3D", "nlp": "NLP"}
PARADIGM_DIRS = ("comprehension", "generation")
LAYOUT = ("<root>/<image|video|audio|3d>/<comprehension|generation>/<Task-Folder>/{file} "
          "or <root>/nlp/<Task-Folder>/{file}")


@dataclass(frozen=True)
class TaskFolder:
    """One task folder found on disk; ``rel`` is its path below the root as written there."""

    modality: str  # canonical: Image, Video, Audio, 3D, NLP
    paradigm: str  # comprehension, generation, or none (NLP)
    name: str  # the folder's own name
    path: Path
    rel: str

    @property
    def key(self) -> tuple[str, str, str]:
        """What a predictions folder must match: modality, paradigm and the folder name (casefolded)."""
        return (self.modality, self.paradigm, self.name.casefold())

    @property
    def group(self) -> str:
        return self.modality if self.modality == "NLP" else f"{self.modality}-{self.paradigm}"


def _subdirs(path: Path) -> list[Path]:
    """Visible sub-folders in a stable (sorted) order; hidden ones (.git, .cache) are not data."""
    return sorted((p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")),
                  key=lambda p: p.name)


def scan_tree(root: str | Path, filename: str = ANNOTATION) -> tuple[list[TaskFolder], list[str]]:
    """Task folders holding ``filename`` below ``root``, and problems with the layout.

    Problems (folders that are not modalities or paradigms, task folders without ``filename`` when
    scanning annotations) are returned rather than raised: they do not stop the other tasks. A
    predictions tree legitimately lacks files for unsupported tasks, so those are not problems.
    """
    root = Path(root)
    if not root.exists():
        raise InputError(f"{root}: folder not found")
    if not root.is_dir():
        raise InputError(f"{root}: not a folder")
    found: list[TaskFolder] = []
    problems: list[str] = []
    report_missing = filename == ANNOTATION

    def add_tasks(parent: Path, modality: str, paradigm: str) -> None:
        for folder in _subdirs(parent):
            rel = folder.relative_to(root).as_posix()
            if (folder / filename).is_file():
                found.append(TaskFolder(modality, paradigm, folder.name, folder, rel))
            elif report_missing:
                problems.append(f"{folder}: no {filename}; folder skipped")

    order = list(MODALITY_DIRS)
    for mdir in sorted(_subdirs(root), key=lambda p: (order.index(p.name.lower()) if p.name.lower() in order
                                                      else len(order), p.name)):
        modality = MODALITY_DIRS.get(mdir.name.lower())
        if modality is None:
            problems.append(f"{mdir}: not a modality folder (expected one of "
                            f"{', '.join(MODALITY_DIRS)}); ignored")
            continue
        if modality == "NLP":
            add_tasks(mdir, modality, "none")
            continue
        for pdir in _subdirs(mdir):
            paradigm = pdir.name.lower()
            if paradigm not in PARADIGM_DIRS:
                problems.append(f"{pdir}: not a paradigm folder (expected comprehension or generation); ignored")
                continue
            add_tasks(pdir, modality, paradigm)
    return found, problems


def read_json(path: Path) -> Any:
    """The parsed file: msgspec where it gives the identical value, else ``json`` (every error message
    is the standard library's); inside a task's ``parking()`` it stays out of the garbage collector's
    sight until the task ends (see :mod:`generallevel.readers.fastjson`)."""
    from .fastjson import NOT_PARSED, loads_text, parse_bytes

    try:
        value = parse_bytes(path.read_bytes(), park=True)
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e}") from None
    if value is not NOT_PARSED:
        return value
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text ({e})") from None
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e}") from None
    try:
        return loads_text(text, park=True)
    except json.JSONDecodeError as e:
        raise InputError(f"{path}: malformed JSON: {e}") from None


def _check_id(value: Any, path: Path, index: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (str, int)) or (isinstance(value, str) and not value.strip()):
        raise InputError(f"{path}: item {index}: 'id' must be a non-empty string or an integer, got {value!r}")


_ID = operator.itemgetter("id")


def _plain_ids(items: list) -> list | None:
    """Every item's id when all items are objects with an id that is a non-blank string or an
    integer (checked in C-speed passes: a task has up to ~50,000 items), else None: then the
    item-by-item loop runs and names the first bad item, as it always did."""
    if set(map(type, items)) != {dict}:
        return None
    try:
        ids = list(map(_ID, items))
    except KeyError:
        return None
    kinds = set(map(type, ids))
    if kinds == {int} or (kinds == {str} and all(map(str.strip, ids))):
        return ids
    if kinds == {str, int} and all(map(str.strip, (i for i in ids if type(i) is str))):
        return ids
    return None


def read_annotation(path: Path) -> dict[str, Any]:
    """``{"task": name, "type": ..., "data": [{"id", "input", "output"}, ...]}``, shape-checked."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a JSON object with 'task' and 'data', got {type(data).__name__}")
    if "task" in data and not isinstance(data["task"], str):
        raise InputError(f"{path}: 'task' must be a string, got {data['task']!r}")
    items = data.get("data")
    if not isinstance(items, list):
        raise InputError(f"{path}: 'data' must be a list of annotation items")
    if not items:
        raise InputError(f"{path}: 'data' is empty; a task needs at least one annotation item")
    if _plain_ids(items) is not None:
        return data
    for i, item in enumerate(items):
        if not isinstance(item, dict) or "id" not in item:
            raise InputError(f"{path}: item {i}: expected an object with 'id', 'input' and 'output'")
        _check_id(item["id"], path, i)
    return data


PREDICTION_KEYS = ("prediction", "prediction_final")
_PREDICTION = operator.itemgetter(PREDICTION_KEYS[0])


def prediction_items(data: Any, path: Path) -> tuple[list[Any], dict[str, Any]]:
    """The item list of a prediction file and its header (``task``, ``skill``, ``type``).

    Two shapes exist: the General-Bench documentation's object ``{"task", "skill", "type",
    "data": [...]}`` and a bare list of items.
    """
    if isinstance(data, list):
        return data, {}
    if isinstance(data, dict):
        items = data.get("data")
        if not isinstance(items, list):
            raise InputError(f"{path}: a prediction object needs 'data', a list of {{\"id\", \"prediction\"}} "
                             f"items (found keys {sorted(data)[:8]})")
        header = {k: data[k] for k in ("task", "skill", "type") if k in data}
        return items, header
    raise InputError(f"{path}: expected {{\"task\", \"type\", \"data\": [...]}} or a JSON list of "
                     f"{{\"id\", \"prediction\"}} objects, got {type(data).__name__}")


def read_predictions(path: Path, header: dict[str, Any] | None = None) -> list[tuple[str, Any]]:
    """Predictions as (id as a string, prediction) pairs in file order.

    An item holds ``prediction``, or ``prediction_final`` as some official predictors write it;
    ``header``, when given, receives the file's ``task``/``skill``/``type``.
    """
    items, head = prediction_items(read_json(path), path)
    if header is not None:
        header.update(head)
    ids = _plain_ids(items)
    if ids is not None:
        try:  # every item holds 'prediction' (the usual file): no per-item checks in Python
            return list(zip(map(str, ids), map(_PREDICTION, items)))
        except KeyError:
            pass
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or "id" not in item:
            raise InputError(f"{path}: item {i}: expected an object with 'id' and 'prediction'")
        key = next((k for k in PREDICTION_KEYS if k in item), None)
        if key is None:
            raise InputError(f"{path}: item {i} (id {item['id']!r}): no 'prediction' (or 'prediction_final')")
        _check_id(item["id"], path, i)
        out.append((str(item["id"]), item[key]))
    return out
