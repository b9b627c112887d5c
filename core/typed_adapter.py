"""Metric inputs from an annotation whose ``type`` is declared (see :mod:`generallevel.annotation_types`).

Two modes, chosen by ``official``:

* generallevel's General-Bench convention (default): every annotated item counts (an unanswered
  item is a wrong answer), an item without a reference is an error naming it, labels are trimmed
  and case-folded on both sides and an empty answer is no label, numeric answers compare as
  numbers; metric options from the type's ``options``.
* ``official=True`` (``--compat official``): what path2generalist/General-Level's NLP processor
  computes, errors included: unanswered items and items without a reference are skipped, only the
  reference is lower-cased for labels and an empty string is a label, a numeric answer fails the
  task, metric options from the type's ``official``. See docs/official-differences.md.

Where the type's metric is not the registry task's (e.g. "Time Series" is scored with MAE while its
SoTA is an RMSE), the default mode computes the registry's metric (the SoTA is in it) with the
convention of that metric where a type of the modality declares one, and says so; the official
pipeline writes no value then (its workbook row wants the other metric), so ``official=True``
raises :class:`NotWritten`.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from .annotation_types import AnnotationType, TypeCatalog, read_reference, where_read
from .errors import InputError

MISSING = None


class NotWritten(InputError):
    """The official pipeline computes a metric the workbook row does not take: it writes nothing."""


@dataclass
class TypedInputs:
    predictions: list[Any]
    references: list[Any]
    options: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    skipped: int = 0


def _item(record: dict) -> str:
    return f"annotation item {record.get('id')!r}"


def _same_metric(t: AnnotationType, task: Any, metrics: Any) -> bool:
    return t.metric in metrics and metrics.get(t.metric).name == task.metric


def _donor(t: AnnotationType, task: Any, metrics: Any, types: TypeCatalog) -> AnnotationType | None:
    """The plainest type of ``t``'s modality that scores the task's metric (its convention)."""
    donors = [o for o in types if o.modality == t.modality and _same_metric(o, task, metrics)]
    return min(donors, key=lambda o: (o.fallback, o.stringify), default=None)


def type_for(task: Any, declared: Any, metrics: Any, types: TypeCatalog) -> AnnotationType | None:
    """The type that reads this task's annotation (``declared`` is its ``type``), or None for the
    task's own adapter or its metric family's default one.

    A task with an adapter of its own keeps it. A declared type always reads; the fallback for
    unlisted types only where General-Bench has a convention for the task's metric (a plugin's NLP
    task with a metric of its own keeps its metric family's default adapter).
    """
    if task.adapter not in (None, ""):
        return None
    t = types.find(task.modality, declared)
    if t is None or not t.fallback or _same_metric(t, task, metrics) or _donor(t, task, metrics, types):
        return t
    return None


def resolve(t: AnnotationType, task: Any, metrics: Any, types: TypeCatalog,
            official: bool) -> tuple[AnnotationType, dict[str, Any], list[str]]:
    """The type to read with, the options of the registry task's metric, and notes.

    Where the type's metric is not the task's, the reference is still read where ``t`` keeps it,
    but as the task's metric reads answers: like the first type of the modality that declares
    that metric (its ``answer`` kind and options), else as ``t`` reads them with the task's options.
    """
    if _same_metric(t, task, metrics):
        return t, {**task.metric_options, **(t.official_options if official else t.options)}, []
    if official:
        raise NotWritten(f"annotation type {t.name!r} is scored with {t.metric} by the official code, but the "
                         f"sheet row of {task.name!r} takes {task.metric}: the official pipeline writes no score")
    donor = _donor(t, task, metrics, types)
    if donor is None:
        how, effective, chosen = "with its registry options", t, {}
    else:
        how = f"in General-Bench's {task.metric} convention (as type {donor.name!r})"
        effective = replace(t, answer=donor.answer, stringify=donor.stringify, metric=donor.metric,
                            label_separator=donor.label_separator,
                            prediction_separator=donor.prediction_separator)
        chosen = dict(donor.options)
    note = (f"annotation type {t.name!r} is scored with {t.metric} by General-Bench, but the SoTA of "
            f"{task.name!r} is in {task.metric}: {task.metric} is computed {how}")
    return effective, {**task.metric_options, **chosen}, [note]


def _scalar_text(x: Any, where: str) -> str:
    if isinstance(x, str):
        return x
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return str(x)
    raise InputError(f"{where}: expected text, got {x!r:.80}")


def _text_ref(x: Any, where: str) -> Any:
    if isinstance(x, list):
        if not x:
            raise InputError(f"{where}: an empty list of references")
        return [_scalar_text(v, where) for v in x]
    return _scalar_text(x, where)


def _answers_ref(x: Any, t: AnnotationType, where: str, official: bool) -> Any:
    if t.stringify:
        return str(x)
    values = x if isinstance(x, list) else [x]
    for v in values:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            if official:
                raise NotWritten(f"{where}: the answer {v!r} is a number; the official code fails the whole task "
                                 f"on it (it iterates over the answer) and writes no score (--compat official)")
        elif not isinstance(v, str):
            raise InputError(f"{where}: expected an answer (string or number) or a list of them, got {v!r:.80}")
    return x


def _number(x: Any, where: str) -> float:
    try:
        if isinstance(x, bool):
            raise ValueError
        value = float(x.strip()) if isinstance(x, str) else float(x)
    except (TypeError, ValueError):
        raise InputError(f"{where}: expected a number, got {x!r:.80}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InputError(f"{where}: expected a finite number, got {x!r:.80}")
    return value


def _labels(x: Any, sep: str | None) -> list[str]:
    """Trimmed, case-folded, non-empty labels; a string lists them separated by ``sep``."""
    if isinstance(x, list):
        items = [str(v) for v in x]
    else:
        text = str(x)
        items = text.split(sep) if sep else [text]
    return [v.strip().casefold() for v in items if v.strip()]


def _official_labels_ref(output: Any, multi: bool, sep: str, where: str) -> list[str]:
    """The official reference label set: the first value, lower-cased (only), split as it does."""
    value = next(iter(output.values())) if isinstance(output, dict) and output else ""
    if multi:
        text = "<p>".join(value.lower().split(sep)) if isinstance(value, str) else ""
    elif isinstance(value, str):
        text = value.lower()
    else:
        raise NotWritten(f"{where}: the label {value!r:.60} is not a string; the official code fails the task "
                         f"and writes no score (--compat official)")
    return sorted(set(text.strip().split("<p>")))


def _convert_reference(t: AnnotationType, ref: Any, where: str, official: bool) -> Any:
    if t.answer == "text":
        return _text_ref(ref, where)
    if t.answer == "answers":
        return _answers_ref(ref, t, where, official)
    if t.answer == "number":
        return _number(ref, where)
    return _labels(ref, t.label_separator if t.answer == "labels" else None)


def reference_of(t: AnnotationType, record: dict) -> Any:
    """One item's reference as the metric will receive it (``validate`` checks annotations with it)."""
    where = _item(record)
    ref = read_reference(t, record.get("output"))
    if ref is None:
        raise InputError(f"{where}: no reference at {where_read(t)} (annotation type {t.name!r})")
    return _convert_reference(t, ref, where, False)


def read_inputs(t: AnnotationType, records: list[dict], predictions: list[Any], official: bool) -> TypedInputs:
    """(predictions, references) for the metric, one entry per scored item, as ``t`` declares."""
    preds: list[Any] = []
    refs: list[Any] = []
    skipped_pred = skipped_ref = 0
    for rec, pred in zip(records, predictions):
        where = _item(rec)
        output = rec.get("output")
        if official and t.answer in ("label", "labels"):
            if pred is MISSING:
                skipped_pred += 1
                continue
            refs.append(_official_labels_ref(output, t.answer == "labels", t.label_separator, where))
            preds.append(sorted(set(str(pred).strip().split(t.prediction_separator))))
            continue
        ref = read_reference(t, output)
        if ref is None:
            if official:
                skipped_ref += 1
                continue
            raise InputError(f"{where}: no reference at {where_read(t)} (annotation type {t.name!r})")
        if pred is MISSING:
            if official:
                skipped_pred += 1
                continue
            if t.answer == "number":
                raise InputError(f"{where}: no prediction, and {t.metric} has no 'wrong answer' to stand in for it")
            pred = [] if t.answer in ("label", "labels") else ""
        refs.append(_convert_reference(t, ref, where, official))
        if t.answer == "text":
            preds.append(str(pred) if official else _scalar_text(pred, f"prediction for {where}"))
        elif t.answer == "answers":
            preds.append(pred if isinstance(pred, (str, int, float)) and not isinstance(pred, bool) else str(pred))
        elif t.answer == "number":
            preds.append(_number(pred, f"prediction for {where}"))
        else:
            preds.append(_labels(pred, t.prediction_separator))
    out = TypedInputs(preds, refs, {})
    if skipped_pred:
        out.notes.append(f"{skipped_pred} unanswered item(s) left out of the score, as the official code does "
                         f"(--compat official)")
    if skipped_ref:
        out.notes.append(f"{skipped_ref} item(s) without a reference at {where_read(t)} left out, as the "
                         f"official code does (--compat official)")
    out.skipped = skipped_pred + skipped_ref
    if not preds:
        if official:
            raise NotWritten("no answered item with a reference: the official code skips the task")
        raise InputError("no item left to score")
    return out


def typed_adapt(t: AnnotationType, task: Any, metrics: Any, types: TypeCatalog, records: list[dict],
                predictions: list[Any], official: bool) -> TypedInputs:
    """Everything the metric needs for a typed annotation: inputs, options and notes."""
    t, options, notes = resolve(t, task, metrics, types, official)
    out = read_inputs(t, records, predictions, official)
    out.options = options
    out.notes = notes + out.notes
    return out
