"""Section 2: each metric against its reference library, on the same inputs, doing the same work.

For every row both sides start from the same Python/numpy inputs (the form the evaluate adapters
produce) and end with one number; converting the inputs into the reference library's own format
(COCO dicts, torch tensors, a binarised label matrix) is part of the reference's time, just as
our side's validation is part of ours. Both sides run the same configuration (the reference is
configured the way our metric computes: COCOeval with our area range, maxDets and thresholds) and
the same number of threads; each row's note prints both configurations. A row whose metric calls
the reference library itself (BLEU-4 calls sacrebleu) is marked "wrapper":
its ratio measures our wrapper's overhead and is never counted as a goal met.

Both sides are warmed up on a small input first, so library imports and first-call setup are not
timed. The two sides are timed alternately (ours, reference, ours, reference) and each keeps its
best; the second round is skipped when the first took over PAIR_BUDGET seconds. A result that
differs from the reference by more than the row's tolerance is a wrong result: run.py then exits 1.
"""

from __future__ import annotations

import gc
import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from _common import Row, failed_row, log, seconds
from _metric_inputs import (
    class_labels, detections, feature_sets, image_pairs, label_sets, point_clouds, ref_accuracy, ref_bleu4,
    ref_chamfer, ref_coco_ap, ref_coco_ap50, ref_frechet, ref_micro_f1, ref_micro_f1_sets, ref_ms_ssim, ref_psnr,
    ref_rouge_l, ref_wer, sentence_pairs,
)

EXACT = 1e-9  # goal for the absolute difference of the two results


# -- rows --------------------------------------------------------------------------------------------
@dataclass
class Case:
    """One comparison: ``build(size, rng)`` -> (predictions, references) shared by both sides.

    Cases with the same ``group`` share their inputs (built once). ``pick`` takes the row's number
    out of the reference's result. ``ours_cfg``/``ref_cfg`` say what each side runs; ``wrapper``
    names the library our metric calls, when it does (the row is then not a speed comparison).
    """

    figure: str
    metric: str
    build: Callable[[int, np.random.Generator], tuple[Any, Any]]
    reference: Callable[[Any, Any], Any]
    ref_cfg: str
    ours_cfg: str
    size: int
    quick: int
    warm: int
    unit: str
    ratio_goal: float = 1.0
    options: dict = field(default_factory=dict)
    note: str = ""
    group: str = ""
    pick: Callable[[Any], float] = float
    quick_unit: str = ""  # when --quick changes more than the count (e.g. the feature dimension)
    tol: float = EXACT  # goal for |ours - reference|; looser only where the reference itself is float32
    tol_why: str = ""
    wrapper: str = ""


def cases() -> list[Case]:
    from _metric_inputs import COCO_SAME

    box_cfg = "AP family on per-image box dicts: area 'all', max_dets=100, IoU {}; vectorised matcher (_coco_match)"
    return [
        Case("Acc", "Acc", lambda n, r: class_labels(n, r), ref_accuracy, "sklearn accuracy_score(refs, preds)",
             "Acc on two string lists", 1_000_000, 2_000, 1_000, "labels", group="labels"),
        Case("Micro-F1 (single labels)", "Micro-F1", lambda n, r: class_labels(n, r), ref_micro_f1,
             "sklearn f1_score(average='micro')", "Micro-F1 on two string lists", 1_000_000, 2_000, 1_000, "labels",
             group="labels"),
        Case("Micro-F1 (label sets)", "Micro-F1", lambda n, r: label_sets(n, r), ref_micro_f1_sets,
             "sklearn MultiLabelBinarizer(sparse_output=True) + f1_score(average='micro')",
             "Micro-F1 on two lists of label lists", 333_333, 1_000, 500, "instances",
             note="1-5 labels per instance, ~1e6 gold labels in total"),
        Case("AP (COCO .50:.95)", "AP", lambda n, r: detections(n, r), ref_coco_ap, COCO_SAME.format(""),
             box_cfg.format(".50:.95"), 5_000, 20, 10, "images x 20 boxes", ratio_goal=0.5, group="coco",
             note="faster-coco-eval reports 2-2.5x over pycocotools, i.e. 0.4-0.5x: the goal is that bar"),
        Case("AP@50", "AP@50", lambda n, r: detections(n, r), ref_coco_ap50, COCO_SAME.format(", iouThrs=[0.5]"),
             box_cfg.format("0.50"), 5_000, 20, 10, "images x 20 boxes", ratio_goal=0.5, group="coco"),
        Case("WER", "WER", lambda n, r: sentence_pairs(n, r), ref_wer, "jiwer.wer(reference, hypothesis)",
             "WER (corpus, jiwer's tokenisation; rapidfuzz word Levenshtein)", 50_000, 500, 200, "pairs",
             group="text"),
        Case("BLEU-4", "BLEU-4", lambda n, r: sentence_pairs(n, r), ref_bleu4, "sacrebleu.corpus_bleu(preds, [refs])",
             "BLEU-4 (calls sacrebleu's BLEU)", 10_000, 500, 200, "pairs", wrapper="sacrebleu",
             note="a wrapper row measures overhead only, so it runs a fifth of the other text rows' size"),
        Case("ROUGE-L", "ROUGE-L", lambda n, r: sentence_pairs(n, r), ref_rouge_l,
             "rouge_score RougeScorer(['rougeL']).score per pair, mean F", "ROUGE-L (own LCS, rouge_score's tokens)",
             50_000, 500, 200, "pairs", group="text"),
        Case("PSNR", "PSNR", lambda n, r: image_pairs(n, r, 176), ref_psnr,
             "torchmetrics PeakSignalNoiseRatio(data_range=1, dim=(1,2,3)), float64, batches of 50",
             "PSNR(data_range=1.0), numpy float64", 1_000, 8, 4, "images 3x176x176 f64",
             options={"data_range": 1.0}, tol=1e-5,
             tol_why="torchmetrics converts to dB with a float32 log(10) (rel. error ~5e-8); ours equals "
                     "the float64 numpy formula mean(10*log10(1/mse_i)) exactly"),
        Case("MS-SSIM", "MS-SSIM", lambda n, r: image_pairs(n, r, 176), ref_ms_ssim,
             "torchmetrics MultiScaleStructuralSimilarityIndexMeasure(data_range=1), float64, batches of 32",
             "MS-SSIM(data_range=1.0), numpy float64 (torchmetrics' steps), batches of 32", 32, 4, 2,
             "images 3x176x176 f64", options={"data_range": 1.0}, tol=1e-9,
             tol_why="both sides in float64; they differ only in summation order",
             note="the time of importing torch (~2-4 s, ~1 GiB) is outside the reference's timing"),
        Case("FID (Frechet distance)", "FID", lambda n, r: feature_sets(n, min(2048, n // 4), r), ref_frechet,
             "numpy mean/cov + scipy.linalg.sqrtm (pytorch-fid's formula and eps fallback)",
             "FID on two feature matrices (low-rank form when samples < dimensions)", 10_000, 400, 100,
             "x 2048 features", quick_unit="x 100 features",
             note="scipy's sqrtm is itself approximate (Schur, rounding ~1e-9 relative)"),
        Case("CD (Chamfer)", "CD", lambda n, r: point_clouds(4, n, r), ref_chamfer,
             "scipy cKDTree(default tree).query(workers=-1): all cores", "CD (cKDTree, sliding-midpoint tree, "
             "leaves of 32, workers=-1: all cores)", 100_000, 500, 200, "points x 4 cloud pairs",
             options={"workers": -1}, note="equal threads: both sides query on every core"),
    ]


PAIR_BUDGET = 30.0  # seconds: a second, interleaved round is timed when one round took less than this


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    gc.collect()
    t0 = time.perf_counter()
    value = fn()
    return time.perf_counter() - t0, value


def timed_pair(ours: Callable[[], Any], reference: Callable[[], Any] | None,
               decided: Callable[[float, float], bool] | None = None) -> tuple[float, Any, float, Any, int]:
    """Time ours and the reference alternately (ours, ref, ours, ref) and keep each side's best.

    Alternating spreads a change in machine load over both sides instead of charging it to one;
    the second round is skipped when the first already took more than PAIR_BUDGET seconds, or when
    ``decided(ours_s, reference_s)`` says its ratio is too far from the goal for a second round to
    change the verdict (this machine's noise moves a ratio by up to a third, not by 2x).
    ``reference`` None times ours alone (the reference's result is shared with another row).
    """
    best_o = best_r = math.inf
    v_o = v_r = None
    rounds = 0
    for _ in range(2):
        t_o, v_o = _timed(ours)
        t_r, v_r = _timed(reference) if reference is not None else (0.0, None)
        best_o, best_r = min(best_o, t_o), min(best_r, t_r)
        rounds += 1
        if t_o + t_r > (PAIR_BUDGET if reference is not None else PAIR_BUDGET / 3):
            break
        if reference is not None and decided is not None and decided(t_o, t_r):
            break
    return best_o, v_o, best_r, v_r, rounds


def far_from_goal(case: Case) -> Callable[[float, float], bool]:
    """Whether one round's ratio leaves the verdict beyond doubt: at most half the goal or over twice
    it (a wrapper row has no goal: one round measures its overhead)."""
    def decided(t_ours: float, t_ref: float) -> bool:
        if case.wrapper:
            return True
        ratio = t_ours / t_ref if t_ref > 0 else math.inf
        return ratio <= case.ratio_goal / 2 or ratio > case.ratio_goal * 2
    return decided


def _rounds_note(rounds: int, seconds_: float, case: Case) -> str:
    if rounds > 1:
        return "best of 2 interleaved runs"
    if seconds_ > PAIR_BUDGET:
        return "one run each (long calls)"
    return "one run each (wrapper: overhead only)" if case.wrapper else \
        f"one run each (ratio outside {case.ratio_goal / 2:g}x-{case.ratio_goal * 2:g}x, too far from the goal " \
        f"for a second run to change the verdict)"


def _goal(case: Case) -> str:
    if case.wrapper:
        return f"wrapper: none; diff <= {case.tol:g}"
    return f"<= {case.ratio_goal:g}x; diff <= {case.tol:g}"


class _Shared:
    """Inputs and reference results shared by the cases of one group (built once per size)."""

    def __init__(self) -> None:
        self.inputs: dict[tuple, Any] = {}
        self.refs: dict[tuple, tuple[float, Any]] = {}
        self.warm: set[tuple] = set()


def _compare(case: Case, size: int, shared: _Shared) -> Row:
    import generallevel

    metric = generallevel.get_metric(case.metric)
    ours = lambda p, r: metric.compute(p, r, **case.options)  # noqa: E731
    key = (case.group or case.figure, size)
    ref_key = (*key, case.reference)
    # warm-up: library imports and first-call setup happen here, not in the timed calls
    wp, wr = case.build(case.warm, np.random.default_rng(1))
    ours(wp, wr)
    if ref_key not in shared.refs:
        case.reference(wp, wr)
    del wp, wr
    if key not in shared.inputs:
        shared.inputs.clear()
        gc.collect()
        shared.inputs[key] = case.build(size, np.random.default_rng(0))
    preds, refs = shared.inputs[key]
    gc.collect()
    cached = shared.refs.get(ref_key)
    t_ours, v_ours, t_ref, ref_out, rounds = timed_pair(lambda: ours(preds, refs),
                                                        None if cached else lambda: case.reference(preds, refs),
                                                        far_from_goal(case))
    if cached:
        t_ref, ref_out = cached
    shared.refs[ref_key] = (t_ref, ref_out)
    v_ref = case.pick(ref_out)
    if not case.group:
        shared.inputs.clear()
    del preds, refs
    ratio = t_ours / t_ref if t_ref > 0 else math.inf
    diff = abs(float(v_ours) - float(v_ref))
    rel = diff / max(abs(float(v_ref)), 1e-300)
    right = diff <= case.tol
    met = (None if right else False) if case.wrapper else (ratio <= case.ratio_goal and right)
    value = f"{ratio:.2f}x ({seconds(t_ours)} vs {seconds(t_ref)}); diff {diff:.1e}"
    note = (f"ours: {case.ours_cfg} | reference: {case.ref_cfg}; ours {v_ours:.10g}, reference {v_ref:.10g}, "
            f"rel. diff {rel:.1e}; {_rounds_note(rounds, t_ours + t_ref, case)}")
    if case.wrapper:
        note = (f"WRAPPER: our {case.metric} calls {case.wrapper}, so the ratio is our wrapper's overhead, not a "
                f"faster implementation (not counted as a goal); " + note)
    if case.tol_why:
        note += f"; diff goal {case.tol:g}: {case.tol_why}"
    if case.note:
        note += f"; {case.note}"
    figure = f"{case.figure} ({size:,} {case.unit})" + (" [wrapper]" if case.wrapper else "")
    return Row("metrics", figure, value, _goal(case), met, note,
               {"ours_s": t_ours, "ref_s": t_ref, "ratio": ratio, "ours": v_ours, "ref": v_ref, "abs_diff": diff,
                "size": size, "wrong": not right, "wrapper": case.wrapper, "ours_config": case.ours_cfg,
                "reference_config": case.ref_cfg})


def run(quick: bool = False, only: list[str] | None = None) -> list[Row]:
    rows: list[Row] = []
    wanted = {w.lower() for w in only} if only else None
    shared = _Shared()
    for case in cases():
        if wanted and case.metric.lower() not in wanted and case.figure.lower() not in wanted:
            continue
        size = case.quick if quick else case.size
        if quick and case.quick_unit:
            case.unit = case.quick_unit
        log(f"  metric {case.figure} ({size:,} {case.unit})")
        try:
            rows.append(_compare(case, size, shared))
        except Exception as e:  # noqa: BLE001 - one metric must not lose the others
            rows.append(failed_row("metrics", f"{case.figure} ({size:,} {case.unit})", _goal(case), e))
        gc.collect()
    return rows
