"""`generallevel evaluate` on a tree whose generation predictions are image files, scored by the built-in
extractors with tiny weights in the real format: the FID task whose weights are present is scored (equal
to FID on the decoded images through the same network), the CLIP-T task whose weights are absent fails
alone with the fetch command, and a rescoring run reads the feature cache."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import generallevel as gl
from generallevel import plugins
from generallevel.evaluate import evaluate

PIL = pytest.importorskip("PIL.Image")
pytest.importorskip("torch")
tiny_models = pytest.importorskip("generallevel_builtin.tiny_models")
RNG = np.random.default_rng(23)


def _task(bench: Path, preds: Path, rel: str, name: str, records: list, predictions: dict) -> None:
    (bench / rel).mkdir(parents=True, exist_ok=True)
    (preds / rel).mkdir(parents=True, exist_ok=True)
    (bench / rel / "annotation.json").write_text(json.dumps({"task": name, "data": records}))
    (preds / rel / "prediction.json").write_text(json.dumps([{"id": k, "prediction": v} for k, v in predictions.items()]))


def _png(path: Path, arr: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    PIL.fromarray(arr).save(path)


@pytest.fixture
def tree(tmp_path, monkeypatch):
    torch_home = tmp_path / "torch_home"
    opts = tiny_models.save_tiny("inception-pool3", torch_home)
    monkeypatch.setenv("TORCH_HOME", str(torch_home))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "empty_hub"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("GENERALLEVEL_FEATURE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("GENERALLEVEL_DEVICE", "cpu")
    for ext in plugins.get_registry().extractors:
        ext._built = None
    bench, preds = tmp_path / "bench", tmp_path / "preds"
    gen = [RNG.integers(0, 256, (40 + 4 * i, 48, 3), dtype=np.uint8) for i in range(4)]
    real = [np.clip(RNG.normal(128, 40, (56, 44 + 2 * i, 3)), 0, 255).astype(np.uint8) for i in range(4)]
    rel = "image/generation/Edge-to-Image_Generation"
    for i in range(4):
        _png(bench / rel / "targets" / f"{i}.png", real[i])
        _png(preds / rel / "outputs" / f"{i}.png", gen[i])
    _task(bench, preds, rel, "Edge-to-Image Generation",
          [{"id": str(i), "input": {"prompt": "edges"}, "output": {"image": f"targets/{i}.png"}} for i in range(4)],
          {str(i): f"outputs/{i}.png" for i in range(4)})
    rel = "image/generation/Image_Editing_with_Text_and_Image_Prompt"
    for i in range(2):
        _png(preds / rel / "outputs" / f"{i}.png", gen[i])
    _task(bench, preds, rel, "Image Editing with Text and Image Prompt",
          [{"id": str(i), "input": {"prompt": f"a red cat {i}"}, "output": {}} for i in range(2)],
          {str(i): f"outputs/{i}.png" for i in range(2)})
    yield bench, preds, gen, real, opts
    for ext in plugins.get_registry().extractors:
        ext._built = None


def test_present_weights_score_absent_weights_fail_with_the_fetch_command(tree, tmp_path):
    bench, preds, gen, real, opts = tree
    tasks = {t.task_id: t for t in evaluate(bench, preds, model="m", jobs=1).tasks}
    fid = tasks["edge-to-image-generation"]
    assert fid.status == "scored", fid.error
    net = gl.get_extractor("inception-pool3").load(**opts)
    assert fid.raw == pytest.approx(gl.get_metric("FID").compute(net.fn(gen), net.fn(real)), rel=1e-6)
    clip = tasks["image-editing-with-text-and-image-prompt"]
    assert clip.status == "failed" and "generallevel extractors fetch clip-" in clip.error, clip.error
    assert list((tmp_path / "cache" / "features").glob("*.sqlite"))
    again = {t.task_id: t for t in evaluate(bench, preds, model="m", jobs=1).tasks}["edge-to-image-generation"]
    assert again.raw == fid.raw
    assert gl.get_extractor("inception-pool3").load().hits >= 8, "the rescoring read the feature cache"
