"""General-Level S2..S5 from normalised task scores (numpy only; knows nothing of files or plugins).

Per modality with comprehension tasks C and generation tasks G (unsupported task = 0):
  S2 = (mean_C sigma + mean_G sigma) / 2
  S_C, S_G = the same means, a task counting only where sigma >= its SoTA (else 0)
  S3 = (S_C + S_G) / 2;  S4 = 2 S_C S_G / (S_C + S_G), 0 if either is 0
Overall S_k = mean over Image, Video, Audio, 3D.  S5 = S4 * S_L / 100, S_L = mean over the NLP
tasks of sigma where sigma >= SoTA. Scores are vectorised over models: ``sigma`` is (models, tasks).

Who beats the SoTA is decided on *raw* values with the metric's direction (:func:`raw_wins`): the
normalised scores saturate in float64 (FID 0.51 and a SoTA of 0.228 both normalise to exactly 100),
so comparing them would let a worse raw value win. For strictly monotone normalisations this is the
paper's rule "sigma >= SoTA sigma" wherever floats do not saturate. A raw value equal to the SoTA
up to float noise (``TIE_ULPS`` units in the last place: 0.58 converted to percent is
57.99999999999999) counts as equal. Without raw wins (``--compat official`` reproduces the official
ranker), "sigma >= SoTA" is compared with a relative 1e-9.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MODALITIES = ("Image", "Video", "Audio", "3D")
NLP = "NLP"
PARADIGMS = ("comprehension", "generation")
TIE_RTOL = 1e-9  # relative slack of "sigma >= SoTA" (float noise only; far below any printed digit)
TIE_ULPS = 4  # slack of "raw at least as good as the SoTA raw", in units in the last place of the SoTA


@dataclass
class LevelArrays:
    """Level scores for ``n`` models; per-modality arrays are indexed [model, modality]."""

    s2: np.ndarray
    s3: np.ndarray
    s4: np.ndarray
    s5: np.ndarray
    level: np.ndarray
    mod_s2: np.ndarray
    mod_s3: np.ndarray
    mod_s4: np.ndarray
    mod_sc: np.ndarray  # S_C per modality (wins-only comprehension mean)
    mod_sg: np.ndarray
    mod_mean_c: np.ndarray  # plain comprehension mean (Level-2 half)
    mod_mean_g: np.ndarray
    mod_tasks: np.ndarray  # [modality]
    mod_supported: np.ndarray  # [model, modality]
    mod_wins: np.ndarray
    nlp_tasks: int
    nlp_supported: np.ndarray
    nlp_wins: np.ndarray
    s_l: np.ndarray
    w_l: np.ndarray
    wins: np.ndarray  # [model, task] boolean
    supported: np.ndarray | None = None  # [model, task] boolean: a score was given
    scores: np.ndarray | None = None  # [model, task] sigma with 0 where unsupported
    win_scores: np.ndarray | None = None  # [model, task] sigma where won, else 0


def _group_means(values: np.ndarray, onehot: np.ndarray) -> np.ndarray:
    """Mean of ``values`` (models x tasks) per group column of ``onehot`` (tasks x groups); empty = 0."""
    counts = onehot.sum(axis=0)
    sums = values @ onehot
    return np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)


def raw_wins(raw, sota_raw, higher_is_better) -> np.ndarray:
    """Whether each raw value is at least as good as its task's SoTA raw value, in the metric's direction.

    raw: (models, tasks) or (tasks,), NaN = unsupported. sota_raw: (tasks,) in the same units (NaN =
    no SoTA: never won). higher_is_better: (tasks,) bool. Equal up to ``TIE_ULPS`` ulps counts as equal.
    """
    raw = np.atleast_2d(np.asarray(raw, dtype=float))
    sota = np.asarray(sota_raw, dtype=float)[None, :]
    higher = np.asarray(higher_is_better, dtype=bool)[None, :]
    with np.errstate(invalid="ignore"):
        slack = TIE_ULPS * np.spacing(np.abs(sota))
        return np.where(higher, raw >= sota - slack, raw <= sota + slack) & ~np.isnan(raw) & ~np.isnan(sota)


def compute_levels(sigma, sota, modality, paradigm, epsilon: float = 0.0, wins=None) -> LevelArrays:
    """Level scores from normalised scores.

    sigma: (models, tasks) or (tasks,), 0..100, NaN = unsupported. sota: (tasks,) normalised SoTA
    (NaN = no SoTA: the task can never be won). modality: (tasks,) str. paradigm: (tasks,) str.
    wins: (models, tasks) bool, who beats the SoTA (:func:`raw_wins`); None compares sigma with the
    SoTA sigma (the official ranker's rule). epsilon is added to the S4 denominator only to mimic the
    official ranker (which uses 1e-6).
    """
    sig = np.atleast_2d(np.asarray(sigma, dtype=float))
    sota = np.asarray(sota, dtype=float)
    modality = np.asarray(modality, dtype=object)
    paradigm = np.asarray(paradigm, dtype=object)
    supported = ~np.isnan(sig)
    s = np.where(supported, sig, 0.0)
    if wins is not None:
        wins = supported & np.atleast_2d(np.asarray(wins, dtype=bool))
    else:
        with np.errstate(invalid="ignore"):
            wins = supported & (s >= sota[None, :] - TIE_RTOL * np.maximum(1.0, np.abs(sota[None, :])))
    s_win = np.where(wins, s, 0.0)

    groups = [(m, p) for m in MODALITIES for p in PARADIGMS]
    onehot = np.zeros((sig.shape[1], len(groups)))
    for j, (m, p) in enumerate(groups):
        onehot[:, j] = (modality == m) & (paradigm == p)
    mean_all = _group_means(s, onehot).reshape(-1, len(MODALITIES), 2)
    mean_win = _group_means(s_win, onehot).reshape(-1, len(MODALITIES), 2)

    mod_s2 = mean_all.mean(axis=2)
    sc, sg = mean_win[..., 0], mean_win[..., 1]
    mod_s3 = (sc + sg) / 2.0
    denom = sc + sg + epsilon
    mod_s4 = np.divide(2.0 * sc * sg, denom, out=np.zeros_like(denom), where=(sc != 0) & (sg != 0) & (denom != 0))

    mod_onehot = np.stack([modality == m for m in MODALITIES], axis=1).astype(float)
    nlp = modality == NLP
    n_nlp = int(nlp.sum())
    s_l = s_win[:, nlp].sum(axis=1) / n_nlp if n_nlp else np.zeros(sig.shape[0])

    s2, s3, s4 = mod_s2.mean(axis=1), mod_s3.mean(axis=1), mod_s4.mean(axis=1)
    w_l = s_l / 100.0
    s5 = s4 * w_l
    level = np.select([s5 > 0, s4 > 0, s3 > 0, s2 > 0], [5, 4, 3, 2], default=1)
    return LevelArrays(
        s2=s2, s3=s3, s4=s4, s5=s5, level=level,
        mod_s2=mod_s2, mod_s3=mod_s3, mod_s4=mod_s4, mod_sc=sc, mod_sg=sg,
        mod_mean_c=mean_all[..., 0], mod_mean_g=mean_all[..., 1],
        mod_tasks=mod_onehot.sum(axis=0).astype(int),
        mod_supported=(supported.astype(float) @ mod_onehot).astype(int),
        mod_wins=(wins.astype(float) @ mod_onehot).astype(int),
        nlp_tasks=n_nlp,
        nlp_supported=supported[:, nlp].sum(axis=1),
        nlp_wins=wins[:, nlp].sum(axis=1),
        s_l=s_l, w_l=w_l, wins=wins, supported=supported, scores=s, win_scores=s_win,
    )
