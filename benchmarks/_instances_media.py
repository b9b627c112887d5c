"""Media-file instance generators for the synthetic full-scale tree: a representative share of the
tasks of every metric that reads files (PSNR, mIoU, Dice, S-measure, AbsRel, EPE, CD,
TemporalFlickering) name real files instead of inlining arrays, as General-Bench does.

Each generator takes ``(n, rng, words)`` and returns ``(outputs, predictions, files)``: the
annotation ``output`` objects and predictions hold paths (relative to the JSON file, as the
evaluator resolves them), and ``files`` lists ``(side, path, writer)`` with side ``"bench"`` or
``"pred"``. Files are PNG (8-bit RGB, palette labels, 0/255 masks, 16-bit depth), Middlebury .flo,
binary PLY, folders of PNG frames and H.264 MP4, all drawn from ``rng`` (byte-identical per seed
with the same media libraries). Model-based metrics keep precomputed features: scoring their files
needs extractor weights.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np

from _instances import SHAPES

MEDIA_EVERY = 3  # every third task of a media-capable metric (the first included) names files
Writer = Callable[[Path], None]


def _smooth(rng, shape) -> np.ndarray:
    h, w = shape[0], shape[1]
    base = rng.integers(0, 256, (max(1, h // 4), max(1, w // 4)) + tuple(shape[2:]))
    return np.repeat(np.repeat(base, 4, axis=0), 4, axis=1)[:h, :w].astype(np.uint8)


def _png(arr: np.ndarray, mode: str | None = None) -> Writer:
    def write(path: Path) -> None:
        from PIL import Image

        (Image.fromarray(arr, mode) if mode else Image.fromarray(arr)).save(path)
    return write


def _palette_png(labels: np.ndarray) -> Writer:
    def write(path: Path) -> None:
        from PIL import Image

        img = Image.fromarray(labels.astype(np.uint8), "P")
        img.putpalette([(37 * i) % 256 for i in range(768)])
        img.save(path)
    return write


def _frames(stack: np.ndarray) -> list[tuple[str, Writer]]:
    return [(f"{k:04d}.png", _png(f)) for k, f in enumerate(stack)]


def gen_image_pairs(n, rng, words):
    shape = SHAPES["image"]
    outs, preds, files = [], [], []
    for i in range(n):
        ref = _smooth(rng, shape)
        pred = np.clip(ref + rng.normal(0, 12, ref.shape), 0, 255).round().astype(np.uint8)
        outs.append({"image": f"images/{i:06d}.png"})
        preds.append(f"outputs/{i:06d}.png")
        files += [("bench", outs[-1]["image"], _png(ref)), ("pred", preds[-1], _png(pred))]
    return outs, preds, files


def gen_frame_pairs(n, rng, words, frames: int = 4):
    """Video restoration as General-Bench ships it: per item a folder of PNG frames on each side."""
    h, w, c = SHAPES["image"]
    outs, preds, files = [], [], []
    for i in range(n):
        ref = np.stack([_smooth(rng, (h, w, c)) for _ in range(frames)])
        pred = np.clip(ref + rng.normal(0, 10, ref.shape), 0, 255).round().astype(np.uint8)
        outs.append({"video": f"gt/{i:06d}"})
        preds.append({"video": f"pred/{i:06d}"})
        files += [("bench", f"gt/{i:06d}/{name}", wr) for name, wr in _frames(ref)]
        files += [("pred", f"pred/{i:06d}/{name}", wr) for name, wr in _frames(pred)]
    return outs, preds, files


def gen_label_pngs(n, rng, words):
    h, w = SHAPES["mask"]
    k = int(rng.integers(5, 21))
    outs, preds, files = [], [], []
    for i in range(n):
        ref = np.repeat(np.repeat(rng.integers(0, k, (h // 8, w // 8)), 8, 0), 8, 1)
        pred = np.where(rng.random(ref.shape) < 0.8, ref, rng.integers(0, k, ref.shape))
        outs.append({"mask": f"masks/{i:06d}.png"})
        preds.append(f"masks/{i:06d}.png")
        files += [("bench", outs[-1]["mask"], _palette_png(ref)), ("pred", preds[-1], _palette_png(pred))]
    return outs, preds, files


def gen_mask_pngs(n, rng, words):
    h, w = SHAPES["mask"]
    outs, preds, files = [], [], []
    for i in range(n):
        ref = np.repeat(np.repeat(rng.random((h // 8, w // 8)) < 0.4, 8, 0), 8, 1)
        pred = np.where(rng.random(ref.shape) < 0.9, ref, ~ref)
        outs.append({"mask": f"masks/{i:06d}.png"})
        preds.append(f"masks/{i:06d}.png")
        files += [("bench", outs[-1]["mask"], _png((ref * 255).astype(np.uint8))),
                  ("pred", preds[-1], _png((pred * 255).astype(np.uint8)))]
    return outs, preds, files


def gen_saliency_frames(n, rng, words, frames: int = 3):
    """Video salient object detection: per item folders of 0/255 masks and 8-bit saliency maps."""
    h, w = SHAPES["mask"]
    outs, preds, files = [], [], []
    for i in range(n):
        ref = np.repeat(np.repeat(rng.random((frames, h // 8, w // 8)) < 0.4, 8, 1), 8, 2)
        sal = np.clip(ref * 0.7 + rng.random(ref.shape) * 0.3, 0, 1)
        outs.append({"mask": f"gt/{i:06d}"})
        preds.append({"mask": f"pred/{i:06d}"})
        files += [("bench", f"gt/{i:06d}/{name}", wr) for name, wr in _frames((ref * 255).astype(np.uint8))]
        files += [("pred", f"pred/{i:06d}/{name}", wr) for name, wr in _frames((sal * 255).round().astype(np.uint8))]
    return outs, preds, files


def gen_depth_pngs(n, rng, words):
    """16-bit depth PNGs in KITTI's convention (metres x 256), the evaluator's default depth_scale."""
    outs, preds, files = [], [], []
    for i in range(n):
        ref = rng.uniform(0.5, 80.0, SHAPES["depth"])
        pred = np.abs(ref * rng.normal(1.0, 0.1, ref.shape)) + 0.01
        outs.append({"depth": f"depth/{i:06d}.png"})
        preds.append(f"depth/{i:06d}.png")
        files += [("bench", outs[-1]["depth"], _png(np.round(ref * 256).astype(np.uint16))),
                  ("pred", preds[-1], _png(np.round(np.minimum(pred, 255.0) * 256).astype(np.uint16)))]
    return outs, preds, files


def gen_flo_files(n, rng, words):
    from generallevel.media.arrays import write_flo

    outs, preds, files = [], [], []
    for i in range(n):
        ref = rng.normal(0, 4, SHAPES["flow"]).astype(np.float32)
        pred = (ref + rng.normal(0, 1, ref.shape)).astype(np.float32)
        outs.append({"flow": f"flow/{i:06d}.flo"})
        preds.append(f"flow/{i:06d}.flo")
        files += [("bench", outs[-1]["flow"], lambda p, a=ref: write_flo(p, a)),
                  ("pred", preds[-1], lambda p, a=pred: write_flo(p, a))]
    return outs, preds, files


def _ply(points: np.ndarray) -> Writer:
    def write(path: Path) -> None:
        from plyfile import PlyData, PlyElement

        v = np.empty(len(points), dtype=[("x", "f4"), ("y", "f4"), ("z", "f4")])
        v["x"], v["y"], v["z"] = points.T
        PlyData([PlyElement.describe(v, "vertex")], text=False).write(str(path))
    return write


def gen_ply_clouds(n, rng, words):
    outs, preds, files = [], [], []
    for i in range(n):
        g = rng.standard_normal(SHAPES["cloud"])
        g /= np.linalg.norm(g, axis=1, keepdims=True)
        p = g[rng.permutation(len(g))] + rng.normal(0, 0.02, g.shape)
        outs.append({"pointcloud": f"clouds/{i:06d}.ply"})
        preds.append(f"clouds/{i:06d}.ply")
        files += [("bench", outs[-1]["pointcloud"], _ply(g)), ("pred", preds[-1], _ply(p))]
    return outs, preds, files


def _mp4(frames: np.ndarray, fps: int = 8, qp: int | None = None) -> Writer:
    """``qp``: a constant quantiser, for byte-identical files (x264's default CRF rate control gave
    different bytes from run to run for 32 x 32 frames; scripts/demo_media.py)."""
    options = {"threads": "1", "preset": "veryfast", **({"qp": str(qp)} if qp is not None else {})}

    def write(path: Path) -> None:
        import av

        with av.open(str(path), "w", format="mp4") as out:
            stream = out.add_stream("libx264", rate=fps, options=options)
            stream.height, stream.width = frames.shape[1:3]
            stream.pix_fmt = "yuv420p"
            for f in frames:
                out.mux(stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")))
            out.mux(stream.encode())
    return write


def gen_mp4_videos(n, rng, words):
    t, h, w, c = SHAPES["video"]
    outs, preds, files = [], [], []
    for i in range(n):
        frame = _smooth(rng, (h, w, c))
        video = np.clip(frame[None] + rng.normal(0, 3, (t, h, w, c)), 0, 255).round().astype(np.uint8)
        outs.append({"prompt": f"static scene {i}"})
        preds.append(f"videos/{i:06d}.mp4")
        files.append(("pred", preds[-1], _mp4(video)))
    return outs, preds, files


# (metric, modality) -> generator; the key a task gets is "<metric>+files".
MEDIA_GENERATORS: dict[tuple[str, str], Any] = {
    ("PSNR", "Image"): gen_image_pairs, ("PSNR", "Video"): gen_frame_pairs, ("mIoU", "Image"): gen_label_pngs,
    ("Dice", "Image"): gen_mask_pngs, ("S-measure", "Video"): gen_saliency_frames, ("AbsRel", "Video"): gen_depth_pngs,
    ("EPE", "Video"): gen_flo_files, ("CD", "3D"): gen_ply_clouds, ("TemporalFlickering", "Video"): gen_mp4_videos,
}


def with_media_keys(tasks: list, keys: list[str]) -> list[str]:
    """Every MEDIA_EVERY-th task (first included) of each (metric, modality) with a media generator
    gets the key ``"<metric>+files@<modality>"``; the others keep theirs."""
    seen: dict[tuple[str, str], int] = {}
    out = []
    for t, k in zip(tasks, keys):
        slot = (k, t.modality)
        if slot in MEDIA_GENERATORS:
            seen[slot] = seen.get(slot, -1) + 1
            if seen[slot] % MEDIA_EVERY == 0:
                k = f"{k}+files@{t.modality}"
        out.append(k)
    return out


def media_generator(key: str):
    """The generator of a ``"<metric>+files@<modality>"`` key."""
    metric, _, modality = key.partition("+files@")
    return MEDIA_GENERATORS[(metric, modality)]


def write_media(out: str | Path, rel: str, model: str, files: list) -> int:
    """Write a task's media files under its bench/ and predictions/<model>/ folders; returns bytes."""
    size = 0
    for side, name, write in files:
        path = Path(out) / ("bench" if side == "bench" else f"predictions/{model}") / rel / name
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path)
        size += path.stat().st_size
    return size
