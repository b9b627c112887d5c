"""Private helpers for the model-based metrics: the extractor protocol, Fréchet distance, cosines.

Nothing here downloads or bundles a model. A model-based metric receives either precomputed
features (an N x D numeric matrix) or raw samples plus a callable, given by the user or by name:

* an *extractor* maps a sequence of samples to an N x D array (numpy, or anything with
  ``.detach().cpu().numpy()`` / ``__array__`` such as a torch tensor);
* a *predictor* maps a sequence of samples to N per-sample scores;
* either option may instead be the *name* of an extractor a plugin registered with the
  ``register_extractors`` hook (``extractor="inception-pool3"``), resolved through the catalogue
  (:func:`generallevel.extractors.resolve`); its declared output dimension is then checked.

Raw samples without such a callable raise :class:`generallevel.MissingDependencyError` that names
the metric and says exactly what to pass, as does an unknown extractor name or one whose required
libraries are missing. numpy is the only import at module level; scipy loads inside the Fréchet
functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Callable, Union

import numpy as np

from generallevel import InputError, MissingDependencyError
from generallevel.extractors import resolve

from ._inputs import first_nonfinite, non_empty, refuse_one_value

# A callable samples -> N x D array (or N scores), or the name of a plugin-registered extractor.
Extractor = Union[Callable[[Any], Any], str]

# Rows of a feature matrix are centred in float64 blocks of about this many values (~32 MB).
_BLOCK_VALUES = 4 << 20


# -- generic array checks --------------------------------------------------------------------------
def to_numpy(value: Any) -> Any:
    """A torch tensor (any device, with or without grad) as numpy; other values unchanged."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        return value.detach().cpu().numpy()
    return value


def numeric_array(values: Any) -> np.ndarray | None:
    """``values`` as a real numeric ndarray, or None when it is not one (strings, ragged, objects)."""
    values = to_numpy(values)
    try:
        arr = np.asarray(values)
    except (ValueError, TypeError):
        return None
    if arr.dtype == bool or arr.dtype.kind not in "iuf":
        return None
    return arr


def sized(values: Any, what: str) -> int:
    """len(values), refusing None, a bare string and an empty sequence with a clear message.

    Unlike ``_inputs.ordered`` nothing is copied or refused for being a mapping: samples go to a
    user's extractor exactly as given.
    """
    refuse_one_value(values, what, unit="sample")
    try:
        n = len(values)
    except TypeError:
        raise InputError(f"{what} must be a sequence or an array, got {type(values).__name__}") from None
    return non_empty(n, what, unit="sample")


def require_finite(arr: np.ndarray, what: str) -> None:
    """Raise InputError naming the first non-finite entry of ``arr`` (NaN or infinity)."""
    idx = first_nonfinite(arr)
    if idx is not None:
        raise InputError(f"{what} contains a non-finite value ({arr[idx]!r} at index {idx}); "
                         "NaN or infinite inputs are not scored")


def resolve_extractor(value: Extractor, metric: str, option: str = "extractor",
                      output: str = "features") -> Callable[[Any], Any]:
    """The callable behind an ``extractor=`` / ``reference_extractor=`` / ``predictor=`` option.

    A callable is returned as is; a string is looked up among the plugin-registered extractors
    (MissingDependencyError when unknown, with close matches, or when its ``requires`` are not
    installed). For metrics that apply the callable themselves (e.g. per utterance).
    """
    return resolve(value, metric, option, output)[0]


# -- features ---------------------------------------------------------------------------------------
def feature_matrix(values: Any, metric: str, what: str, extractor: Extractor | None = None,
                   option: str = "extractor") -> np.ndarray:
    """An N x D finite float matrix: ``values`` themselves, or ``extractor(values)``.

    ``extractor`` is a callable or a registered extractor's name (``option`` is the keyword it
    came in, for messages). Without an extractor only a 2-D numeric array counts as features;
    anything else (images, videos, waveforms, texts, file paths) is treated as raw samples and
    refused with a MissingDependencyError, because turning samples into features needs a model we
    do not ship.
    """
    n = sized(values, f"{metric} {what}")
    if extractor is not None:
        fn, declared = resolve(extractor, metric, option, "features")
        arr = numeric_array(fn(values))
        source = f"{metric}: the extractor's output for {what}" if declared is None else \
            f"{metric}: extractor {declared.name!r} (plugin {declared.plugin}) output for {what}"
        if arr is None or arr.ndim != 2:
            shape = "a non-numeric value" if arr is None else f"shape {arr.shape}"
            raise InputError(f"{source} must be a numeric N x D array, got {shape}")
        if arr.shape[0] != n:
            raise InputError(f"{source} has {arr.shape[0]} rows for {n} samples; "
                             "an extractor must return one row per sample")
        if declared is not None and declared.dim is not None and arr.shape[1] != declared.dim:
            raise InputError(f"{source} has D={arr.shape[1]}, but the extractor declares dim={declared.dim}")
    else:
        arr = numeric_array(values)
        if arr is None or arr.ndim != 2:
            got = "non-numeric samples" if arr is None else f"an array of shape {arr.shape}"
            how = "extractor=callable" if what == "predictions" else \
                "extractor=callable (or reference_extractor=callable when the references are another " \
                "modality, e.g. texts)"
            raise MissingDependencyError(
                f"{metric} needs feature vectors, but {what} are {got}. Pass precomputed features as "
                f"an N x D numeric array (compute(pred_features, ref_features)), or pass the raw samples "
                f"with {how} mapping a sequence of samples to an N x D array, or with extractor=\"name\" "
                f"of an extractor a plugin registered (`generallevel extractors` lists them; see "
                f"docs/metrics/extractors.md). generallevel ships no model weights and downloads nothing.")
        source = f"{metric} {what}"
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise InputError(f"{source} is empty (shape {arr.shape})")
    if arr.dtype.kind != "f":
        arr = arr.astype(np.float64)
    return _finite_rows(arr, source)


def _finite_rows(arr: np.ndarray, what: str) -> np.ndarray:
    """Check finiteness cheaply: a float64 column sum is non-finite iff some entry is (or overflows)."""
    if np.isfinite(arr.sum(axis=0, dtype=np.float64)).all():
        return arr
    require_finite(arr, what)
    raise InputError(f"{what}: feature values are too large to sum in float64 (overflow)")


# -- Fréchet distance -------------------------------------------------------------------------------
def gaussian_stats(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and unbiased covariance (ddof=1, as numpy.cov / pytorch-fid / torchmetrics) of N x D rows.

    The covariance is accumulated over row blocks with BLAS ``syrk`` (which computes only one
    triangle, half the work of ``X.T @ X``) so a 50,000 x 2,048 float32 input is never copied whole
    into float64.
    """
    from scipy.linalg.blas import dsyrk

    n, d = x.shape
    if n < 2:
        raise InputError(f"a covariance needs at least 2 feature vectors, got {n}")
    mu = x.mean(axis=0, dtype=np.float64)
    cov = np.zeros((d, d), dtype=np.float64, order="F")
    rows = max(1, _BLOCK_VALUES // d)
    for start in range(0, n, rows):
        block = np.subtract(x[start:start + rows], mu, dtype=np.float64)
        # block.T is Fortran-ordered (d x k): syrk(trans=0) gives block.T @ block in the upper triangle.
        cov = dsyrk(1.0, block.T, beta=1.0, c=cov, trans=0, lower=0, overwrite_c=1)
    upper = np.triu(cov)
    cov = upper + np.triu(upper, 1).T
    cov /= n - 1
    return mu, cov


def trace_sqrt_product(s1: np.ndarray, s2: np.ndarray) -> float:
    """tr(sqrtm(S1 @ S2)) for symmetric positive semi-definite S1, S2, via symmetric eigenvalues.

    S1 S2 is similar to R S2 R with R R^T = S1 (R = Cholesky factor, or the symmetric square root
    when S1 is singular), so its eigenvalues are those of the symmetric PSD matrix R^T S2 R and
    tr sqrtm(S1 S2) = sum_i sqrt(lambda_i(R^T S2 R)). This needs one Cholesky and one ``eigvalsh``
    instead of the Schur-based ``scipy.linalg.sqrtm`` of a non-symmetric product: faster and free of
    the spurious imaginary parts sqrtm reports. Eigenvalues below zero are rounding noise and clipped.
    """
    from scipy.linalg import LinAlgError, cholesky, eigh, eigvalsh

    try:
        r = cholesky(s1, lower=True, check_finite=False)
        m = r.T @ (s2 @ r)
    except LinAlgError:  # singular S1 (e.g. fewer samples than dimensions): symmetric square root
        w, v = eigh(s1, check_finite=False)
        r = (v * np.sqrt(np.clip(w, 0.0, None))) @ v.T
        m = r @ s2 @ r
    m = (m + m.T) / 2.0
    lam = eigvalsh(m, check_finite=False)
    return float(np.sqrt(np.clip(lam, 0.0, None)).sum())


def frechet_from_stats(mu1: np.ndarray, s1: np.ndarray, mu2: np.ndarray, s2: np.ndarray) -> float:
    """||mu1 - mu2||^2 + tr(S1) + tr(S2) - 2 tr(sqrtm(S1 S2)), clipped at 0 (rounding can dip below)."""
    if np.array_equal(mu1, mu2) and np.array_equal(s1, s2):
        return 0.0
    diff = mu1 - mu2
    value = float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * trace_sqrt_product(s1, s2))
    return max(0.0, value)


def _stats_from_mapping(stats: Mapping, metric: str, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Precomputed statistics {"mu": (D,), "sigma": (D, D)} (the pytorch-fid .npz layout)."""
    if "mu" not in stats or "sigma" not in stats:
        raise InputError(f"{metric} {what}: precomputed statistics need keys 'mu' and 'sigma', "
                         f"got {sorted(map(str, stats))}")
    mu = numeric_array(stats["mu"])
    sigma = numeric_array(stats["sigma"])
    if mu is None or sigma is None or mu.ndim != 1 or sigma.shape != (mu.size, mu.size):
        raise InputError(f"{metric} {what}: 'mu' must be a (D,) vector and 'sigma' a (D, D) matrix")
    mu, sigma = mu.astype(np.float64), sigma.astype(np.float64)
    require_finite(mu, f"{metric} {what} mu")
    require_finite(sigma, f"{metric} {what} sigma")
    if not np.allclose(sigma, sigma.T, rtol=1e-6, atol=1e-10):
        raise InputError(f"{metric} {what}: 'sigma' must be a symmetric covariance matrix")
    return mu, (sigma + sigma.T) / 2.0


def frechet_distance(predictions: Any, references: Any, metric: str,
                     extractor: Extractor | None = None) -> float:
    """Fréchet distance between the Gaussians fitted to two feature sets (FID, FVD, FAD).

    Each side is an N x D feature matrix, raw samples plus ``extractor``, or a mapping of
    precomputed statistics {"mu", "sigma"}. The two sides may hold different numbers of samples.
    """
    sides: list[Any] = []  # per side: an N x D feature matrix or a (mu, sigma) pair
    for values, what in ((predictions, "predictions"), (references, "references")):
        if isinstance(values, Mapping):
            sides.append(_stats_from_mapping(values, metric, what))
            continue
        cached = _cached_stats(values, metric, what, extractor)
        if cached is not None:
            sides.append(cached)
            continue
        feats = feature_matrix(values, metric, what, extractor)
        if feats.shape[0] < 2:
            raise InputError(f"{metric} {what}: a covariance needs at least 2 samples, got {feats.shape[0]}")
        sides.append(feats)
    d1, d2 = (s[0].size if isinstance(s, tuple) else s.shape[1] for s in sides)
    if d1 != d2:
        raise InputError(f"{metric}: feature dimension mismatch: predictions have D={d1}, references D={d2}")
    x1, x2 = sides
    if isinstance(x1, np.ndarray) and isinstance(x2, np.ndarray) and x1.shape == x2.shape \
            and np.array_equal(x1, x2):
        return 0.0  # identical sets: exactly 0 rather than rounding noise
    if isinstance(x1, np.ndarray) and isinstance(x2, np.ndarray) and min(len(x1), len(x2)) < d1:
        return _frechet_low_rank(x1, x2)
    mu1, s1 = x1 if isinstance(x1, tuple) else gaussian_stats(x1)
    mu2, s2 = x2 if isinstance(x2, tuple) else gaussian_stats(x2)
    return frechet_from_stats(mu1, s1, mu2, s2)


def _cached_stats(values: Any, metric: str, what: str,
                  extractor: Extractor | None) -> tuple[np.ndarray, np.ndarray] | None:
    """(mu, sigma) of a side embedded by a registered, cached extractor, from the statistics cache
    (generallevel.feature_cache) when the same multiset of samples was reduced before: a task's
    reference set is embedded and reduced once per model identity. Only for sets larger than the
    declared dimension (smaller ones take the low-rank path on features); None otherwise."""
    if extractor is None:
        return None
    fn, declared = resolve(extractor, metric, "extractor", "features")
    stats_of = getattr(fn, "gaussian_stats", None)
    if stats_of is None or declared is None or not declared.dim or sized(values, f"{metric} {what}") <= declared.dim:
        return None

    def reduce(rows: Any) -> tuple[np.ndarray, np.ndarray]:
        feats = feature_matrix(rows, metric, f"{what} (extractor {declared.name!r} output)")
        if feats.shape[1] != declared.dim:
            raise InputError(f"{metric}: extractor {declared.name!r} (plugin {declared.plugin}) output for {what} "
                             f"has D={feats.shape[1]}, but the extractor declares dim={declared.dim}")
        return gaussian_stats(feats)

    return stats_of(values, reduce)


def _frechet_low_rank(x1: np.ndarray, x2: np.ndarray) -> float:
    """Fréchet distance from features when a side has fewer samples than dimensions.

    With centred, scaled features A (n1 x D) and B (n2 x D), S1 = A^T A and S2 = B^T B, and the
    non-zero eigenvalues of S1 S2 are the squared singular values of A B^T (n1 x n2), so
    tr sqrtm(S1 S2) is the nuclear norm of A B^T: no D x D matrix is ever formed (a 2,048-dim FID
    on a few dozen samples would otherwise decompose two 2,048 x 2,048 matrices).
    """
    x1 = x1.astype(np.float64, copy=False)
    x2 = x2.astype(np.float64, copy=False)
    mu1, mu2 = x1.mean(axis=0), x2.mean(axis=0)
    a = (x1 - mu1) / np.sqrt(len(x1) - 1)
    b = (x2 - mu2) / np.sqrt(len(x2) - 1)
    trace_sqrt = np.linalg.svd(a @ b.T, compute_uv=False).sum()
    diff = mu1 - mu2
    return max(0.0, float(diff @ diff + np.einsum("ij,ij->", a, a) + np.einsum("ij,ij->", b, b) - 2.0 * trace_sqrt))


# -- cosine similarity ------------------------------------------------------------------------------
def paired_cosines(a: np.ndarray, b: np.ndarray, metric: str) -> np.ndarray:
    """Row-wise cosine similarity of two N x D matrices (clipped to [-1, 1] against rounding)."""
    if a.shape[0] != b.shape[0]:
        raise InputError(f"{metric}: length mismatch: {a.shape[0]} prediction embeddings but "
                         f"{b.shape[0]} reference embeddings (pairs are scored row by row)")
    if a.shape[1] != b.shape[1]:
        raise InputError(f"{metric}: embedding dimension mismatch: D={a.shape[1]} vs D={b.shape[1]}")
    a = a.astype(np.float64, copy=False)
    b = b.astype(np.float64, copy=False)
    na = np.linalg.norm(a, axis=1)
    nb = np.linalg.norm(b, axis=1)
    for norms, what in ((na, "prediction"), (nb, "reference")):
        zero = np.flatnonzero(norms == 0)
        if zero.size:
            raise InputError(f"{metric}: {what} embedding {int(zero[0])} is all zeros; cosine is undefined")
    cos = np.einsum("ij,ij->i", a, b) / (na * nb)
    return np.clip(cos, -1.0, 1.0)


def clipped_cosine_percent(predictions: Any, references: Any, metric: str,
                           extractor: Extractor | None = None,
                           reference_extractor: Extractor | None = None) -> float:
    """100 x mean_i max(cos(p_i, r_i), 0): the CLIPScore form used by CLIP/DINO/CLAP scores.

    ``reference_extractor`` (default: ``extractor``) embeds the reference side when it is another
    modality, e.g. texts for CLIP-T and CLAP.
    """
    a = feature_matrix(predictions, metric, "predictions", extractor)
    if reference_extractor is not None:
        b = feature_matrix(references, metric, "references", reference_extractor, "reference_extractor")
    else:
        b = feature_matrix(references, metric, "references", extractor)
    cos = paired_cosines(a, b, metric)
    return float(100.0 * np.mean(np.maximum(cos, 0.0)))


# -- per-sample scores ------------------------------------------------------------------------------
def score_vector(values: Any, metric: str, lo: float, hi: float,
                 predictor: Extractor | None = None, what: str = "scores") -> np.ndarray:
    """Finite per-sample scores within [lo, hi]: ``values`` themselves or ``predictor(values)``.

    ``predictor`` is a callable or the name of a registered predictor (``output="scores"``).
    """
    n = sized(values, f"{metric} predictions")
    if predictor is not None:
        fn, _ = resolve(predictor, metric, "predictor", "scores")
        arr = numeric_array(fn(values))
        if arr is None:
            raise InputError(f"{metric}: the predictor must return numeric scores")
        arr = arr.reshape(-1) if arr.ndim == 2 and 1 in arr.shape else arr
        if arr.ndim != 1 or arr.size != n:
            raise InputError(f"{metric}: the predictor returned shape {arr.shape} for {n} samples; "
                             "it must return one score per sample")
        source = f"{metric} predictor output"
    else:
        arr = numeric_array(values)
        if arr is None or arr.ndim != 1:
            got = "non-numeric samples" if arr is None else f"an array of shape {arr.shape}"
            raise MissingDependencyError(
                f"{metric} needs per-sample {what}, but predictions are {got}. Pass the scores as a "
                f"1-D sequence of numbers in [{lo:g}, {hi:g}], or pass the raw samples with "
                f"predictor=callable mapping a sequence of samples to one score each, or with "
                f"predictor=\"name\" of a predictor a plugin registered (`generallevel extractors`; see "
                f"docs/metrics/extractors.md). generallevel ships no model weights and downloads nothing.")
        source = f"{metric} {what}"
    arr = arr.astype(np.float64)
    require_finite(arr, source)
    outside = np.flatnonzero((arr < lo) | (arr > hi))
    if outside.size:
        i = int(outside[0])
        raise InputError(f"{source}[{i}] = {arr[i]:g} is outside [{lo:g}, {hi:g}]")
    return arr

