"""The AP family's resampler (match once, reweigh images) equals recomputing COCO AP on every
resampled image list, on random scenes with crowd regions, several categories and options."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from generallevel import get_metric
from generallevel.intervals import CHUNK, IntervalSpec, resample_task


def _scene(rng: np.random.Generator, n: int) -> tuple[list, list]:
    preds, refs = [], []
    for _ in range(n):
        gt = []
        for _ in range(int(rng.integers(0, 4))):
            x, y = rng.uniform(0, 80, 2)
            w, h = rng.uniform(4, 40, 2)
            gt.append({"bbox": [x, y, w, h], "category_id": int(rng.integers(1, 4)), "iscrowd": int(rng.random() < 0.08)})
        dt = []
        for o in gt:
            if rng.random() < 0.75:
                box = np.abs(np.array(o["bbox"]) + rng.normal(0, 3, 4))
                cat = o["category_id"] if rng.random() < 0.85 else int(rng.integers(1, 4))
                dt.append({"bbox": box.tolist(), "score": float(rng.random()), "category_id": cat})
        for _ in range(int(rng.integers(0, 3))):
            x, y = rng.uniform(0, 80, 2)
            w, h = rng.uniform(4, 40, 2)
            dt.append({"bbox": [x, y, w, h], "score": float(rng.random()), "category_id": int(rng.integers(1, 4))})
        preds.append(dt)
        refs.append(gt)
    return preds, refs


def _draws(seed: int, task: str, n: int, resamples: int) -> np.ndarray:
    rng = np.random.default_rng([seed, zlib.crc32(task.encode())])
    step = max(1, CHUNK // n)
    return np.concatenate([rng.integers(0, n, size=(min(step, resamples - s), n)) for s in range(0, resamples, step)])


@pytest.mark.parametrize("name,options", [("AP@50", {}), ("AP", {}), ("mAP", {}), ("AP@75", {}), ("AP@10", {}),
                                          ("AP@50", {"class_agnostic": True}), ("AP", {"max_dets": 1}),
                                          ("mAP", {"iou_thresholds": [0.3, 0.6]})])
def test_resampled_ap_equals_recomputing_on_the_resampled_images(name, options):
    rng = np.random.default_rng(zlib.crc32(f"{name}{options}".encode()))
    preds, refs = _scene(rng, 50)
    metric = get_metric(name)
    raw = metric.compute(preds, refs, **options)
    spec = IntervalSpec(resamples=25, seed=9)
    iv = resample_task(metric, preds, refs, options, raw, spec, "coco")
    assert iv.method == "weights"
    for b, idx in enumerate(_draws(9, "coco", len(preds), 25)):
        direct = metric.compute([preds[i] for i in idx], [refs[i] for i in idx], **options)
        assert iv.samples[b] == pytest.approx(direct, abs=1e-9)


def test_ranking_ap_of_scores_is_recomputed():
    metric = get_metric("AP")
    scores, labels = [0.9, 0.2, 0.8, 0.4, 0.7, 0.1], [1, 0, 1, 0, 0, 1]
    iv = resample_task(metric, scores, labels, {}, metric.compute(scores, labels), IntervalSpec(resamples=10), "r")
    assert iv.method == "recompute"
