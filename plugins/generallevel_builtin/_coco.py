"""Inputs of the AP family: per-image boxes/masks -> validated arrays -> COCOeval's precision table.

The evaluation itself is ``_coco_match`` (COCOeval's matching and accumulation, vectorised and
bit-identical to pycocotools); here the per-image annotations are read into flat arrays in COCO's
order, with every error naming the image and annotation. Only the 'all' area range and one
max-detections value are evaluated (the numbers AP/AP50/AP75 report).

Accepted input, per image (a sequence aligned by index, or a mapping image id -> value):

* a list of dicts ``{"bbox": [x, y, w, h], "score": s, "category_id": c}`` (references: no score,
  optional ``"iscrowd"``; ``category_id`` defaults to 1, i.e. class-agnostic), or
* a torchmetrics-style dict of arrays ``{"boxes": (n, 4), "scores": (n,), "labels": (n,)}``
  (references: optional ``"iscrowd"`` (n,), as torchmetrics' ``MeanAveragePrecision`` takes it).

For ``iou_type="segm"`` each annotation carries ``"segmentation"`` (a binary H x W mask, a COCO RLE
dict, or polygons with ``image_sizes``) instead of, or as well as, ``"bbox"``; mask IoU, areas and
boxes come from ``pycocotools.mask``. Box IoU needs no library.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from generallevel import InputError

from ._coco_match import Objects, precision_table

COCO_IOUS = tuple(np.linspace(0.5, 0.95, 10))  # exactly COCOeval's default iouThrs


def _images(predictions: Any, references: Any) -> list[tuple[Any, Any]]:
    """(prediction, reference) per image, aligned by index or by mapping key."""
    if isinstance(references, Mapping):
        if not isinstance(predictions, Mapping):
            raise InputError("references is a mapping image id -> annotations, so predictions must be one too")
        extra = [k for k in predictions if k not in references]
        if extra:
            raise InputError(f"predictions for images not in references: {extra[:5]}")
        pairs = [(predictions.get(k, []), references[k]) for k in references]
    else:
        if isinstance(references, (str, bytes)) or references is None or isinstance(predictions, Mapping):
            raise InputError("predictions and references must be sequences (one entry per image) or mappings")
        try:
            preds, refs = list(predictions), list(references)
        except TypeError:
            raise InputError("predictions and references must be sequences (one entry per image)") from None
        if len(preds) != len(refs):
            raise InputError(f"length mismatch: {len(preds)} images of predictions but {len(refs)} of references")
        pairs = list(zip(preds, refs))
    if not pairs:
        raise InputError("no images: predictions and references are empty")
    return pairs


class _Side:
    """One side's annotations as flat lists, image by image (COCO's annotation order).

    Each image's list is read field by field with list comprehensions (no per-annotation statements):
    reading is most of the AP family's time.
    """

    def __init__(self, name: str, scored: bool, default_score: float | None, seg: bool) -> None:
        self.name, self.scored, self.default_score, self.seg = name, scored, default_score, seg
        self.counts: list[int] = []  # annotations per image
        self.cat: list[Any] = []
        self.crowd: list[bool] = []
        self.box: list[Any] = []  # xywh/xyxy as given (None: from the mask)
        self.score: list[Any] = []
        self.segm: list[Any] = []

    def add(self, i: int, value: Any) -> None:
        where = f"{self.name}[image {i}]"
        if isinstance(value, Mapping) and "boxes" in value:
            self._add_arrays(value, where)
            return
        if isinstance(value, (str, bytes, Mapping)) or value is None:
            raise InputError(f"{where} must be a list of annotation dicts or a dict with 'boxes', got {value!r:.60}")
        anns = value if type(value) is list else list(value)
        try:
            self.cat.extend([a["category_id"] if "category_id" in a else a.get("label", 1) for a in anns])
            self.crowd.extend([a.get("iscrowd", 0) for a in anns])
            self.box.extend([a["bbox"] if "bbox" in a else a.get("box") for a in anns])
            if self.seg:
                self.segm.extend([a.get("segmentation", _MISSING) for a in anns])
            if self.scored:
                self.score.extend([a.get("score", self.default_score) for a in anns])
        except (TypeError, AttributeError):
            for j, ann in enumerate(anns):
                if not isinstance(ann, Mapping):
                    raise InputError(f"{where}[{j}] must be a dict with 'bbox', got {ann!r:.60}") from None
            raise
        self.counts.append(len(anns))

    def check(self) -> None:
        """Missing fields, found once over the whole side (the first one in COCO order is named)."""
        if self.seg and any(x is _MISSING for x in self.segm):
            k = next(k for k, x in enumerate(self.segm) if x is _MISSING)
            raise InputError(f"{self.where(k)} has no 'segmentation' (iou_type='segm')")
        if not self.seg and any(b is None for b in self.box):
            raise InputError(f"{self.where(next(k for k, b in enumerate(self.box) if b is None))} has no 'bbox'")
        if self.scored and any(x is None for x in self.score):
            k = next(k for k, x in enumerate(self.score) if x is None)
            raise InputError(f"{self.where(k)} has no 'score' (pass default_score=1.0 for unscored boxes)")
        for c in dict.fromkeys(self.cat):  # distinct values only
            if c is None or (isinstance(c, float) and math.isnan(c)):
                raise InputError("a category_id is missing (None/NaN)")

    def _add_arrays(self, value: Mapping, where: str) -> None:
        try:
            boxes = np.asarray(value["boxes"], dtype=float).reshape(-1, 4)
        except (TypeError, ValueError):
            raise InputError(f"{where}: 'boxes' must be an (n, 4) array of numbers") from None
        n = len(boxes)
        scores = value.get("scores")
        labels = value.get("labels", [1] * n)
        crowd = value.get("iscrowd")
        if self.scored and scores is None and self.default_score is None:
            raise InputError(f"{where}: no 'scores' (pass default_score=1.0 for unscored boxes)")
        scores = [self.default_score] * n if scores is None else list(np.asarray(scores, dtype=float).ravel())
        crowd = [False] * n if crowd is None else np.asarray(crowd).ravel().astype(bool).tolist()
        if len(scores) != n or len(labels) != n or len(crowd) != n:
            raise InputError(f"{where}: {n} boxes but {len(scores)} scores, {len(labels)} labels"
                             + (f" and {len(crowd)} iscrowd flags" if "iscrowd" in value else ""))
        self.cat.extend(np.asarray(labels).tolist())
        self.crowd.extend(crowd)
        self.segm.extend([_MISSING] * n)
        self.box.extend(boxes.tolist())
        if self.scored:
            self.score.extend(scores)
        self.counts.append(n)

    def images(self) -> np.ndarray:
        return np.repeat(np.arange(len(self.counts)), self.counts)

    def where(self, k: int) -> str:
        ends = np.cumsum(self.counts)
        i = int(np.searchsorted(ends, k, side="right"))
        return f"{self.name}[image {i}][{k - (int(ends[i - 1]) if i else 0)}]"


_MISSING = object()


def _boxes(side: _Side, box_format: str) -> np.ndarray:
    """Validated boxes as an (n, 4) float array in COCO xywh (one numpy pass)."""
    def bad(k: int, why: str) -> InputError:
        return InputError(f"{side.where(k)}: bbox {side.box[k]!r:.60} {why}")

    n = len(side.box)
    try:
        b = np.asarray(side.box, dtype=float).reshape(n, 4)
    except (TypeError, ValueError):
        for k, box in enumerate(side.box):
            try:
                if np.asarray(box, dtype=float).shape != (4,):
                    raise ValueError
            except (TypeError, ValueError):
                raise bad(k, "must be 4 numbers") from None
        raise InputError(f"{side.name}: every bbox must be 4 numbers") from None
    finite = np.isfinite(b).all(axis=1)
    if not finite.all():
        raise bad(int(np.argmin(finite)), "contains NaN or inf")
    if box_format == "xyxy":
        b[:, 2:] -= b[:, :2]
    elif box_format != "xywh":
        raise InputError(f"unknown box_format {box_format!r}; use 'xywh' (COCO) or 'xyxy'")
    ok = (b[:, 2:] >= 0).all(axis=1)
    if not ok.all():
        raise bad(int(np.argmin(ok)), f"has negative width/height (box_format={box_format!r})")
    return b


def _rle(segm: Any, size: tuple[int, int] | None, where: str) -> dict:
    from pycocotools import mask as mask_utils

    if isinstance(segm, np.ndarray):
        if segm.ndim != 2:
            raise InputError(f"{where}: a mask must be a 2-D array, got shape {segm.shape}")
        return mask_utils.encode(np.asfortranarray(segm.astype(np.uint8)))
    if isinstance(segm, Mapping) and "counts" in segm and "size" in segm:
        if isinstance(segm["counts"], list):
            h, w = segm["size"]
            return mask_utils.frPyObjects(dict(segm), h, w)
        return dict(segm)
    if isinstance(segm, list):
        if size is None:
            raise InputError(f"{where}: polygon segmentation needs image_sizes=[(height, width), ...]")
        return mask_utils.merge(mask_utils.frPyObjects(segm, *size))
    raise InputError(f"{where}: segmentation must be a binary mask, a COCO RLE dict or polygons")


def _masks(refs: _Side, preds: _Side, image_sizes: Sequence | None, n_images: int) -> list[list[dict]]:
    """COCO RLEs of both sides; an image's size comes from image_sizes, else from its first RLE/mask."""
    sizes: list[Any] = [None] * n_images if image_sizes is None else \
        [tuple(int(v) for v in s) for s in image_sizes]
    out: list[list[dict]] = [[], []]
    order = sorted([(i, 0, k) for k, i in enumerate(refs.images().tolist())]
                   + [(i, 1, k) for k, i in enumerate(preds.images().tolist())])  # an image's references first
    rles: dict[tuple[int, int], dict] = {}
    for i, s, k in order:
        side = (refs, preds)[s]
        rle = _rle(side.segm[k], sizes[i], side.where(k))
        sizes[i] = sizes[i] or tuple(int(v) for v in rle["size"])
        rles[s, k] = rle
    out[0] = [rles[0, k] for k in range(len(refs.segm))]
    out[1] = [rles[1, k] for k in range(len(preds.segm))]
    return out


def _objects(side: _Side, cats: dict, box_format: str, rles: list | None) -> Objects:
    try:
        for c in dict.fromkeys(side.cat):
            cats.setdefault(c, len(cats))
    except TypeError:
        raise InputError(f"{side.name}: a category_id must be a number or a string") from None
    cat = list(map(cats.__getitem__, side.cat))
    if rles is not None:
        from pycocotools import mask as mask_utils

        area = mask_utils.area(rles).astype(float) if rles else np.zeros(0)
        box = mask_utils.toBbox(rles).reshape(-1, 4).astype(float) if rles else np.zeros((0, 4))
    else:
        box = _boxes(side, box_format)
        area = box[:, 2] * box[:, 3]
    obj = Objects(side.images(), np.asarray(cat, dtype=np.intp), box, area,
                  crowd=np.fromiter(map(bool, side.crowd), dtype=bool, count=len(side.crowd)), rle=rles)
    if side.scored:
        try:
            scores = np.asarray(side.score, dtype=float)
            if scores.shape != (len(side.score),):
                raise ValueError
        except (TypeError, ValueError):
            raise InputError("predictions: every score must be a number") from None
        finite = np.isfinite(scores)
        if not finite.all():
            k = int(np.argmin(finite))
            raise InputError(f"{side.where(k)}: score {side.score[k]!r} is not finite")
        obj.score = scores
    return obj


def _sort_categories(cats: dict, gt: Objects, dt: Objects) -> None:
    """Number categories in sorted order, as COCOeval sorts ``catIds`` (the order of the precision
    table's last axis, and so of the terms of the AP mean); kept in order of appearance if unsortable."""
    try:
        ranked = sorted(cats, key=lambda c: (isinstance(c, str), c))
    except TypeError:
        return
    new_index = np.empty(len(cats), dtype=np.intp)
    new_index[[cats[c] for c in ranked]] = np.arange(len(cats))
    gt.cat, dt.cat = new_index[gt.cat], new_index[dt.cat]


def coco_precision(predictions: Any, references: Any, *, iou_thrs: Sequence[float], **options: Any) -> np.ndarray:
    """COCOeval's interpolated precision table [T, R, K] for area 'all' and ``max_dets``."""
    p = coco_problem(predictions, references, iou_thrs=iou_thrs, **options)
    return precision_table(p.gt, p.dt, p.thrs, p.max_dets, p.use_cats, p.n_cats, mask_iou=p.mask_iou)


@dataclass
class CocoProblem:
    """Checked COCO inputs: both sides as :class:`Objects` and the evaluation's parameters."""

    gt: Objects
    dt: Objects
    thrs: np.ndarray
    max_dets: int
    use_cats: bool
    n_cats: int
    n_images: int
    mask_iou: Any = None


def coco_problem(predictions: Any, references: Any, *, iou_thrs: Sequence[float], iou_type: str = "bbox",
                 max_dets: int = 100, box_format: str = "xywh", class_agnostic: bool = False,
                 default_score: float | None = None, image_sizes: Sequence | None = None) -> CocoProblem:
    """Read and check predictions and references once (the precision table and the resampler share it)."""
    if iou_type not in ("bbox", "segm"):
        raise InputError(f"unknown iou_type {iou_type!r}; use 'bbox' or 'segm'")
    try:
        thrs = np.asarray(iou_thrs, dtype=float).ravel()
    except (TypeError, ValueError):
        raise InputError(f"IoU thresholds must be numbers, got {iou_thrs!r:.60}") from None
    if thrs.size == 0 or not ((thrs > 0) & (thrs <= 1)).all():
        raise InputError(f"IoU thresholds must be in (0, 1], got {thrs.tolist()}")
    if isinstance(max_dets, bool) or not isinstance(max_dets, (int, np.integer)) or max_dets < 1:
        raise InputError(f"max_dets must be a positive integer, got {max_dets!r}")
    seg = iou_type == "segm"
    pairs = _images(predictions, references)
    if image_sizes is not None and len(image_sizes) != len(pairs):
        raise InputError(f"image_sizes has {len(image_sizes)} entries for {len(pairs)} images")
    refs = _Side("references", False, default_score, seg)
    preds = _Side("predictions", True, default_score, seg)
    for i, (pred, ref) in enumerate(pairs):
        refs.add(i, ref)
        preds.add(i, pred)
    refs.check()
    preds.check()
    rles = _masks(refs, preds, image_sizes, len(pairs)) if seg else [None, None]
    cats: dict = {}  # category -> index, in order of first appearance (references first)
    gt = _objects(refs, cats, box_format, rles[0])
    dt = _objects(preds, cats, box_format, rles[1])
    _sort_categories(cats, gt, dt)
    if not len(gt.cat):
        raise InputError("no ground-truth objects in references: AP is undefined")
    mask_iou = None
    if seg:
        from pycocotools import mask as mask_utils

        mask_iou = mask_utils.iou
    return CocoProblem(gt, dt, thrs, int(max_dets), not class_agnostic, len(cats), len(pairs), mask_iou)


def coco_ap(predictions: Any, references: Any, iou_thrs: Sequence[float], **options: Any) -> float:
    """Mean of COCOeval precision over IoU thresholds, recall points and categories with ground truth."""
    prec = coco_precision(predictions, references, iou_thrs=iou_thrs, **options)
    valid = prec[prec > -1]
    if valid.size == 0:
        raise InputError("no category has ground truth: AP is undefined")
    return 100.0 * float(np.mean(valid))
