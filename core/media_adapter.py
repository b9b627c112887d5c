"""Items whose prediction or reference names a media file: decode, then arrays, features or scores.

General-Bench generation tasks answer with a file path ("outputs/0001.png"), and dense tasks with
masks, depth maps or flow fields saved as files; references name files the same way
(``{"image": "images/gt_0001.png"}``). For a metric listed in :data:`NEEDS`, the default adapter
hands such items here:

* ``arrays``: each file is decoded to the array the metric reads (RGB images for PSNR, label maps
  for mIoU, points for CD, ...), pairs checked for equal size, and passed to the metric;
* ``features``: files are decoded to the samples of the metric's extractor (images, videos, mono
  audio at the extractor's rate, points) and embedded by it, in batches; text references (the
  prompt, for CLIP-T/CLAP) go through a text extractor; the metric receives feature matrices;
* ``scores``: files are decoded and scored by the metric's predictor (MUSIQ, aesthetic; DynamicDegree's
  ``raft-large`` gives each video 1 or 0 by VBench's rule).

Paths are relative to the JSON file that names them and must stay inside the dataset or
predictions tree (:class:`generallevel.media.MediaRoots`). Every item is decoded on its own; the
task fails if any item fails, listing each failed item with its file and reason (dropping an item
would flatter the model, as for a missing prediction). Per-task media options live in
``metric_options["media"]`` (``frames``, ``depth_scale``, ``mesh_points``, ``sample_rate``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np

from .errors import InputError
from .media import (
    FlowSpec, ImageSpec, LabelSpec, MapSpec, MediaError, MediaRoots, PointsSpec, VideoSpec, decode,
    looks_like_media_path,
)
from .media.paths import folder_files
from .media.video import VideoArray
from .metrics import name_key

MEDIA_KEYS = ("image", "images", "video", "frames", "audio", "pointcloud", "point_cloud", "mesh", "mask", "depth",
              "flow", "matte", "map", "file", "path")
TEXT_KEYS = ("text", "caption", "prompt", "description", "style")
FIRST = 5  # failed items quoted in a task's error


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


DROP = _Drop()
"""An adapter option with this value removes the task's metric option of that name (e.g. the
``extractor`` whose features the adapter already computed)."""


@dataclass
class FileContext:
    """Where one task's JSON files are, so that values naming files can be read."""

    roots: MediaRoots
    annotation_dir: Path
    prediction_dir: Path | None = None
    extractor_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    loaded: dict[str, Callable] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Need:
    """What a metric reads from files: ``via`` arrays/features/scores; ``pred``/``ref`` build the
    spec of each side from the task and its media options (arrays only); ``text_refs``: references
    may be texts (prompts) embedded by a text extractor."""

    via: str
    pred: Callable[[Any, dict], Any] | None = None
    ref: Callable[[Any, dict], Any] | None = None
    text_refs: bool = False
    references: bool = True
    per_image: bool = False  # a video (or a folder of frames) counts as its frames, each an image pair


def _visual(task: Any, media: dict) -> Any:
    return VideoSpec(media.get("frames")) if task.modality == "Video" else ImageSpec("RGB")


def _depth(task: Any, media: dict) -> MapSpec:
    return MapSpec(float(media.get("depth_scale", 256.0)))


_unit = lambda task, media: MapSpec()  # noqa: E731
_labels = lambda task, media: LabelSpec()  # noqa: E731
_binary = lambda task, media: LabelSpec(binary=True)  # noqa: E731
_flow = lambda task, media: FlowSpec()  # noqa: E731
_sparse_flow = lambda task, media: FlowSpec(invalid="nan")  # noqa: E731 - KITTI references: NaN = invalid, EPE skips
_points = lambda task, media: PointsSpec(media.get("mesh_points"))  # noqa: E731
_video = lambda task, media: VideoSpec(media.get("frames"))  # noqa: E731

NEEDS: dict[str, Need] = {name_key(k): v for k, v in {
    "PSNR": Need("arrays", _visual, _visual, per_image=True), "MS-SSIM": Need("arrays", _visual, _visual, per_image=True),
    "mIoU": Need("arrays", _labels, _labels), "Dice": Need("arrays", _binary, _binary, per_image=True),
    "S-measure": Need("arrays", _unit, _binary, per_image=True), "SAD": Need("arrays", _unit, _unit, per_image=True),
    "MSE": Need("arrays", _unit, _unit), "MAE": Need("arrays", _unit, _unit), "RMSE": Need("arrays", _unit, _unit),
    "RMS": Need("arrays", _depth, _depth), "AbsRel": Need("arrays", _depth, _depth),
    "EPE": Need("arrays", _flow, _sparse_flow), "CD": Need("arrays", _points, _points),
    "TemporalFlickering": Need("arrays", _video, None, references=False),
    "FID": Need("features"), "FVD": Need("features"), "FAD": Need("features"), "CLIP-I": Need("features"),
    "DINO-I": Need("features"), "CLIP-Style": Need("features"), "Style-CLAP": Need("features"),
    "CLIP-T": Need("features", text_refs=True), "CLAP": Need("features", text_refs=True),
    "MUSIQ": Need("scores", references=False), "AestheticScore": Need("scores", references=False),
    "DynamicDegree": Need("scores", references=False),  # raft-large: per video 1/0 (VBench's rule)
}.items()}


def need_of(metric: str) -> Need | None:
    return NEEDS.get(name_key(metric))


# -- which values name files -------------------------------------------------------------------
def _is_ref(value: Any, keyed: bool = False) -> bool:
    if isinstance(value, str):
        return looks_like_media_path(value) or value.endswith(("/", "\\")) or (keyed and bool(value.strip()))
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) and looks_like_media_path(v) for v in value)


def file_value(value: Any) -> Any:
    """The file reference in a prediction or ``output`` value (a path, a list of paths, or the
    value under a media key of an object), or None when it names no file."""
    if isinstance(value, dict):
        for key in MEDIA_KEYS:
            if key in value and _is_ref(value[key], keyed=True):
                return value[key]
        return None
    return value if _is_ref(value) else None


def precomputed(value: Any) -> Any:
    if isinstance(value, dict):
        for key in ("features", "embedding"):
            if key in value:
                return value[key]
        return None
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                          for v in value):
        return value
    return None


def text_of(record: dict) -> str | None:
    for part in (record.get("output"), record.get("input")):
        if isinstance(part, str) and not looks_like_media_path(part):
            return part
        if isinstance(part, dict):
            for key in TEXT_KEYS:
                if isinstance(part.get(key), str) and part[key].strip():
                    return part[key]
    return None


def uses_files(records: list[dict], predictions: list) -> bool:
    """True when some prediction or reference (``output``) of the task names a media file."""
    return any(file_value(p) is not None for p in predictions) or \
        any(file_value(r.get("output")) is not None for r in records)


# -- decoding with per-item failures ---------------------------------------------------------------
class Items:
    """Decode items one by one, remembering every failure (item id: file: reason)."""

    def __init__(self, ctx: FileContext, metric: str):
        self.ctx, self.metric, self.failed = ctx, metric, []

    def fail(self, record: dict, side: str, message: str) -> None:
        self.failed.append(f"{record.get('id')!r} ({side}): {message}")

    def decode(self, value: Any, base: Path, spec: Any, record: dict, side: str) -> Any:
        """The array(s) a file reference names; None (and a recorded failure) when one cannot be read.

        A list of paths, or a folder (for frame-like specs), is a clip: its frames stacked
        (T x H x W for maps, a VideoArray for videos); point clouds stay a list.
        """
        try:
            if isinstance(value, list):
                frame = ImageSpec("RGB") if isinstance(spec, VideoSpec) else spec
                return _clip(value[0], spec, [self._one(v, base, frame) for v in value])
            return self._one(value, base, spec)
        except MediaError as e:
            self.fail(record, side, str(e))
            return None

    def _one(self, value: str, base: Path, spec: Any) -> Any:
        framed = isinstance(spec, (VideoSpec, LabelSpec, MapSpec, FlowSpec))
        real, folder = self.ctx.roots.locate(value, base, folder_ok=framed)
        path = Path(real)
        if folder and not isinstance(spec, VideoSpec):  # VideoSpec reads frame folders itself
            files = folder_files(path, ("image", "array", "flow"))
            if not files:
                raise MediaError(path, "is a folder without image, .npy or .flo frames")
            return _clip(path, spec, [decode(p, spec) for p in files])
        return decode(path, spec)

    def check(self, total: int) -> None:
        if self.failed:
            items = len({line.partition(" (")[0] for line in self.failed})
            shown = "; ".join(self.failed[:FIRST]) + (" ..." if len(self.failed) > FIRST else "")
            raise InputError(f"{self.metric}: {items} of {total} item(s) could not be read from their "
                             f"files, so the task is not scored: {shown}")


def _clip(where: Any, spec: Any, frames: list) -> Any:
    if isinstance(spec, PointsSpec):
        return frames
    if len({f.shape for f in frames}) > 1:
        raise MediaError(where, "names frames of different sizes")
    return VideoArray(np.stack(frames), None) if isinstance(spec, VideoSpec) else np.stack(frames)


def bases(ctx: FileContext) -> tuple[Path, Path]:
    return ctx.prediction_dir or ctx.annotation_dir, ctx.annotation_dir


# -- arrays ----------------------------------------------------------------------------------------
def _arrays(records, predictions, task, need: Need, media: dict, ctx: FileContext):
    items = Items(ctx, task.metric)
    pbase, rbase = bases(ctx)
    pspec = need.pred(task, media)
    rspec = need.ref(task, media) if need.ref else None
    from .adapters import family_for, prediction_of, reference_of  # values that name no file: as the family reads them

    family = family_for(task)
    preds, refs = [], []
    for rec, p in zip(records, predictions):
        if p is None:
            items.fail(rec, "prediction", "no prediction")
            continue
        f = file_value(p)
        preds.append(prediction_of(p, family) if f is None else items.decode(f, pbase, pspec, rec, "prediction"))
        if need.references:
            f = file_value(rec.get("output"))
            refs.append(reference_of(rec, family) if f is None else items.decode(f, rbase, rspec, rec, "reference"))
            if not isinstance(pspec, PointsSpec):
                _check_pair(items, rec, preds[-1], refs[-1])
    items.check(len(records))
    if need.per_image and need.references:
        preds, refs = _frames(preds, refs, 4 if isinstance(pspec, (VideoSpec, ImageSpec)) else 3)
    return preds, (refs if need.references else None), {}


def _check_pair(items: Items, rec: dict, p: Any, r: Any) -> None:
    """A decoded prediction must have its reference's shape (size, frame count): pixels are compared."""
    if not (isinstance(p, np.ndarray) and isinstance(r, np.ndarray)) or p.shape == r.shape:
        return
    if p.ndim == r.ndim == 2 or (p.ndim == r.ndim == 3 and p.shape[2] == r.shape[2] == 3):
        what = f"size {p.shape[1]}x{p.shape[0]} (W x H) differs from the reference's {r.shape[1]}x{r.shape[0]}"
    else:
        what = f"shape {p.shape} differs from the reference's {r.shape} (frames first)"
    items.fail(rec, "prediction", what + "; the prediction must match its reference pixel for pixel")


def _frames(preds: list, refs: list, ndim: int) -> tuple[list, list]:
    """Items that are clips (``ndim``-D: videos T x H x W x 3, frame stacks T x H x W) as their frames."""
    fp, fr = [], []
    for p, r in zip(preds, refs):
        clip = isinstance(p, np.ndarray) and isinstance(r, np.ndarray) and p.ndim == r.ndim == ndim
        fp.extend(np.asarray(p) if clip else [p])
        fr.extend(np.asarray(r) if clip else [r])
    return fp, fr


def media_adapt(records: list[dict], predictions: list, task: Any, ctx: FileContext | None):
    """(predictions, references, options) for a task whose items name media files, or None when the
    task's metric reads no files or none of its values names one (the family conversion applies)."""
    need = need_of(task.metric)
    if ctx is None or need is None or not uses_files(records, predictions):
        return None
    media = task.metric_options.get("media") or {}
    if not isinstance(media, dict):
        raise InputError(f"task {task.id!r}: metric_options.media must be a table of media options, got {media!r}")
    if need.via == "arrays":
        preds, refs, options = _arrays(records, predictions, task, need, media, ctx)
    else:
        from .media_features import features

        out = features(records, predictions, task, need, media, ctx)
        if out is None:
            return None
        preds, refs, options = out
    options.setdefault("media", DROP)
    return preds, refs, options


# -- where a task's files are ------------------------------------------------------------------
def file_context(folder: Any, prediction: Path | None,
                 extractor_options: Mapping[str, Mapping[str, Any]] | None = None) -> FileContext:
    """The FileContext of one task folder of ``evaluate``: paths in annotation.json are relative to
    the task folder, paths in the prediction file to its folder; both trees' roots are allowed."""
    depth = len(Path(folder.rel).parts)
    roots = [folder.path.parents[depth - 1]]
    pred_dir = None
    if prediction is not None:
        pred_dir = Path(prediction).parent
        roots.append(pred_dir.parents[depth - 1])
    return FileContext(MediaRoots(roots), folder.path, pred_dir, extractor_options or {})


def read_extractor_options(path: str | Path) -> dict[str, dict[str, Any]]:
    """Load options per extractor from a JSON file ``{"name": {"option": value}}``; string values
    starting with ``./`` or ``../`` are paths relative to the file's folder (made absolute)."""
    import json

    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise InputError(f"{path}: cannot read extractor options ({e})") from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise InputError(f"{path}: expected {{\"extractor name\": {{\"option\": value, ...}}, ...}}")
    base = path.resolve().parent

    def value(v: Any) -> Any:
        return str((base / v).resolve()) if isinstance(v, str) and v.startswith(("./", "../")) else v

    return {name: {k: value(v) for k, v in opts.items()} for name, opts in data.items()}
