"""Error and distance metrics on numbers, depth and motion: lower is better, sigmoid mapping.

Input convention shared by every function here (and reused by the point-cloud module):

* a number, or a flat sequence / 1-D array of numbers, is a set of *instances* (one per element);
* a list or tuple of array-likes is a set of *samples* (images, sequences), shapes may differ
  between samples but must match between prediction and reference;
* any other array is *one* sample, unless a function says that an extra leading axis is a batch.

Errors are pooled over every element by default (what scikit-learn computes); ``reduction=
"per_sample"`` instead averages the per-sample statistic (the Eigen/monodepth depth convention).
NaN/inf, empty input and shape mismatches raise :class:`generallevel.InputError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Number
from typing import Any, Callable, Sequence

import numpy as np

from generallevel import InputError, hookimpl

from ._declare import distance
from ._inputs import matching_samples

_M = "generallevel_builtin.regression:"
_S = "generallevel_builtin.resampling_stats:"
KITTI_LENGTHS = (100.0, 200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0)


@hookimpl
def register_metrics(register):
    nums = "; option reduction='pooled'|'per_sample', min_gt=None (ignore elements whose reference <= min_gt)"
    register(distance("MAE", _M + "mae", "Mean Absolute Error", reference="sklearn.metrics.mean_absolute_error",
                      inputs="numbers (e.g. counts) per instance, or arrays per sample" + nums,
                      item_stats=_S + "mae_stats", from_stats=_S + "mae_from_stats"))
    register(distance("RMS", _M + "rms", "RMS error",
                      reference="sklearn.metrics.root_mean_squared_error over all valid pixels",
                      inputs="depth maps or numbers; root mean squared error (paper's T=50 mapping)" + nums,
                      item_stats=_S + "rmse_stats", from_stats=_S + "rmse_from_stats"))
    register(distance("RMSE", _M + "rmse", "Root Mean Squared Error", reference="sklearn.metrics.root_mean_squared_error",
                      inputs="numbers or arrays; RMSE with T=5" + nums,
                      item_stats=_S + "rmse_stats", from_stats=_S + "rmse_from_stats"))
    register(distance("MSE", _M + "mse", "Mean Squared Error", reference="sklearn.metrics.mean_squared_error",
                      inputs="numbers or arrays (matting: alpha mattes; option scale=1.0 multiplies the "
                      "result, e.g. 1000 for the usual matting 'MSE x 1e3')" + nums,
                      item_stats=_S + "mse_stats", from_stats=_S + "mse_from_stats"))
    register(distance("SAD", _M + "sad", "Sum of Absolute Differences",
                      reference="hand-computed matting SAD (sum |alpha_p - alpha_g| / 1000, mean over images)",
                      inputs="alpha mattes in [0,1], one H x W array per image (list, or an N x H x W batch); "
                      "option scale=1000"))
    register(distance("AbsRel", _M + "abs_rel", "absRel", "Abs Rel",
                      reference="hand-computed mean |d_p - d_g| / d_g over valid pixels; numpy.polyfit scale/shift",
                      inputs="depth maps per image (or per video); pixels with gt <= 0 are ignored; option reduction; "
                      "depth_range=(lo, hi): only lo < gt < hi is valid and predictions are clipped to [lo, hi]; "
                      "align='scale_shift': per sample, least-squares scale and shift of the prediction onto the "
                      "reference first (General-Bench video depth: align='scale_shift', depth_range=(0.001, 80), "
                      "reduction='per_sample')"))
    register(distance("EPE", _M + "epe", "End-Point Error", reference="hand-computed mean L2 norm of flow difference",
                      inputs="optical flows H x W x 2 per sample (list, or an N x H x W x 2 batch); NaN in a reference "
                             "pixel marks it invalid (KITTI sparse flow): only valid pixels count; option reduction"))
    register(distance("RTE", _M + "rte", "RTE ( Relative Translation Error)", "Relative Translation Error",
                      reference="hand-computed KITTI odometry t_rel (loop over segments with 4x4 matrix inverses)",
                      inputs="per sequence: poses N x 4 x 4, N x 3 x 4 or N x 12 (KITTI rows), or translations "
                      "N x 3 (identity rotations); KITTI translational error in percent of distance travelled; "
                      "options lengths=(100,...,800), step=10",
                      item_stats=_S + "rte_stats", from_stats=_S + "rte_from_stats"))


# -- input handling -----------------------------------------------------------------------------
@dataclass
class Flat:
    """Paired, validated values: ``pred``/``ref`` flat (or M x k for vectors), ``sid`` sample ids."""

    pred: np.ndarray
    ref: np.ndarray
    sid: np.ndarray
    n: int


def _is_scalar(x: Any) -> bool:
    return isinstance(x, Number) or (isinstance(x, np.ndarray) and x.ndim == 0)


def to_float_array(x: Any, what: str) -> np.ndarray:
    """``np.asarray(x, float)`` with a clear InputError for strings, ragged lists and None."""
    if x is None:
        raise InputError(f"{what} is None; expected numbers")
    try:
        return np.asarray(x, dtype=float)
    except (TypeError, ValueError) as e:
        raise InputError(f"{what}: expected numbers or a rectangular array, got {type(x).__name__} ({e})") from None


def split_samples(x: Any, what: str, batch_ndim: int | None = None) -> list[np.ndarray] | np.ndarray:
    """Samples of ``x`` (see the module docstring); a 1-D array is returned as-is (instances)."""
    if isinstance(x, (list, tuple)):
        if len(x) == 0:
            raise InputError(f"{what} is empty")
        if all(_is_scalar(e) for e in x):
            return to_float_array(x, what)
        return [to_float_array(e, f"{what}[{i}]") for i, e in enumerate(x)]
    a = to_float_array(x, what)
    if a.ndim <= 1:
        return a.reshape(-1)
    if batch_ndim is not None and a.ndim == batch_ndim:
        return list(a)
    return [a]


def check_finite(a: np.ndarray, what: str) -> None:
    if not np.isfinite(a).all():
        bad = int(np.size(a) - np.count_nonzero(np.isfinite(a)))
        raise InputError(f"{what} contains {bad} NaN/inf value(s); remove or mask them before scoring")


def _check_ref(a: np.ndarray, nan_ref: bool) -> None:
    """References are finite, or (``nan_ref``) finite or NaN: NaN marks an invalid element."""
    if not nan_ref:
        check_finite(a, "references")
    elif np.isinf(a).any():
        raise InputError(f"references contain {int(np.isinf(a).sum())} infinite value(s); mark invalid "
                         "elements with NaN")


def paired(predictions: Any, references: Any, batch_ndim: int | None = None, vector_dim: int | None = None,
           nan_ref: bool = False) -> Flat:
    """Validate and flatten predictions/references into aligned arrays with per-element sample ids.

    ``nan_ref``: NaN is allowed in references (the caller masks those elements); inf never is."""
    ps = split_samples(predictions, "predictions", batch_ndim)
    rs = split_samples(references, "references", batch_ndim)
    if isinstance(ps, np.ndarray) and vector_dim is not None:
        ps = [ps]
    if isinstance(rs, np.ndarray) and vector_dim is not None:
        rs = [rs]
    if isinstance(ps, np.ndarray) and isinstance(rs, np.ndarray):  # instances: one sample each
        if ps.shape != rs.shape:
            raise InputError(f"predictions and references differ in length: {ps.size} vs {rs.size}")
        if ps.size == 0:
            raise InputError("predictions and references are empty")
        check_finite(ps, "predictions")
        _check_ref(rs, nan_ref)
        return Flat(ps, rs, np.arange(ps.size), ps.size)
    ps = list(ps) if isinstance(ps, list) else [np.asarray(v) for v in ps]
    rs = list(rs) if isinstance(rs, list) else [np.asarray(v) for v in rs]
    matching_samples(ps, rs, last_axis=vector_dim)
    k = vector_dim or 1
    pred = np.concatenate([p.reshape(-1, k) for p in ps])
    ref = np.concatenate([r.reshape(-1, k) for r in rs])
    if vector_dim is None:
        pred, ref = pred.ravel(), ref.ravel()
    check_finite(pred, "predictions")
    _check_ref(ref, nan_ref)
    sid = np.repeat(np.arange(len(ps)), [p.size // k for p in ps])
    return Flat(pred, ref, sid, len(ps))


def reduce_mean(values: np.ndarray, flat: Flat, reduction: str, keep: np.ndarray | None = None,
                post: Callable[[Any], Any] | None = None) -> float:
    """Pooled mean of ``values`` (or mean over samples of per-sample means), ``post`` applied to means."""
    sid = flat.sid
    if keep is not None:
        values, sid = values[keep], sid[keep]
        if values.size == 0:
            raise InputError("no valid elements to score (every reference is masked out)")
    if reduction == "pooled":
        m = values.mean()
    elif reduction == "per_sample":
        cnt = np.bincount(sid, minlength=flat.n)
        sums = np.bincount(sid, weights=values, minlength=flat.n)
        has = cnt > 0  # samples without any valid element are skipped
        m = sums[has] / cnt[has]
        if post is not None:
            return float(np.mean(post(m)))
        return float(np.mean(m))
    else:
        raise InputError(f"reduction must be 'pooled' or 'per_sample', got {reduction!r}")
    return float(post(m) if post is not None else m)


def _valid(flat: Flat, min_gt: float | None) -> np.ndarray | None:
    return None if min_gt is None else flat.ref > float(min_gt)


# -- compute functions --------------------------------------------------------------------------
def mae(predictions: Any, references: Any, *, reduction: str = "pooled", min_gt: float | None = None) -> float:
    """Mean absolute error (sklearn's mean_absolute_error when pooled)."""
    f = paired(predictions, references)
    return reduce_mean(np.abs(f.pred - f.ref), f, reduction, _valid(f, min_gt))


def mse(predictions: Any, references: Any, *, reduction: str = "pooled", min_gt: float | None = None,
        scale: float = 1.0) -> float:
    """Mean squared error times ``scale`` (matting papers report MSE x 1e3: scale=1000)."""
    f = paired(predictions, references)
    return float(scale) * reduce_mean((f.pred - f.ref) ** 2, f, reduction, _valid(f, min_gt))


def rmse(predictions: Any, references: Any, *, reduction: str = "pooled", min_gt: float | None = None) -> float:
    """Root mean squared error; per_sample takes the RMSE of each sample, then the mean."""
    f = paired(predictions, references)
    return reduce_mean((f.pred - f.ref) ** 2, f, reduction, _valid(f, min_gt), post=np.sqrt)


def rms(predictions: Any, references: Any, *, reduction: str = "pooled", min_gt: float | None = None) -> float:
    """Depth 'RMS': the root mean squared error (pass min_gt=0 to ignore invalid depth pixels)."""
    return rmse(predictions, references, reduction=reduction, min_gt=min_gt)


def sad(predictions: Any, references: Any, *, scale: float = 1000.0) -> float:
    """Matting SAD: per image sum |alpha_p - alpha_g| / scale, then the mean over images."""
    f = paired(predictions, references, batch_ndim=3)
    for v, what in ((f.pred, "predictions"), (f.ref, "references")):
        if v.min() < 0.0 or v.max() > 1.0:
            raise InputError(f"SAD: {what} must be alpha mattes in [0, 1] (divide 8-bit mattes by 255); "
                             f"got values in [{v.min():g}, {v.max():g}]")
    if scale <= 0:
        raise InputError(f"SAD: scale must be positive, got {scale!r}")
    per_image = np.bincount(f.sid, weights=np.abs(f.pred - f.ref), minlength=f.n)
    return float(per_image.mean() / scale)


def _depth_range(depth_range: Any) -> tuple[float, float] | None:
    if depth_range is None:
        return None
    try:
        lo, hi = (float(v) for v in depth_range)
    except (TypeError, ValueError):
        raise InputError(f"AbsRel: depth_range must be a pair (lo, hi), got {depth_range!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and 0.0 <= lo < hi):
        raise InputError(f"AbsRel: depth_range must satisfy 0 <= lo < hi (finite), got {depth_range!r}")
    return lo, hi


def _scale_shift(pred: np.ndarray, ref: np.ndarray, sid: np.ndarray, keep: np.ndarray, n: int) -> np.ndarray:
    """``pred`` mapped by each sample's least-squares fit ref ~ s * pred + t on its valid elements."""
    out = pred.copy()
    for k in range(n):
        sel = sid == k
        fit = sel & keep
        if not fit.any():
            continue  # no valid element: the sample is not scored, whatever its alignment
        a = np.stack([pred[fit], np.ones(int(fit.sum()))], axis=1)
        (s, t), *_ = np.linalg.lstsq(a, ref[fit], rcond=None)
        out[sel] = s * pred[sel] + t
    return out


def abs_rel(predictions: Any, references: Any, *, reduction: str = "pooled", align: str = "none",
            depth_range: Any = None) -> float:
    """Absolute relative depth error mean(|d_p - d_g| / d_g) over the valid pixels.

    Valid: d_g > 0, or lo < d_g < hi with ``depth_range=(lo, hi)``, which also clips every
    prediction to [lo, hi] (before a fit, at lo only). ``align="scale_shift"`` first replaces each
    sample's prediction by s * d_p + t, with (s, t) the least-squares fit of the reference on the
    sample's valid pixels (affine-invariant depth, e.g. video depth models that predict disparity up
    to scale and shift). A sample is one list element (a whole video for video depth).
    """
    if align not in ("none", "scale_shift"):
        raise InputError(f"AbsRel: align must be 'none' or 'scale_shift', got {align!r}")
    rng = _depth_range(depth_range)
    f = paired(predictions, references)
    keep = f.ref > 0 if rng is None else (f.ref > rng[0]) & (f.ref < rng[1])
    pred = f.pred
    if align == "scale_shift":
        if np.bincount(f.sid).max() < 2:
            raise InputError("AbsRel: align='scale_shift' fits a scale and shift per sample, so it needs depth "
                             "maps (arrays), not one number per instance")
        pred = _scale_shift(pred if rng is None else np.maximum(pred, rng[0]), f.ref, f.sid, keep, f.n)
    if rng is not None:
        pred = np.clip(pred, rng[0], rng[1])
    rel = np.zeros_like(f.ref)
    np.divide(np.abs(pred - f.ref), f.ref, out=rel, where=keep)
    return reduce_mean(rel, f, reduction, keep)


def epe(predictions: Any, references: Any, *, reduction: str = "pooled") -> float:
    """Average end-point error: mean over pixels of the L2 norm of the flow-vector difference.

    A reference pixel with a NaN component is invalid (KITTI's sparse ground truth, read with
    ``FlowSpec(invalid="nan")``) and left out: the mean runs over valid pixels only, pooled over
    all of them, or (``reduction="per_sample"``) per flow field and then over fields that have one
    (RAFT's KITTI evaluation). Predictions must be finite everywhere.
    """
    f = paired(predictions, references, batch_ndim=4, vector_dim=2, nan_ref=True)
    keep = ~np.isnan(f.ref).any(axis=1)
    diff = np.where(keep[:, None], f.pred - f.ref, 0.0)
    return reduce_mean(np.sqrt((diff ** 2).sum(axis=1)), f, reduction, None if keep.all() else keep)


# -- RTE: KITTI odometry translational error -----------------------------------------------------
def _poses(x: Any, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Rotations (N x 3 x 3) and translations (N x 3) of one trajectory in any accepted layout."""
    a = to_float_array(x, what)
    check_finite(a, what)
    if a.ndim == 3 and a.shape[1:] in ((3, 4), (4, 4)):
        return a[:, :3, :3], a[:, :3, 3]
    if a.ndim == 2 and a.shape[1] == 12:
        a = a.reshape(-1, 3, 4)
        return a[:, :3, :3], a[:, :3, 3]
    if a.ndim == 2 and a.shape[1] == 3:
        return np.broadcast_to(np.eye(3), (len(a), 3, 3)), a
    raise InputError(f"{what}: expected poses N x 4 x 4, N x 3 x 4, N x 12 or translations N x 3, got {a.shape}")


def _sequence_errors(pred: Any, ref: Any, what: str, lengths: Sequence[float], step: int) -> np.ndarray:
    """t_err / length for every (first frame, length) segment of one sequence (KITTI devkit rules)."""
    rp, tp = _poses(pred, f"predictions{what}")
    rg, tg = _poses(ref, f"references{what}")
    if len(tp) != len(tg):
        raise InputError(f"sequence{what}: {len(tp)} predicted poses vs {len(tg)} reference poses")
    if len(tg) < 2:
        raise InputError(f"sequence{what}: needs at least 2 poses")
    dist = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(tg, axis=0), axis=1))])
    first = np.arange(0, len(tg), step)
    errs = []
    for length in lengths:
        # devkit: the last frame is the first one whose travelled distance exceeds first + length
        last = np.searchsorted(dist, dist[first] + length, side="right")
        ok = last < len(tg)
        f, l = first[ok], last[ok]
        if f.size == 0:
            continue
        # relative motion expressed in the first frame: R_f^T (t_l - t_f); error norm is rotation-invariant
        dg = np.einsum("nji,nj->ni", rg[f], tg[l] - tg[f])
        dp = np.einsum("nji,nj->ni", rp[f], tp[l] - tp[f])
        errs.append(np.linalg.norm(dg - dp, axis=1) / length)
    return np.concatenate(errs) if errs else np.empty(0)


def rte(predictions: Any, references: Any, *, lengths: Sequence[float] = KITTI_LENGTHS, step: int = 10) -> float:
    """KITTI relative translation error (percent): mean over all segments of ||t_err|| / length x 100.

    For each first frame (every ``step`` frames) and each segment length, the devkit compares the
    relative poses inv(P_first) P_last of prediction and ground truth; the translational part of the
    error pose, divided by the length travelled (ground-truth distance), is averaged over the
    segments of all sequences. Translations given without rotations use identity rotations.
    """
    if isinstance(predictions, np.ndarray) or isinstance(references, np.ndarray):
        predictions, references = [predictions], [references]
    if not isinstance(predictions, (list, tuple)) or not isinstance(references, (list, tuple)):
        raise InputError("RTE: expected one trajectory array or a list of trajectories per argument")
    if len(predictions) == 0:
        raise InputError("RTE: predictions are empty")
    if len(predictions) != len(references):
        raise InputError(f"RTE: {len(predictions)} predicted vs {len(references)} reference sequences")
    lengths = [float(x) for x in lengths]
    if not lengths or min(lengths) <= 0 or int(step) < 1:
        raise InputError("RTE: lengths must be positive and step >= 1")
    errs = [_sequence_errors(p, r, f"[{i}]", lengths, int(step)) for i, (p, r) in enumerate(zip(predictions, references))]
    allerr = np.concatenate(errs)
    if allerr.size == 0:
        raise InputError(f"RTE: no trajectory is longer than the segment lengths {lengths}; pass shorter lengths=...")
    return float(100.0 * allerr.mean())
