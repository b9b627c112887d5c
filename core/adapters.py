"""Annotation adapters: from General-Bench annotation items and predictions to metric inputs.

Contract (what a task's ``adapter`` implements)::

    adapter(records: list[dict], predictions: list, task: Task)
        -> (metric_predictions, metric_references, options: dict)

``records`` are the annotation's ``data`` items (``{"id", "input", "output"}``) and ``predictions``
the model's predictions aligned with them (``None`` where the model gave none; see
docs/evaluate.md). The result is passed as ``metric.compute(metric_predictions,
metric_references, **options)``. For compatibility with the ``new-plugin`` scaffold, an adapter
may also take only ``(records, predictions)`` and return ``(predictions, references)``.

A task without an ``adapter`` gets a default one chosen by its metric's *family* (labels, text,
numbers, boxes, features, ...): the reference is read from the item's ``output`` by a family key
(e.g. ``answer``/``label`` for labels), the prediction is used as is (or read by the same key when
it is an object holding one). Missing predictions become the family's *empty* answer (a wrong
answer: ``""`` for text, ``[]`` boxes, ...) where it has one; otherwise the task cannot be scored.
Values that name media files (a generated image, a mask PNG, a point cloud) are decoded first, for
the metrics :mod:`generallevel.media_adapter` lists (docs/media.md).
"""

from __future__ import annotations

import importlib
import inspect
import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .errors import InputError
from .metrics import name_key

MISSING = None  # what the engine puts in ``predictions`` for an annotation id without a prediction


@dataclass(frozen=True)
class Family:
    """How one kind of metric reads its inputs.

    keys: where to find the answer in ``output`` (and in a prediction object), first match wins.
    empty: the prediction that stands for "no answer" (scored as wrong); None = there is none.
    references: False for metrics that score predictions alone (MOS, success flags, ...).
    """

    name: str
    keys: tuple[str, ...]
    convert: str  # label | text | number | features | flag | vote | raw
    empty: Any = None
    references: bool = True


FAMILIES = {f.name: f for f in (
    Family("labels", ("answer", "label", "labels", "class", "category"), "label", empty=""),
    Family("text", ("text", "caption", "answer", "transcript", "translation", "code", "reference"), "text", empty=""),
    Family("numbers", ("value", "count", "score", "answer", "label"), "number"),
    Family("boxes", ("boxes", "objects", "detections", "annotations"), "raw", empty=()),
    Family("features", ("features", "embedding"), "features"),
    Family("ratings", ("score", "rating", "value"), "number", references=False),
    Family("flags", ("success", "passed", "value"), "flag", empty=False, references=False),
    Family("votes", ("vote", "preference", "value"), "vote", empty="loss", references=False),
    Family("tracks", ("boxes", "track", "trajectory", "answer"), "raw"),
    Family("generic", ("answer", "label", "value", "points", "mask", "map", "target"), "raw"),
)}

_METRIC_FAMILY = {
    "labels": ("Acc", "E-Acc", "Macro-Acc", "F1", "Micro-F1", "EM@1", "Recall@50"),
    "text": ("BLEU-1", "BLEU-4", "ROUGE-1", "ROUGE-L", "CIDEr", "ANLS", "CodeBLEU", "WER"),
    "numbers": ("MAE", "MSE", "RMSE", "RMS", "PCC", "AUC"),
    "boxes": ("AP", "AP@10", "AP@50", "AP@75", "mAP"),
    "features": ("FID", "FVD", "FAD", "CLIP-I", "CLIP-T", "CLIP-Style", "DINO-I", "CLAP", "Style-CLAP"),
    "ratings": ("MOS", "GPT-Score", "AestheticScore", "MUSIQ"),
    "flags": ("SuccessRate",),
    "votes": ("UserPreference",),
}
METRIC_FAMILY = {name_key(m): fam for fam, metrics in _METRIC_FAMILY.items() for m in metrics}


def family_of(metric_name: str) -> Family:
    """The default-adapter family of a metric; metrics not listed (plugins') are ``generic``."""
    return FAMILIES[METRIC_FAMILY.get(name_key(metric_name), "generic")]


def family_for(task: Any) -> Family:
    """The family of a task: its metric's, except where its metric_options pick another input form
    (single-object tracking AUC reads per-frame boxes, not one number per item)."""
    if name_key(task.metric) == name_key("AUC") and getattr(task, "metric_options", {}).get("curve") == "success":
        return FAMILIES["tracks"]
    return family_of(task.metric)


def _where(record: Any) -> str:
    return f"annotation item {record.get('id')!r}" if isinstance(record, dict) else "annotation item"


def _pick(obj: dict, keys: tuple[str, ...]) -> tuple[bool, Any]:
    for k in keys:
        if k in obj:
            return True, obj[k]
    return False, None


def reference_of(record: dict, family: Family) -> Any:
    """The gold answer of one item: ``output[key]`` for the first family key, or its only value."""
    output = record.get("output")
    if not isinstance(output, dict):
        if output is None:
            raise InputError(f"{_where(record)}: no 'output'")
        return output
    found, value = _pick(output, family.keys)
    if found:
        return value
    if len(output) == 1:
        return next(iter(output.values()))
    raise InputError(f"{_where(record)}: cannot tell which 'output' field is the answer "
                     f"(found {sorted(output)}; looked for {', '.join(family.keys)}); "
                     f"give the task an adapter or use one of those keys")


def prediction_of(pred: Any, family: Family) -> Any:
    """A prediction as given, or ``pred[key]`` when it is an object holding a family key."""
    if isinstance(pred, dict):
        found, value = _pick(pred, family.keys)
        if found:
            return value
    return pred


class _Bad(Exception):
    """A value the converters refuse; the caller names the item (built only when one is refused)."""


def _label(x: Any) -> Any:
    """Labels compare as trimmed strings (so 3 and "3" agree); lists of labels stay lists."""
    if isinstance(x, (list, tuple)):
        return [_label(v) for v in x]
    if isinstance(x, (str, int, float, bool)):
        return str(x).strip()
    raise _Bad(f"expected a label (string or number) or a list of them, got {x!r}")


def _text(x: Any, multi: bool) -> Any:
    if multi and isinstance(x, (list, tuple)):
        return [_text(v, False) for v in x]
    if isinstance(x, str):
        return x
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return str(x)
    raise _Bad(f"expected text, got {x!r}")


def _number(x: Any) -> Any:
    if isinstance(x, (list, tuple)):
        try:
            return np.asarray(x, dtype=float)
        except (TypeError, ValueError):
            raise _Bad(f"expected numbers, got {x!r}") from None
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        raise _Bad(f"expected a finite number, got {x!r}")
    return float(x)


def _flag(x: Any) -> bool:
    if isinstance(x, bool) or x in (0, 1):
        return bool(x)
    raise _Bad(f"expected true/false (or 1/0), got {x!r}")


def _vote(x: Any) -> Any:
    if isinstance(x, str) and x.strip().lower() in ("win", "tie", "loss"):
        return x.strip().lower()
    if not isinstance(x, bool) and x in (0, 0.5, 1):
        return x
    raise _Bad(f"expected 'win', 'tie' or 'loss' (or 1, 0.5, 0), got {x!r}")


def _features(x: Any) -> np.ndarray:
    vec = _number(x)
    if np.ndim(vec) != 1 or len(vec) == 0:
        raise _Bad("expected a feature vector (a non-empty list of numbers)")
    return vec


def _as_is(x: Any) -> Any:
    return list(x) if isinstance(x, tuple) else x


_CONVERTERS: dict[str, Callable[[Any], Any]] = {"label": _label, "number": _number, "flag": _flag, "vote": _vote,
                                                 "features": _features}


def _converter(kind: str, reference: bool) -> Callable[[Any], Any]:
    if kind == "text":
        return _text_many if reference else _text_one
    return _CONVERTERS.get(kind, _as_is)


def _text_one(x: Any) -> Any:
    return _text(x, False)


def _text_many(x: Any) -> Any:
    return _text(x, True)


def _convert(x: Any, kind: str, where: str, reference: bool) -> Any:
    """One value converted for its family; ``where`` names it in the error."""
    try:
        return _converter(kind, reference)(x)
    except _Bad as e:
        raise InputError(f"{where}: {e}") from None


def _stack(vectors: list[np.ndarray], records: list[dict], what: str) -> np.ndarray:
    dims = {len(v) for v in vectors}
    if len(dims) > 1:
        first = len(vectors[0])
        bad = next(i for i, v in enumerate(vectors) if len(v) != first)
        raise InputError(f"{_where(records[bad])}: {what} feature vector has {len(vectors[bad])} values, "
                         f"the first item's has {first}")
    return np.stack(vectors)


def default_adapter(records: list[dict], predictions: list, task: Any, files: Any = None) -> tuple[Any, Any, dict]:
    """The adapter used when a task declares none: see the module docstring and docs/evaluate.md.

    ``files`` (a :class:`generallevel.media_adapter.FileContext`) lets predictions and references
    that name media files be decoded (:mod:`generallevel.media_adapter`); without it values are
    taken as they are.
    """
    if files is not None:
        from .media_adapter import media_adapt

        out = media_adapt(records, predictions, task, files)
        if out is not None:
            return out
    family = family_for(task)
    preds: list[Any] = []
    to_pred = _converter(family.convert, False)
    for rec, p in zip(records, predictions):
        if p is MISSING:
            if family.empty is None:
                raise InputError(f"{_where(rec)}: no prediction, and {task.metric} has no 'wrong answer' "
                                 f"value to stand in for it")
            empty = family.empty
            if family.convert == "label" and isinstance(reference_of(rec, family), list):
                empty = []  # a multi-label item: the empty label set
            preds.append(list(empty) if isinstance(empty, tuple) else empty)
            continue
        try:
            preds.append(to_pred(prediction_of(p, family)))
        except _Bad as e:  # the item is named only when one is refused (no per-item message strings)
            raise InputError(f"prediction for {_where(rec)}: {e}") from None
    refs: list[Any] | None = None
    if family.references:
        to_ref, refs = _converter(family.convert, True), []
        for r in records:
            try:
                refs.append(to_ref(reference_of(r, family)))
            except _Bad as e:
                raise InputError(f"{_where(r)}: {e}") from None
    if family.convert == "features":
        return _stack(preds, records, "predicted"), _stack(refs or [], records, "reference"), {}
    return preds, refs, {}


def load_adapter(task: Any) -> Callable[..., Any]:
    """The task's own adapter (callable or "module:attr"), else :func:`default_adapter`."""
    spec = task.adapter
    if spec is None or spec == "":
        return default_adapter
    if callable(spec):
        return spec
    mod, _, attr = str(spec).partition(":")
    try:
        obj: Any = importlib.import_module(mod)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError, ValueError) as e:
        raise InputError(f"task {task.id!r}: cannot load adapter {spec!r}: {e}") from e
    if not callable(obj):
        raise InputError(f"task {task.id!r}: adapter {spec!r} is not callable")
    return obj


def _takes_task(fn: Callable[..., Any]) -> bool:
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):
        return True
    try:
        sig.bind([], [], None)
        return True
    except TypeError:
        return False


def _takes_files(fn: Callable[..., Any]) -> bool:
    try:
        return "files" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def adapt(task: Any, records: list[dict], predictions: list, files: Any = None) -> tuple[Any, Any, dict]:
    """Run the task's adapter and check what it returned: (predictions, references, options).

    ``files``: where the task's JSON files are (a FileContext), passed to adapters that take a
    ``files`` keyword (the default adapter does) so that values naming media files can be read.
    """
    fn = load_adapter(task)
    extra = {"files": files} if files is not None and _takes_files(fn) else {}
    out = fn(records, predictions, task, **extra) if _takes_task(fn) else fn(records, predictions, **extra)
    if not isinstance(out, tuple) or len(out) not in (2, 3):
        raise InputError(f"task {task.id!r}: adapter must return (predictions, references[, options]), "
                         f"got {type(out).__name__}")
    options = out[2] if len(out) == 3 else {}
    if options is None:
        options = {}
    if not isinstance(options, dict):
        raise InputError(f"task {task.id!r}: adapter options must be a dict, got {type(options).__name__}")
    return out[0], out[1], options
