"""Visual quality metrics against independent references: torchmetrics (PSNR, MS-SSIM, FID),
scipy.linalg.sqrtm and the diagonal closed form (Fréchet), hand-written loops (cosines, VBench).

Inputs are non-trivial random arrays from seeded generators; deterministic float64 paths are held
to 1e-9, float32 torch paths to 1e-6 (MS-SSIM is float64 numpy: 1e-9 against torchmetrics in float64).
"""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

import generallevel as gl
from generallevel import InputError, MissingDependencyError
from generallevel_builtin import _features, visual_quality as vq

TOL = 1e-9


def compute(name: str, preds, refs, **options) -> float:
    return gl.get_metric(name).compute(preds, refs, **options)


def noisy_pair(seed: int, shape, sigma: float = 0.08):
    rng = np.random.default_rng(seed)
    p = rng.random(shape)
    return p, np.clip(p + rng.normal(0.0, sigma, shape), 0.0, 1.0)


# -- PSNR -----------------------------------------------------------------------------------------
def hand_psnr(preds, refs, data_range):
    vals = []
    for p, r in zip(preds, refs):
        d = np.asarray(p, dtype=np.float64) - np.asarray(r, dtype=np.float64)
        mse = sum(float(x) * float(x) for x in d.ravel()) / d.size
        vals.append(10.0 * math.log10(data_range ** 2 / mse))
    return sum(vals) / len(vals)


@pytest.mark.parametrize("seed", [0, 1])
def test_psnr_matches_hand_formula_per_image_mean(seed):
    p, r = noisy_pair(seed, (5, 3, 12, 10))
    r[0] = np.clip(r[0] + 0.3, 0, 1)  # uneven quality: per-image mean != pooled MSE
    assert compute("PSNR", p, r) == pytest.approx(hand_psnr(p, r, 1.0), abs=TOL)


def test_psnr_matches_torchmetrics_per_image_reduction():
    import torch
    from torchmetrics.image import PeakSignalNoiseRatio

    p, r = noisy_pair(3, (6, 3, 16, 16))
    r[1] = np.clip(r[1] + 0.25, 0, 1)
    # torchmetrics multiplies by 10 / log(tensor(10.)) in float32 even for float64 states, so it is
    # itself only good to ~1e-7 relative; the float64 hand formula above holds us to 1e-9.
    tm = PeakSignalNoiseRatio(data_range=1.0, dim=(1, 2, 3), reduction="elementwise_mean").set_dtype(torch.float64)
    tm.update(torch.from_numpy(p), torch.from_numpy(r))
    assert compute("PSNR", p, r, data_range=1.0) == pytest.approx(tm.compute().item(), rel=1e-6)
    p32, r32 = p.astype(np.float32), r.astype(np.float32)
    tm32 = PeakSignalNoiseRatio(data_range=1.0, dim=(1, 2, 3), reduction="elementwise_mean")
    tm32.update(torch.from_numpy(p32), torch.from_numpy(r32))
    assert compute("PSNR", p32, r32) == pytest.approx(tm32.compute().item(), rel=1e-6)


def test_psnr_uint8_defaults_to_255_and_layouts_and_lists_agree():
    rng = np.random.default_rng(4)
    p = rng.integers(0, 256, (4, 9, 7, 3), dtype=np.uint8)
    r = np.clip(p.astype(int) + rng.integers(-20, 21, p.shape), 0, 255).astype(np.uint8)
    expected = hand_psnr(p, r, 255.0)
    assert compute("PSNR", p, r) == pytest.approx(expected, abs=TOL)
    assert compute("PSNR", p.transpose(0, 3, 1, 2), r.transpose(0, 3, 1, 2)) == pytest.approx(expected, abs=TOL)
    assert compute("PSNR", list(p), list(r)) == pytest.approx(expected, abs=TOL)
    assert compute("PSNR", p / 255.0, r / 255.0) == pytest.approx(expected, abs=TOL)


def test_psnr_images_of_different_sizes_in_a_list():
    (a, b), (c, d) = noisy_pair(5, (8, 8)), noisy_pair(6, (20, 13, 3), sigma=0.2)
    assert compute("PSNR", [a, c], [b, d]) == pytest.approx(hand_psnr([a, c], [b, d], 1.0), abs=TOL)


def test_psnr_blocks_do_not_change_the_result(monkeypatch):
    p, r = noisy_pair(7, (9, 2, 5, 5))
    whole = compute("PSNR", p, r)
    monkeypatch.setattr(vq, "_PSNR_BLOCK_VALUES", 70)  # 1 image (50 values) per block
    assert compute("PSNR", p, r) == pytest.approx(whole, abs=1e-12)


def test_psnr_identical_images_are_infinite_unless_capped():
    p, r = noisy_pair(8, (3, 4, 4))
    r[1] = p[1]
    with pytest.raises(InputError, match="infinite.*max_db"):
        compute("PSNR", p, r)
    capped = compute("PSNR", p, r, max_db=100.0)
    others = [10 * math.log10(1.0 / np.mean((p[i] - r[i]) ** 2)) for i in (0, 2)]
    assert capped == pytest.approx((others[0] + 100.0 + others[1]) / 3, abs=TOL)
    assert compute("PSNR", p, p, max_db=60.0) == 60.0
    assert gl.get_metric("PSNR").normalize(20.0) == pytest.approx(100 * math.tanh(1.0))


@pytest.mark.parametrize("preds, refs, match", [
    (np.zeros((0, 4, 4)), np.zeros((0, 4, 4)), "empty"),
    ([], [], "empty"),
    (np.zeros((2, 4, 4)), np.zeros((3, 4, 4)), "length mismatch"),
    (np.zeros((2, 4, 4)), np.zeros((2, 4, 5)), "shape mismatch"),
    ([np.zeros((4, 4))], [np.zeros((4, 3))], "shape mismatch"),
    (np.full((2, 4, 4), np.nan), np.zeros((2, 4, 4)), "non-finite"),
    (np.zeros((4, 4)), np.zeros((4, 4)), "wrap a single image"),
    (np.full((2, 4, 4), 200.0), np.zeros((2, 4, 4)), "data_range"),
    (np.zeros((2, 4, 4)) - 0.1, np.zeros((2, 4, 4)), "outside"),
    (["a", "b"], ["c", "d"], "numeric"),
    ([np.zeros((0, 4))], [np.zeros((0, 4))], "no pixels"),
])
def test_psnr_bad_inputs(preds, refs, match):
    with pytest.raises(InputError, match=match):
        compute("PSNR", preds, refs)


def test_psnr_nan_in_one_image_is_located():
    p, r = noisy_pair(9, (3, 4, 4))
    r[2, 1, 1] = np.nan
    with pytest.raises(InputError, match=r"references\[2\].*non-finite"):
        compute("PSNR", p, r)
    with pytest.raises(InputError, match="data_range must be a positive"):
        compute("PSNR", p, p, data_range=0)
    with pytest.raises(InputError, match="max_db must be a positive"):
        compute("PSNR", p, p, max_db="100")


# -- MS-SSIM --------------------------------------------------------------------------------------
def _tm_msssim(p, r, data_range, float64: bool = False):
    import torch
    from torchmetrics.image import MultiScaleStructuralSimilarityIndexMeasure

    if float64:  # torchmetrics' arithmetic in float64: the value our numpy float64 path must equal
        p, r = np.asarray(p, dtype=np.float64), np.asarray(r, dtype=np.float64)
    m = MultiScaleStructuralSimilarityIndexMeasure(data_range=data_range)
    if p.dtype == np.float64:
        m = m.set_dtype(torch.float64)  # float64 states, else the running sum is float32
    m.update(torch.from_numpy(np.ascontiguousarray(p)), torch.from_numpy(np.ascontiguousarray(r)))
    return m.compute().item()


# Our MS-SSIM is torchmetrics' computation done in float64 with numpy: equal to torchmetrics in float64
# to TOL whatever the input dtype; torchmetrics on float32 input rounds in float32 (~2e-6 here).
F32_ROUNDING = 1e-5


def test_ms_ssim_matches_torchmetrics_across_batches_and_layouts():
    p, r = noisy_pair(10, (3, 1, 176, 180), sigma=0.15)
    p[1:] = p[1:] ** 2
    p, r = p.astype(np.float32), r.astype(np.float32)
    expected = _tm_msssim(p, r, 1.0, float64=True)
    assert 0.2 < expected < 0.99
    assert compute("MS-SSIM", p, r) == pytest.approx(expected, abs=TOL)
    assert compute("MS-SSIM", p, r) == pytest.approx(_tm_msssim(p, r, 1.0), abs=F32_ROUNDING)
    assert compute("MS-SSIM", p, r, batch_size=2) == pytest.approx(expected, abs=TOL)
    nhwc = (p.transpose(0, 2, 3, 1), r.transpose(0, 2, 3, 1))
    assert compute("MS-SSIM", *nhwc) == pytest.approx(expected, abs=TOL)
    assert compute("MS-SSIM", list(p), list(r)) == pytest.approx(expected, abs=TOL)


def test_ms_ssim_float64_and_uint8():
    p, r = noisy_pair(11, (2, 1, 180, 176), sigma=0.2)
    assert compute("MS-SSIM", p, r) == pytest.approx(_tm_msssim(p, r, 1.0), abs=TOL)
    pu, ru = (p * 255).round().astype(np.uint8), (r * 255).round().astype(np.uint8)
    expected = _tm_msssim(pu, ru, 255.0, float64=True)
    assert compute("MS-SSIM", pu[:, 0], ru[:, 0]) == pytest.approx(expected, abs=TOL)  # N x H x W, range 255
    f32 = _tm_msssim(pu.astype(np.float32), ru.astype(np.float32), 255.0)
    assert compute("MS-SSIM", pu[:, 0], ru[:, 0]) == pytest.approx(f32, abs=F32_ROUNDING)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ms_ssim_numpy_path_equals_torchmetrics_on_random_scenes(seed):
    """Random sizes (odd too, so every 2 x 2 pooling floors), channels, ranges and noise levels,
    per image against torchmetrics' functional MS-SSIM in float64."""
    import torch
    from torchmetrics.functional.image import multiscale_structural_similarity_index_measure as tm

    rng = np.random.default_rng(100 + seed)
    n, c = int(rng.integers(1, 5)), int(rng.choice([1, 3]))
    h, w = (int(x) for x in rng.integers(176, 240, size=2))
    dr = float(rng.choice([1.0, 255.0]))
    p = rng.random((n, c, h, w)) * dr
    r = np.clip(p + rng.normal(0.0, rng.uniform(0.01, 0.5) * dr, p.shape), 0.0, dr)
    r[0] = dr - r[0]  # one anti-correlated pair: negative terms go through the relu
    want = tm(torch.from_numpy(p), torch.from_numpy(r), data_range=dr, reduction="none").numpy()
    assert np.allclose(vq._ms_ssim_block(p, r, dr), want, rtol=0, atol=TOL)
    assert compute("MS-SSIM", p, r, data_range=dr) == pytest.approx(float(np.clip(want.mean(), -1, 1)), abs=TOL)


def test_ms_ssim_identical_is_one_and_small_images_are_refused():
    p, _ = noisy_pair(12, (1, 3, 176, 176))
    p = p.astype(np.float32)
    metric = gl.get_metric("MS-SSIM")
    assert metric.compute(p, p) == pytest.approx(1.0, abs=1e-6)
    assert metric.normalize(1.0) == 100.0 and metric.normalize(0.0) == 50.0
    with pytest.raises(InputError, match="176"):
        compute("MS-SSIM", np.zeros((1, 3, 161, 200)), np.zeros((1, 3, 161, 200)))
    with pytest.raises(InputError, match="batch_size"):
        compute("MS-SSIM", p, p, batch_size=0)
    with pytest.raises(InputError, match="C in"):
        compute("MS-SSIM", np.zeros((1, 200, 200, 7)), np.zeros((1, 200, 200, 7)))


# -- Fréchet distance -----------------------------------------------------------------------------
def random_spd(rng, d, rank=None):
    a = rng.standard_normal((d, rank or d + 3))
    return a @ a.T / a.shape[1]


def scipy_frechet(x1, x2):
    """The textbook/pytorch-fid formula: np.cov + scipy.linalg.sqrtm of the product."""
    from scipy import linalg

    mu1, mu2 = x1.mean(0), x2.mean(0)
    s1, s2 = np.cov(x1, rowvar=False), np.cov(x2, rowvar=False)
    covmean = linalg.sqrtm(s1 @ s2).real
    return float((mu1 - mu2) @ (mu1 - mu2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_trace_sqrt_eigen_formulation_equals_sqrtm(seed):
    from scipy import linalg

    rng = np.random.default_rng(seed)
    s1, s2 = random_spd(rng, 24), random_spd(rng, 24)
    expected = np.trace(linalg.sqrtm(s1 @ s2)).real
    assert _features.trace_sqrt_product(s1, s2) == pytest.approx(expected, rel=TOL)
    # singular S1 (rank 10 < 24): Cholesky fails, the symmetric-root branch takes over
    s1 = random_spd(rng, 24, rank=10)
    expected = np.trace(linalg.sqrtm(s1 @ s2)).real
    assert _features.trace_sqrt_product(s1, s2) == pytest.approx(expected, rel=1e-6)


def test_trace_sqrt_symmetric_root_branch_equals_cholesky_branch(monkeypatch):
    import scipy.linalg

    rng = np.random.default_rng(9)
    s1, s2 = random_spd(rng, 15), random_spd(rng, 15)
    via_cholesky = _features.trace_sqrt_product(s1, s2)

    def fail(*args, **kwargs):
        raise scipy.linalg.LinAlgError("forced")

    monkeypatch.setattr(scipy.linalg, "cholesky", fail)
    assert _features.trace_sqrt_product(s1, s2) == pytest.approx(via_cholesky, rel=TOL)


def test_gaussian_stats_match_numpy_across_blocks(monkeypatch):
    x = np.random.default_rng(3).standard_normal((101, 7)).astype(np.float32) + 5.0
    monkeypatch.setattr(_features, "_BLOCK_VALUES", 30)  # 4 rows per block
    mu, cov = _features.gaussian_stats(x)
    np.testing.assert_allclose(mu, x.astype(np.float64).mean(0), rtol=0, atol=1e-12)
    np.testing.assert_allclose(cov, np.cov(x.astype(np.float64), rowvar=False), rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", ["FID", "FVD"])
def test_frechet_matches_scipy_sqrtm_reference(name):
    rng = np.random.default_rng(4)
    x1 = rng.standard_normal((300, 16)) @ rng.standard_normal((16, 16))
    x2 = rng.standard_normal((250, 16)) @ rng.standard_normal((16, 16)) + 0.3
    assert compute(name, x1, x2) == pytest.approx(scipy_frechet(x1, x2), rel=TOL)


def test_frechet_diagonal_closed_form_from_precomputed_stats():
    rng = np.random.default_rng(5)
    mu1, mu2 = rng.standard_normal(10), rng.standard_normal(10)
    v1, v2 = rng.uniform(0.1, 3, 10), rng.uniform(0.1, 3, 10)
    expected = float(np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(v1) - np.sqrt(v2)) ** 2))
    got = compute("FID", {"mu": mu1, "sigma": np.diag(v1)}, {"mu": mu2, "sigma": np.diag(v2)})
    assert got == pytest.approx(expected, rel=TOL)
    with pytest.raises(InputError, match="'mu' and 'sigma'"):
        compute("FID", {"mean": mu1}, {"mu": mu2, "sigma": np.diag(v2)})


def test_frechet_matches_torchmetrics_fid_with_identity_feature():
    import torch
    from torchmetrics.image.fid import FrechetInceptionDistance

    class Identity(torch.nn.Module):
        num_features = 12

        def forward(self, x):
            return x

    rng = np.random.default_rng(6)
    real = rng.standard_normal((200, 12)) * rng.uniform(0.5, 2, 12)
    fake = rng.standard_normal((180, 12)) @ rng.standard_normal((12, 12)) * 0.4 + 0.2
    tm = FrechetInceptionDistance(feature=Identity())
    tm.update(torch.from_numpy(real), real=True)
    tm.update(torch.from_numpy(fake), real=False)
    assert compute("FID", fake, real) == pytest.approx(tm.compute().item(), rel=1e-8)


def test_frechet_identical_is_zero_and_normalises_to_100():
    x = np.random.default_rng(7).standard_normal((50, 6))
    metric = gl.get_metric("FID")
    assert metric.compute(x, x.copy()) == 0.0
    assert metric.normalize(0.0) == 100.0
    assert metric.normalize(25.0) == pytest.approx(100 * (2 / (1 + math.exp(-1)) - 1))


def test_frechet_extractor_protocol():
    rng = np.random.default_rng(8)
    proj = rng.standard_normal((3 * 4 * 4, 5))
    images_a, images_b = rng.random((40, 3, 4, 4)), rng.random((30, 3, 4, 4)) ** 2
    extractor = lambda imgs: np.asarray(imgs).reshape(len(imgs), -1) @ proj  # noqa: E731
    expected = scipy_frechet(extractor(images_a), extractor(images_b))
    assert compute("FID", images_a, images_b, extractor=extractor) == pytest.approx(expected, rel=TOL)
    assert compute("FVD", list(images_a), list(images_b), extractor=extractor) == pytest.approx(expected, rel=TOL)
    with pytest.raises(MissingDependencyError, match=r"FID.*extractor=callable"):
        compute("FID", images_a, images_b)
    with pytest.raises(MissingDependencyError, match="FVD"):
        compute("FVD", ["a.mp4", "b.mp4"], ["c.mp4", "d.mp4"])
    with pytest.raises(InputError, match="one row per sample"):
        compute("FID", images_a, images_b, extractor=lambda s: np.zeros((3, 5)))
    with pytest.raises(InputError, match="callable"):
        compute("FID", images_a, images_b, extractor="inception")


@pytest.mark.parametrize("preds, refs, match", [
    (np.zeros((0, 4)), np.zeros((5, 4)), "empty"),
    ([], np.zeros((5, 4)), "empty"),
    (np.ones((1, 4)), np.zeros((5, 4)), "at least 2"),
    (np.zeros((5, 4)), np.zeros((5, 3)), "dimension mismatch"),
    (np.array([[1.0, np.nan], [0.0, 1.0]]), np.eye(2), "non-finite"),
])
def test_frechet_bad_inputs(preds, refs, match):
    with pytest.raises(InputError, match=match):
        compute("FID", preds, refs)


# -- cosine similarity metrics --------------------------------------------------------------------
def hand_clip_score(a, b):
    total = 0.0
    for u, v in zip(a, b):
        dot = sum(float(x) * float(y) for x, y in zip(u, v))
        cos = dot / (math.sqrt(sum(float(x) ** 2 for x in u)) * math.sqrt(sum(float(y) ** 2 for y in v)))
        total += max(cos, 0.0)
    return 100.0 * total / len(a)


@pytest.mark.parametrize("name", ["CLIP-I", "CLIP-T", "CLIP-Style", "DINO-I"])
def test_cosine_metrics_match_hand_formula(name):
    rng = np.random.default_rng(sum(map(ord, name)))
    a = rng.standard_normal((40, 16))
    b = 0.6 * a + rng.standard_normal((40, 16))  # mostly positive cosines, some negative (clipped)
    b[:5] = -a[:5]
    assert compute(name, a, b) == pytest.approx(hand_clip_score(a, b), abs=TOL)
    assert compute(name, a, 3.0 * a) == pytest.approx(100.0, abs=TOL)
    assert compute(name, a, -a) == 0.0


def test_clip_t_with_image_and_text_extractors():
    rng = np.random.default_rng(9)
    vocab = {w: rng.standard_normal(8) for w in ("cat", "dog", "red", "car")}
    texts = ["cat", "red car", "dog", "car dog"]
    images = [rng.random((3, 4, 4)) for _ in texts]
    proj = rng.standard_normal((48, 8))
    encode_image = lambda imgs: np.stack([np.ravel(i) @ proj for i in imgs])  # noqa: E731
    encode_text = lambda ts: np.stack([sum(vocab[w] for w in t.split()) for t in ts])  # noqa: E731
    got = compute("CLIP-T", images, texts, extractor=encode_image, reference_extractor=encode_text)
    assert got == pytest.approx(hand_clip_score(encode_image(images), encode_text(texts)), abs=TOL)
    with pytest.raises(MissingDependencyError, match="CLIP-T.*reference"):
        compute("CLIP-T", encode_image(images), texts)


@pytest.mark.parametrize("preds, refs, match", [
    (np.ones((3, 4)), np.ones((2, 4)), "length mismatch"),
    (np.ones((3, 4)), np.ones((3, 5)), "dimension mismatch"),
    (np.zeros((2, 4)), np.ones((2, 4)), "all zeros"),
    (np.full((2, 4), np.nan), np.ones((2, 4)), "non-finite"),
    ([], [], "empty"),
])
def test_cosine_bad_inputs(preds, refs, match):
    with pytest.raises(InputError, match=match):
        compute("CLIP-I", preds, refs)


# -- predictor scores -----------------------------------------------------------------------------
def test_musiq_and_aesthetic_means():
    scores = [41.5, 70.25, 55.0, 12.0]
    assert compute("MUSIQ", scores, None) == pytest.approx(sum(scores) / 4, abs=TOL)
    aest = [5.5, 6.25, 4.0]
    assert compute("AestheticScore", aest, None) == pytest.approx(10 * sum(aest) / 3, abs=TOL)
    images = [np.full((2, 2), v) for v in (0.2, 0.5, 0.9)]
    predictor = lambda imgs: [10 * float(i.mean()) for i in imgs]  # noqa: E731
    assert compute("AestheticScore", images, None, predictor=predictor) == pytest.approx(
        10 * (2 + 5 + 9) / 3, abs=TOL)
    with pytest.raises(MissingDependencyError, match="AestheticScore.*predictor=callable"):
        compute("AestheticScore", images, None)
    with pytest.raises(MissingDependencyError, match="MUSIQ"):
        compute("MUSIQ", ["img.png"], None)
    with pytest.raises(InputError, match="outside"):
        compute("AestheticScore", [5.0, 11.0], None)
    with pytest.raises(InputError, match="non-finite"):
        compute("MUSIQ", [50.0, float("nan")], None)
    with pytest.raises(InputError, match="one score per sample"):
        compute("MUSIQ", images, None, predictor=lambda imgs: [1.0])


# -- I2V composite --------------------------------------------------------------------------------
def test_i2v_composite_mean_of_four_dimensions():
    rows = [dict(subject_consistency=0.95, viclip=0.25, dynamic_degree=True, motion_smoothness=0.98),
            dict(subject_consistency=0.90, viclip=0.21, dynamic_degree=False, motion_smoothness=0.97),
            dict(subject_consistency=0.93, viclip=0.30, dynamic_degree=True, motion_smoothness=0.99, extra=3)]
    dims = ("subject_consistency", "viclip", "dynamic_degree", "motion_smoothness")
    expected = 100 * sum(sum(float(r[d]) for r in rows) / 3 for d in dims) / 4
    assert compute("I2V-Composite", rows, None) == pytest.approx(expected, abs=TOL)
    columns = {d: [float(r[d]) for r in rows] for d in dims}
    assert compute("I2V-Composite", columns, None) == pytest.approx(expected, abs=TOL)
    aggregated = dict(subject_consistency=0.9, viclip=0.2, dynamic_degree=0.5, motion_smoothness=0.98)
    assert compute("I2V-Composite", aggregated, None) == pytest.approx(100 * 2.58 / 4, abs=TOL)
    with pytest.raises(InputError, match="lacks viclip"):
        compute("I2V-Composite", [dict(subject_consistency=1, dynamic_degree=1, motion_smoothness=1)], None)
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        compute("I2V-Composite", dict(aggregated, viclip=25.0), None)
    with pytest.raises(InputError, match="empty"):
        compute("I2V-Composite", [], None)


# -- VBench temporal flickering and dynamic degree ------------------------------------------------
def vbench_flicker(videos):
    """VBench's cal_score loop: per consecutive pair mean |diff|, then (255 - mean) / 255."""
    sims = []
    for frames in videos:
        maes = [np.mean(np.abs(frames[i + 1].astype(np.float64) - frames[i])) for i in range(len(frames) - 1)]
        sims.append((255.0 - float(np.mean(maes))) / 255.0)
    return 100.0 * float(np.mean(sims))


def test_temporal_flickering_matches_vbench_loop():
    rng = np.random.default_rng(10)
    videos = rng.integers(0, 256, (3, 6, 10, 12, 3), dtype=np.uint8)
    videos[1] = np.clip(videos[1, :1].astype(int) + rng.integers(-3, 4, (6, 10, 12, 3)), 0, 255)
    expected = vbench_flicker(videos)
    assert compute("TemporalFlickering", videos, None) == pytest.approx(expected, abs=TOL)
    gray = [v[..., 0] for v in videos]
    assert compute("TemporalFlickering", gray, None) == pytest.approx(vbench_flicker(gray), abs=TOL)
    static = np.repeat(videos[:, :1], 4, axis=1)
    assert compute("TemporalFlickering", static, None) == 100.0


@pytest.mark.parametrize("videos, match", [
    (np.zeros((2, 1, 4, 4, 3), dtype=np.uint8), "need >= 2"),
    (np.zeros((5, 4, 4, 3), dtype=np.uint8), "list of videos"),
    ([np.full((2, 4, 4), 300.0)], "outside"),
    ([np.full((2, 4, 4), np.nan)], "non-finite"),
    ([], "empty"),
])
def test_temporal_flickering_bad_inputs(videos, match):
    with pytest.raises(InputError, match=match):
        compute("TemporalFlickering", videos, None)


def vbench_dynamic(flows, n_frames, fps=8.0):
    """VBench DynamicDegree.get_score/set_params/check_move on given flows (F x H x W x 2)."""
    h, w = flows.shape[1:3]
    scores = []
    for flo in flows:
        rad = np.sqrt(np.square(flo[..., 0].astype(np.float64)) + np.square(flo[..., 1]))
        cut = int(h * w * 0.05)
        scores.append(np.mean(np.abs(np.sort(-rad.ravel()))[:cut]))
    thres = max(1.0, 8.0 / fps) * 6.0 * (min(h, w) / 256.0)
    count_num = round(4 * (n_frames / 16.0))
    count = 0
    for s in scores:
        if s > thres:
            count += 1
        if count >= count_num:
            return True
    return False


def test_dynamic_degree_matches_vbench_logic():
    rng = np.random.default_rng(11)
    videos = []
    for k in range(12):  # 15 flows (16 frames) each, motion from still to strong
        flows = rng.normal(0, 0.05, (15, 64, 48, 2))
        moving = rng.random(15) < k / 12
        flows[moving, :8, :20] += rng.uniform(1.0, 3.0, 2)
        videos.append(flows)
    expected = 100.0 * np.mean([vbench_dynamic(f, 16) for f in videos])
    assert 0 < expected < 100
    assert compute("DynamicDegree", videos, None) == pytest.approx(expected, abs=TOL)
    chw = [f.transpose(0, 3, 1, 2) for f in videos]
    assert compute("DynamicDegree", chw, None) == pytest.approx(expected, abs=TOL)
    assert compute("DynamicDegree", np.stack(videos), None) == pytest.approx(expected, abs=TOL)
    expected_fps = 100.0 * np.mean([vbench_dynamic(f, 16, fps=4.0) for f in videos])
    assert compute("DynamicDegree", videos, None, fps=4.0) == pytest.approx(expected_fps, abs=TOL)
    assert compute("DynamicDegree", videos, None, threshold=0.0, min_count=15) == 100.0
    assert compute("DynamicDegree", videos, None, threshold=1e6) == 0.0


def test_dynamic_degree_bad_inputs():
    with pytest.raises(InputError, match="F x H x W x 2"):
        compute("DynamicDegree", [np.zeros((3, 8, 8, 3))], None)
    with pytest.raises(InputError, match="top-5"):
        compute("DynamicDegree", [np.zeros((3, 4, 4, 2))], None)
    with pytest.raises(InputError, match="threshold"):
        compute("DynamicDegree", [np.zeros((3, 8, 8, 2))], None, threshold=-1)
    with pytest.raises(InputError, match="fps"):
        compute("DynamicDegree", [np.zeros((3, 8, 8, 2))], None, fps=0)
    with pytest.raises(InputError, match="min_count"):
        compute("DynamicDegree", [np.zeros((3, 8, 8, 2))], None, min_count=1.5)
    with pytest.raises(InputError, match="non-finite"):
        compute("DynamicDegree", [np.full((3, 8, 8, 2), np.nan)], None)


def test_fid_with_fewer_samples_than_dimensions_equals_sqrtm_reference():
    """The low-rank path (n < D) must equal the textbook mean/cov + sqrtm formula."""
    import scipy.linalg

    rng = np.random.default_rng(11)
    a = rng.normal(size=(40, 300))
    b = rng.normal(loc=0.3, size=(55, 300)) @ np.diag(rng.uniform(0.5, 1.5, 300))
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    expected = float((mu1 - mu2) @ (mu1 - mu2) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))
    got = gl.get_metric("FID").compute(a, b)
    assert got == pytest.approx(expected, rel=1e-7)
    assert gl.get_metric("FAD").compute(b, a) == pytest.approx(expected, rel=1e-7)


def test_ms_ssim_blur_without_scipy_is_the_same(monkeypatch):
    rng = np.random.default_rng(7)
    x = rng.random((2, 3, 181, 177))
    g = vq._gauss_taps()
    with_scipy = vq._blur(x, g)
    monkeypatch.setitem(sys.modules, "scipy.ndimage", None)  # import fails: the numpy loop
    assert np.allclose(vq._blur(x, g), with_scipy, rtol=0, atol=1e-13)
