"""Audio and speech metrics: WER, MCD, FAD, CLAP, Style-CLAP, MOS.

Only numpy loads at import; jiwer (WER) and scipy (FAD, MCD's DTW) load inside compute. Model-based metrics
(FAD, CLAP) take precomputed embeddings or a user-supplied extractor (see _features.py).
"""

from __future__ import annotations

import math
import re
from typing import Any, Callable

import numpy as np

from generallevel import InputError, Metric, MissingDependencyError, hookimpl
from generallevel.normalize import Affine, OneMinus

from ._declare import distance, percent
from ._features import (
    Extractor, clipped_cosine_percent, frechet_distance, numeric_array, require_finite, resolve_extractor, sized,
    to_numpy,
)
from ._inputs import same_length

_M = "generallevel_builtin.audio:"
_S = "generallevel_builtin.resampling_stats:"
_MULTI_SPACE = re.compile(r"\s\s+")


@hookimpl
def register_metrics(register):
    register(Metric("WER", False, (0.0, None), "fraction", OneMinus(), _M + "wer", aliases=("Word Error Rate",),
                    reference="jiwer.wer; hand-computed word Levenshtein", requires=("jiwer",),
                    inputs="predictions, references: transcripts (str); corpus WER as a fraction (0.056 = 5.6 %); "
                           "options average='corpus'|'item' (mean of per-utterance WERs, as General-Bench's "
                           "werpy loop), split='jiwer'|'whitespace' (str.split(), werpy's words)", 
                     item_stats=_S + "wer_stats", from_stats=_S + "wer_from_stats"))
    register(distance("MCD", _M + "mcd", "Mel Cepstral Distortion", unit="dB",
                      reference="hand-computed MCD formula on mel-cepstra (10/ln10 * sqrt(2 sum diff^2)); "
                                "fastdtw.dtw path; pymcd 'plain' mode",
                      inputs="predictions, references: per-utterance mel-cepstra (T x D, c0 first), or waveforms plus "
                             "extractor=callable(waveform) -> T x D (e.g. pymcd/pysptk); options dtw=True, "
                             "include_c0=False, pad_waveforms=False (True, with an extractor: zero-pad the shorter "
                             "waveform of each pair first, pymcd 'plain' mode)"))
    register(distance("FAD", _M + "fad", "Frechet Audio Distance", reference="scipy.linalg.sqrtm Frechet distance",
                      inputs="audio embeddings N x D (e.g. VGGish) for generated and reference sets, {'mu', 'sigma'} "
                             "statistics, or clips plus extractor=callable", max_resamples=200,
                      resampler="generallevel_builtin.frechet_resampling:frechet"))
    emb = ("paired audio/text embeddings (N x D) or samples plus extractor=callable (reference_extractor=callable "
           "for texts); 100 x mean max(cos, 0)")
    register(percent("CLAP", _M + "clap", "CLAP score", reference="hand-computed cosine", inputs=emb))
    register(percent("Style-CLAP", _M + "style_clap", reference="hand-computed cosine", inputs=emb + " (style references)"))
    register(Metric("MOS", True, (1.0, 5.0), "mos", Affine(1.0, 5.0), _M + "mos", aliases=("Mean Opinion Score",),
                    reference="hand-computed mean of 1..5 ratings",
                    inputs="predictions: ratings on 1..5 per sample, or per sample a list of raters' ratings "
                           "(averaged per sample first)"))


# -- WER ---------------------------------------------------------------------------------------------
def _transcripts(values: Any, what: str) -> list[str]:
    sized(values, f"WER {what}")
    out = list(values)
    for i, v in enumerate(out):
        if not isinstance(v, str):
            bad = "None" if v is None else f"{type(v).__name__} {v!r:.40}"
            raise InputError(f"WER {what}[{i}] must be a string, got {bad}")
    return out


def wer(predictions: Any, references: Any, *, average: str = "corpus", split: str = "jiwer") -> float:
    """Word error rate as a fraction: (S + D + I) over all reference words (jiwer.wer), by default.

    Words are split on spaces after jiwer's default clean-up (strip, collapse repeated spaces), or
    with ``split="whitespace"`` on any run of whitespace (``str.split()``, as werpy does); nothing is
    lower-cased or de-punctuated, so normalise transcripts first if the task wants it.
    ``average="item"`` is the mean over utterances of each one's WER (every utterance weighs the
    same) instead of the corpus ratio. An empty reference is allowed in the corpus ratio (its
    hypothesis words count as insertions) unless every reference is empty, where WER is
    undefined; an item mean refuses any empty reference (that utterance's WER is undefined).
    """
    if average not in ("corpus", "item"):
        raise InputError(f"WER: average must be 'corpus' or 'item', got {average!r}")
    if split not in ("jiwer", "whitespace"):
        raise InputError(f"WER: split must be 'jiwer' or 'whitespace', got {split!r}")
    hyp = _transcripts(predictions, "predictions")
    ref = _transcripts(references, "references")
    same_length(len(hyp), len(ref), metric="WER")
    if not any(r.split() for r in ref):
        raise InputError("WER: every reference is empty; the word error rate is undefined (0 reference words)")
    words_of = _jiwer_words if split == "jiwer" else str.split
    if average == "item":
        empty = next((i for i, r in enumerate(ref) if not words_of(r)), None)
        if empty is not None:
            raise InputError(f"WER: references[{empty}] is empty, so its WER is undefined; average='item' "
                             "needs at least one reference word per utterance")
    try:  # rapidfuzz (a jiwer dependency) gives jiwer's numbers ~10x faster than jiwer's own loop
        from rapidfuzz.distance import Levenshtein
    except ImportError:
        if average == "corpus" and split == "jiwer":
            import jiwer

            return float(jiwer.wer(reference=ref, hypothesis=hyp))
        raise MissingDependencyError("WER with average='item' or split='whitespace' needs rapidfuzz: "
                                     "pip install rapidfuzz") from None
    errors = words = 0
    per_item = []
    for r, h in zip(ref, hyp):
        rw, hw = words_of(r), words_of(h)
        e = Levenshtein.distance(rw, hw)
        errors += e
        words += len(rw)
        if average == "item":
            per_item.append(e / len(rw))
    return float(np.mean(per_item)) if average == "item" else errors / words


def _jiwer_words(text: str) -> list[str]:
    """jiwer's default WER tokenisation: collapse runs of 2+ whitespace, strip, split on spaces."""
    return [w for w in _MULTI_SPACE.sub(" ", text).strip().split(" ") if w]


# -- MCD ---------------------------------------------------------------------------------------------
MCD_CONST = 10.0 / math.log(10.0) * math.sqrt(2.0)  # dB per unit of cepstral Euclidean distance


def _cepstra(values: Any, what: str, extractor: Callable[[Any], Any] | None) -> list[np.ndarray]:
    """Per-utterance T x D mel-cepstra; a single 2-D array is one utterance."""
    if extractor is not None:
        extractor = resolve_extractor(extractor, "MCD")
        sized(values, f"MCD {what}")
        items = [to_numpy(extractor(v)) for v in values]
    else:
        values = to_numpy(values)
        arr = numeric_array(values) if isinstance(values, np.ndarray) else None
        if arr is not None and arr.ndim == 2:
            items = [arr]
        elif arr is not None and arr.ndim == 3:
            items = list(arr)
        else:
            sized(values, f"MCD {what}")
            items = list(values)
    out = []
    for i, v in enumerate(items):
        arr = numeric_array(v)
        if arr is None or arr.ndim != 2:
            got = "non-numeric data" if arr is None else f"shape {arr.shape}"
            if extractor is None and arr is not None and arr.ndim == 1:
                raise MissingDependencyError(
                    f"MCD needs mel-cepstral sequences (T x D), but {what}[{i}] is a 1-D array (a waveform?). "
                    "Pass mel-cepstra, or the waveforms with extractor=callable(waveform) -> T x D array "
                    "(e.g. pymcd's Calculate_MCD('plain').wav2mcep_numpy, or pysptk.sptk.mcep on a WORLD "
                    "spectral envelope); see docs/metrics/audio.md.")
            raise InputError(f"MCD {what}[{i}] must be a T x D mel-cepstral sequence, got {got}")
        if arr.shape[0] == 0 or arr.shape[1] < 2:
            raise InputError(f"MCD {what}[{i}] has shape {arr.shape}; need >= 1 frame and c0 plus >= 1 coefficient")
        arr = arr.astype(np.float64)
        require_finite(arr, f"MCD {what}[{i}]")
        out.append(arr)
    return out


def dtw_path(cost: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact DTW alignment for a local cost matrix (T1 x T2), steps (1,0), (0,1), (1,1).

    Accumulated costs are filled one anti-diagonal at a time (each depends only on the previous
    two), so the work is vectorised over a diagonal. Backtracking prefers (i-1, j), then (i, j-1),
    then (i-1, j-1) on ties, as fastdtw.dtw does. Returns the index arrays of the path.
    """
    t1, t2 = cost.shape
    acc = np.full((t1 + 1, t2 + 1), np.inf)
    acc[0, 0] = 0.0
    for k in range(t1 + t2 - 1):  # cells (i, j) with i + j == k
        i = np.arange(max(0, k - t2 + 1), min(k, t1 - 1) + 1)
        j = k - i
        best = np.minimum(np.minimum(acc[i, j + 1], acc[i + 1, j]), acc[i, j])
        acc[i + 1, j + 1] = cost[i, j] + best
    path_i, path_j = [t1 - 1], [t2 - 1]
    i, j = t1, t2
    while (i, j) != (1, 1):
        steps = ((acc[i - 1, j], i - 1, j), (acc[i, j - 1], i, j - 1), (acc[i - 1, j - 1], i - 1, j - 1))
        _, i, j = min(steps, key=lambda s: s[0])
        path_i.append(i - 1)
        path_j.append(j - 1)
    return np.array(path_i[::-1]), np.array(path_j[::-1])


def mcd_utterance(pred: np.ndarray, ref: np.ndarray, *, dtw: bool = True, include_c0: bool = False) -> float:
    """Mean over aligned frames of 10/ln(10) * sqrt(2 * sum_d (c_d - c'_d)^2), in dB.

    The DTW path is found on c1..cD (Euclidean), as pymcd does; the distortion uses c1..cD, or
    c0..cD with ``include_c0`` (pymcd's choice). Without DTW the sequences must have equal length.
    """
    if pred.shape[1] != ref.shape[1]:
        raise InputError(f"MCD: cepstral order mismatch: {pred.shape[1]} vs {ref.shape[1]} coefficients")
    if dtw:
        from scipy.spatial.distance import cdist  # exact pairwise distances (no |a|^2+|b|^2-2ab rounding)

        pi, ri = dtw_path(cdist(pred[:, 1:], ref[:, 1:]))
    else:
        if pred.shape[0] != ref.shape[0]:
            raise InputError(f"MCD: without DTW the sequences need equal length, got {pred.shape[0]} "
                             f"and {ref.shape[0]} frames (pass dtw=True to align them)")
        pi = ri = np.arange(pred.shape[0])
    lo = 0 if include_c0 else 1
    diff = pred[pi, lo:] - ref[ri, lo:]
    return float(MCD_CONST * np.mean(np.sqrt(np.einsum("ij,ij->i", diff, diff))))


def _padded_pairs(predictions: Any, references: Any) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Each prediction / reference waveform pair zero-padded at the end to the longer of the two."""
    sized(predictions, "MCD predictions")
    sized(references, "MCD references")
    same_length(len(predictions), len(references), metric="MCD")
    preds, refs = [], []
    for i, (p, r) in enumerate(zip(predictions, references)):
        pw, rw = numeric_array(p), numeric_array(r)
        if pw is None or rw is None or pw.ndim != 1 or rw.ndim != 1:
            raise InputError(f"MCD: pad_waveforms needs 1-D waveforms; pair {i} is not two 1-D numeric arrays")
        n = max(pw.size, rw.size)
        preds.append(np.pad(pw, (0, n - pw.size)))
        refs.append(np.pad(rw, (0, n - rw.size)))
    return preds, refs


def mcd(predictions: Any, references: Any, *, dtw: bool = True, include_c0: bool = False,
        extractor: Callable[[Any], Any] | None = None, pad_waveforms: bool = False) -> float:
    """Mel-cepstral distortion in dB: the mean over utterances of the per-utterance MCD.

    ``predictions``/``references``: per-utterance T x D mel-cepstra with c0 (energy) in column 0 —
    a list of arrays, an N x T x D array, or one T x D array — or raw waveforms together with
    ``extractor``, a callable applied to each waveform that returns its T x D mel-cepstrum.
    ``pad_waveforms`` zero-pads the shorter waveform of each pair to the longer one's length before
    extraction, so that equal-length cepstra can be compared frame by frame (pymcd's 'plain' mode:
    with dtw=False and include_c0=True this is pymcd's MCD).
    """
    if pad_waveforms:
        if extractor is None:
            raise InputError("MCD: pad_waveforms=True pads raw waveforms, so it needs extractor=callable")
        predictions, references = _padded_pairs(predictions, references)
    pred = _cepstra(predictions, "predictions", extractor)
    ref = _cepstra(references, "references", extractor)
    same_length(len(pred), len(ref), metric="MCD")
    return float(np.mean([mcd_utterance(p, r, dtw=bool(dtw), include_c0=bool(include_c0))
                          for p, r in zip(pred, ref)]))


# -- FAD and CLAP ------------------------------------------------------------------------------------
def fad(predictions: Any, references: Any, *, extractor: Extractor | None = None) -> float:
    """Fréchet distance between generated and reference audio embeddings (e.g. VGGish)."""
    return frechet_distance(predictions, references, "FAD", extractor)


def clap(predictions: Any, references: Any, *, extractor: Extractor | None = None,
         reference_extractor: Extractor | None = None) -> float:
    """CLAP score: 100 x mean max(cos, 0) of paired audio / text (or audio) embeddings."""
    return clipped_cosine_percent(predictions, references, "CLAP", extractor, reference_extractor)


def style_clap(predictions: Any, references: Any, *, extractor: Extractor | None = None,
               reference_extractor: Extractor | None = None) -> float:
    """Style-CLAP: the CLAP score against style-reference embeddings."""
    return clipped_cosine_percent(predictions, references, "Style-CLAP", extractor, reference_extractor)


# -- MOS ---------------------------------------------------------------------------------------------
def mos(predictions: Any, references: Any = None) -> float:
    """Mean opinion score on 1..5.

    ``predictions``: one rating per sample, or per sample a sequence of ratings (several raters),
    averaged per sample first so that every sample weighs the same. No references.
    """
    sized(predictions, "MOS predictions")
    per_sample = []
    for i, v in enumerate(predictions):
        arr = numeric_array(v)
        if arr is None or arr.ndim > 1 or arr.size == 0:
            raise InputError(f"MOS predictions[{i}] must be a rating or a non-empty list of ratings, got {v!r:.60}")
        arr = arr.astype(np.float64)
        require_finite(arr, f"MOS predictions[{i}]")
        outside = arr[(arr < 1.0) | (arr > 5.0)]
        if outside.size:
            raise InputError(f"MOS predictions[{i}] has a rating outside 1..5: {outside[0]:g}")
        per_sample.append(arr.mean())
    return float(np.mean(per_sample))
