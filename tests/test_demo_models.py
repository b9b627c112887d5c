"""The bundled demo's generation tasks are scored from its media files by the real extractors with
tiny random-weight models (generallevel.demo_models): each number equals an independent computation
(files decoded here with Pillow/PyAV/soundfile, the network called directly, torchmetrics' Fréchet
formula); the big models are generated once, atomically, only for the demo; a warm feature cache
scores the demo without building any model."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import generallevel as gl
from generallevel import demo_models
from generallevel.evaluate import DEMO_DATASET, DEMO_DIR, DEMO_PREDICTIONS, evaluate, evaluate_demo

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
PIL = pytest.importorskip("PIL.Image")
av = pytest.importorskip("av")
sf = pytest.importorskip("soundfile")
fid_formula = pytest.importorskip("torchmetrics.image.fid")._compute_fid  # torchmetrics' own Fréchet distance

FID = "image/generation/Edge_to_Image_Generation"
FVD = "video/generation/Human_Video_Generation"
FAD = "audio/generation/SongGeneration"
EDIT = "image/generation/Image_Editing_with_Text_and_Image_Prompt"
T23D = "3d/generation/Text_to_3D_Living_and_Arts_Point_Cloud_Generation"


@pytest.fixture(scope="module")
def demo():
    return {t.folder: t for t in evaluate_demo(jobs=1).tasks}


def _pairs(rel: str) -> tuple[list[dict], dict]:
    records = json.loads((DEMO_DATASET / rel / "annotation.json").read_text())["data"]
    preds = {p["id"]: p["prediction"] for p in json.loads((DEMO_PREDICTIONS / rel / "prediction.json").read_text())}
    return records, preds


def _files(rel: str, key: str) -> tuple[list[Path], list[Path]]:
    records, preds = _pairs(rel)
    return ([DEMO_PREDICTIONS / rel / preds[r["id"]][key] for r in records],
            [DEMO_DATASET / rel / r["output"][key] for r in records])


def _network(name: str):
    """The extractor's model itself (not the feature cache around it), with the demo's weights."""
    return gl.get_extractor(name).load(**demo_models.demo_extractor_options()[name]).fn


def _frechet(a: np.ndarray, b: np.ndarray) -> float:
    a, b = torch.tensor(np.asarray(a, np.float64)), torch.tensor(np.asarray(b, np.float64))
    return float(fid_formula(a.mean(0), torch.cov(a.T), b.mean(0), torch.cov(b.T)))


def _video(path: Path) -> np.ndarray:
    with av.open(str(path)) as f:
        return np.stack([fr.to_ndarray(format="rgb24") for fr in f.decode(video=0)])


def test_the_generation_tasks_read_files_not_precomputed_vectors(demo):
    for rel in (FID, FVD, FAD, EDIT, T23D):
        records, preds = _pairs(rel)
        assert all("features" not in r["output"] and "embedding" not in r["output"] for r in records)
        assert all(set(p) <= {"image", "video", "audio"} for p in preds.values()), rel
        assert demo[rel].status == "scored", demo[rel].error
    assert json.loads((DEMO_DIR / "extractors.json").read_text()) == {
        n: {"model": f"./models/{n.split('-')[0]}"} for n in ("clip-image", "clip-text", "clap-audio", "clap-text")}
    assert sum(f.stat().st_size for f in (DEMO_DIR / "models").rglob("*") if f.is_file()) < 2_000_000


def test_fid_equals_the_network_on_the_png_files(demo):
    pred, ref = _files(FID, "image")
    net = _network("inception-pool3")
    rgb = [[np.array(PIL.open(p).convert("RGB")) for p in side] for side in (pred, ref)]
    assert demo[FID].raw == pytest.approx(_frechet(net(rgb[0]), net(rgb[1])), rel=1e-5)


def test_fvd_equals_the_network_on_the_mp4_files(demo):
    pred, ref = _files(FVD, "video")
    net = gl.get_extractor("r3d18-kinetics").load(**demo_models.demo_extractor_options()["r3d18-kinetics"])
    # through the feature cache: R3D-18 takes ~3 s a clip; the rows are found only if these
    # independently decoded frames are byte-identical to evaluate's
    feats = [net([_video(p) for p in side]) for side in (pred, ref)]
    assert net.misses == 0
    assert demo[FVD].raw == pytest.approx(_frechet(*feats), rel=1e-5)


def test_fad_equals_the_network_on_the_wav_files(demo):
    from scipy.signal import resample_poly

    pred, ref = _files(FAD, "audio")
    net = _network("clap-audio")

    def wave(path: Path) -> np.ndarray:
        data, rate = sf.read(str(path), dtype="float32")
        assert rate == 8000
        return resample_poly(data, 6, 1).astype(np.float32)  # 8 kHz -> CLAP's 48 kHz

    feats = [net([wave(p) for p in side]) for side in (pred, ref)]
    assert demo[FAD].raw == pytest.approx(_frechet(*feats), rel=1e-4, abs=1e-7)


@pytest.mark.parametrize("rel", [EDIT, T23D])
def test_clip_t_equals_the_cosine_of_files_and_prompts(demo, rel):
    records, preds = _pairs(rel)
    image, text = _network("clip-image"), _network("clip-text")
    rows = []
    for r in records:
        p = DEMO_PREDICTIONS / rel / next(iter(preds[r["id"]].values()))
        frames = _video(p) if p.suffix == ".mp4" else [np.array(PIL.open(p).convert("RGB"))]
        rows.append(image(list(frames)).mean(axis=0))  # a turntable: the mean over its 8 views
    emb, txt = np.stack(rows), text([r["input"]["prompt"] for r in records])
    cos = (emb * txt).sum(1) / np.linalg.norm(emb, axis=1) / np.linalg.norm(txt, axis=1)
    assert demo[rel].raw == pytest.approx(np.maximum(100 * cos, 0).mean(), rel=1e-5)
    assert demo[rel].raw > 0


def test_big_models_are_generated_once_atomically_and_only_for_the_demo(tmp_path):
    env = {**os.environ, "GENERALLEVEL_CACHE_DIR": str(tmp_path / "cache")}
    code = "from generallevel.demo_models import generated_options; print(generated_options())"
    runs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for _ in range(2)]  # two at once: each writes a temporary file, then renames
    outs = [r.communicate() for r in runs]
    assert [r.returncode for r in runs] == [0, 0], outs
    where = tmp_path / "cache" / "demo-models" / f"v{demo_models.FORMAT}"
    assert sorted(p.name for p in where.iterdir()) == ["inception-pool3-seed0.pth", "r3d18-kinetics-seed0.pth"]
    assert all("their numbers mean nothing; nothing was downloaded" in err and str(where) in err for _, err in outs)
    again = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert again.returncode == 0 and again.stderr == ""  # generated already: no note
    opts = demo_models.demo_extractor_options()  # the session's copy (same seed): identical bytes
    for name in demo_models.GENERATED:
        assert (where / f"{name}-seed0.pth").read_bytes() == Path(opts[name]["weights"]).read_bytes()


def test_a_copy_of_the_demo_is_a_users_tree(tmp_path, monkeypatch):
    """Only the bundled tree gets the demo's models: elsewhere missing weights name the fetch command."""
    import shutil

    monkeypatch.setenv("GENERALLEVEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    for root, side in ((DEMO_DATASET, "bench"), (DEMO_PREDICTIONS, "preds")):
        shutil.copytree(root / FID, tmp_path / side / FID)
    task = evaluate(tmp_path / "bench", tmp_path / "preds", "m", jobs=1).tasks[0]
    assert task.status == "failed" and "generallevel extractors fetch inception-pool3" in task.error
    assert not (tmp_path / "cache" / "demo-models").exists()


def test_a_warm_cache_scores_the_demo_without_building_a_model(demo):
    code = ("import sys; from generallevel.evaluate import evaluate_demo; r = evaluate_demo(jobs=1); "
            "print(sorted(t.folder for t in r.tasks if t.status == 'failed'), 'transformers' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["[]", "False"], out.stdout  # every row came from the session's feature cache


def test_a_model_whose_identity_differs_from_its_cache_key_is_refused():
    class Net:
        cache_key = "built"

        def __call__(self, samples):
            return np.ones((len(samples), 2))

    ext = gl.Extractor("mismatch", "image", lambda: Net(), identity=lambda: "declared")
    with pytest.raises(RuntimeError, match="identity.*'declared'.*'built'"):
        ext.load()([np.zeros((2, 2, 3), np.uint8)])
