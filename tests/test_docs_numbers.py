"""The numbers printed in the docs are recomputed here, and the docs build with mkdocs --strict."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import generallevel as gl
from generallevel.levels import compute_levels

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"


def doc(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


# -- formulas.md: the worked example --------------------------------------------------------------------
def test_formulas_worked_example_matches_compute_levels():
    text = doc("formulas.md")
    table = re.findall(r"^\| ([A-J]) \| (\w+) \| (\w+) \| (\S+) \| (\S+) \| (yes|no) \|$", text, flags=re.M)
    assert len(table) == 10, "the worked example's table"
    sigma = [np.nan if s == "—" else float(s) for _, _, _, s, _, _ in table]
    sota = [float(t[4]) for t in table]
    modality = [t[1] for t in table]
    paradigm = [t[2] for t in table]
    lv = compute_levels(sigma, sota, modality, paradigm)
    assert [bool(w) for w in lv.wins[0]] == [t[5] == "yes" for t in table]

    img, vid = 0, 1
    numbers = {
        "S2(Image) = (70 + 25) / 2 = **47.5**": lv.mod_s2[0, img],
        "S3(Image) = **32.5**": lv.mod_s3[0, img],
        "S4(Image) = 2·40·25 / 65 = **30.77**": lv.mod_s4[0, img],
        "S2(Video) = (40 + 20) / 2 = **30**": lv.mod_s2[0, vid],
        "S3(Video) = **20**": lv.mod_s3[0, vid],
        "S4(Video) = **0**": lv.mod_s4[0, vid],
        "S2 = (47.5 + 30 + 0 + 0) / 4 = **19.375**": lv.s2[0],
        "S3 = (32.5 + 20) / 4 = **13.125**": lv.s3[0],
        "S4 = 30.77 / 4 = **7.69**": lv.s4[0],
        "S_L = (90 + 0) / 2 = **45**": lv.s_l[0],
        "S5 = 7.69 × 0.45 = **3.46**": lv.s5[0],
    }
    flat = " ".join(text.split())
    for phrase, value in numbers.items():
        assert phrase in flat, phrase
        shown = phrase.rsplit("**", 2)[1]
        decimals = len(shown.partition(".")[2])
        assert abs(float(value) - float(shown)) <= 0.5 * 10 ** -decimals + 1e-12, (phrase, float(value))
    assert "S_C = (80 + 0) / 2 = 40" in flat and lv.mod_sc[0, img] == 40
    assert "S_G = (50 + 0) / 2 = 25" in flat and lv.mod_sg[0, img] == 25
    assert "at **Level 5**" in flat and lv.level[0] == 5
    assert "[19.375] [13.125] [7.6923] [3.4615] [5]" in text


def test_formulas_normalisation_examples():
    text = doc("formulas.md")
    assert "FID 18.7 gives `100*(2*sigmoid(25/18.7)-1)` = 58.4" in text
    assert round(gl.get_metric("FID").normalize(18.7), 1) == 58.4
    assert "# 58.4: 100*(2*sigmoid(25/x)-1)" in doc("quickstart.md")
    temps = dict(re.findall(r"(\w+) (\d+(?:\.\d+)?)[,.]", text.split("The temperature T")[1].split("A raw 0")[0]))
    assert len(temps) == 13
    for name, t in temps.items():
        assert gl.get_metric(name).normalization.formula == f"100*(2*sigmoid({float(t):g}/x)-1)", name


# -- official-differences.md: each case recomputed in both modes ------------------------------------------
CASES = [  # section heading, input, task id, extra column, its format
    ("WER written in percent", [("TextToSpeech", 4.8, "percent")], "texttospeech",
     lambda r: r.modalities["Audio"]["level2"], ".2f"),
    ("Chamfer distance and RTE", {"3D Point Cloud Completion": 0.1}, "3d-point-cloud-completion",
     lambda r: r.modalities["3D"]["level3"], ".2f"),
    ("Chamfer distance and RTE", {"3D Odometry": 0.3}, "3d-odometry",
     lambda r: r.modalities["3D"]["level3"], ".2f"),
    ("A raw 0 is treated as missing", {"crowd-counting": 0}, "crowd-counting",
     lambda r: r.modalities["Image"]["level3"], ".2f"),
    ("The NLP RMSE task", {"crowd-counting": 3.0, "eeg-based-image-generation": 50.0, "Time Series": 40.0},
     "time-series", lambda r: r.levels["level5"], ".2g"),
    ("Saturated scores decide wins", {"text-to-3d-motion-generation": 0.51}, "text-to-3d-motion-generation",
     lambda r: r.modalities["3D"]["level3"], ".2f"),
]


def _section(text: str, heading: str) -> str:
    start = text.index(f"## {heading}")
    end = text.find("\n## ", start + 3)
    return text[start:end if end > 0 else None]


@pytest.mark.parametrize("heading,results,task_id,extra,fmt", CASES, ids=[c[2] for c in CASES])
def test_official_differences_numbers(heading, results, task_id, extra, fmt):
    section = _section(doc("official-differences.md"), heading)
    rows = {}
    for label, compat in (("generallevel", None), ("official", "official")):
        report = gl.score(results, compat=compat)
        row = next(t for t in report.tasks if t.task.id == task_id)
        rows[label] = (row.sigma, row.sota_sigma, row.win, report.level)
        line = (f"| {label} | {row.sigma:.2f} | {row.sota_sigma:.2f} | {'yes' if row.win else 'no'} | "
                f"{extra(report):{fmt}} | {report.level} |")
        assert line in section, f"{heading}: expected the row\n{line}\nin\n{section}"
    assert rows["generallevel"] != rows["official"], "each case is a real difference"
    literal = repr(results).replace("'", '"') if isinstance(results, dict) else None
    if literal:
        assert f"gl.score({literal})" in " ".join(section.split())


def test_official_differences_s4_epsilon():
    text = doc("official-differences.md")
    results = next(c[1] for c in CASES if c[0] == "The NLP RMSE task")
    paper = gl.score(results).levels["level4"]
    official = gl.score(results, compat="official").levels["level4"]
    assert f"S4 is\n{paper:.8f} exactly and {official:.8f} officially" in text
    assert round(paper, 2) == round(official, 2)


# -- the docs build ---------------------------------------------------------------------------------------
def _nav_targets() -> list[str]:
    return re.findall(r":\s+(\S+\.md)\s*$", (REPO / "mkdocs.yml").read_text(), flags=re.M)


def test_every_nav_page_exists():
    missing = [t for t in _nav_targets() if not (DOCS / t).is_file()]
    assert not missing, f"pages listed in mkdocs.yml nav but missing from docs/: {missing}"


@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None, reason="mkdocs is not installed")
def test_docs_build_strict(tmp_path):
    """mkdocs build --strict over a copy of docs/ (pages still missing get a stub there, so that this
    test checks the pages that exist; test_every_nav_page_exists reports the missing ones)."""
    work = tmp_path / "proj"
    shutil.copytree(DOCS, work / "docs")
    shutil.copy(REPO / "mkdocs.yml", work / "mkdocs.yml")
    for target in _nav_targets():
        page = work / "docs" / target
        if not page.exists():
            page.parent.mkdir(parents=True, exist_ok=True)
            page.write_text(f"# {target}\n")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
                          cwd=work, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "site" / "official-differences" / "index.html").is_file()
