"""The General-Bench evaluators' conventions for video and audio tasks, as metric options.

Each option is checked against a hand-computed value or an independent computation (numpy.polyfit,
scikit-learn's jaccard_score, a plain-Python transcription of the formula, pymcd), never against
generallevel's own output. docs/general-bench-other-modalities.md says which task uses which option.
"""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

import generallevel as gl
from generallevel import InputError

from .test_audio import _pymcd

REL = 1e-9


def compute(name: str, preds, refs, **options) -> float:
    return gl.get_metric(name).compute(preds, refs, **options)


# -- AbsRel: video depth (per-video scale-and-shift alignment, valid range 1e-3..80) ------------------
def test_abs_rel_scale_shift_hand_value():
    # least squares of gt on pred: s = 1.5, t = 1/3 -> aligned 11/6, 10/3, 29/6;
    # relative errors 1/12, 1/9, 1/30 -> mean 41/540
    pred, gt = np.array([1.0, 2.0, 3.0]), np.array([2.0, 3.0, 5.0])
    assert compute("AbsRel", [pred], [gt], align="scale_shift") == pytest.approx(41 / 540, rel=REL)
    # an affine copy aligns perfectly; pixels outside the valid range are not scored
    gt2 = np.array([[3.0, 5.0], [7.0, 100.0]])
    pred2 = np.array([[1.0, 2.0], [3.0, 7.0]])
    assert compute("AbsRel", [pred2], [gt2], align="scale_shift", depth_range=(1e-3, 80)) == pytest.approx(0, abs=1e-12)
    assert compute("AbsRel", [pred], [gt]) == pytest.approx((0.5 + 1 / 3 + 0.4) / 3, rel=REL)  # default unchanged


def test_abs_rel_general_bench_convention_matches_polyfit_loop():
    rng = np.random.default_rng(11)
    videos = [(rng.uniform(0.0, 2.0, (3, 1, 6, 5)), rng.uniform(0.0, 100.0, (3, 1, 6, 5))) for _ in range(3)]
    lo, hi = 1e-3, 80.0
    want = []
    for pred, gt in videos:
        valid = (gt > lo) & (gt < hi)
        p = np.maximum(pred, lo)
        s, t = np.polyfit(p[valid], gt[valid], 1)  # independent least-squares routine
        aligned = np.clip(s * p + t, lo, hi)
        want.append(np.mean(np.abs(aligned[valid] - gt[valid]) / gt[valid]))
    got = compute("AbsRel", [p for p, _ in videos], [g for _, g in videos],
                  align="scale_shift", depth_range=(lo, hi), reduction="per_sample")
    assert got == pytest.approx(float(np.mean(want)), rel=1e-7)


@pytest.mark.parametrize("options, match", [
    ({"align": "affine"}, "align must be"),
    ({"depth_range": (80, 1)}, "depth_range"),
    ({"depth_range": 80}, "depth_range"),
])
def test_abs_rel_option_refusals(options, match):
    with pytest.raises(InputError, match=match):
        compute("AbsRel", [np.ones((2, 2))], [np.ones((2, 2))], **options)


def test_abs_rel_alignment_needs_maps_not_numbers():
    with pytest.raises(InputError, match="depth maps"):
        compute("AbsRel", [1.0, 2.0], [1.0, 3.0], align="scale_shift")


# -- mIoU per video: video object segmentation -------------------------------------------------------
def _video_case():
    v1p = [np.array([[1, 1], [0, 0]]), np.zeros((2, 2), int)]
    v1g = [np.array([[1, 0], [0, 0]]), np.array([[0, 0], [0, 1]])]
    v2 = np.array([[[0, 1], [1, 1]]] * 3)  # F x H x W, identical prediction
    v3 = [np.zeros((2, 2), int)]  # both empty: the official evaluator scores 0
    return [v1p, v2, v3], [v1g, v2.copy(), v3]


def test_miou_per_video_hand_value():
    preds, refs = _video_case()
    # video 1: intersection 1 + 0, union 2 + 1 -> 1/3; video 2: 1; video 3: 0
    assert compute("mIoU", preds, refs, per_video=True) == pytest.approx(100 * (1 / 3 + 1 + 0) / 3, rel=REL)


def test_miou_per_video_matches_sklearn_binary_jaccard_per_video():
    from sklearn.metrics import jaccard_score

    rng = np.random.default_rng(5)
    preds, refs, want = [], [], []
    for f in (2, 5, 3):
        g = rng.random((f, 7, 9)) < 0.3
        p = np.where(rng.random(g.shape) < 0.2, ~g, g)
        preds.append(list(p))
        refs.append(g)
        want.append(jaccard_score(g.ravel(), p.ravel()))
    assert compute("mIoU", preds, refs, per_video=True) == pytest.approx(100 * np.mean(want), rel=REL)


def test_miou_per_video_refusals():
    preds, refs = _video_case()
    with pytest.raises(InputError, match="num_classes"):
        compute("mIoU", preds, refs, per_video=True, num_classes=2)
    with pytest.raises(InputError, match="frames"):
        compute("mIoU", [preds[0]], [refs[0][:1]], per_video=True)
    with pytest.raises(InputError, match="binary"):
        compute("mIoU", [[np.full((2, 2), 0.5)]], [[np.ones((2, 2))]], per_video=True)


# -- m_vIoU: per-frame box lists with [0, 0, 0, 0] outside the tube -----------------------------------
def test_m_viou_zero_box_absent_hand_value():
    z = [0, 0, 0, 0]
    gt = [z, [0, 0, 2, 2], [0, 0, 2, 2], z]
    pred = [z, [0, 0, 2, 2], [1, 1, 3, 3], [0, 0, 2, 2]]
    # frame 0: no box on either side (skipped); 1: IoU 1; 2: IoU 1/7; 3: prediction only (counts in the union)
    assert compute("m_vIoU", [pred], [gt], zero_box_absent=True) == pytest.approx(100 * (1 + 1 / 7) / 3, rel=REL)
    # by default a zero box is a (degenerate) box: frame 0 matches exactly, frame 3 overlaps nothing
    assert compute("m_vIoU", [pred], [gt]) == pytest.approx(100 * (1 + 1 + 1 / 7 + 0) / 4, rel=REL)
    # xywh trajectories (as the annotations store them) read the same way
    gt_xywh = [z, [0, 0, 2, 2], [0, 0, 2, 2], z]
    pred_xywh = [z, [0, 0, 2, 2], [1, 1, 2, 2], [0, 0, 2, 2]]
    assert compute("m_vIoU", [pred_xywh], [gt_xywh], zero_box_absent=True, box_format="xywh") == \
        pytest.approx(100 * (1 + 1 / 7) / 3, rel=REL)
    with pytest.raises(InputError, match="no box"):
        compute("m_vIoU", [[z]], [[z]], zero_box_absent=True)


# -- S-measure: General-Bench's simplified formula ----------------------------------------------------
def _gb_s_measure_plain(pred, gt, alpha=0.5):
    """The General-Bench S-measure written out with plain Python lists and the statistics module."""
    h, w = len(gt), len(gt[0])
    flat_p = [v for row in pred for v in row]
    flat_g = [v for row in gt for v in row]
    y = sum(flat_g) / len(flat_g)
    if y == 0:
        return 1 - statistics.fmean(flat_p)
    if y == 1:
        return statistics.fmean(flat_p)

    def obj(xs):
        mu = statistics.fmean(xs)
        return 2 * mu / (mu * mu + 1 + statistics.pstdev(xs) + 1e-8)

    fg = [p for p, g in zip(flat_p, flat_g) if g]
    bg = [1 - p for p, g in zip(flat_p, flat_g) if not g]
    s_obj = y * obj(fg) + (1 - y) * obj(bg)
    rows = [i for i in range(h) for j in range(w) if gt[i][j]]
    cols = [j for i in range(h) for j in range(w) if gt[i][j]]
    cx, cy = round(sum(cols) / len(cols)), round(sum(rows) / len(rows))  # half to even, as numpy

    def ssim(rr, cc):
        ps = [pred[i][j] for i in rr for j in cc]
        gs = [float(gt[i][j]) for i in rr for j in cc]
        mp, mg = statistics.fmean(ps), statistics.fmean(gs)
        cov = statistics.fmean([(a - mp) * (b - mg) for a, b in zip(ps, gs)])
        vp, vg = statistics.pvariance(ps), statistics.pvariance(gs)
        c1, c2 = 0.01 ** 2, 0.03 ** 2
        return ((2 * mp * mg + c1) * (2 * cov + c2)) / ((mp * mp + mg * mg + c1) * (vp + vg + c2) + 1e-8)

    quads = [(range(0, cy), range(0, cx)), (range(0, cy), range(cx, w)),
             (range(cy, h), range(0, cx)), (range(cy, h), range(cx, w))]
    s_reg = sum(len(rr) * len(cc) / (h * w) * ssim(rr, cc) for rr, cc in quads if len(rr) * len(cc))
    return max(alpha * s_obj + (1 - alpha) * s_reg, 0.0)


def test_s_measure_general_bench_variant_matches_plain_transcription():
    rng = np.random.default_rng(3)
    preds, refs, want = [], [], []
    for h, w in [(6, 7), (9, 5), (8, 8)]:
        g = np.zeros((h, w), bool)
        g[1:h - 2, 2:w - 1] = True
        p = np.clip(g * 0.7 + rng.random((h, w)) * 0.3, 0, 1)
        preds.append(p)
        refs.append(g)
        want.append(_gb_s_measure_plain(p.tolist(), g.astype(int).tolist()))
    got = compute("S-measure", preds, refs, variant="general-bench")
    assert got == pytest.approx(100 * float(np.mean(want)), rel=REL)
    assert got != pytest.approx(compute("S-measure", preds, refs), rel=1e-3)  # a different formula from Fan's


def test_s_measure_general_bench_degenerate_references():
    p = np.full((3, 4), 0.2)
    assert compute("S-measure", [p], [np.zeros((3, 4))], variant="general-bench") == pytest.approx(80.0, rel=REL)
    assert compute("S-measure", [p], [np.ones((3, 4))], variant="general-bench") == pytest.approx(20.0, rel=REL)
    with pytest.raises(InputError, match="variant"):
        compute("S-measure", [p], [np.ones((3, 4))], variant="matlab")


# -- PSNR: identical frames left out of the mean (video restoration) ----------------------------------
def test_psnr_skip_identical_hand_value():
    ref = np.zeros((2, 2, 2, 3), np.uint8)
    pred = ref.copy()
    pred[1, 0, 0, :] = 255  # frame 1: 3 of 12 values off by 255 -> MSE 255^2 / 4 -> 10 log10(4) dB
    assert compute("PSNR", pred, ref, skip_identical=True) == pytest.approx(10 * math.log10(4), rel=REL)
    with pytest.raises(InputError, match="infinite"):
        compute("PSNR", pred, ref)
    with pytest.raises(InputError, match="every prediction equals"):
        compute("PSNR", ref, ref, skip_identical=True)
    with pytest.raises(InputError, match="not both"):
        compute("PSNR", pred, ref, skip_identical=True, max_db=100)


# -- WER: mean of per-utterance WERs on whitespace words (werpy loop) ---------------------------------
def test_wer_item_average_and_whitespace_split_hand_values():
    refs, hyps = ["a b c d", "x y"], ["a b c", "x z w"]
    # utterance 1: one deletion in 4 words; utterance 2: a substitution and an insertion in 2 words
    assert compute("WER", hyps, refs) == pytest.approx(3 / 6, rel=REL)
    assert compute("WER", hyps, refs, average="item") == pytest.approx((1 / 4 + 2 / 2) / 2, rel=REL)
    # a tab separates words for str.split(), not for jiwer's default transform
    assert compute("WER", ["a b"], ["a\tb"], split="whitespace") == 0.0
    assert compute("WER", ["a b"], ["a\tb"]) == 2.0
    with pytest.raises(InputError, match=r"references\[1\] is empty"):
        compute("WER", ["a", "b"], ["a", ""], average="item")
    with pytest.raises(InputError, match="average"):
        compute("WER", ["a"], ["a"], average="macro")


# -- MCD: pymcd 'plain' on waveforms of different lengths ---------------------------------------------
def test_mcd_pad_waveforms_matches_pymcd_plain_on_unequal_lengths(monkeypatch):
    calc_cls = _pymcd(monkeypatch)
    if calc_cls is None:
        pytest.skip("pymcd (with pyworld and pysptk) is not importable here")
    rng = np.random.default_rng(8)

    def noisy_tone(seconds, hz, amplitude, noise):
        t = np.arange(int(seconds * 22050)) / 22050
        return (amplitude * np.sin(2 * np.pi * hz * t) + noise * rng.standard_normal(t.size)).astype(np.float32)

    ref, syn = noisy_tone(0.25, 220, 0.5, 0.05), noisy_tone(0.31, 233, 0.4, 0.08)  # different lengths
    calc = calc_cls("plain")
    calc.load_wav = lambda wav, sample_rate: wav  # arrays instead of files
    expected = calc.calculate_mcd(ref, syn)  # pymcd zero-pads the shorter waveform in 'plain' mode
    got = compute("MCD", [syn], [ref], dtw=False, include_c0=True, extractor=calc.wav2mcep_numpy, pad_waveforms=True)
    assert got == pytest.approx(expected, rel=REL)


def test_mcd_pad_waveforms_refusals():
    with pytest.raises(InputError, match="extractor"):
        compute("MCD", [np.zeros(10)], [np.zeros(12)], pad_waveforms=True)
    with pytest.raises(InputError, match="1-D waveforms"):
        compute("MCD", [np.zeros((10, 2))], [np.zeros(12)], pad_waveforms=True, extractor=lambda w: w)
