"""``validate`` for media files named by annotations and predictions: each exists, lies inside the
allowed trees and has a readable header (:func:`generallevel.media.probe.probe`).

Annotation references (``output`` values such as ``{"image": "images/gt_0001.png"}``) are checked
for every dataset folder ``validate`` visits; prediction files (a General-Bench predictions tree,
or one file) with :func:`validate_predictions`. Problems go to the
:class:`~generallevel.validate.ValidationReport` with the JSON file, the item and the reason; at most
:data:`SHOWN` per file are listed, then a count.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from .errors import InputError

SHOWN = 10
ANNOTATION = "annotation.json"


def _files(value: Any) -> list[str]:
    from .media_adapter import file_value

    found = file_value(value)
    if found is None:
        return []
    return [found] if isinstance(found, str) else list(found)


def check_items(json_path: Path, items: Iterable[tuple[Any, Any]], roots: Any, report: Any, side: str) -> int:
    """Check the media files the ``(id, value)`` pairs name, relative to ``json_path``'s folder.
    Returns the number of files checked."""
    from .media import MediaError
    from .media.probe import probe

    checked = bad = 0
    for ident, value in items:
        for ref in _files(value):
            checked += 1
            try:
                path = roots.resolve(ref, json_path.parent, folder_ok=True)
                if not path.is_dir():
                    probe(path)
            except MediaError as e:
                bad += 1
                if bad <= SHOWN:
                    report.add(f"{json_path}: item {ident!r} ({side})", str(e))
            except ImportError as e:
                report.add(str(json_path), f"cannot check media files: {e} (pip install 'generallevel[media]')")
                return checked
    if bad > SHOWN:
        report.add(str(json_path), f"{bad} {side} media files in all cannot be used (first {SHOWN} shown)")
    return checked


def check_annotation(ann: Path, items: list, root: Path, report: Any) -> None:
    """The ``output`` files of an annotation's items (inside the dataset tree ``root``)."""
    from .media import MediaRoots

    pairs = [(it.get("id"), it.get("output")) for it in items if isinstance(it, dict)]
    n = check_items(ann, pairs, MediaRoots([root]), report, "reference")
    if n:
        report.notes.append(f"{ann}: {n} reference media file(s) checked")


def validate_predictions(path: str | Path, dataset: str | Path | None = None, report: Any = None) -> Any:
    """Check the media files named by the predictions in ``path`` (a prediction JSON file, or a
    predictions tree: every ``*.json`` below it except annotations). Paths must stay inside the
    predictions tree (the file's folder for a single file) or ``dataset``."""
    from .media import MediaRoots
    from .readers.benchfolder import prediction_items
    from .validate import ValidationReport

    report = report if report is not None else ValidationReport()
    path = Path(path)
    if not path.exists():
        report.add(str(path), "no such file or folder")
        return report
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*.json") if p.name != ANNOTATION)
    tree = path if path.is_dir() else path.parent
    roots = MediaRoots([tree] + ([Path(dataset)] if dataset else []))
    total = 0
    for f in files:
        try:
            items, _ = prediction_items(json.loads(f.read_text(encoding="utf-8")), f)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, InputError) as e:
            report.add(str(f), f"not a prediction file: {str(e)[:200]}")
            continue
        pairs = [(it.get("id"), it.get("prediction", it.get("prediction_final")))
                 for it in items if isinstance(it, dict)]
        total += check_items(f, pairs, roots, report, "prediction")
    report.notes.append(f"{len(files)} prediction file(s), {total} media file(s) checked")
    return report
