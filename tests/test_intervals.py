"""Confidence intervals (evaluate --ci): coverage on synthetic tasks, and each resampling path
checked against a direct recomputation of the metric on the same resampled items."""

from __future__ import annotations

import math

import numpy as np
import pytest

from generallevel import get_metric
from generallevel.errors import InputError
from generallevel.intervals import CHUNK, IntervalSpec, mean_interval, resample_task, win_probability

RUNS = 2000  # simulated runs per coverage test (the figure)


def _draws(spec: IntervalSpec, task_id: str, n: int) -> np.ndarray:
    """The index draws resample_task makes, reproduced from the documented seeding."""
    rng = np.random.default_rng([spec.seed, __import__("zlib").crc32(task_id.encode())])
    step = max(1, CHUNK // n)
    rows = []
    for start in range(0, spec.resamples, step):
        rows.append(rng.integers(0, n, size=(min(step, spec.resamples - start), n)))
    return np.concatenate(rows)


# -- coverage ---------------------------------------------------------------------------------------
def test_coverage_of_a_per_item_metric():
    """Accuracy on 100 items with a true accuracy of 72 %: the 95 % interval covers 72 in 93-97 % of runs."""
    acc = get_metric("Acc")
    rng = np.random.default_rng(11)
    spec = IntervalSpec(resamples=10, seed=0)
    covered = 0
    for run in range(RUNS):
        right = rng.random(100) < 0.72
        preds = ["a" if r else "b" for r in right]
        refs = ["a"] * 100
        raw = acc.compute(preds, refs)
        iv = resample_task(acc, preds, refs, {}, raw, spec, f"run{run}")
        assert iv.method == "mean"
        covered += iv.low <= 72.0 <= iv.high
    assert 0.93 <= covered / RUNS <= 0.97, covered / RUNS


def _label_sets(rng: np.random.Generator, n: int) -> tuple[list, list]:
    """Five labels; each is gold with p=0.4, found with p=0.8 when gold, a false alarm with p=0.1."""
    gold = rng.random((n, 5)) < 0.4
    found = np.where(gold, rng.random((n, 5)) < 0.8, rng.random((n, 5)) < 0.1)
    as_sets = lambda m: [[f"L{j}" for j in np.flatnonzero(row)] for row in m]  # noqa: E731
    return as_sets(found), as_sets(gold)


def test_coverage_of_a_corpus_metric():
    """Micro-F1 over label sets (a ratio of sums, not a mean of items): the bootstrap interval covers
    the population value 2 E[TP] / (E[predicted] + E[true]) in 93-97 % of runs."""
    f1 = get_metric("Micro-F1")
    tp, npred, ntrue = 0.4 * 0.8, 0.4 * 0.8 + 0.6 * 0.1, 0.4
    truth = 100 * 2 * tp / (npred + ntrue)
    rng = np.random.default_rng(12)
    spec = IntervalSpec(resamples=400, seed=1)
    covered = 0
    for run in range(RUNS):
        preds, refs = _label_sets(rng, 150)
        raw = f1.compute(preds, refs)
        iv = resample_task(f1, preds, refs, {}, raw, spec, f"run{run}")
        assert iv.method == "stats"
        covered += iv.low <= truth <= iv.high
    assert 0.93 <= covered / RUNS <= 0.97, covered / RUNS


# -- each path against a direct recomputation ------------------------------------------------------
def test_mean_path_resamples_are_the_metric_on_the_resampled_items():
    metric = get_metric("ROUGE-L")
    preds = ["the cat sat on the mat", "a dog barks", "hello world", "green eggs and ham", "one two three", "x y"]
    refs = ["the cat is on the mat", "the dog barks loudly", "hello there world", "eggs and ham", "one three", "y z"]
    raw = metric.compute(preds, refs)
    spec = IntervalSpec(resamples=50, seed=3)
    iv = resample_task(metric, preds, refs, {}, raw, spec, "rouge-task")
    assert iv.method == "mean"
    for b, idx in enumerate(_draws(spec, "rouge-task", len(preds))):
        direct = metric.compute([preds[i] for i in idx], [refs[i] for i in idx])
        assert iv.samples[b] == pytest.approx(direct, rel=1e-12, abs=1e-12)


def test_tracking_success_auc_resamples_sequences_by_their_own_scores():
    """Success AUC is a mean over sequences: its declared item scores (one pass over all frames)
    give the 'mean' path, and each resample equals the metric on the resampled sequences."""
    metric = get_metric("AUC")
    rng = np.random.default_rng(4)
    preds, refs = [], []
    for _ in range(7):
        gt = [[*(rng.random(2) * 50).tolist(), *(rng.random(2) * 20 + 1).tolist()] for _ in range(int(rng.integers(2, 9)))]
        refs.append(gt)
        preds.append([None if rng.random() < 0.15 else [b[0] + float(rng.normal()), b[1] + float(rng.normal()), b[2], b[3]]
                      for b in gt])
    raw = metric.compute(preds, refs, curve="success")
    spec = IntervalSpec(resamples=40, seed=1)
    iv = resample_task(metric, preds, refs, {"curve": "success"}, raw, spec, "tracking")
    assert iv.method == "mean"
    for b, idx in enumerate(_draws(spec, "tracking", len(preds))):
        direct = metric.compute([preds[i] for i in idx], [refs[i] for i in idx], curve="success")
        assert iv.samples[b] == pytest.approx(direct, rel=1e-12, abs=1e-12)
    labels, scores = [0, 1, 1, 0, 1, 0], [0.1, 0.8, 0.6, 0.4, 0.3, 0.2]  # ROC-AUC: not a mean of items
    roc = resample_task(metric, scores, labels, {}, metric.compute(scores, labels), spec, "roc")
    assert roc.method == "recompute"


def test_stats_path_resamples_are_micro_f1_on_the_resampled_items():
    from sklearn.metrics import f1_score
    from sklearn.preprocessing import MultiLabelBinarizer

    metric = get_metric("Micro-F1")
    preds, refs = _label_sets(np.random.default_rng(5), 40)
    raw = metric.compute(preds, refs)
    spec = IntervalSpec(resamples=30, seed=4)
    iv = resample_task(metric, preds, refs, {}, raw, spec, "f1-task")
    assert iv.method == "stats"
    mlb = MultiLabelBinarizer(classes=[f"L{j}" for j in range(5)])
    for b, idx in enumerate(_draws(spec, "f1-task", len(preds))):
        y_true = mlb.fit_transform([refs[i] for i in idx])
        y_pred = mlb.fit_transform([preds[i] for i in idx])
        assert iv.samples[b] == pytest.approx(100 * f1_score(y_true, y_pred, average="micro", zero_division=0))


def test_recompute_path_for_a_corpus_metric_and_unpaired_sets():
    f1 = get_metric("F1")  # macro F1 of labels: neither a mean of items nor declared statistics
    preds = list("abcabcaabbccabca" * 2)
    refs = list("abcbbcacbbacabcc" * 2)
    raw = f1.compute(preds, refs, average="macro")
    spec = IntervalSpec(resamples=200, seed=2)
    iv = resample_task(f1, preds, refs, {"average": "macro"}, raw, spec, "f1-macro")
    assert iv.method == "recompute"
    rng = spec.rng("f1-macro")
    for b in range(200):
        idx = rng.integers(0, len(preds), size=len(preds))
        assert iv.samples[b] == f1.compute([preds[i] for i in idx], [refs[i] for i in idx], average="macro")
    assert (iv.low, iv.high) == pytest.approx(tuple(np.quantile(iv.samples, [0.025, 0.975])))
    few = resample_task(f1, preds, refs, {"average": "macro"}, raw, IntervalSpec(resamples=50, seed=2), "f1-macro")
    half = 1.959963984540054 * few.samples.std(ddof=1)  # fewer than 200: raw +- z sd of the resamples
    assert (few.low, few.high) == pytest.approx((raw - half, raw + half))
    # FID-like: generated and reference sets of different sizes are resampled separately
    fid = get_metric("FID")
    g = np.random.default_rng(0)
    gen, ref = g.normal(size=(30, 4)), g.normal(0.3, 1.0, size=(40, 4))
    iv = resample_task(fid, gen, ref, {}, fid.compute(gen, ref), IntervalSpec(resamples=10), "fid-task")
    assert iv.method == "recompute" and iv.samples.shape == (10,) and any("separately" in n for n in iv.notes)


def test_analytic_intervals_match_textbook_formulas():
    from scipy import stats

    # Wilson score interval for 37 successes in 50, written as the roots of the quadratic
    # (p_hat - p)^2 = z^2 p (1 - p) / n
    k, n, z = 37, 50, stats.norm.ppf(0.975)
    a, b_, c = 1 + z * z / n, -(2 * k / n + z * z / n), (k / n) ** 2
    roots = sorted(((-b_ - math.sqrt(b_ * b_ - 4 * a * c)) / (2 * a), (-b_ + math.sqrt(b_ * b_ - 4 * a * c)) / (2 * a)))
    lo, hi = mean_interval([100.0] * k + [0.0] * (n - k), 0.95)
    assert (lo, hi) == pytest.approx((100 * roots[0], 100 * roots[1]))
    values = np.random.default_rng(1).gamma(2.0, 3.0, size=40)
    ref = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    assert mean_interval(values, 0.95) == pytest.approx(ref)


def test_win_probability_is_decided_on_raw_values_in_the_metric_direction():
    samples = np.array([1.0, 2.0, 3.0, 4.0])
    assert win_probability(samples, 2.5, True) == 0.5
    assert win_probability(samples, 2.0, False) == 0.5  # lower is better: 1 and 2 win
    assert win_probability(samples, None, True) is None


def test_mean_interval_is_clipped_to_the_raw_range():
    mae = get_metric("MAE")
    preds, refs = [0.0, 0.0, 0.0, 0.0, 0.0], [0.1, 0.0, 9.0, 0.0, 0.2]
    iv = resample_task(mae, preds, refs, {}, mae.compute(preds, refs), IntervalSpec(resamples=20), "mae")
    assert iv.method == "mean" and iv.low == 0.0 < iv.high


def test_spec_checks_and_seeding():
    for bad in ({"resamples": 5}, {"resamples": 100.0}, {"seed": -1}, {"confidence": 1.0}):
        with pytest.raises(InputError):
            IntervalSpec(**bad)
    acc = get_metric("Acc")
    preds, refs = list("aabbabab"), list("aaaabbbb")
    raw = acc.compute(preds, refs)
    one = resample_task(acc, preds, refs, {}, raw, IntervalSpec(resamples=50, seed=7), "t")
    two = resample_task(acc, preds, refs, {}, raw, IntervalSpec(resamples=50, seed=7), "t")
    other = resample_task(acc, preds, refs, {}, raw, IntervalSpec(resamples=50, seed=8), "t")
    assert np.array_equal(one.samples, two.samples) and not np.array_equal(one.samples, other.samples)


def test_inputs_that_are_not_items_are_refused_with_a_reason():
    acc = get_metric("Acc")
    with pytest.raises(ValueError, match="per-item"):
        resample_task(acc, {"a": 1}, {"a": 1}, {}, 100.0, IntervalSpec(resamples=10), "t")
    with pytest.raises(ValueError, match="too few"):
        resample_task(acc, ["a"], ["a"], {}, 100.0, IntervalSpec(resamples=10), "t")


def _sentences(rng: np.random.Generator, n: int) -> tuple[list, list]:
    words = "the a cat dog sat ran on under mat tree quickly red blue , .".split()
    refs = [" ".join(rng.choice(words, size=int(rng.integers(3, 12)))) for _ in range(n)]
    preds = [" ".join(w for w in r.split() if rng.random() < 0.8) + (" red" if rng.random() < 0.3 else "")
             for r in refs]
    return preds, refs


@pytest.mark.parametrize("name,options", [("BLEU-1", {}), ("BLEU-1", {"tokenize": "none", "lowercase": True}),
                                          ("BLEU-4", {}), ("WER", {}), ("mIoU", {}), ("mIoU", {"ignore_index": 0})])
def test_declared_statistics_equal_the_reference_on_each_resample(name, options):
    """Corpus BLEU (sacrebleu.corpus_bleu), WER (jiwer) and mIoU (sklearn's per-class IoU over all
    pixels) computed directly on each resampled list equal the bootstrap of summed statistics."""
    rng = np.random.default_rng(21)
    metric = get_metric(name)
    if name == "mIoU":
        refs = [rng.integers(0, 4, size=(6, 5)) for _ in range(30)]
        preds = [np.where(rng.random(r.shape) < 0.7, r, rng.integers(0, 4, size=r.shape)) for r in refs]
    else:
        preds, refs = _sentences(rng, 40)
        if name.startswith("BLEU"):
            refs = [[r] for r in refs]
    raw = metric.compute(preds, refs, **options)
    spec = IntervalSpec(resamples=15, seed=5)
    iv = resample_task(metric, preds, refs, options, raw, spec, "s")
    assert iv.method == "stats"
    for b, idx in enumerate(_draws(spec, "s", len(preds))):
        p, r = [preds[i] for i in idx], [refs[i] for i in idx]
        if name.startswith("BLEU"):
            from sacrebleu.metrics import BLEU

            scorer = BLEU(tokenize=options.get("tokenize", "13a"), lowercase=options.get("lowercase", False),
                          max_ngram_order=1 if name == "BLEU-1" else 4)
            ref = scorer.corpus_score(p, [[x[0] for x in r]]).score
        elif name == "WER":
            import jiwer

            ref = jiwer.wer(r, p)
        else:
            from sklearn.metrics import confusion_matrix

            g, q = np.concatenate([x.ravel() for x in r]), np.concatenate([x.ravel() for x in p])
            if "ignore_index" in options:
                keep = g != options["ignore_index"]
                g, q = g[keep], q[keep]
                q = np.where(q == options["ignore_index"], 99, q)  # predicted "ignore": a miss
            cm = confusion_matrix(g, q, labels=[0, 1, 2, 3, 99])[:4, :4]
            gt_count = np.array([(g == c).sum() for c in range(4)])
            union = gt_count + cm.sum(axis=0) - np.diag(cm)
            ref = 100 * np.mean((np.diag(cm) / np.where(union > 0, union, 1))[union > 0])
        assert iv.samples[b] == pytest.approx(ref, rel=1e-12, abs=1e-12), b


def test_panoptic_quality_statistics_equal_torchmetrics_on_each_resample():
    """PQ matches segments within one image, so per-image [IoU sum, TP, FP, FN] per category are its
    sufficient statistics: each resample equals torchmetrics' PanopticQuality on the resampled images."""
    torch = pytest.importorskip("torch")
    tm = pytest.importorskip("torchmetrics.detection")
    from metrics.test_segmentation import _panoptic_pair

    rng = np.random.default_rng(8)
    pairs = [_panoptic_pair(rng) for _ in range(10)]
    preds, refs = [p for p, _ in pairs], [g for _, g in pairs]
    metric, options = get_metric("PQ"), {"things": [2, 3], "stuffs": [0, 1]}
    raw = metric.compute([p.copy() for p in preds], [g.copy() for g in refs], **options)
    spec = IntervalSpec(resamples=12, seed=2)
    iv = resample_task(metric, [p.copy() for p in preds], [g.copy() for g in refs], options, raw, spec, "pq")
    assert iv.method == "stats"
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # torchmetrics' RQ denominator would otherwise be float32
    try:
        for b, idx in enumerate(_draws(spec, "pq", len(preds))):
            ref = tm.PanopticQuality(things={2, 3}, stuffs={0, 1})(
                torch.from_numpy(np.stack([preds[i] for i in idx])), torch.from_numpy(np.stack([refs[i] for i in idx])))
            assert iv.samples[b] == pytest.approx(100 * float(ref), rel=1e-9), b
    finally:
        torch.set_default_dtype(old)


def test_capped_metrics_report_the_cap():
    fid = get_metric("FID")
    assert fid.max_resamples == 200
    g = np.random.default_rng(3)
    gen, ref = g.normal(size=(20, 3)), g.normal(0.2, 1.0, size=(20, 3))
    iv = resample_task(fid, gen, ref, {}, fid.compute(gen, ref), IntervalSpec(resamples=300), "fid")
    assert iv.resamples == 200 and iv.samples.shape == (200,) and any("caps" in n for n in iv.notes)


@pytest.mark.parametrize("name", ["FID", "FVD", "FAD"])
def test_frechet_resampler_equals_recomputing_on_the_resampled_features(name):
    """Gram matrices once, then reweighed (n <= D, the low-rank case of real extractors' 400..2,048-wide
    features), or weighted covariances (n > D): equal to the distance recomputed on each resampled list."""
    metric = get_metric(name)
    g = np.random.default_rng(8)
    gen = g.normal(size=(24, 40))
    ref = g.normal(0.3, 1.2, size=(24, 40))
    raw = metric.compute(gen, ref)
    spec = IntervalSpec(resamples=12, seed=3)
    iv = resample_task(metric, gen, ref, {}, raw, spec, "frechet")
    assert iv.method == "weights"
    for b, idx in enumerate(_draws(spec, "frechet", 24)):
        assert iv.samples[b] == pytest.approx(metric.compute(gen[idx], ref[idx]), rel=1e-9)
    tall = g.normal(size=(50, 6)), g.normal(0.2, 1.0, size=(50, 6))  # more items than dimensions: covariances
    iv = resample_task(metric, *tall, {}, metric.compute(*tall), spec, "frechet")
    assert iv.method == "weights"
    for b, idx in enumerate(_draws(spec, "frechet", 50)):
        assert iv.samples[b] == pytest.approx(metric.compute(tall[0][idx], tall[1][idx]), rel=1e-9)
    unpaired = g.normal(size=(30, 6)), g.normal(size=(40, 6))
    iv = resample_task(metric, *unpaired, {}, metric.compute(*unpaired), IntervalSpec(resamples=10), "frechet")
    assert iv.method == "recompute"


@pytest.mark.parametrize("name", ["RMSE", "MAE", "MSE"])
def test_pooled_errors_over_samples_of_different_sizes(name):
    """Pooled errors over samples of different sizes are ratios of sums: resampled from per-sample sums
    and element counts, equal to sklearn's error on the resampled samples' pooled elements."""
    from sklearn.metrics import mean_absolute_error, mean_squared_error

    g = np.random.default_rng(4)
    refs = [g.normal(size=int(g.integers(2, 9))) for _ in range(25)]
    preds = [r + g.normal(0, 0.5, size=r.size) for r in refs]
    metric = get_metric(name)
    raw = metric.compute(preds, refs)
    spec = IntervalSpec(resamples=12, seed=6)
    iv = resample_task(metric, preds, refs, {}, raw, spec, "pooled")
    assert iv.method == "stats"
    for b, idx in enumerate(_draws(spec, "pooled", 25)):
        y, p = np.concatenate([refs[i] for i in idx]), np.concatenate([preds[i] for i in idx])
        ref = {"MAE": mean_absolute_error(y, p), "MSE": mean_squared_error(y, p),
               "RMSE": math.sqrt(mean_squared_error(y, p))}[name]
        assert iv.samples[b] == pytest.approx(ref, rel=1e-12)
    scalars = [0.5, 1.5, 2.0, 3.0], [1.0, 1.0, 2.5, 2.0]  # one element each: MAE is a mean of items
    iv = resample_task(metric, *scalars, {}, metric.compute(*scalars), spec, "pooled")
    assert iv.method == ("stats" if name == "RMSE" else "mean")


def test_no_reference_metrics_resample_their_predictions():
    mos = get_metric("MOS")
    scores = [3.5, 4.0, 2.5, 4.5, 3.0, 3.8, 4.2, 2.9]
    raw = mos.compute(scores, None)
    iv = resample_task(mos, scores, None, {}, raw, IntervalSpec(resamples=50), "mos")
    assert iv.method == "mean"
    from scipy import stats

    assert (iv.low, iv.high) == pytest.approx(stats.t.interval(0.95, 7, loc=np.mean(scores), scale=stats.sem(scores)))
