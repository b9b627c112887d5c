"""Inputs and reference computations for the per-metric comparisons (benchmarks/bench_metrics.py).

Inputs are synthetic but shaped like real ones: Zipf-distributed sentences with edits, 100-class
labels, multi-label tag sets, COCO boxes with jitter and false positives, smooth images with
noise, Inception-width features, points on a sphere. Each ``ref_*`` function is the reference
library used the way its documentation shows (imported inside the function).
"""

from __future__ import annotations

import contextlib
import io

import numpy as np

# -- synthetic inputs ------------------------------------------------------------------------------
def _vocab(rng: np.random.Generator, size: int = 3000) -> list[str]:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    lengths = rng.integers(2, 10, size)
    words = {"".join(rng.choice(letters, n)) for n in lengths}
    return sorted(words)


def sentence_pairs(n: int, rng: np.random.Generator, mean_words: int = 14) -> tuple[list[str], list[str]]:
    """(predictions, references): references of ~mean_words Zipf-ish words; predictions edited copies
    (about 15 % substitutions, 5 % deletions, 5 % insertions), so scores are mid-range, not 0 or 100."""
    vocab = _vocab(rng)
    v = len(vocab)
    ranks = np.minimum(rng.zipf(1.3, size=n * mean_words * 3), v) - 1
    lengths = np.clip(rng.poisson(mean_words, n), 3, None)
    preds, refs = [], []
    pos = 0
    ops = rng.random(int(lengths.sum()) * 2 + 16)
    subs = rng.integers(0, v, ops.size)
    k = 0
    for L in lengths.tolist():
        if pos + L > ranks.size:
            pos = 0
        ref = [vocab[i] for i in ranks[pos:pos + L]]
        pos += L
        out = []
        for w in ref:
            u = ops[k]
            if u < 0.15:
                out.append(vocab[subs[k]])
            elif u < 0.20:
                pass
            elif u < 0.25:
                out += [w, vocab[subs[k]]]
            else:
                out.append(w)
            k += 1
        refs.append(" ".join(ref))
        preds.append(" ".join(out) if out else ref[0])
    return preds, refs


def class_labels(n: int, rng: np.random.Generator, classes: int = 100, correct: float = 0.7):
    names = np.array([f"class_{i:03d}" for i in range(classes)])
    ref = rng.integers(0, classes, n)
    pred = np.where(rng.random(n) < correct, ref, rng.integers(0, classes, n))
    return names[pred].tolist(), names[ref].tolist()


def label_sets(n: int, rng: np.random.Generator, classes: int = 50):
    """Multi-label instances (NER/tagging style): 1-5 gold labels each; predictions keep ~75 % of them
    and add ~0.5 spurious ones."""
    names = [f"tag_{i:02d}" for i in range(classes)]
    sizes = rng.integers(1, 6, n)
    gold = rng.integers(0, classes, int(sizes.sum()))
    keep = rng.random(gold.size) < 0.75
    extra_n = rng.poisson(0.5, n)
    extra = rng.integers(0, classes, int(extra_n.sum()))
    preds, refs = [], []
    g = e = 0
    for s, x in zip(sizes.tolist(), extra_n.tolist()):
        gl = gold[g:g + s]
        kp = keep[g:g + s]
        refs.append(sorted({names[i] for i in gl}))
        preds.append(sorted({names[i] for i in gl[kp]} | {names[i] for i in extra[e:e + x]}))
        g += s
        e += x
    return preds, refs


def detections(n_images: int, rng: np.random.Generator, boxes: int = 20, categories: int = 10):
    """Per image ``boxes`` ground-truth boxes and ``boxes`` scored detections: jittered true boxes
    (a few missed) plus false positives, in COCO xywh pixels of a 640 x 480 image."""
    preds, refs = [], []
    for _ in range(n_images):
        xy = rng.uniform(0, 560, (boxes, 2)) * [1.0, 0.75]
        wh = rng.uniform(8, 160, (boxes, 2))
        cat = rng.integers(1, categories + 1, boxes)
        gt = np.column_stack([xy, wh])
        refs.append([{"bbox": b, "category_id": int(c)} for b, c in zip(np.round(gt, 2).tolist(), cat.tolist())])
        hit = rng.random(boxes) < 0.8
        det = gt + rng.normal(0, 1, gt.shape) * np.r_[wh.T, wh.T].T * 0.08
        det[:, 2:] = np.abs(det[:, 2:]) + 1.0
        fp = ~hit
        det[fp, :2] = rng.uniform(0, 560, (int(fp.sum()), 2)) * [1.0, 0.75]
        dcat = np.where(rng.random(boxes) < 0.9, cat, rng.integers(1, categories + 1, boxes))
        score = np.where(hit, rng.uniform(0.3, 1.0, boxes), rng.uniform(0.0, 0.7, boxes))
        preds.append([{"bbox": b, "category_id": int(c), "score": float(s)}
                      for b, c, s in zip(np.round(det, 2).tolist(), dcat.tolist(), np.round(score, 4).tolist())])
    return preds, refs


def image_pairs(n: int, rng: np.random.Generator, size: int, channels: int = 3, dtype=np.float64):
    """Images in [0, 1] (N x C x H x W): smooth random fields, predictions noisy copies."""
    base = rng.random((n, channels, size // 8, size // 8))
    ref = np.repeat(np.repeat(base, 8, axis=2), 8, axis=3)
    ref = 0.7 * ref + 0.3 * rng.random(ref.shape)
    pred = np.clip(ref + rng.normal(0, 0.05, ref.shape), 0.0, 1.0)
    return pred.astype(dtype, copy=False), ref.astype(dtype, copy=False)


def feature_sets(n: int, d: int, rng: np.random.Generator):
    """Two N x D float64 feature sets with different means and covariances (Inception-pool-like)."""
    a = rng.standard_normal((n, d))
    b = rng.standard_normal((n, d))
    b *= 1.1
    b += 0.05
    return a, b


def point_clouds(n_clouds: int, points: int, rng: np.random.Generator):
    """Pairs of (points x 3) clouds on a unit sphere surface: prediction = noisy, resampled reference."""
    preds, refs = [], []
    for _ in range(n_clouds):
        g = rng.standard_normal((points, 3))
        g /= np.linalg.norm(g, axis=1, keepdims=True)
        p = rng.standard_normal((points, 3))
        p /= np.linalg.norm(p, axis=1, keepdims=True)
        p += rng.normal(0, 0.01, p.shape)
        preds.append(p)
        refs.append(g)
    return preds, refs


# -- references ---------------------------------------------------------------------------------------
def ref_accuracy(preds, refs) -> float:
    from sklearn.metrics import accuracy_score

    return 100.0 * accuracy_score(refs, preds)


def ref_micro_f1(preds, refs) -> float:
    from sklearn.metrics import f1_score

    return 100.0 * f1_score(refs, preds, average="micro")


def ref_micro_f1_sets(preds, refs) -> float:
    from sklearn.metrics import f1_score
    from sklearn.preprocessing import MultiLabelBinarizer

    mlb = MultiLabelBinarizer(sparse_output=True)
    mlb.fit(refs + preds)
    return 100.0 * f1_score(mlb.transform(refs), mlb.transform(preds), average="micro")


def _coco_eval(preds, refs, iou_thrs=None, same_as_ours: bool = True):
    """pycocotools used directly: build the two COCO objects (loadRes for the detections), evaluate,
    accumulate. ``same_as_ours``: configured as generallevel's AP family runs, i.e. one area range
    ('all') and maxDets=[100] (and ``iou_thrs``); else COCOeval's defaults plus summarize()."""
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    images = [{"id": i + 1} for i in range(len(refs))]
    gts, dts, cats = [], [], set()
    for i, (p, r) in enumerate(zip(preds, refs)):
        for a in r:
            x, y, w, h = a["bbox"]
            gts.append({"id": len(gts) + 1, "image_id": i + 1, "category_id": a["category_id"], "bbox": a["bbox"],
                        "area": w * h, "iscrowd": 0})
            cats.add(a["category_id"])
        for a in p:
            dts.append({"image_id": i + 1, "category_id": a["category_id"], "bbox": a["bbox"], "score": a["score"]})
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {"images": images, "annotations": gts, "categories": [{"id": c} for c in sorted(cats)]}
        gt.createIndex()
        dt = gt.loadRes(dts)
        ev = COCOeval(gt, dt, "bbox")
        if same_as_ours:
            ev.params.areaRng, ev.params.areaRngLbl, ev.params.maxDets = [[0 ** 2, 1e5 ** 2]], ["all"], [100]
            if iou_thrs is not None:
                ev.params.iouThrs = np.asarray(iou_thrs, dtype=float)
        ev.evaluate()
        ev.accumulate()
        if not same_as_ours:
            ev.summarize()
    return ev


def _mean_precision(ev) -> float:
    prec = ev.eval["precision"][:, :, :, 0, -1]  # area 'all' (first range), the largest maxDets
    return 100.0 * float(np.mean(prec[prec > -1]))


COCO_SAME = ("COCOeval(bbox) with params.areaRng=[all], maxDets=[100]{}, evaluate()+accumulate(), "
             "mean of eval['precision'] > -1 (what summarize() averages for stats[0]/[1])")


def ref_coco_ap(preds, refs) -> float:
    """AP@[.50:.95], pycocotools configured as ours."""
    return _mean_precision(_coco_eval(preds, refs))


def ref_coco_ap50(preds, refs) -> float:
    """AP@50, pycocotools configured as ours (one IoU threshold)."""
    return _mean_precision(_coco_eval(preds, refs, iou_thrs=[0.5]))


def ref_coco_default(preds, refs) -> float:
    """COCOeval's defaults (3 area ranges, maxDets 1/10/100, 10 thresholds) + summarize(): stats[0].
    More work than AP needs; for the informational row only."""
    return 100.0 * float(_coco_eval(preds, refs, same_as_ours=False).stats[0])


def ref_wer(preds, refs) -> float:
    import jiwer

    return float(jiwer.wer(reference=refs, hypothesis=preds))


def ref_bleu4(preds, refs) -> float:
    import sacrebleu

    return float(sacrebleu.corpus_bleu(preds, [refs]).score)


def ref_rouge_l(preds, refs) -> float:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    return 100.0 * float(np.mean([scorer.score(r, p)["rougeL"].fmeasure for p, r in zip(preds, refs)]))


def _torch_batches(pred: np.ndarray, ref: np.ndarray, metric, batch: int = 50) -> float:
    import torch

    with torch.inference_mode():
        for s in range(0, len(pred), batch):
            metric.update(torch.from_numpy(pred[s:s + batch]), torch.from_numpy(ref[s:s + batch]))
        return float(metric.compute())


def ref_psnr(pred, ref) -> float:
    import torch
    from torchmetrics.image import PeakSignalNoiseRatio

    m = PeakSignalNoiseRatio(data_range=1.0, dim=(1, 2, 3), reduction="elementwise_mean")
    m.set_dtype(torch.float64)
    return _torch_batches(pred, ref, m)


def ref_ms_ssim(pred, ref) -> float:
    import torch
    from torchmetrics.image import MultiScaleStructuralSimilarityIndexMeasure

    m = MultiScaleStructuralSimilarityIndexMeasure(data_range=1.0)
    if pred.dtype == np.float64:
        m.set_dtype(torch.float64)
    return _torch_batches(pred, ref, m, batch=32)


def ref_frechet(a, b) -> float:
    """The pytorch-fid formula with scipy.linalg.sqrtm (including its eps-offset fallback)."""
    from scipy import linalg

    mu1, mu2 = a.mean(axis=0), b.mean(axis=0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = linalg.sqrtm(s1.dot(s2))
    if not np.isfinite(covmean).all():
        off = np.eye(s1.shape[0]) * 1e-6
        covmean = linalg.sqrtm((s1 + off).dot(s2 + off))
    covmean = np.real(covmean)
    diff = mu1 - mu2
    return float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def ref_chamfer(preds, refs, workers: int = -1) -> float:
    """scipy cKDTree nearest neighbours, default tree settings, queries on ``workers`` threads (-1: all
    cores, the thread count generallevel's CD uses by default)."""
    from scipy.spatial import cKDTree

    vals = []
    for p, g in zip(preds, refs):
        d1 = cKDTree(g).query(p, workers=workers)[0]
        d2 = cKDTree(p).query(g, workers=workers)[0]
        vals.append(0.5 * (np.mean(d1 ** 2) + np.mean(d2 ** 2)))
    return float(np.mean(vals))
