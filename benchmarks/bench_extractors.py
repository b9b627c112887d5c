"""Section ``extractors``: the built-in feature extractors on media files (issue 11's benchmark rows).

Rows: images/s of PNG decoding + ``inception-pool3`` features on the CPU (and on a GPU when torch sees
one), against torch-fidelity's own extractor on the same files (ratio goal <= 1.0); the time to
rescore an FID task whose features are cached, against the first scoring; audio clips/s of WAV
decoding + ``clap-audio`` embeddings.

The networks carry random weights written by ``tiny_models.save_tiny`` (no weights can be fetched
here). Inception-V3 has a fixed architecture, so its speed is that of the real model. For CLAP the
full run builds the real architecture (HTSAT-tiny + RoBERTa-base, transformers' default
``ClapConfig``) with random weights; ``--quick`` uses the tiny test model. torch-fidelity cannot be
installed beside this project (it needs torchvision, a multi-GB CUDA build here): the comparison
runs when ``GENERALLEVEL_BENCH_REFERENCE_PYTHON`` names a Python with torch-fidelity installed, and
is reported as skipped otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _common import Row, failed_row, log, seconds

SEC = "extractors"
REF_ENV = "GENERALLEVEL_BENCH_REFERENCE_PYTHON"

_REFERENCE = r"""
import sys, time, glob, numpy as np, torch
from PIL import Image
from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3
torch.set_num_threads(int(sys.argv[3]))
files = sorted(glob.glob(sys.argv[1] + "/*.png"))
fe = FeatureExtractorInceptionV3("inception-v3-compat", ["2048"], feature_extractor_weights_path=sys.argv[2])
def run():
    batch = torch.stack([torch.from_numpy(np.asarray(Image.open(f).convert("RGB"))).permute(2, 0, 1) for f in files])
    with torch.no_grad():
        return fe(batch)[0].numpy()
run()
t = time.perf_counter(); feats = run(); t = time.perf_counter() - t
np.save(sys.argv[4], feats)
print(t)
"""


def _write_images(folder: Path, n: int, size: int) -> list[Path]:
    from PIL import Image

    rng = np.random.default_rng(0)
    paths = []
    for i in range(n):
        y, x = np.mgrid[0:size, 0:size]
        img = np.stack([(x * (i + 1)) % 256, (y * (i + 3)) % 256, ((x + y) * 2) % 256], -1)
        img = np.clip(img + rng.integers(-20, 20, img.shape), 0, 255).astype(np.uint8)
        path = folder / f"img_{i:04d}.png"
        Image.fromarray(img).save(path)
        paths.append(path)
    return paths


def _decode_images(paths: list[Path]) -> list[np.ndarray]:
    from generallevel.media import ImageSpec, decode

    return [decode(p, ImageSpec()) for p in paths]


def _inception_rows(tmp: Path, quick: bool) -> list[Row]:
    import torch

    import generallevel as gl
    from generallevel_builtin.tiny_models import save_tiny

    n, size = (8, 128) if quick else (64, 256)
    folder = tmp / "images"
    folder.mkdir()
    paths = _write_images(folder, n, size)
    opts = save_tiny("inception-pool3", tmp / "torch_home")
    rows: list[Row] = []
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    ours_cpu = None
    for device in devices:
        fn = gl.get_extractor("inception-pool3").load(device=device, batch_size=32, **opts).fn  # no cache
        fn(_decode_images(paths[:2]))  # warm-up
        t = time.perf_counter()
        feats = fn(_decode_images(paths))
        t = time.perf_counter() - t
        if device == "cpu":
            ours_cpu, ours_feats = t, feats
        rows.append(Row(SEC, f"PNG decode + inception-pool3, {device}", f"{n / t:.1f} images/s", "-", None,
                        f"{n} PNG files of {size} x {size}, batch 32, {torch.get_num_threads()} torch threads; "
                        f"time {seconds(t)}", {"seconds": t, "images": n, "device": device}))
    if "cuda" not in devices:
        rows.append(Row(SEC, "PNG decode + inception-pool3, cuda", "skipped", "-", None,
                        "no CUDA device on this machine"))
    ref_python = os.environ.get(REF_ENV)
    figure = "time ratio ours / torch-fidelity (CPU, same files)"
    if not ref_python:
        rows.append(Row(SEC, figure, "skipped", "<= 1.0", None,
                        f"set {REF_ENV} to a Python with torch-fidelity (it needs torchvision, not installable here)"))
        return rows
    out = tmp / "ref.npy"
    proc = subprocess.run([ref_python, "-c", _REFERENCE, str(folder), opts["weights"],
                           str(torch.get_num_threads()), str(out)], capture_output=True, text=True, timeout=1200)
    if proc.returncode != 0:
        return rows + [failed_row(SEC, figure, "<= 1.0", proc.stderr.strip().splitlines()[-1])]
    t_ref = float(proc.stdout.strip().splitlines()[-1])
    diff = float(np.abs(np.load(out) - ours_feats).max())
    ratio = ours_cpu / t_ref
    rows.append(Row(SEC, figure, f"{ratio:.2f} ({n / t_ref:.1f} images/s for torch-fidelity)", "<= 1.0",
                    ratio <= 1.0, f"torch-fidelity decodes with PIL and embeds one batch; max feature difference "
                                  f"{diff:.1e}", {"ratio": ratio, "reference_seconds": t_ref, "max_abs_diff": diff}))
    return rows


def _rescoring_rows(tmp: Path, quick: bool) -> list[Row]:
    import generallevel as gl
    from generallevel_builtin.tiny_models import save_tiny

    n = 6 if quick else 40
    gen = _decode_images(_write_images(_mkdir(tmp / "gen"), n, 96))
    ref = [np.ascontiguousarray(im[:, ::-1]) for im in _decode_images(_write_images(_mkdir(tmp / "ref"), n, 96))]
    opts = save_tiny("inception-pool3", tmp / "torch_home")
    fn = gl.get_extractor("inception-pool3").load(**opts)
    fid = gl.get_metric("FID")
    t = time.perf_counter()
    first = fid.compute(gen, ref, extractor=fn)
    t_first = time.perf_counter() - t
    t = time.perf_counter()
    again = fid.compute(gen, ref, extractor=fn)
    t_again = time.perf_counter() - t
    same = first == again
    return [Row(SEC, "FID rescoring with cached features", f"{seconds(t_again)} (first: {seconds(t_first)})",
                "< 10% of first", t_again < 0.1 * t_first and same,
                f"{n} + {n} images; cache in a temporary folder; identical FID: {same}",
                {"first_seconds": t_first, "cached_seconds": t_again, "identical": same})]


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _full_clap(folder: Path) -> dict[str, str]:
    """The real CLAP architecture (transformers' default ClapConfig) with random weights, in the hub layout."""
    import torch
    from transformers import ClapConfig, ClapModel

    from generallevel_builtin import _hf
    from generallevel_builtin._net_clap import save_tiny

    opts = save_tiny(folder / "tiny")  # its processor (tokenizer, feature extractor)
    torch.manual_seed(0)
    snap = _hf.snapshot_dir(folder / "full", "laion/clap-htsat-unfused")
    ClapModel(ClapConfig()).save_pretrained(snap)
    for f in Path(opts["model"]).iterdir():
        if f.name not in ("config.json", "model.safetensors"):
            (snap / f.name).write_bytes(f.read_bytes())
    return {"model": str(snap)}


def _audio_rows(tmp: Path, quick: bool) -> list[Row]:
    import soundfile as sf

    import generallevel as gl
    from generallevel.media import AudioSpec, decode
    from generallevel_builtin.tiny_models import save_tiny

    n, secs = (4, 2.0) if quick else (16, 10.0)
    rng = np.random.default_rng(1)
    paths = []
    for i in range(n):
        path = tmp / f"clip_{i:03d}.wav"
        sf.write(path, (0.1 * rng.standard_normal(int(44_100 * secs))).astype(np.float32), 44_100)  # resampled
        paths.append(path)
    opts = save_tiny("clap-audio", tmp / "hf") if quick else _full_clap(tmp / "hf")
    ext = gl.get_extractor("clap-audio")
    fn = ext.load(device="cpu", **opts).fn
    spec = AudioSpec(sample_rate=ext.sample_rate)
    fn([decode(paths[0], spec)])  # warm-up
    t = time.perf_counter()
    waves = [decode(p, spec) for p in paths]
    t_dec = time.perf_counter() - t
    fn(waves)
    t = time.perf_counter() - t
    model = "tiny test model" if quick else "HTSAT-tiny + RoBERTa-base architecture, random weights"
    return [Row(SEC, "WAV decode (44.1 -> 48 kHz) + clap-audio, cpu", f"{n / t:.2f} clips/s", "-", None,
                f"{n} clips of {secs:g} s; {model}; decoding {seconds(t_dec)} of {seconds(t)}",
                {"seconds": t, "decode_seconds": t_dec, "clips": n})]


def run(quick: bool = False) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        saved = {k: os.environ.get(k) for k in ("GENERALLEVEL_FEATURE_CACHE", "HF_HUB_OFFLINE")}
        os.environ["GENERALLEVEL_FEATURE_CACHE"] = str(tmp / "cache")
        os.environ["HF_HUB_OFFLINE"] = "1"
        try:
            for name, part in (("inception", _inception_rows), ("rescoring", _rescoring_rows),
                               ("audio", _audio_rows)):
                log(f"extractors: {name}")
                try:
                    rows += part(_mkdir(tmp / name), quick)
                except Exception as e:  # noqa: BLE001 - one figure must not stop the table
                    rows.append(failed_row(SEC, name, "-", e))
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
    return rows


if __name__ == "__main__":
    from _common import format_table

    print(format_table(run(quick="--quick" in sys.argv)))
