"""Image and video quality and alignment metrics: PSNR, MS-SSIM, FID, FVD, CLIP/DINO, MUSIQ, VBench-style.

Only numpy loads at import; scipy (Fréchet, MS-SSIM's blur when installed) loads inside compute;
MS-SSIM is numpy/scipy (torchmetrics is its reference).
Model-based metrics take precomputed features/scores or a user-supplied callable (_features.py).
"""

from __future__ import annotations

import math
from typing import Any, Callable, Iterator

import numpy as np

from generallevel import InputError, Metric, hookimpl
from generallevel.normalize import Affine, Tanh

from ._declare import distance, percent
from ._features import (
    Extractor, clipped_cosine_percent, frechet_distance, numeric_array, require_finite, score_vector,
    sized, to_numpy,
)
from ._inputs import same_length

_M = "generallevel_builtin.visual_quality:"


@hookimpl
def register_metrics(register):
    register(Metric("PSNR", True, (0.0, None), "dB", Tanh(20.0), _M + "psnr", aliases=("Peak Signal-to-Noise Ratio",),
                    reference="torchmetrics PeakSignalNoiseRatio(dim=(1, 2, 3), reduction='elementwise_mean'); "
                              "hand-computed per-image PSNR",
                    inputs="images (first axis = image: N x H x W, N x C x H x W, N x H x W x C, or a list) in "
                           "[0, data_range]; mean of per-image PSNR; options data_range (default 255 for integer "
                           "images, 1.0 for floats), max_db (cap; identical images otherwise raise), "
                           "skip_identical=False (True: leave identical pairs, whose PSNR is infinite, out of the "
                           "mean, as General-Bench's video restoration evaluator does)"))
    register(Metric("MS-SSIM", True, (-1.0, 1.0), "fraction", Affine(-1.0, 1.0), _M + "ms_ssim", aliases=("MSSSIM",),
                    reference="torchmetrics MultiScaleStructuralSimilarityIndexMeasure",
                    inputs="images N x C x H x W (or N x H x W x C, N x H x W, a list), H and W >= 176; "
                           "mean of per-image MS-SSIM; options data_range, batch_size"))
    feats = ("predictions, references: feature matrices (N x D) from a feature extractor, {'mu', 'sigma'} "
             "statistics, or raw samples plus extractor=callable; nothing is downloaded")
    frechet_ref = "scipy.linalg.sqrtm Frechet distance; diagonal closed form; torchmetrics FrechetInceptionDistance"
    register(distance("FID", _M + "fid", "Frechet Inception Distance", reference=frechet_ref, inputs=feats, max_resamples=200,
                      resampler="generallevel_builtin.frechet_resampling:frechet"))
    register(distance("FVD", _M + "fvd", "Frechet Video Distance", reference=frechet_ref,
                      inputs=feats + " (I3D-style video features)", max_resamples=200,
                      resampler="generallevel_builtin.frechet_resampling:frechet"))
    emb = ("predictions, references: paired embeddings (N x D) or samples plus extractor=callable "
           "(reference_extractor=callable for another modality); 100 x mean max(cos, 0)")
    register(percent("CLIP-I", _M + "clip_image", "CLIP img score", "CLIP image score", reference="hand-computed cosine (numpy)", inputs=emb))
    register(percent("CLIP-T", _M + "clip_text", "CLIP score", "CLIPScore", reference="hand-computed cosine; torchmetrics CLIPScore formula",
                     inputs=emb + " (image embeddings vs text embeddings)"))
    register(percent("CLIP-Style", _M + "clip_style", reference="hand-computed cosine", inputs=emb + " (style reference embeddings)"))
    register(percent("DINO-I", _M + "dino_image", "DINOScore", "DINO score", reference="hand-computed cosine", inputs=emb + " (DINO features)"))
    register(percent("MUSIQ", _M + "musiq", "MUSIQ score", reference="hand-computed mean of per-image predictor scores",
                     inputs="predictions: per-image MUSIQ scores (0..100) or images plus predictor=callable"))
    register(percent("AestheticScore", _M + "aesthetic", "Aesthetic score", reference="hand-computed mean x10 of 0..10 predictor scores",
                     inputs="predictions: per-image aesthetic scores on 0..10 or images plus predictor=callable"))
    register(percent("I2V-Composite", _M + "i2v_composite", "DINO+ViCLIP+Optical flow+Motion Smooth",
                     reference="hand-computed mean of the four VBench dimensions x 100",
                     inputs="predictions: per video dicts with subject_consistency, viclip, dynamic_degree, "
                            "motion_smoothness in [0,1], or one dict of dimension -> score or per-video scores"))
    register(percent("TemporalFlickering", _M + "temporal_flickering", "L1 distance",
                     reference="hand-computed VBench temporal flickering: (255 - mean |frame diff|)/255 x 100",
                     inputs="predictions: videos T x H x W (x C) on 0..255 (a list, or an N x T x H x W x C array)"))
    register(percent("DynamicDegree", _M + "dynamic_degree", "Optical Flow Score",
                     reference="hand-computed share of videos whose top-5% flow magnitude exceeds a threshold",
                     inputs="predictions: per video optical flows F x H x W x 2 (or F x 2 x H x W) between consecutive "
                            "frames, options threshold (px), fps, min_count (VBench defaults); or per video decisions "
                            "(0/1, booleans) or scores in [0, 1], e.g. from the raft-large extractor (video files)"))


# Values per float64 work block in PSNR (~32 MB), and images per MS-SSIM batch.
_PSNR_BLOCK_VALUES = 4 << 20
_MSSSIM_BATCH = 32
# torchmetrics' MS-SSIM (5 scales, 11-px kernel) needs H // 16 > 10, i.e. H, W >= 176.
MS_SSIM_MIN_SIZE = 176


# -- image sets -------------------------------------------------------------------------------------
def _image_set(values: Any, what: str, metric: str) -> np.ndarray | list[np.ndarray]:
    """Images indexed by the first axis: an N x ... array (ndim >= 3) or a sequence of 2/3-D arrays.

    A bare 2-D array is refused: it would be read as H one-row images, never as one image.
    """
    values = to_numpy(values)
    if isinstance(values, np.ndarray):
        arr = numeric_array(values)
        if arr is None:
            raise InputError(f"{metric} {what} must be numeric images, got dtype {values.dtype}")
        if arr.ndim < 3:
            raise InputError(f"{metric} {what} has shape {arr.shape}; pass N x H x W, N x C x H x W or "
                             "N x H x W x C images (wrap a single image in a list)")
        if arr.shape[0] == 0:
            raise InputError(f"{metric} {what} is empty; at least one image is needed")
        return arr
    sized(values, f"{metric} {what}")
    images = []
    for i, v in enumerate(values):
        arr = numeric_array(v)
        if arr is None or arr.ndim not in (2, 3):
            got = "non-numeric data" if arr is None else f"shape {arr.shape}"
            raise InputError(f"{metric} {what}[{i}] must be a numeric H x W, C x H x W or H x W x C image, got {got}")
        images.append(arr)
    return images


def _image_pairs(predictions: Any, references: Any, metric: str):
    p = _image_set(predictions, "predictions", metric)
    r = _image_set(references, "references", metric)
    same_length(len(p), len(r), metric=metric)
    return p, r


def _default_data_range(p, r, data_range: float | None, metric: str) -> float:
    """The explicit ``data_range``, else 255 when every image is integer-typed (8-bit) and 1.0 otherwise."""
    if data_range is None:
        arrays = [p, r] if isinstance(p, np.ndarray) and isinstance(r, np.ndarray) else [*p, *r]
        return 255.0 if all(a.dtype.kind in "iu" for a in arrays) else 1.0
    return _positive(data_range, "data_range", metric)


def _positive(value: Any, name: str, metric: str, allow_zero: bool = False) -> float:
    """``value`` as a finite float > 0 (or >= 0), else InputError naming the option."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool) \
        and math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        kind = "non-negative" if allow_zero else "positive"
        raise InputError(f"{metric}: {name} must be a {kind} number, got {value!r}")
    return float(value)


def _pair_blocks(p, r, metric: str, max_values: int) -> Iterator[tuple[int, np.ndarray, np.ndarray]]:
    """(first index, prediction block, reference block) with equal shapes and at most ~max_values each.

    Arrays are cut into row blocks (views); lists are grouped into runs of same-shaped images.
    """
    if isinstance(p, np.ndarray) and isinstance(r, np.ndarray):
        if p.shape != r.shape:
            raise InputError(f"{metric}: shape mismatch: predictions {p.shape} vs references {r.shape}")
        per = max(1, max_values // max(1, int(np.prod(p.shape[1:]))))
        for start in range(0, p.shape[0], per):
            yield start, p[start:start + per], r[start:start + per]
        return
    start, run_p, run_r = 0, [], []
    for i, (a, b) in enumerate(zip(p, r)):
        if a.shape != b.shape:
            raise InputError(f"{metric}: shape mismatch at image {i}: prediction {a.shape} vs reference {b.shape}")
        if run_p and (a.shape != run_p[0].shape or (len(run_p) + 1) * a.size > max_values):
            yield start, np.stack(run_p), np.stack(run_r)
            start, run_p, run_r = i, [], []
        run_p.append(a)
        run_r.append(b)
    yield start, np.stack(run_p), np.stack(run_r)


def _check_values(block: np.ndarray, lo: float, hi: float, what: str, start: int) -> None:
    """Refuse NaN/inf and values outside [lo, hi] (min/max propagate NaN, so one pass each)."""
    if block.size == 0:
        raise InputError(f"{what}[{start}] has no pixels (shape {block.shape[1:]})")
    mn, mx = block.min(), block.max()
    if not (np.isfinite(mn) and np.isfinite(mx)):
        bad = np.argwhere(~np.isfinite(block))[0]
        raise InputError(f"{what}[{start + int(bad[0])}] contains a non-finite value (NaN or inf)")
    if mn < lo or mx > hi:
        k = int(np.argmax(((block < lo) | (block > hi)).reshape(block.shape[0], -1).any(axis=1)))
        raise InputError(f"{what}[{start + k}] has values in [{mn:g}, {mx:g}] outside [{lo:g}, {hi:g}]; "
                         "pass data_range= matching the images (255 for 8-bit, 1.0 for [0, 1] floats)")


# -- PSNR -------------------------------------------------------------------------------------------
def psnr(predictions: Any, references: Any, *, data_range: float | None = None,
         max_db: float | None = None, skip_identical: bool = False) -> float:
    """Mean over images of per-image PSNR = 10 log10(data_range^2 / MSE_i), in dB.

    Per-image averaging (torchmetrics ``PeakSignalNoiseRatio(dim=(1, 2, 3),
    reduction="elementwise_mean")``) keeps every image's weight equal; pooling the MSE over the whole
    set first (torchmetrics' default ``dim=None``) lets a few bad images dominate. A pair with MSE 0
    has infinite PSNR: that raises unless ``max_db`` caps every per-image PSNR (e.g. 100), or
    ``skip_identical`` leaves such pairs out of the mean (it raises when every pair is identical).
    """
    p, r = _image_pairs(predictions, references, "PSNR")
    dr = _default_data_range(p, r, data_range, "PSNR")
    if max_db is not None:
        if skip_identical:
            raise InputError("PSNR: give max_db or skip_identical, not both")
        max_db = _positive(max_db, "max_db", "PSNR")
    sse, count = np.empty(len(p)), np.empty(len(p))
    for start, pb, rb in _pair_blocks(p, r, "PSNR", _PSNR_BLOCK_VALUES):
        _check_values(pb, 0.0, dr, "PSNR predictions", start)
        _check_values(rb, 0.0, dr, "PSNR references", start)
        k = pb.shape[0]
        diff = np.subtract(pb.reshape(k, -1), rb.reshape(k, -1), dtype=np.float64)
        sse[start:start + k] = np.einsum("ij,ij->i", diff, diff)
        count[start:start + k] = diff.shape[1]
    perfect = np.flatnonzero(sse == 0)
    if skip_identical:
        if perfect.size == len(sse):
            raise InputError("PSNR: every prediction equals its reference; with skip_identical=True no "
                             "finite PSNR is left to average (pass max_db=<cap> instead)")
        finite = sse > 0
        sse, count = sse[finite], count[finite]
    elif perfect.size and max_db is None:
        raise InputError(f"PSNR is infinite: prediction {int(perfect[0])} equals its reference "
                         f"({perfect.size} such image(s)); pass max_db=<cap in dB, e.g. 100> to cap per-image PSNR")
    with np.errstate(divide="ignore"):
        per_image = 10.0 * np.log10(dr * dr * count / sse)
    if max_db is not None:
        per_image = np.minimum(per_image, float(max_db))
    return float(np.mean(per_image))


# -- MS-SSIM ----------------------------------------------------------------------------------------
def _nchw(block: np.ndarray, metric: str, start: int) -> np.ndarray:
    """A block of images as N x C x H x W: N x H x W gets C = 1; N x H x W x C (C in 1, 3, 4) is moved."""
    if block.ndim == 3:
        return block[:, None]
    if block.ndim == 4:
        if block.shape[1] in (1, 3, 4):
            return block
        if block.shape[-1] in (1, 3, 4):
            return block.transpose(0, 3, 1, 2)
    raise InputError(f"{metric}: images from index {start} have shape {block.shape[1:]}; expected "
                     "H x W, C x H x W or H x W x C with C in (1, 3, 4)")


# torchmetrics' defaults: an 11-tap Gaussian of sigma 1.5, K1 = 0.01, K2 = 0.03 and these scale
# weights (a float32 tensor there, so the float32 values are the exponents).
_MSSSIM_BETAS = tuple(float(b) for b in np.array([0.0448, 0.2856, 0.3001, 0.2363, 0.1333], dtype=np.float32))
_MSSSIM_SIGMA, _MSSSIM_TAPS, _MSSSIM_K1, _MSSSIM_K2 = 1.5, 11, 0.01, 0.03


def _gauss_taps() -> np.ndarray:
    """torchmetrics' ``_gaussian``: exp(-(d / sigma)^2 / 2) at d = -5..5, normalised to sum 1."""
    d = np.arange((1 - _MSSSIM_TAPS) / 2, (1 + _MSSSIM_TAPS) / 2, 1.0)
    g = np.exp(-((d / _MSSSIM_SIGMA) ** 2) / 2)
    return g / g.sum()


def _blur(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """The 2-D Gaussian (outer(g, g)) correlated with ``x`` (..., H, W) after a reflect pad of 5 px on
    each side (torch's ``F.pad(mode='reflect')`` then a valid ``conv2d``): same size as ``x``."""
    try:  # scipy's C loop, ~6x the numpy one below; mode 'mirror' is torch's 'reflect'
        from scipy.ndimage import correlate1d
    except ImportError:
        pass
    else:
        return correlate1d(correlate1d(x, g, axis=-1, mode="mirror"), g, axis=-2, mode="mirror")
    pad = (len(g) - 1) // 2
    h, w = x.shape[-2:]
    xp = np.pad(x, [(0, 0)] * (x.ndim - 2) + [(pad, pad), (pad, pad)], mode="reflect")
    rows = g[0] * xp[..., :, 0:w]
    for k in range(1, len(g)):
        rows += g[k] * xp[..., :, k:k + w]
    out = g[0] * rows[..., 0:h, :]
    for k in range(1, len(g)):
        out += g[k] * rows[..., k:k + h, :]
    return out


def _ms_ssim_block(x: np.ndarray, y: np.ndarray, data_range: float) -> np.ndarray:
    """Per-image MS-SSIM of two N x C x H x W float64 blocks: torchmetrics'
    ``multiscale_structural_similarity_index_measure`` (gaussian kernel, normalize='relu',
    reduction='none') step for step, in float64 with numpy."""
    g = _gauss_taps()
    pad = (len(g) - 1) // 2
    c1, c2 = (_MSSSIM_K1 * data_range) ** 2, (_MSSSIM_K2 * data_range) ** 2
    n = x.shape[0]
    mcs = []
    for scale in range(len(_MSSSIM_BETAS)):
        mu_x, mu_y, xx, yy, xy = (_blur(a, g) for a in (x, y, x * x, y * y, x * y))
        last = scale == len(_MSSSIM_BETAS) - 1
        if not last:  # only the contrast term is used here, over the unpadded region: crop first
            mu_x, mu_y, xx, yy, xy = (a[..., pad:-pad, pad:-pad] for a in (mu_x, mu_y, xx, yy, xy))
        mu_x_sq, mu_y_sq, mu_xy = mu_x * mu_x, mu_y * mu_y, mu_x * mu_y
        sigma_x = np.maximum(xx - mu_x_sq, 0.0)
        sigma_y = np.maximum(yy - mu_y_sq, 0.0)
        upper = 2 * (xy - mu_xy) + c2
        lower = (sigma_x + sigma_y) + c2
        if last:  # the coarsest scale contributes its full SSIM (torchmetrics: mcs_list[-1] = sim)
            full = ((2 * mu_xy + c1) * upper) / ((mu_x_sq + mu_y_sq + c1) * lower)
            mcs.append(np.maximum(full.reshape(n, -1).mean(-1), 0.0))
            break
        cs = upper / lower
        mcs.append(np.maximum(cs.reshape(n, -1).mean(-1), 0.0))
        h2, w2 = x.shape[-2] // 2 * 2, x.shape[-1] // 2 * 2  # F.avg_pool2d((2, 2)): floor
        x = x[..., :h2, :w2].reshape(*x.shape[:-2], h2 // 2, 2, w2 // 2, 2).mean(axis=(-3, -1))
        y = y[..., :h2, :w2].reshape(*y.shape[:-2], h2 // 2, 2, w2 // 2, 2).mean(axis=(-3, -1))
    return np.prod(np.stack(mcs) ** np.array(_MSSSIM_BETAS)[:, None], axis=0)


def ms_ssim(predictions: Any, references: Any, *, data_range: float | None = None,
            batch_size: int = _MSSSIM_BATCH) -> float:
    """Mean over images of torchmetrics' MS-SSIM (5 scales, 11-px Gaussian, sigma 1.5, relu normalisation).

    Computed with numpy in float64 (torchmetrics' own steps: reflect pad, Gaussian window, clamped
    variances, cropped contrast term, 2 x 2 average pooling); equal to torchmetrics run in float64
    to ~1e-12, and to torchmetrics on float32 input within that float32 arithmetic's rounding
    (~1e-6). Images go in batches of ``batch_size`` to bound memory. ``data_range`` is never
    inferred per batch.
    """
    p, r = _image_pairs(predictions, references, "MS-SSIM")
    dr = _default_data_range(p, r, data_range, "MS-SSIM")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InputError(f"MS-SSIM: batch_size must be a positive integer, got {batch_size!r}")
    values = np.empty(len(p))
    first = p if isinstance(p, np.ndarray) else p[0]
    per_image = int(np.prod(first.shape[1:] if isinstance(p, np.ndarray) else first.shape))
    for start, pb, rb in _pair_blocks(p, r, "MS-SSIM", batch_size * per_image):
        _check_values(pb, 0.0, dr, "MS-SSIM predictions", start)
        _check_values(rb, 0.0, dr, "MS-SSIM references", start)
        pb, rb = _nchw(pb, "MS-SSIM", start), _nchw(rb, "MS-SSIM", start)
        h, w = pb.shape[-2:]
        if min(h, w) < MS_SSIM_MIN_SIZE:
            raise InputError(f"MS-SSIM: image {start} is {h} x {w}; the 5-scale MS-SSIM needs height and "
                             f"width >= {MS_SSIM_MIN_SIZE} px (the coarsest scale must fit the 11-px window)")
        values[start:start + pb.shape[0]] = _ms_ssim_block(pb.astype(np.float64), rb.astype(np.float64), dr)
    # rounding can put identical images a hair above 1; the metric is bounded by [-1, 1].
    return float(np.clip(np.mean(values), -1.0, 1.0))


# -- Fréchet distances and embedding similarities -------------------------------------------------
def fid(predictions: Any, references: Any, *, extractor: Extractor | None = None) -> float:
    """Fréchet distance between generated and reference image features (e.g. Inception pool3)."""
    return frechet_distance(predictions, references, "FID", extractor)


def fvd(predictions: Any, references: Any, *, extractor: Extractor | None = None) -> float:
    """Fréchet distance between generated and reference video features (e.g. I3D logits)."""
    return frechet_distance(predictions, references, "FVD", extractor)


def _cosine(metric: str, name: str) -> Callable[..., float]:
    """The compute function of one paired-embedding metric (they differ only in name and inputs)."""
    def compute(predictions: Any, references: Any, *, extractor: Extractor | None = None,
                reference_extractor: Extractor | None = None) -> float:
        return clipped_cosine_percent(predictions, references, metric, extractor, reference_extractor)

    compute.__name__ = compute.__qualname__ = name
    compute.__doc__ = f"{metric}: 100 x mean over pairs of max(cos(prediction_i, reference_i), 0)."
    return compute


clip_image = _cosine("CLIP-I", "clip_image")
clip_text = _cosine("CLIP-T", "clip_text")
clip_style = _cosine("CLIP-Style", "clip_style")
dino_image = _cosine("DINO-I", "dino_image")


# -- predictor scores -------------------------------------------------------------------------------
def musiq(predictions: Any, references: Any = None, *, predictor: Callable[[Any], Any] | None = None) -> float:
    """Mean per-image MUSIQ score (0..100). ``references`` is not used (MUSIQ is no-reference)."""
    return float(np.mean(score_vector(predictions, "MUSIQ", 0.0, 100.0, predictor, "MUSIQ scores")))


def aesthetic(predictions: Any, references: Any = None, *, predictor: Callable[[Any], Any] | None = None) -> float:
    """10 x mean per-image aesthetic score (LAION predictor scale 0..10) -> 0..100. No references."""
    scores = score_vector(predictions, "AestheticScore", 0.0, 10.0, predictor, "aesthetic scores")
    return float(10.0 * np.mean(scores))


# -- VBench-style video metrics ---------------------------------------------------------------------
I2V_DIMENSIONS = ("subject_consistency", "viclip", "dynamic_degree", "motion_smoothness")


def i2v_composite(predictions: Any, references: Any = None) -> float:
    """100 x the mean of four VBench dimension scores, each first averaged over videos.

    ``predictions``: a list of per-video dicts with the four keys (values in [0, 1]; dynamic_degree
    may be a bool), or one dict mapping each dimension to a score or to per-video scores.
    """
    if isinstance(predictions, dict):
        columns = {}
        for dim in I2V_DIMENSIONS:
            if dim not in predictions:
                raise InputError(f"I2V-Composite: missing dimension {dim!r} (need {', '.join(I2V_DIMENSIONS)})")
            columns[dim] = np.atleast_1d(_unit_scores(predictions[dim], f"I2V-Composite {dim}"))
    else:
        sized(predictions, "I2V-Composite predictions")
        rows = list(predictions)
        for i, row in enumerate(rows):
            if not isinstance(row, dict):
                raise InputError(f"I2V-Composite predictions[{i}] must be a dict of dimension scores")
            missing = [d for d in I2V_DIMENSIONS if d not in row]
            if missing:
                raise InputError(f"I2V-Composite predictions[{i}] lacks {', '.join(missing)}")
        columns = {d: _unit_scores([row[d] for row in rows], f"I2V-Composite {d}") for d in I2V_DIMENSIONS}
    return float(100.0 * np.mean([np.mean(columns[d]) for d in I2V_DIMENSIONS]))


def _unit_scores(values: Any, what: str) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{what} must be numbers in [0, 1], got {values!r:.80}") from None
    if arr.size == 0:
        raise InputError(f"{what} is empty")
    require_finite(arr, what)
    if arr.min() < 0 or arr.max() > 1:
        raise InputError(f"{what} must lie in [0, 1]; got values in [{arr.min():g}, {arr.max():g}]")
    return arr


def _videos(values: Any, what: str, metric: str, min_ndim: int, max_ndim: int) -> list[np.ndarray]:
    """Per-video numeric arrays from a list, or from an array with one extra leading axis for videos.

    An array is split only when it has ``max_ndim + 1`` axes: a single T x H x W x C video passed
    bare would otherwise be misread as T grayscale videos.
    """
    values = to_numpy(values)
    if isinstance(values, np.ndarray) and values.dtype != object:
        if values.ndim != max_ndim + 1:
            raise InputError(f"{metric} {what} is one array of shape {values.shape}; pass a list of videos "
                             f"or an array with {max_ndim + 1} axes (videos first)")
        if values.shape[0] == 0:
            raise InputError(f"{metric} {what} is empty; at least one video is needed")
        items = list(values)
    else:
        sized(values, f"{metric} {what}")
        items = list(values)
    out = []
    for i, v in enumerate(items):
        arr = numeric_array(v)
        if arr is None or not (min_ndim <= arr.ndim <= max_ndim):
            got = "non-numeric data" if arr is None else f"shape {arr.shape}"
            raise InputError(f"{metric} {what}[{i}] has {got}; expected {min_ndim} to {max_ndim} axes")
        out.append(arr)
    return out


def temporal_flickering(predictions: Any, references: Any = None) -> float:
    """VBench temporal flickering: mean over videos of (255 - mean |frame_t+1 - frame_t|) / 255, x 100.

    Each video is T x H x W (x C) with values on 0..255 (uint8 or numbers); T >= 2. The per-video
    term is VBench's mean over consecutive pairs of the per-pair mean absolute difference (equal to
    the mean over all pair-pixels since frames share a size). No references.
    """
    scores = []
    for i, video in enumerate(_videos(predictions, "predictions", "TemporalFlickering", 3, 4)):
        if video.shape[0] < 2:
            raise InputError(f"TemporalFlickering predictions[{i}] has {video.shape[0]} frame(s); need >= 2")
        _check_values(video[None], 0.0, 255.0, "TemporalFlickering predictions", i)
        mad = float(np.mean(np.abs(np.diff(video.astype(np.float64), axis=0))))
        scores.append((255.0 - mad) / 255.0)
    return float(100.0 * np.mean(scores))


def _flow_peaks(flow: np.ndarray, i: int) -> tuple[np.ndarray, int, int]:
    """Per flow field the mean of its top 5 % magnitudes (VBench's ``max_rad``), and the flow's H, W.

    ``flow`` is F x H x W x 2, F x 2 x H x W, or a single H x W x 2 / 2 x H x W field.
    """
    if flow.ndim == 3:
        flow = flow[None]
    if flow.shape[-1] != 2:
        if flow.shape[1] != 2:
            raise InputError(f"DynamicDegree predictions[{i}] has shape {flow.shape}; expected flows "
                             "F x H x W x 2 or F x 2 x H x W")
        flow = flow.transpose(0, 2, 3, 1)
    h, w = flow.shape[1:3]
    cut = int(h * w * 0.05)
    if cut < 1:
        raise InputError(f"DynamicDegree predictions[{i}]: a {h} x {w} flow has no top-5 % pixels")
    require_finite(flow, f"DynamicDegree predictions[{i}]")
    rad = np.hypot(flow[..., 0], flow[..., 1], dtype=np.float64).reshape(flow.shape[0], -1)
    top = np.partition(rad, rad.shape[1] - cut, axis=1)[:, rad.shape[1] - cut:]
    return top.mean(axis=1), h, w


def _decisions(predictions: Any) -> np.ndarray | None:
    """Per-video decisions or scores in [0, 1] (a flat list of numbers/booleans, or a 1-D array), or
    None when ``predictions`` are something else (flows)."""
    values = to_numpy(predictions)
    if isinstance(values, np.ndarray):
        if values.dtype == object or values.ndim != 1:
            return None
    elif not (isinstance(values, (list, tuple)) and values
              and all(isinstance(v, (bool, int, float, np.bool_, np.integer, np.floating)) for v in values)):
        return None
    return _unit_scores(values, "DynamicDegree per-video decisions")


def dynamic_degree(predictions: Any, references: Any = None, *, threshold: float | None = None,
                   fps: float | None = None, min_count: int | None = None) -> float:
    """VBench dynamic degree: 100 x share of videos whose optical flow says "moving".

    Per video (a list of F flow fields F x H x W x 2 between consecutive frames, e.g. RAFT output):
    each flow's score is the mean of its top 5 % magnitudes; the video is dynamic when at least
    ``min_count`` scores exceed ``threshold``. Defaults follow VBench: threshold =
    max(1, 8/fps) * 6 * min(H, W) / 256 pixels (fps 8 when not given) and min_count =
    round(4 * (F + 1) / 16).

    ``predictions`` may instead be per-video decisions (1/0, booleans) or scores in [0, 1], as the
    ``raft-large`` extractor returns from video files (it applies the same rule to its own flows);
    the result is 100 x their mean, and the flow options must not be given.
    """
    decisions = _decisions(predictions)
    if decisions is not None:
        given = [k for k, v in (("threshold", threshold), ("fps", fps), ("min_count", min_count)) if v is not None]
        if given:
            raise InputError(f"DynamicDegree: predictions are per-video decisions, so {', '.join(given)} cannot "
                             "apply (they set the rule that turns flows into decisions)")
        return float(100.0 * np.mean(decisions))
    if threshold is not None:
        threshold = _positive(threshold, "threshold", "DynamicDegree", allow_zero=True)
    fps = _positive(8.0 if fps is None else fps, "fps", "DynamicDegree")
    if min_count is not None and (isinstance(min_count, bool) or not isinstance(min_count, (int, np.integer))
                                  or min_count < 0):
        raise InputError(f"DynamicDegree: min_count must be a non-negative integer, got {min_count!r}")
    moving = []
    for i, flow in enumerate(_videos(predictions, "predictions", "DynamicDegree", 3, 4)):
        peaks, h, w = _flow_peaks(flow, i)
        thres = threshold if threshold is not None else max(1.0, 8.0 / fps) * 6.0 * min(h, w) / 256.0
        need = min_count if min_count is not None else round(4 * (peaks.size + 1) / 16.0)
        moving.append(int(np.count_nonzero(peaks > thres)) >= need)
    return float(100.0 * np.mean(moving))
