"""The benchmark harness still runs end to end (tiny sizes). No timing is asserted: speed goals live
in benchmarks/run.py, and a loaded CI machine must not fail a test."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
RUN = ROOT / "benchmarks" / "run.py"
SECTIONS = ("startup", "metrics", "extractors", "fullscale", "intervals", "leaderboard", "cluster", "service")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "rows.json"
    proc = subprocess.run([sys.executable, str(RUN), "--quick", "--json", str(out)],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, json.loads(out.read_text(encoding="utf-8"))


def test_prints_one_table_with_every_section(quick_run):
    stdout, data = quick_run
    assert stdout.count("Section") == 1  # one table header
    assert "goals met:" in stdout
    assert {r["section"] for r in data["rows"]} == set(SECTIONS)


def test_every_figure_was_measured(quick_run):
    _, data = quick_run
    broken = [f"{r['section']}: {r['figure']}: {r['note']}" for r in data["rows"] if r["value"] == "not measured"]
    assert not broken, "\n".join(broken)


def test_metric_rows_compare_with_the_reference(quick_run):
    _, data = quick_run
    rows = [r for r in data["rows"] if r["section"] == "metrics"]
    assert len(rows) >= 10
    for r in rows:
        assert r["data"]["abs_diff"] <= max(1e-6, 1e-6 * abs(r["data"]["ref"])), r  # same inputs, same number


def test_fullscale_tree_covers_every_metric(quick_run):
    import generallevel

    _, data = quick_run
    tree = next(r for r in data["rows"] if r["section"] == "fullscale" and r["figure"].startswith("synthetic tree"))
    n_metrics = len({t.metric for t in generallevel.list_tasks()})
    assert tree["data"]["tasks"] >= n_metrics  # one task per instance generator, i.e. every metric


def test_unknown_section_is_refused():
    proc = subprocess.run([sys.executable, str(RUN), "--only", "nonsense"], capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert proc.returncode != 0
    assert "unknown section" in proc.stderr


def test_allocation_is_exact_and_capped():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import make_fullscale as mf

    metrics = ["Acc"] * 50 + ["FID"] * 10 + ["PSNR"] * 5
    sizes = mf.allocate(metrics, 20_000, seed=0)
    assert sum(sizes) == 20_000
    assert all(n <= mf.CAPS["FID"] for n in sizes[50:60])
    assert all(n >= mf.MIN_INSTANCES for n in sizes)
    assert sizes == mf.allocate(metrics, 20_000, seed=0)  # deterministic


def test_model_media_tree_scores_its_model_based_tasks_from_files(tmp_path, monkeypatch):
    """make_fullscale --model-media: every third FID/CLIP/CLAP/... task names PNG/MP4/WAV files, scored
    through the tree's extractors.json (tiny models). Only those metrics' tasks are written here (FVD's
    R3D-18 takes seconds a clip: the demo covers it)."""
    pytest.importorskip("transformers")
    pytest.importorskip("av")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import _instances_models as im
    import make_fullscale as mf
    import generallevel as gl
    from generallevel.evaluate import evaluate

    assert im.with_model_media_keys(["FID", "FID", "FID", "FID", "Acc"]) == [
        "FID+model-files", "FID", "FID", "FID+model-files", "Acc"]
    tasks = [t for t in gl.list_tasks() if gl.get_metric(t.metric).name in im.GENERATORS and t.metric != "FVD"]
    monkeypatch.setattr(gl, "list_tasks", lambda: tasks)
    summary = mf.make_tree(tmp_path, total=400, seed=0, jobs=1, per_kind=1, minimum=2, model_media=True)
    assert summary["model_media_tasks"] == len(im.GENERATORS) - 1
    media = {}
    for ann in Path(summary["dataset"]).rglob("annotation.json"):
        data = json.loads(ann.read_text(encoding="utf-8"))
        rel = ann.parent.relative_to(summary["dataset"]).as_posix()
        if (Path(summary["predictions"]) / rel / "outputs").is_dir():
            media[rel] = data["type"]
            assert len(data["data"]) <= im.CAPS["image"]
    assert sorted(media.values()) == sorted(m for m in im.GENERATORS if m != "FVD")
    result = evaluate(summary["dataset"], summary["predictions"], "m", jobs=1,
                      extractor_options=summary["extractor_options"])
    assert {t.status for t in result.tasks} == {"scored"}, [t.error for t in result.tasks if t.error]
    for t in result.tasks:
        assert (t.folder in media) == any("file(s) through" in n for n in t.notes), (t.folder, t.notes)
