"""Reproduce the official ranker's normalisation, errors included, for side-by-side comparison.

The official scorer (path2generalist/General-Level ``ranker.py`` with ``utils/special_metrix.py``)
differs from the paper in ways documented in docs/official-differences.md:
  * it looks metrics up by the sheet's spelling, so "CD (Chamfer Distance)" and
    "RTE ( Relative Translation Error)" are never normalised and compared as higher-is-better;
  * it applies WER's 1-x to WER written in percent (5.6 -> -460), without clipping;
  * it maps a raw 0 of any "special" metric to 0 (so a perfect MAE scores 0);
  * on the NLP sheet it normalises nothing except the model's RMSE (T=5), leaving the SoTA raw.
Everything here works on values in the *sheet's* units, as the official workbooks hold them.
"""

from __future__ import annotations

import numpy as np

from .units import conversion_factor

_T = {"MAE": 50, "RMS": 50, "MSE": 5, "RMSE": 5, "ABSREL": 0.1, "EPE": 1, "FID": 25, "FVD": 100,
      "FAD": 10, "SAD": 10, "RTE": 0.5, "CD": 1, "MCD": 5}
_SPECIAL = set(_T) | {"PSNR", "WER", "MS-SSIM", "MOS"}


def _official_map(spelling: str, x: np.ndarray) -> np.ndarray:
    key = spelling.strip().upper()
    if key not in _SPECIAL:
        return x
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        if key == "PSNR":
            y = np.tanh(x / 20.0)
        elif key == "WER":
            y = 1.0 - x
        elif key == "MS-SSIM":
            y = (x + 1.0) / 2.0
        elif key == "MOS":
            y = (x - 1.0) / 4.0
        else:
            y = 2.0 / (1.0 + np.exp(-_T[key] / x)) - 1.0
    return np.where(x == 0, 0.0, y * 100.0)


def official_sigma(raw: np.ndarray, table) -> tuple[np.ndarray, np.ndarray]:
    """(model sigma, SoTA sigma) as the official ranker computes them; NaN = missing."""
    sigma = np.full(raw.shape, np.nan)
    sota = np.full(len(table.tasks), np.nan)
    for i, task in enumerate(table.tasks):
        metric = table.metrics[i]
        to_sheet = conversion_factor(metric.unit, task.sota_unit)
        x = raw[..., i] * to_sheet
        s = np.float64(task.sota if task.sota is not None else np.nan)
        spelling = task.sheet_metric or task.metric
        if task.modality == "NLP":
            if spelling.strip().upper() == "RMSE":
                with np.errstate(divide="ignore", over="ignore"):
                    x = (2.0 / (1.0 + np.exp(-5.0 / x)) - 1.0) * 100.0
            sigma[..., i], sota[i] = x, s
        else:
            sigma[..., i] = _official_map(spelling, np.asarray(x, dtype=float))
            sota[i] = _official_map(spelling, np.asarray(s, dtype=float))
    return sigma, sota


def official_note(sigma: np.ndarray, sota: np.ndarray, table) -> list[str]:
    """A note for the report when the official arithmetic left 0..100 (it then moves Level scores
    below 0 or above 100, which the paper's scores never do)."""
    out = []
    for what, values in (("task score", np.atleast_2d(sigma)[0]), ("SoTA score", sota)):
        with np.errstate(invalid="ignore"):
            bad = np.flatnonzero((values < 0) | (values > 100))
        if bad.size:
            examples = ", ".join(f"{table.tasks[i].id} {values[i]:.4g}" for i in bad[:3])
            out.append(f"{bad.size} {what}{'s' if bad.size > 1 else ''} outside 0..100 ({examples}): the official "
                       f"ranker's errors (e.g. WER in percent: 1 - 5.6 = -4.6, times 100), reproduced by "
                       f"--compat official, can make Level scores negative or above 100; see "
                       f"docs/official-differences.md")
    return out
