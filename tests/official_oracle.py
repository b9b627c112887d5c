"""An independent statement of what the official General-Level ranker computes from workbooks.

Written from the published behaviour of path2generalist/General-Level (ranker.py and
utils/special_metrix.py) for use as a test oracle only: it reads a SoTA workbook and a result
workbook cell by cell with openpyxl and shares no code with generallevel.
"""

from __future__ import annotations

import math

import openpyxl

T = {"MAE": 50, "RMS": 50, "MSE": 5, "RMSE": 5, "ABSREL": 0.1, "EPE": 1, "FID": 25, "FVD": 100,
     "FAD": 10, "PSNR": 1 / 20, "SAD": 10, "RTE": 0.5, "CD": 1, "MCD": 5, "WER": None, "MS-SSIM": None,
     "MOS": None}
INF = float("inf")


def _to_float(x):
    if x is None:
        return INF
    if isinstance(x, str) and x.strip() in ("∞", "inf", "Inf", "INF"):
        return INF
    try:
        v = float(x)
    except (TypeError, ValueError):
        return INF
    return INF if math.isnan(v) else v


def _map(metric: str, x: float) -> float:
    m = metric.upper()
    if m == "PSNR":
        y = math.tanh(T[m] * x)
    elif m == "WER":
        y = 1 - x
    elif m == "MS-SSIM":
        y = (x + 1) / 2
    elif m == "MOS":
        y = (x - 1) / 4
    else:
        y = 2 / (1 + math.exp(-T[m] / x)) - 1
    return y * 100


def _normalise(metrics, values):
    out = []
    for metric, v in zip(metrics, values):
        if metric.upper() in T:
            out.append(0.0 if (v == INF or v == 0.0) else _map(metric, v))
        else:
            out.append(v)
    return out


def _rows(ws, model=None):
    rows = list(ws.iter_rows(values_only=True))
    header = [str(h).strip() if h is not None else "" for h in rows[0]]
    mcol = header.index("Metrics")
    if model is None:
        vcol = header.index("SoTA Performance")
    else:
        vcol = [h.lower() for h in header].index(model.lower())
    body = [r for r in rows[1:] if any(c is not None for c in r)]
    return [r[mcol] for r in body], [_to_float(r[vcol]) for r in body]


def _mono2(scores):
    valid = [s for s in scores if s != INF]
    return sum(valid) / len(scores) if valid else 0.0


def _mono(sota, scores):
    pairs = [(s, m) for s, m in zip(sota, scores) if s != INF and m != INF]
    if not pairs:
        return 0.0
    return sum(m if m >= s else 0.0 for s, m in pairs) / len(sota)


def official_levels(sota_path, result_path, model):
    sota_wb = openpyxl.load_workbook(sota_path, read_only=True, data_only=True)
    res_wb = openpyxl.load_workbook(result_path, read_only=True, data_only=True)
    data = {}
    for sheet in sota_wb.sheetnames:
        if sheet == "NLP":
            continue
        modality, paradigm = sheet.split("-")
        metrics, sota = _rows(sota_wb[sheet])
        _, scores = _rows(res_wb[sheet], model)
        d = data.setdefault(modality, {})
        d[paradigm] = (_normalise(metrics, sota), _normalise(metrics, scores))
    per = {}
    for modality, d in data.items():
        (sc, mc), (sg, mg) = d["Comprehension"], d["Generation"]
        l2 = (_mono2(mc) + _mono2(mg)) / 2
        c, g = _mono(sc, mc), _mono(sg, mg)
        l3 = (c + g) / 2
        l4 = 0.0 if c == 0 or g == 0 else 2 * c * g / (c + g + 1e-6)
        per[modality] = (l2, l3, l4)
    n = len(per)
    final = {f"level{k + 2}": sum(v[k] for v in per.values()) / n for k in range(3)}
    s_l = official_s_l(sota_wb, res_wb, model)
    final["level5"] = final["level4"] * s_l / 100
    return final, per


def official_s_l(sota_wb, res_wb, model):
    """S_L as the official ranker computes it: the NLP sheet's numbers compared as they are (a model
    column written as fractions against the percent SoTA), only the model's RMSE normalised (T=5)."""
    metrics, sota = _rows(sota_wb["NLP"])
    _, scores = _rows(res_wb["NLP"], model)
    for i, m in enumerate(metrics):
        if str(m).upper() == "RMSE":
            scores[i] = (2 / (1 + math.exp(-5 / scores[i])) - 1) * 100
    pairs = [(s, m) for s, m in zip(sota, scores) if s != INF and m != INF]
    return sum(m if m >= s else 0 for s, m in pairs) / len(sota) if pairs else 0.0
