"""Small seeded media files and tiny models for the bundled demo (used by ``scripts/make_demo.py``).

Each writer is a closure ``path -> None`` so the builders in make_demo.py can list files before
writing them. Every file comes from its own ``np.random.RandomState(seed)`` stream, so the JSON
values make_demo.py draws from its main stream do not move when a file changes, and the output is
byte-identical on every run with the same libraries (Pillow, PyAV/libx264, soundfile, transformers).
Generated samples are made from their reference by a small, deterministic "generator error"
(colour shift and noise, a wrong motion, a detuned chord), so that FID/FVD/FAD compare two
related sets, as for a real model.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

Writer = Callable[[Path], None]


def picture(seed: int, size: int = 16) -> np.ndarray:
    """A smooth RGB picture: two colour gradients and a soft blob."""
    r = np.random.RandomState(seed)
    y, x = np.mgrid[0:size, 0:size] / (size - 1)
    cx, cy = r.rand(2)
    blob = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) * 12)
    img = np.stack([x * r.rand(), y * r.rand(), blob], axis=-1) * 200 + r.rand(3) * 55
    return np.clip(img, 0, 255).astype(np.uint8)


def distorted(img: np.ndarray, seed: int, shift: float = 18.0, noise: float = 10.0) -> np.ndarray:
    """``img`` as an imperfect generator renders it: a colour cast and pixel noise."""
    r = np.random.RandomState(seed)
    out = img.astype(float) + r.uniform(-shift, shift, 3) + noise * r.randn(*img.shape)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def washed_out(img: np.ndarray, amount: float = 0.5) -> np.ndarray:
    """``img`` blended towards white: the demo model's (poor) image edits."""
    return np.round((1 - amount) * img.astype(float) + amount * 255).astype(np.uint8)


def png(arr: np.ndarray) -> Writer:
    def write(path: Path) -> None:
        from PIL import Image

        Image.fromarray(arr).save(path, optimize=True)
    return write


def ply(points: list) -> Writer:
    head = ("ply\nformat ascii 1.0\nelement vertex {n}\nproperty double x\nproperty double y\nproperty double z\n"
            "end_header\n")
    return lambda path: path.write_text(head.format(n=len(points)) + "".join(
        f"{x!r} {y!r} {z!r}\n" for x, y, z in points), encoding="ascii")


def mp4(frames: list[np.ndarray], fps: int = 8) -> Writer:
    """An H.264 MP4 (yuv420p) of uint8 RGB frames, byte-identical on every run: one encoder thread and
    a constant quantiser (x264's default CRF rate control, with its lookahead, gave different bytes
    from run to run for 32 x 32 frames)."""
    def write(path: Path) -> None:
        import av

        h, w = frames[0].shape[:2]
        with av.open(str(path), "w", format="mp4") as out:
            stream = out.add_stream("libx264", rate=fps, options={"threads": "1", "preset": "veryfast", "qp": "20"})
            stream.width, stream.height = w, h
            stream.pix_fmt = "yuv420p"
            for img in frames:
                out.mux(stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")))
            out.mux(stream.encode())
    return write


def moving_square(seed: int, frames: int = 6, size: int = 16, wobble: int = 0, noise: float = 0.0) -> list[np.ndarray]:
    """A square drifting over a gradient; ``wobble`` and ``noise`` make a generator's worse copy."""
    base, r = picture(seed, size), np.random.RandomState(seed)
    x0, y0, dx, dy = r.randint(0, size // 2, 4) // 2
    jitter = np.random.RandomState(seed + 7919)
    out = []
    for t in range(frames):
        img = base.astype(float)
        x = (x0 + dx * t + (jitter.randint(-wobble, wobble + 1) if wobble else 0)) % (size - 4)
        y = (y0 + dy * t + (jitter.randint(-wobble, wobble + 1) if wobble else 0)) % (size - 4)
        img[y:y + 4, x:x + 4] = (240, 240, 240)
        if noise:
            img += noise * jitter.randn(*img.shape)
        out.append(np.clip(np.round(img), 0, 255).astype(np.uint8))
    return out


def chord(seed: int, detune: float = 0.0, noise: float = 0.0, rate: int = 8000, seconds: float = 0.2) -> Writer:
    """A 16-bit mono WAV: a short chord with a decaying envelope; ``detune`` (relative) and
    ``noise`` make a generator's worse copy of the same chord."""
    def write(path: Path) -> None:
        import soundfile as sf

        r = np.random.RandomState(seed)
        t = np.arange(int(rate * seconds)) / rate
        freqs = r.uniform(200, 900, 3) * (1 + detune * r.uniform(-1, 1, 3))
        wave = sum(np.sin(2 * np.pi * f * t) for f in freqs) / 3 * np.exp(-3 * t)
        wave = wave + noise * np.random.RandomState(seed + 7919).randn(len(t))
        sf.write(path, np.clip(0.6 * wave, -1, 1).astype(np.float32), rate, subtype="PCM_16")
    return write


def turntable(points: np.ndarray, colour: tuple[int, int, int], views: int = 8, size: int = 32) -> list[np.ndarray]:
    """Orthographic views of a point cloud turning about its vertical axis (splatted 2 x 2 dots on
    white): the rendered views a text-to-3D CLIP score averages over."""
    centred = points - points.mean(axis=0)
    scale = (size / 2 - 3) / max(np.abs(centred).max(), 1e-9)
    frames = []
    for k in range(views):
        a = 2 * np.pi * k / views
        x = centred[:, 0] * np.cos(a) + centred[:, 2] * np.sin(a)
        img = np.full((size, size, 3), 255, dtype=np.uint8)
        cols = np.clip(np.round(size / 2 + x * scale).astype(int), 0, size - 2)
        rows = np.clip(np.round(size / 2 - centred[:, 1] * scale).astype(int), 0, size - 2)
        for dr in (0, 1):
            for dc in (0, 1):
                img[rows + dr, cols + dc] = colour
        frames.append(img)
    return frames


def shape_points(seed: int, n: int = 200) -> np.ndarray:
    """A made-up object: points on a randomly stretched ellipsoid with a bump."""
    r = np.random.RandomState(seed)
    v = r.randn(n, 3)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    v *= r.uniform(0.5, 1.5, 3)
    v[:, 1] += 0.4 * np.exp(-4 * ((v[:, 0] - r.uniform(-0.5, 0.5)) ** 2))
    return v


def bundle_tiny_models(dest: Path, names: dict[str, str], seed: int = 0) -> dict[str, str]:
    """Write the tiny transformers checkpoints ``{folder name: extractor}`` into ``dest/<folder>``
    (the snapshot's files only, without the hub-cache layout around them); returns
    ``{folder name: total bytes}``. Files are copied with default permissions (safetensors writes 0600)."""
    from generallevel_builtin.tiny_models import save_tiny

    sizes = {}
    for folder, extractor in names.items():
        with tempfile.TemporaryDirectory() as tmp:
            snap = Path(save_tiny(extractor, tmp, seed=seed)["model"])
            out = dest / folder
            out.mkdir(parents=True, exist_ok=True)
            for f in sorted(snap.iterdir()):
                shutil.copyfile(f, out / f.name)
        sizes[folder] = sum(f.stat().st_size for f in out.iterdir())
    return sizes
