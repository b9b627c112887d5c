"""Sufficient statistics of corpus metrics, so ``evaluate --ci`` resamples sums instead of recomputing.

A corpus metric such as Micro-F1 is not a mean of per-item values, but it is a function of sums of
per-item counts (2 TP / (predicted + true)); the bootstrap then draws sums of those counts, one
matrix product per batch of resamples (generallevel.intervals). Each pair here must reproduce its
metric exactly: the interval code checks ``from_stats(sum of item_stats)`` against the task's value
and recomputes per resample when they differ.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np


def micro_f1_stats(predictions: Any, references: Any, *, labels: Sequence | None = None,
                   zero_division: float = 0.0) -> np.ndarray:
    """Per item: (true positives, predicted labels, true labels), as ``micro_f1`` counts them."""
    from .classification import _counts, _pair, _select

    p, r = _pair(predictions, references)
    out = np.empty((len(p), 3))
    for i in range(len(p)):
        classes, counts, _ = _counts(p[i:i + 1], r[i:i + 1])
        _, counts = _select(classes, counts, labels)
        out[i] = [float(np.sum(c)) for c in counts]
    return out


def micro_f1_from_stats(sums: np.ndarray, *, labels: Sequence | None = None, zero_division: float = 0.0) -> np.ndarray:
    """Micro F1 in percent from summed (tp, predicted, true), one row per resample."""
    sums = np.atleast_2d(np.asarray(sums, dtype=float))
    den = sums[:, 1] + sums[:, 2]
    return 100.0 * np.where(den > 0, 2.0 * sums[:, 0] / np.where(den > 0, den, 1.0), float(zero_division))


# -- corpus BLEU (sacrebleu): per sentence [hyp_len, ref_len, correct_1..n, total_1..n] ---------------
def _bleu_scorer(order: int, tokenize: Any, lowercase: bool):
    from sacrebleu.metrics import BLEU

    return BLEU(tokenize="13a" if tokenize is None else tokenize, max_ngram_order=order, lowercase=bool(lowercase))


def _bleu_stats(predictions: Any, references: Any, order: int, tokenize: Any, lowercase: bool) -> np.ndarray:
    from ._text_utils import text_pairs

    preds, refs = text_pairs(predictions, references)
    k = max(len(r) for r in refs)
    streams = [[r[j] if j < len(r) else None for r in refs] for j in range(k)]
    scorer = _bleu_scorer(order, tokenize, lowercase)
    return np.asarray(scorer._extract_corpus_statistics(preds, streams), dtype=float)


def _bleu_from_stats(sums: np.ndarray, order: int, tokenize: Any, lowercase: bool) -> np.ndarray:
    scorer = _bleu_scorer(order, tokenize, lowercase)
    rows = np.atleast_2d(np.asarray(sums, dtype=float))
    return np.array([min(100.0, scorer._compute_score_from_stats([int(round(x)) for x in row]).score) for row in rows])


def bleu1_stats(predictions: Any, references: Any, *, tokenize: Any = None, sentence: bool = False,
                smoothing: int = 0, lowercase: bool = False) -> np.ndarray | None:
    """Corpus BLEU-1's per-sentence counts; None for ``sentence=True`` (a mean of items)."""
    return None if sentence else _bleu_stats(predictions, references, 1, tokenize, lowercase)


def bleu1_from_stats(sums: np.ndarray, *, tokenize: Any = None, sentence: bool = False, smoothing: int = 0,
                     lowercase: bool = False) -> np.ndarray:
    return _bleu_from_stats(sums, 1, tokenize, lowercase)


def bleu4_stats(predictions: Any, references: Any, *, tokenize: str = "13a") -> np.ndarray:
    return _bleu_stats(predictions, references, 4, tokenize, False)


def bleu4_from_stats(sums: np.ndarray, *, tokenize: str = "13a") -> np.ndarray:
    return _bleu_from_stats(sums, 4, tokenize, False)


# -- corpus WER: per utterance [word edits, reference words] ---------------------------------------
def wer_stats(predictions: Any, references: Any, *, average: str = "corpus", split: str = "jiwer") -> np.ndarray | None:
    """WER's per-utterance (edits, reference words); None for ``average='item'`` (a mean of items)."""
    if average != "corpus":
        return None
    from .audio import _jiwer_words, _transcripts

    try:
        from rapidfuzz.distance import Levenshtein
    except ImportError:
        return None  # recomputed per resample (jiwer)
    words_of = _jiwer_words if split == "jiwer" else str.split
    hyp, ref = _transcripts(predictions, "predictions"), _transcripts(references, "references")
    out = np.empty((len(hyp), 2))
    for i, (h, r) in enumerate(zip(hyp, ref)):
        rw = words_of(r)
        out[i] = (Levenshtein.distance(rw, words_of(h)), len(rw))
    return out


def wer_from_stats(sums: np.ndarray, *, average: str = "corpus", split: str = "jiwer") -> np.ndarray:
    sums = np.atleast_2d(np.asarray(sums, dtype=float))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sums[:, 1] > 0, sums[:, 0] / np.where(sums[:, 1] > 0, sums[:, 1], 1.0), np.nan)


# -- mIoU over a pixel confusion matrix: per sample, per class [intersection, reference, predicted] ----
def miou_stats(predictions: Any, references: Any, *, num_classes: int | None = None,
               ignore_index: int | None = None, per_video: bool = False) -> np.ndarray | None:
    """Per sample and class: pixels in both, in the reference (missed ones included), predicted.
    None for ``per_video=True`` (a mean of videos)."""
    if per_video:
        return None
    from .segmentation import _int_array, _paired_samples

    pairs = _paired_samples(predictions, references, _int_array)
    labels = [(a.ravel(), b.ravel()) for a, b in pairs]
    if num_classes is None:
        top = 0
        for p, g in labels:
            keep = np.ones(g.shape, bool) if ignore_index is None else g != ignore_index
            top = max(top, int(g[keep].max(initial=0)), int(p[keep & (p != ignore_index)].max(initial=0)))
        num_classes = top + 1
    nc = int(num_classes)
    out = np.zeros((len(labels), 3 * nc))
    for i, (p, g) in enumerate(labels):
        if ignore_index is not None:
            keep = g != ignore_index
            p, g = p[keep], g[keep]
            hit = p != ignore_index
        else:
            hit = np.ones(p.shape, bool)
        out[i, :nc] = np.bincount(g[hit & (p == g)], minlength=nc)[:nc]
        out[i, nc:2 * nc] = np.bincount(g, minlength=nc)[:nc]
        out[i, 2 * nc:] = np.bincount(p[hit], minlength=nc)[:nc]
    return out


def miou_from_stats(sums: np.ndarray, *, num_classes: int | None = None, ignore_index: int | None = None,
                    per_video: bool = False) -> np.ndarray:
    sums = np.atleast_2d(np.asarray(sums, dtype=float))
    nc = sums.shape[1] // 3
    inter, ref, pred = sums[:, :nc], sums[:, nc:2 * nc], sums[:, 2 * nc:]
    union = ref + pred - inter
    present = union > 0
    iou = np.where(present, inter / np.where(present, union, 1.0), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return 100.0 * iou.sum(axis=1) / present.sum(axis=1)


# -- pooled regression errors: per sample [sum of the error over valid elements, valid elements] -------
def _pooled_stats(predictions: Any, references: Any, error: Any, reduction: str, min_gt: float | None):
    if reduction != "pooled":
        return None  # per_sample: a mean of samples
    from .regression import _valid, paired

    f = paired(predictions, references)
    values = error(f.pred - f.ref)
    keep = _valid(f, min_gt)
    sid = f.sid if keep is None else f.sid[keep]
    values = values if keep is None else values[keep]
    return np.stack([np.bincount(sid, weights=values, minlength=f.n),
                     np.bincount(sid, minlength=f.n).astype(float)], axis=1)


def _pooled(sums: np.ndarray) -> np.ndarray:
    sums = np.atleast_2d(np.asarray(sums, dtype=float))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sums[:, 1] > 0, sums[:, 0] / np.where(sums[:, 1] > 0, sums[:, 1], 1.0), np.nan)


def _unless_a_mean(stats: np.ndarray | None) -> np.ndarray | None:
    """None when every sample has the same number of valid elements: the pooled mean is then the
    mean of the per-sample means, and the analytic interval of a mean applies."""
    return None if stats is None or np.all(stats[:, 1] == stats[0, 1]) else stats


def mae_stats(predictions: Any, references: Any, *, reduction: str = "pooled", min_gt: float | None = None):
    """Pooled MAE's per-sample (sum of |error|, elements); None for per-sample means."""
    return _unless_a_mean(_pooled_stats(predictions, references, np.abs, reduction, min_gt))


def mae_from_stats(sums: np.ndarray, *, reduction: str = "pooled", min_gt: float | None = None) -> np.ndarray:
    return _pooled(sums)


def mse_stats(predictions: Any, references: Any, *, reduction: str = "pooled", min_gt: float | None = None,
              scale: float = 1.0):
    return _unless_a_mean(_pooled_stats(predictions, references, np.square, reduction, min_gt))


def mse_from_stats(sums: np.ndarray, *, reduction: str = "pooled", min_gt: float | None = None,
                   scale: float = 1.0) -> np.ndarray:
    return float(scale) * _pooled(sums)


def rmse_stats(predictions: Any, references: Any, *, reduction: str = "pooled", min_gt: float | None = None):
    return _pooled_stats(predictions, references, np.square, reduction, min_gt)


def rmse_from_stats(sums: np.ndarray, *, reduction: str = "pooled", min_gt: float | None = None) -> np.ndarray:
    return np.sqrt(_pooled(sums))


# -- KITTI RTE: per sequence [sum of segment errors, segments] --------------------------------------
def rte_stats(predictions: Any, references: Any, **options: Any) -> np.ndarray | None:
    from .regression import KITTI_LENGTHS, _sequence_errors

    if not isinstance(predictions, (list, tuple)) or not isinstance(references, (list, tuple)):
        return None
    lengths = [float(x) for x in options.get("lengths", KITTI_LENGTHS)]
    step = int(options.get("step", 10))
    out = np.empty((len(predictions), 2))
    for i, (p, r) in enumerate(zip(predictions, references)):
        errs = _sequence_errors(p, r, f"[{i}]", lengths, step)
        out[i] = (float(errs.sum()), float(errs.size))
    return out


def rte_from_stats(sums: np.ndarray, **options: Any) -> np.ndarray:
    return 100.0 * _pooled(sums)
