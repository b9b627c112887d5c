"""Media files through a metric's extractor or predictor: features (FID, CLIP, CLAP, ...) and scores.

The ``features``/``scores`` half of :mod:`generallevel.media_adapter`. Files are decoded to the
samples the extractor declares (its ``kind``: images, videos, mono audio at its ``sample_rate``,
points), embedded in batches of :data:`BATCH` by the built extractor (which the feature cache
wraps), and stacked into the N x D matrices (or N scores) the metric reads. A video given to an
image extractor is :data:`VIDEO_FRAMES` evenly spaced frames, its row the mean of theirs.
Precomputed features in the JSON win over files. Text references (CLIP-T, CLAP prompts) go
through the metric's reference (text) extractor.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from .errors import InputError, MissingDependencyError
from .media import DEFAULT_SAMPLE_RATE, AudioSpec, ImageSpec, PointsSpec, VideoSpec, file_kind
from .media_adapter import DROP, TEXT_KEYS, FileContext, Items, Need, bases, file_value, precomputed, text_of

BATCH = 32  # samples per extractor call
SPREAD: Callable[..., tuple[np.ndarray | None, list[str], int]] | None = None
"""Set on a Dask worker (:mod:`generallevel.cluster`): a side with many files is decoded and embedded
in batches that run as Dask tasks of their own (on GPU workers where there are some), instead of
all in the worker running the task. Called as ``SPREAD(extractor, load_options, files, base, roots,
specs, rows, ids, side)``; returns (rows or None, failures, number of Dask tasks)."""
FIRST = 5  # items quoted in an error
VIDEO_FRAMES = 8  # frames per video when an image extractor or predictor scores a video (mean over frames)


def _registry():
    from .plugins import get_registry

    return get_registry().extractors


def choose_extractor(task: Any, option: str = "extractor", output: str = "features", kind: str | None = None) -> Any:
    """The extractor a task's files go through: ``metric_options[option]``, else the metric's
    reference network for that role (:func:`generallevel.extractors.default_extractor`), else the
    first registered extractor for the metric (of ``kind`` when given; never a text one otherwise)."""
    catalog = _registry()
    name = task.metric_options.get(option)
    if isinstance(name, str):
        return catalog.get(name)
    try:
        from .extractors import default_extractor  # type: ignore[attr-defined]
    except ImportError:  # an older core without per-role defaults
        default_extractor = None
    chosen = default_extractor(task.metric, option) if default_extractor else None
    if chosen and (kind is None or catalog.get(chosen).kind == kind):
        return catalog.get(chosen)
    found = [e for e in catalog.filter(metric=task.metric, output=output)
             if (e.kind == kind if kind else e.kind != "text")]
    if not found:
        what = f"a {kind} extractor" if kind else "a predictor" if output == "scores" else "an extractor"
        raise MissingDependencyError(
            f"{task.metric}: the items name media files, but no installed plugin registers {what} for "
            f"{task.metric} (`generallevel extractors --metric {task.metric}` lists them); install one, or give "
            f"precomputed {'scores' if output == 'scores' else 'features'} in the JSON files")
    return found[0]


def _sample_spec(ext: Any, kind: str | None, media: dict) -> Any:
    """The sample form an extractor takes, for a file of ``kind``."""
    if ext.kind == "audio":
        rate = media.get("sample_rate") or getattr(ext, "sample_rate", None) or DEFAULT_SAMPLE_RATE
        return AudioSpec(int(rate))
    if ext.kind == "3d":
        return PointsSpec(media.get("mesh_points"))
    if ext.kind == "video" or kind == "video":
        frames = media.get("frames") if ext.kind == "video" else media.get("frames", VIDEO_FRAMES)
        return VideoSpec(frames)
    return ImageSpec("RGB")


def _run(fn: Callable, samples: list, ext: Any, rows: str) -> np.ndarray:
    """fn over ``samples`` in batches; a video given to an image extractor is the mean of its frames' rows."""
    if ext.kind == "image" and any(isinstance(s, np.ndarray) and s.ndim == 4 for s in samples):
        return np.stack([_batched(fn, list(np.asarray(s)), ext, rows).mean(axis=0) for s in samples])
    return _batched(fn, samples, ext, rows)


def _batched(fn: Callable, samples: list, ext: Any, rows: str) -> np.ndarray:
    return np.concatenate([_call(fn, samples[i:i + BATCH], ext, rows) for i in range(0, len(samples), BATCH)])


def _call(fn: Callable, batch: list, ext: Any, rows: str) -> np.ndarray:
    result = fn(batch)
    if hasattr(result, "detach"):
        result = result.detach().cpu().numpy()
    arr = np.asarray(result, dtype=np.float64)
    if arr.ndim != (1 if rows == "scores" else 2) or arr.shape[0] != len(batch):
        raise InputError(f"extractor {ext.name!r} returned shape {arr.shape} for {len(batch)} samples; expected "
                         f"{'N scores' if rows == 'scores' else 'an N x D array'}")
    return arr


def _load(ext: Any, ctx: FileContext) -> Callable:
    """The built extractor, with the load options given for it (built once per task)."""
    if ext.name not in ctx.loaded:
        ctx.loaded[ext.name] = ext.load(**dict(ctx.extractor_options.get(ext.name, {})))
    return ctx.loaded[ext.name]


def _side(items: Items, values: list, base: Path, records: list, side: str, ext_for: Callable,
          media: dict, ctx: FileContext, rows: str) -> tuple[np.ndarray | None, str]:
    """One side's features (or scores): precomputed vectors as they are, or files through an extractor."""
    vecs = [precomputed(v) for v in values]
    if rows == "features" and all(v is not None for v in vecs):  # precomputed features win over files
        return _stack(vecs, records, side), "precomputed"
    files = [file_value(v) for v in values]
    if all(f is None for f in files):
        return None, ""  # neither: the family conversion reads (or refuses) them
    if any(f is None for f in files):
        bad = next(r for r, f in zip(records, files) if f is None)
        raise InputError(f"{items.metric}: {side}s mix media files and other values (item {bad.get('id')!r} names no "
                         f"file); give every item a file, or every item precomputed features")
    ext = ext_for()
    specs = [_sample_spec(ext, file_kind(str(f)), media) for f in files]
    origin = f"{ext.name!r}" + (f" (plugin {ext.plugin})" if ext.plugin else "")
    spread = SPREAD(ext.name, dict(ctx.extractor_options.get(ext.name, {})), files, base, ctx.roots, specs, rows,
                    [r.get("id") for r in records], side) if SPREAD is not None else None
    if spread is not None:  # on a Dask cluster: the batches ran as Dask tasks
        result, failed, parts = spread
        items.failed += failed
        items.check(len(records))
        return result, f"{len(files)} {side} file(s) through {origin} in {parts} Dask tasks"
    samples = [items.decode(f, base, spec, r, side) for f, spec, r in zip(files, specs, records)]
    items.check(len(records))
    result = _run(_load(ext, ctx), samples, ext, rows)
    return result, f"{len(samples)} {side} file(s) through {origin}"


_BUILT: dict[tuple[str, str], Callable] = {}  # extractors built in this process for extract_files, by (name, options)


def extract_files(name: str, options: dict, files: list, base: Path, roots: Any, specs: list, rows: str,
                  ids: list, side: str) -> tuple[np.ndarray | None, list[str]]:
    """Decode and embed one run of a side's files, wherever it runs (a Dask task of its own).

    The same steps as the in-place path, in the same order: each file decoded by its spec, failures
    recorded as ``'id' (side): reason``, and, only if none failed, the samples embedded in batches of
    :data:`BATCH` from the first; callers split a side at multiples of BATCH, so every extractor call
    sees the batch it would have seen in one process and the rows are the same floats.
    """
    ctx = FileContext(roots=roots, annotation_dir=base, extractor_options={name: options})
    items = Items(ctx, "")
    samples = [items.decode(f, base, spec, {"id": i}, side) for f, spec, i in zip(files, specs, ids)]
    if items.failed:
        return None, items.failed
    ext = _registry().get(name)
    key = (name, repr(sorted(options.items())))
    if key not in _BUILT:
        _BUILT[key] = ext.load(**options)
    return _run(_BUILT[key], samples, ext, rows), []


def _stack(vecs: list, records: list, side: str) -> np.ndarray:
    dims = {len(v) for v in vecs}
    if len(dims) != 1:
        raise InputError(f"{side} feature vectors have different lengths {sorted(dims)}")
    return np.asarray(vecs, dtype=np.float64)


def features(records, predictions, task, need: Need, media: dict, ctx: FileContext):
    items = Items(ctx, task.metric)
    pbase, rbase = bases(ctx)
    missing = [r for r, p in zip(records, predictions) if p is None]
    if missing:
        raise InputError(f"{task.metric}: {len(missing)} item(s) without a prediction (first {missing[0].get('id')!r}); "
                         "a distribution or alignment score cannot stand in a wrong answer for them")
    rows = "scores" if need.via == "scores" else "features"
    option = "predictor" if rows == "scores" else "extractor"
    pred, how = _side(items, predictions, pbase, records, "prediction",
                      lambda: choose_extractor(task, option, rows), media, ctx, rows)
    if pred is None:
        return None
    notes = [how] if how != "precomputed" else []
    options: dict[str, Any] = {option: DROP}
    ref = None
    if need.references:
        outs = [r.get("output") for r in records]
        if need.text_refs and not all(precomputed(o) is not None for o in outs):  # the prompts
            ref, how = _texts(texts_of(records, task), task, ctx)
        else:  # the same extractor as the predictions, unless a reference_extractor is named
            named = isinstance(task.metric_options.get("reference_extractor"), str)
            ref, how = _side(items, outs, rbase, records, "reference",
                             lambda: choose_extractor(task, "reference_extractor" if named else option, rows),
                             media, ctx, rows)
            if ref is None:
                raise InputError(f"{task.metric}: references must be media files or precomputed features")
        options["reference_extractor"] = DROP
        if how != "precomputed":
            notes.append(how)
    if notes:
        ctx.notes.append(f"{task.metric} computed from " + " and ".join(notes))
    return pred, ref, options


def texts_of(records: list, task: Any) -> list[str]:
    texts = [text_of(r) for r in records]
    absent = [r.get("id") for r, t in zip(records, texts) if t is None]
    if absent:
        raise InputError(f"{task.metric}: item(s) {absent[:FIRST]} have no reference text (looked for "
                         f"{', '.join(TEXT_KEYS)} in output, then input)")
    return texts


def _texts(texts: list[str], task: Any, ctx: FileContext):
    ext = choose_extractor(task, "reference_extractor", "features", kind="text")
    return _run(_load(ext, ctx), texts, ext, "features"), f"{len(texts)} reference text(s) through {ext.name!r}"
