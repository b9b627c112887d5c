"""Model-based generation tasks that name media files, for ``make_fullscale.py --model-media``.

By default the full-scale tree gives FID, FVD, FAD and the CLIP/CLAP/DINO metrics precomputed
features (their files could not be scored without extractor weights). With ``--model-media``,
every :data:`EVERY`-th task of each such metric (the first included) names real PNG, MP4 or WAV
files instead, as General-Bench ships them, and the tree gets an ``extractors.json`` with tiny
random-weight models in the real formats (``generallevel_builtin.tiny_models``; Inception-V3 and
R3D-18 are the demo's generated files, ``generallevel.demo_models``), so ``generallevel evaluate
--extractor-options OUT/extractors.json`` decodes the files and runs the real extractor classes.
Those tasks are kept small (:data:`CAPS`): every file is a real network forward pass.

Each generator takes ``(n, rng, words)`` and returns ``(outputs, predictions, files)`` like the
generators of ``_instances_media.py``, whose writers and ``write_media`` it shares.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import numpy as np

from _instances_media import _mp4, _png, _smooth

EVERY = 3
CAPS = {"image": 16, "video": 4, "audio": 16}  # instances per model-media task (R3D-18: ~3 s a clip on one core)
KEY = "+model-files"
SIZE = (32, 32, 3)


def _wav(wave: np.ndarray, rate: int = 16_000) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        import soundfile as sf

        sf.write(path, np.clip(wave, -1, 1).astype(np.float32), rate, subtype="PCM_16")
    return write


def _tone(rng, seconds: float = 0.25, rate: int = 16_000) -> np.ndarray:
    t = np.arange(int(rate * seconds)) / rate
    return 0.5 * sum(np.sin(2 * np.pi * f * t) for f in rng.uniform(150, 1500, 3)) / 3 * np.exp(-4 * t)


def _images(prompted: bool):
    def gen(n, rng, words):
        outs, preds, files = [], [], []
        for i in range(n):
            ref = _smooth(rng, SIZE)
            pred = np.clip(ref + rng.normal(0, 12, ref.shape), 0, 255).round().astype(np.uint8)
            preds.append(f"outputs/{i:06d}.png")
            files.append(("pred", preds[-1], _png(pred)))
            if prompted:  # CLIP-T: the reference is the prompt
                outs.append({"prompt": " ".join(words.sentence(rng, 6))})
            else:
                outs.append({"image": f"targets/{i:06d}.png"})
                files.append(("bench", outs[-1]["image"], _png(ref)))
        return outs, preds, files
    return gen


def _videos(n, rng, words, frames: int = 6):
    outs, preds, files = [], [], []
    for i in range(n):
        ref = np.stack([_smooth(rng, SIZE) for _ in range(frames)])
        pred = np.clip(ref + rng.normal(0, 10, ref.shape), 0, 255).round().astype(np.uint8)
        outs.append({"video": f"targets/{i:06d}.mp4"})
        preds.append({"video": f"outputs/{i:06d}.mp4"})
        files += [("bench", outs[-1]["video"], _mp4(ref, qp=20)), ("pred", preds[-1]["video"], _mp4(pred, qp=20))]
    return outs, preds, files


def _audio(prompted: bool):
    def gen(n, rng, words):
        outs, preds, files = [], [], []
        for i in range(n):
            ref = _tone(rng)
            preds.append(f"outputs/{i:06d}.wav")
            files.append(("pred", preds[-1], _wav(ref + rng.normal(0, 0.02, ref.shape))))
            if prompted:  # CLAP: the reference is the prompt
                outs.append({"prompt": f"a sound, take {i}"})
            else:
                outs.append({"audio": f"targets/{i:06d}.wav"})
                files.append(("bench", outs[-1]["audio"], _wav(ref)))
        return outs, preds, files
    return gen


# metric -> (generator, media kind)
GENERATORS: dict[str, tuple[Any, str]] = {
    "FID": (_images(False), "image"), "CLIP-I": (_images(False), "image"), "CLIP-Style": (_images(False), "image"),
    "DINO-I": (_images(False), "image"), "CLIP-T": (_images(True), "image"), "FVD": (_videos, "video"),
    "FAD": (_audio(False), "audio"), "Style-CLAP": (_audio(False), "audio"), "CLAP": (_audio(True), "audio"),
}
TINY = {"clip-image": "clip", "clip-text": "clip", "clap-audio": "clap", "clap-text": "clap", "dino-vitb16": "dino"}


def with_model_media_keys(keys: list[str]) -> list[str]:
    """Every EVERY-th task (first included) of each model-based metric gets ``"<metric>+model-files"``."""
    seen: dict[str, int] = {}
    out = []
    for k in keys:
        if k in GENERATORS:
            seen[k] = seen.get(k, -1) + 1
            if seen[k] % EVERY == 0:
                k += KEY
        out.append(k)
    return out


def caps(keys: list[str]) -> dict[str, int]:
    """Instance caps for the model-media keys (allocate() looks caps up by these labels)."""
    return {k: CAPS[GENERATORS[k[:-len(KEY)]][1]] for k in keys if k.endswith(KEY)}


def generator(key: str) -> Any:
    return GENERATORS[key[:-len(KEY)]][0]


def write_extractor_options(out: str | Path) -> Path:
    """``OUT/extractors.json``: tiny CLIP, CLAP and DINO folders under ``OUT/models/`` and the demo's
    generated Inception-V3 and R3D-18 files (in the generallevel cache, written there if missing)."""
    import shutil
    import tempfile

    from generallevel.demo_models import generated_options
    from generallevel_builtin.tiny_models import save_tiny

    out = Path(out)
    options: dict[str, dict[str, str]] = dict(generated_options())
    for folder in sorted(set(TINY.values())):
        dest = out / "models" / folder
        if not dest.is_dir():
            with tempfile.TemporaryDirectory() as tmp:
                extractor = next(name for name, f in TINY.items() if f == folder)
                shutil.copytree(save_tiny(extractor, tmp, seed=0)["model"], dest)
    for name, folder in TINY.items():
        options[name] = {"model": f"./models/{folder}"}
    path = out / "extractors.json"
    path.write_text(json.dumps(options, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
