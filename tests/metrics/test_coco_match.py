"""The vectorised COCO matcher (_coco_match.py) against pycocotools' COCOeval, bit for bit.

Every comparison is exact (``np.array_equal`` on COCOeval's precision table, ``==`` on AP): the
matcher reproduces COCOeval's floating-point operations and orders, not just its numbers to 1e-9.
Scenes are random but dense in the cases the greedy matching has rules for: crowd regions (matched
many times, IoU over the detection's area), tied scores and tied IoUs (integer boxes), detections of
the wrong class, empty images, area ranges, small ``maxDets`` and class-agnostic evaluation.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest

import generallevel as gl

pytest.importorskip("pycocotools")

from generallevel_builtin._coco import coco_precision  # noqa: E402
from generallevel_builtin._coco_match import Objects, precision_table  # noqa: E402

from .test_detection import _scene  # noqa: E402

AREAS = [(0, 1e10), (0, 32 ** 2), (32 ** 2, 96 ** 2), (96 ** 2, 1e10)]


def _tied_scene(rng, n_images, n_cats, crowd, most):
    """Integer boxes and one-decimal scores (ties everywhere), duplicates and false positives."""
    refs, preds = [], []
    for i in range(n_images):
        n = int(rng.integers(0, most)) if i % 9 else 0
        xy, wh = np.round(rng.uniform(0, 300, (n, 2))), np.round(rng.uniform(8, 120, (n, 2)))
        cats = rng.integers(1, n_cats + 1, n)
        refs.append([{"bbox": [*xy[j], *wh[j]], "category_id": int(cats[j]), "iscrowd": int(rng.random() < crowd)}
                     for j in range(n)])
        dets = []
        for j in range(n):
            for _ in range(int(rng.integers(0, 3))):
                box = [*np.round(xy[j] + rng.normal(0, 0.12, 2) * wh[j]), *np.round(wh[j] * rng.uniform(0.8, 1.2, 2))]
                cat = int(cats[j]) if rng.random() < 0.9 else int(rng.integers(1, n_cats + 1))
                dets.append({"bbox": box, "category_id": cat, "score": float(np.round(rng.random(), 1))})
        for _ in range(int(rng.integers(0, 4))):
            dets.append({"bbox": [*np.round(rng.uniform(0, 300, 2)), *np.round(rng.uniform(8, 120, 2))],
                         "category_id": int(rng.integers(1, n_cats + 1)),
                         "score": float(np.round(rng.random() * 0.6, 1))})
        preds.append(dets)
    return preds, refs


def _cocoeval(preds, refs, iou_type="bbox", thrs=None, max_dets=100, use_cats=True, area=(0, 1e10)):
    """COCOeval configured like the matcher (one area range, one maxDets); category ids sorted as COCO does."""
    from pycocotools import mask as mu
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    def ann(a, i, k):
        out = {"id": k, "image_id": i + 1, "category_id": a["category_id"], "iscrowd": a.get("iscrowd", 0)}
        if iou_type == "segm":
            rle = mu.encode(np.asfortranarray(a["segmentation"].astype(np.uint8)))
            out.update(segmentation=rle, area=float(mu.area(rle)), bbox=mu.toBbox(rle).tolist())
        else:
            out.update(bbox=a["bbox"], area=a["bbox"][2] * a["bbox"][3])
        if "score" in a:
            out["score"] = a["score"]
        return out

    cats = sorted({a["category_id"] for side in (refs, preds) for img in side for a in img})
    images = [{"id": i + 1, "height": 24, "width": 24} for i in range(len(refs))]  # masks are 24 x 24
    gts = [ann(a, i, 0) for i, img in enumerate(refs) for a in img]
    dts = [ann(a, i, 0) for i, img in enumerate(preds) for a in img]
    for k, a in enumerate(gts + dts):
        a["id"] = 1 + (k if k < len(gts) else k - len(gts))
    with contextlib.redirect_stdout(io.StringIO()):
        g, d = COCO(), COCO()
        g.dataset = {"images": images, "annotations": gts, "categories": [{"id": c} for c in cats]}
        d.dataset = {"images": images, "annotations": dts, "categories": [{"id": c} for c in cats]}
        g.createIndex()
        d.createIndex()
        ev = COCOeval(g, d, iou_type)
        ev.params.imgIds = [im["id"] for im in images]
        if thrs is not None:
            ev.params.iouThrs = np.asarray(thrs, dtype=float)
        ev.params.maxDets = [max_dets]
        ev.params.areaRng = [list(area)]
        ev.params.areaRngLbl = ["x"]
        ev.params.useCats = int(use_cats)
        ev.evaluate()
        ev.accumulate()
    return ev.eval["precision"][:, :, :, 0, 0]


def _objects(side, scored):
    """Objects in COCO order with category indices in sorted-id order (as _coco numbers them)."""
    cats = sorted({a["category_id"] for img in side for a in img})
    index = {c: k for k, c in enumerate(cats)}
    box = np.asarray([a["bbox"] for img in side for a in img], dtype=float).reshape(-1, 4)
    obj = Objects(np.asarray([i for i, img in enumerate(side) for _ in img], dtype=np.intp),
                  np.asarray([index[a["category_id"]] for img in side for a in img], dtype=np.intp),
                  box, box[:, 2] * box[:, 3])
    if scored:
        obj.score = np.asarray([a["score"] for img in side for a in img], dtype=float)
    else:
        obj.crowd = np.asarray([bool(a.get("iscrowd", 0)) for img in side for a in img])
    return obj


@pytest.mark.parametrize("seed", range(40))
def test_precision_table_equals_cocoeval_on_random_scenes(seed):
    """Area ranges (with small/large objects ignored), maxDets 1..100, agnostic, one or ten thresholds."""
    rng = np.random.default_rng(seed)
    n_cats = int(rng.integers(1, 5))
    preds, refs = _tied_scene(rng, int(rng.integers(1, 40)), n_cats, rng.random() * 0.3, int(rng.integers(1, 12)))
    if not any(refs):
        refs[0] = [{"bbox": [0.0, 0.0, 10.0, 10.0], "category_id": 1}]
    # the same category set on both sides, so the matcher's indices are COCO's
    for img in preds:
        for a in img:
            a["category_id"] = min(a["category_id"], max(x["category_id"] for im in refs for x in im))
    cats = sorted({a["category_id"] for img in refs for a in img})
    preds = [[a for a in img if a["category_id"] in cats] for img in preds]
    thrs = np.linspace(0.5, 0.95, 10) if seed % 3 else np.array([(0.1, 0.5, 0.75)[seed % 9 // 3]])
    max_dets = (1, 2, 3, 10, 100)[seed % 5]
    use_cats = bool(seed % 4)
    area = AREAS[seed % 4] if seed % 5 else AREAS[0]
    want = _cocoeval(preds, refs, thrs=thrs, max_dets=max_dets, use_cats=use_cats, area=area)
    gt, dt = _objects(refs, False), _objects(preds, True)
    dt.cat = np.asarray([cats.index(a["category_id"]) for img in preds for a in img], dtype=np.intp)
    got = precision_table(gt, dt, thrs, max_dets, use_cats, len(cats), area)
    assert np.array_equal(want, got)


@pytest.mark.parametrize("seed", [3, 7, 11, 19])
def test_ap_equals_cocoeval_exactly_on_the_detection_tests_scenes(seed):
    """The scenes of test_detection.py (crowd boxes, empty images): AP, AP@50/75/10, agnostic, maxDets."""
    preds, refs = _scene(seed=seed)
    for thrs, metric in ((None, "AP"), ([0.5], "AP@50"), ([0.75], "AP@75"), ([0.1], "AP@10")):
        prec = _cocoeval(preds, refs, thrs=thrs)
        assert gl.get_metric(metric).compute(preds, refs) == 100.0 * float(np.mean(prec[prec > -1]))
    for kw, ref_kw in (({"class_agnostic": True}, {"use_cats": False}), ({"max_dets": 2}, {"max_dets": 2})):
        prec = _cocoeval(preds, refs, **ref_kw)
        assert gl.get_metric("AP").compute(preds, refs, **kw) == 100.0 * float(np.mean(prec[prec > -1]))


def _blob(rng, size=24):
    m = np.zeros((size, size), np.uint8)
    y, x = rng.integers(0, size - 4, 2)
    m[y:y + rng.integers(2, 10), x:x + rng.integers(2, 10)] = 1
    return m


@pytest.mark.parametrize("seed", range(12))
def test_mask_precision_equals_cocoeval(seed):
    """iou_type='segm': masks shifted off their objects, crowd masks, spurious masks."""
    rng = np.random.default_rng(seed)
    refs, preds = [], []
    for _ in range(int(rng.integers(1, 8))):
        gts = [{"segmentation": _blob(rng), "category_id": int(rng.integers(1, 3)), "iscrowd": int(rng.random() < 0.2)}
               for _ in range(int(rng.integers(0, 5)))]
        dets = [{"segmentation": np.roll(g["segmentation"], int(rng.integers(-2, 3)), axis=int(rng.integers(0, 2))),
                 "category_id": g["category_id"], "score": float(np.round(rng.random(), 1))}
                for g in gts for _ in range(int(rng.integers(0, 3)))]
        dets += [{"segmentation": _blob(rng), "category_id": int(rng.integers(1, 3)),
                  "score": float(np.round(rng.random(), 1))} for _ in range(int(rng.integers(0, 3)))]
        refs.append(gts)
        preds.append(dets)
    if not any(refs):
        refs[0] = [{"segmentation": _blob(rng), "category_id": 1}]
    agnostic, max_dets = seed % 3 == 0, (1, 3, 100)[seed % 3]
    want = _cocoeval(preds, refs, "segm", max_dets=max_dets, use_cats=not agnostic)
    got = coco_precision(preds, refs, iou_thrs=np.linspace(0.5, 0.95, 10), iou_type="segm",
                         class_agnostic=agnostic, max_dets=max_dets)
    assert np.array_equal(want, got)


def test_crowd_regions_absorb_detections_in_both_input_forms():
    """A detection inside a crowd region is neither a true nor a false positive (pycocotools), whether
    the references are lists of dicts or torchmetrics-style dicts of arrays with 'iscrowd'."""
    refs = [[{"bbox": [0, 0, 10, 10], "category_id": 1}, {"bbox": [50, 50, 40, 40], "category_id": 1, "iscrowd": 1}]]
    preds = [[{"bbox": [0, 0, 10, 10], "category_id": 1, "score": 0.5},
              {"bbox": [55, 55, 10, 10], "category_id": 1, "score": 0.9}]]  # inside the crowd, ranked first
    as_list = gl.get_metric("AP@50").compute(preds, refs)
    assert as_list == pytest.approx(100.0, abs=1e-9)
    arrays = [{"boxes": np.array([a["bbox"] for a in img], dtype=float),
               "labels": np.array([a["category_id"] for a in img]),
               "iscrowd": np.array([a.get("iscrowd", 0) for a in img])} for img in refs]
    assert gl.get_metric("AP@50").compute(preds, arrays) == as_list
    no_crowd = [dict(arrays[0], iscrowd=np.zeros(2, dtype=int))]
    assert gl.get_metric("AP@50").compute(preds, no_crowd) < 60  # the crowd box as a plain object
    with pytest.raises(gl.InputError, match="iscrowd"):
        gl.get_metric("AP@50").compute(preds, [dict(arrays[0], iscrowd=np.array([0, 1, 0]))])


def test_crowd_equals_cocoeval_in_array_form():
    preds, refs = _scene(seed=5)
    arrays = [{"boxes": np.array([a["bbox"] for a in img], dtype=float).reshape(-1, 4),
               "labels": np.array([a["category_id"] for a in img], dtype=int),
               "iscrowd": np.array([a["iscrowd"] for a in img], dtype=int)} for img in refs]
    assert sum(a["iscrowd"] for img in refs for a in img) > 0
    prec = _cocoeval(preds, refs)
    assert gl.get_metric("AP").compute(preds, arrays) == 100.0 * float(np.mean(prec[prec > -1]))
