"""Generate the bundled demo: a tiny synthetic General-Bench tree and a made-up model's predictions.

    python scripts/make_demo.py          # rewrites core/examples/demo/

Everything is made up here (seeded, so the output is byte-identical on every run with the same
media libraries): short texts, labels, counts, boxes, and small real media files made here: PNG
images (scored by PSNR from the files), PLY point clouds (Chamfer distance from the files), and
the generated/reference PNG, MP4 and WAV files of the FID, FVD and FAD tasks. No extractor weights
are bundled, so those three tasks also carry small precomputed feature vectors next to the media
(which evaluate uses instead of reading the files; see docs/media.md). No downloads.
`generallevel evaluate` with no arguments scores this tree. Needs the [media] extra.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any, Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "core" / "examples" / "demo"
MODEL = "demo-omni"
DIRS = {"Image": "image", "Video": "video", "Audio": "audio", "3D": "3d", "NLP": "nlp"}

Records = list[dict[str, Any]]
Preds = dict[str, Any] | None  # None: the model does not support the task (no prediction file)
Media = list[tuple[str, str, Callable[[Path], None]]]  # ("bench" | "pred", path in the task folder, writer)


def _ids(prefix: str, n: int) -> list[str]:
    return [f"{prefix}_{i:04d}" for i in range(1, n + 1)]


def _round(a: np.ndarray) -> list:
    return (np.round(np.asarray(a, dtype=float), 3) + 0.0).tolist()  # + 0.0: no "-0.0"


def labelled(prefix: str, media: str, prompt: str, answers: list, predicted: list, key: str = "answer"):
    ids = _ids(prefix, len(answers))
    records = [{"id": i, "input": {media: f"{media}s/{i}.{_EXT[media]}", "prompt": prompt}, "output": {key: a}}
               for i, a in zip(ids, answers)]
    return records, dict(zip(ids, predicted))


_EXT = {"image": "jpg", "video": "mp4", "audio": "wav", "point_cloud": "ply", "text": "txt"}


def text_only(prefix: str, questions: list[str], answers: list, predicted: list, key: str = "answer"):
    ids = _ids(prefix, len(answers))
    records = [{"id": i, "input": {"text": q}, "output": {key: a}} for i, q, a in zip(ids, questions, answers)]
    return records, dict(zip(ids, predicted))


def features(prefix: str, media: str, rng: np.random.RandomState, n: int, dim: int,
             scale: float, shift: float, noise: float, prompt: str):
    """Reference/generated media files, with feature pairs standing in for an extractor's output:
    generated = scale * reference + shift + noise."""
    ref = rng.randn(n, dim)
    gen = scale * ref + shift + noise * rng.randn(n, dim)
    ids = _ids(prefix, n)
    records = [{"id": i, "input": {"prompt": f"{prompt} #{k + 1}"},
                "output": {media: f"targets/{i}.{_EXT[media]}", "features": _round(r)}}
               for k, (i, r) in enumerate(zip(ids, ref))]
    preds = {i: {media: f"outputs/{i}.{_EXT[media]}", "features": _round(g)} for i, g in zip(ids, gen)}
    files: Media = []
    for k, i in enumerate(ids):
        for side, folder, seed in (("bench", "targets", 2 * k), ("pred", "outputs", 2 * k + 1)):
            files.append((side, f"{folder}/{i}.{_EXT[media]}", _MEDIA_WRITERS[media](seed)))
    return records, preds, files


def paired_embeddings(prefix: str, rng: np.random.RandomState, prompts: list[str], dim: int, mix: float):
    """Text embeddings (reference) and embeddings of the generated samples, cosine about ``mix``."""
    ids = _ids(prefix, len(prompts))
    text = rng.randn(len(prompts), dim)
    text /= np.linalg.norm(text, axis=1, keepdims=True)
    other = rng.randn(len(prompts), dim)
    other -= (other * text).sum(axis=1, keepdims=True) * text
    other /= np.linalg.norm(other, axis=1, keepdims=True)
    gen = mix * text + np.sqrt(1 - mix ** 2) * other
    records = [{"id": i, "input": {"prompt": p}, "output": {"embedding": _round(t)}}
               for i, p, t in zip(ids, prompts, text)]
    return records, {i: {"embedding": _round(g)} for i, g in zip(ids, gen)}


def boxes(prefix: str, rng: np.random.RandomState):
    ids = _ids(prefix, 6)
    records, preds = [], {}
    for k, i in enumerate(ids):
        gold, out = [], []
        for j in range(1 + k % 2):
            x, y, w, h = (float(v) for v in rng.randint(10, 200, size=4))
            cat = 1 + (k + j) % 2
            gold.append({"bbox": [x, y, w + 20, h + 20], "category_id": cat})
            if (k, j) != (3, 0):  # one missed lesion
                dx, dy = (float(v) for v in rng.randint(-4, 5, size=2))
                out.append({"bbox": [x + dx, y + dy, w + 20, h + 20], "score": round(0.95 - 0.05 * k, 2),
                            "category_id": cat})
        if k == 4:  # one false alarm
            out.append({"bbox": [300.0, 300.0, 40.0, 40.0], "score": 0.3, "category_id": 1})
        records.append({"id": i, "input": {"image": f"images/{i}.jpg",
                                           "prompt": "Locate every diseased region (leaf spot = 1, rust = 2)."},
                        "output": {"boxes": gold}})
        preds[i] = out
    return records, preds


def point_clouds(prefix: str, rng: np.random.RandomState, n: int = 6, points: int = 12, noise: float = 0.03):
    """Completed clouds as ASCII PLY files (references and predictions), read back by evaluate."""
    ids = _ids(prefix, n)
    records, preds, files = [], {}, []
    for i in ids:
        full = rng.rand(points, 3)
        out = full + noise * rng.randn(points, 3)
        records.append({"id": i, "input": {"point_cloud": f"partial/{i}.ply"}, "output": {"pointcloud": f"complete/{i}.ply"}})
        preds[i] = f"outputs/{i}.ply"
        files += [("bench", f"complete/{i}.ply", _ply(_round(full))), ("pred", f"outputs/{i}.ply", _ply(_round(out)))]
    return records, preds, files


def restored_images(prefix: str, n: int = 6, size: int = 24):
    """Image restoration: reference PNGs and the model's restored PNGs, scored by PSNR from the files."""
    ids = _ids(prefix, n)
    records, preds, files = [], {}, []
    for k, i in enumerate(ids):
        gt = _picture(100 + k, size)
        noise = np.random.RandomState(200 + k).randint(-(4 + 2 * k), 5 + 2 * k, gt.shape)
        out = np.clip(gt.astype(int) + noise, 0, 255).astype(np.uint8)
        records.append({"id": i, "input": {"image": f"images/blurred_{i}.png", "prompt": "Deblur the image."},
                        "output": {"image": f"images/{i}.png"}})
        preds[i] = f"outputs/{i}.png"
        files += [("bench", f"images/{i}.png", _png(gt)), ("pred", f"outputs/{i}.png", _png(out))]
    return records, preds, files


# -- small media files (seeded; their own random streams, so the JSON values above do not move) ----
def _picture(seed: int, size: int = 16) -> np.ndarray:
    """A smooth RGB picture: two colour gradients and a soft blob."""
    r = np.random.RandomState(seed)
    y, x = np.mgrid[0:size, 0:size] / (size - 1)
    cx, cy = r.rand(2)
    blob = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) * 12)
    img = np.stack([x * r.rand(), y * r.rand(), blob], axis=-1) * 200 + r.rand(3) * 55
    return np.clip(img, 0, 255).astype(np.uint8)


def _png(arr: np.ndarray) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        from PIL import Image

        Image.fromarray(arr).save(path, optimize=True)
    return write


def _ply(points: list) -> Callable[[Path], None]:
    head = ("ply\nformat ascii 1.0\nelement vertex {n}\nproperty double x\nproperty double y\nproperty double z\n"
            "end_header\n")
    return lambda path: path.write_text(head.format(n=len(points)) + "".join(
        f"{x!r} {y!r} {z!r}\n" for x, y, z in points), encoding="ascii")


def _image_file(seed: int) -> Callable[[Path], None]:
    return _png(_picture(seed))


def _video_file(seed: int, frames: int = 6, size: int = 16, fps: int = 8) -> Callable[[Path], None]:
    """An H.264 MP4 of a square drifting over a gradient (size x size, ``frames`` frames)."""
    def write(path: Path) -> None:
        import av

        base, r = _picture(seed, size), np.random.RandomState(seed)
        x0, y0, dx, dy = r.randint(0, size // 2, 4) // 2
        with av.open(str(path), "w", format="mp4") as out:
            stream = out.add_stream("libx264", rate=fps, options={"threads": "1", "preset": "veryfast"})
            stream.width = stream.height = size
            stream.pix_fmt = "yuv420p"
            for t in range(frames):
                img = base.copy()
                x, y = (x0 + dx * t) % (size - 4), (y0 + dy * t) % (size - 4)
                img[y:y + 4, x:x + 4] = (240, 240, 240)
                out.mux(stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")))
            out.mux(stream.encode())
    return write


def _audio_file(seed: int, rate: int = 8000, seconds: float = 0.2) -> Callable[[Path], None]:
    """A 16-bit mono WAV: a short chord with a decaying envelope."""
    def write(path: Path) -> None:
        import soundfile as sf

        r = np.random.RandomState(seed)
        t = np.arange(int(rate * seconds)) / rate
        wave = sum(np.sin(2 * np.pi * f * t) for f in r.uniform(200, 900, 3)) / 3 * np.exp(-3 * t)
        sf.write(path, (0.6 * wave).astype(np.float32), rate, subtype="PCM_16")
    return write


_MEDIA_WRITERS = {"image": _image_file, "video": _video_file, "audio": _audio_file}


def success(prefix: str, classes: list[str], detected: list[bool]):
    ids = _ids(prefix, len(classes))
    records = [{"id": i, "input": {"prompt": f"A video of a {c}."}, "output": {"class": c}} for i, c in zip(ids, classes)]
    return records, {i: {"video": f"outputs/{i}.mp4", "success": d} for i, d in zip(ids, detected)}


def tasks(rng: np.random.RandomState) -> list[tuple[str, str, Callable[[], tuple[Records, Preds]]]]:
    """(task id, annotation type, builder) for every demo task; the builder returns records and predictions."""
    return [
        ("human-action-recognition", "classification", lambda: labelled(
            "har", "image", "What is the person doing? Answer with one word.",
            ["running", "cycling", "swimming", "reading", "cooking", "dancing"],
            ["running", "cycling", "swimming", "reading", "eating", "dancing"])),
        ("crowd-counting", "counting", lambda: labelled(
            "crowd", "image", "How many people are in the image?", [23, 57, 12, 88, 40, 31],
            [25, 51, 12, 95, 38, 30], key="count")),
        ("coco-image-captioning", "captioning", lambda: labelled(
            "coco", "image", "Describe the image in one sentence.",
            ["a man riding a wave on top of a surfboard", "two dogs playing with a frisbee in a park",
             "a plate of pasta with tomato sauce", "a red bus parked on the side of a street",
             "a cat sleeping on a wooden chair", "people walking along a beach at sunset"],
            ["a surfer in the ocean", "two dogs play in a park", "a plate of spaghetti",
             "a bus on a city street", "a cat on a chair", "a group of people on a beach"],
            key="caption")),
        ("plant-disease-detection", "detection", lambda: boxes("plant", rng)),
        ("image-deblurring", "restoration", lambda: restored_images("deblur")),
        ("edge-to-image-generation", "generation", lambda: features(
            "edge", "image", rng, 8, 4, 1.5, 3.0, 0.5, "Render the edge map as a photo")),
        ("image-editing-with-text-and-image-prompt", "editing", lambda: paired_embeddings(
            "edit", rng, ["make the sky purple", "add a hat to the dog", "turn the car blue",
                          "remove the tree", "make it snow", "add a rainbow"], 8, 0.32)),
        ("object-color-video-question-answering", "video qa", lambda: labelled(
            "color", "video", "What colour is the moving object?",
            ["red", "blue", "green", "yellow", "white", "black"],
            ["red", "blue", "green", "orange", "white", "grey"])),
        ("agriculture-video-question-answering", "video qa", lambda: labelled(
            "agri", "video", "What is the farmer doing in the video?",
            ["planting rice seedlings in a flooded field", "harvesting wheat with a combine",
             "spraying pesticide on apple trees", "milking cows in a barn",
             "ploughing the soil with a tractor", "picking tea leaves by hand"],
            ["planting rice in a wet field", "harvesting wheat with a machine", "spraying the apple trees",
             "feeding cows in a barn", "driving a tractor across the soil", "picking leaves by hand"])),
        ("human-video-generation", "generation", lambda: features(
            "humvid", "video", rng, 8, 4, 1.0, 0.4, 0.3, "A person walking")),
        ("class-conditioned-text-to-video-generation", "generation", lambda: success(
            "cls2vid", ["dog", "horse", "bicycle", "kite", "boat", "train"], [True, True, True, False, True, True])),
        ("accent-classification", "classification", lambda: labelled(
            "accent", "audio", "Which accent does the speaker have?",
            ["american", "british", "indian", "australian", "scottish", "irish"],
            ["american", "british", "indian", "australian", "irish", "irish"])),
        ("wild-audio-captioning", "captioning", lambda: labelled(
            "wildcap", "audio", "Describe the sounds you hear.",
            ["birds chirping while a stream flows nearby", "a dog barks and a car passes by",
             "rain falling on a metal roof", "children laughing in a playground",
             "a train horn blowing in the distance", "waves crashing onto the shore"],
            ["birds singing near water", "a dog is barking", "heavy rain on a roof",
             "kids playing and laughing", "a horn sounds far away", "the sea"], key="caption")),
        ("texttospeech", "speech synthesis", lambda: text_only(
            "tts", ["The quick brown fox jumps over the lazy dog.", "Please call Stella and ask her to bring these things.",
                    "She sells sea shells by the sea shore.", "We will meet at the station at noon.",
                    "Turn left after the second traffic light.", "The museum opens at nine every morning."],
            ["the quick brown fox jumps over the lazy dog", "please call stella and ask her to bring these things",
             "she sells sea shells by the sea shore", "we will meet at the station at noon",
             "turn left after the second traffic light", "the museum opens at nine every morning"],
            [{"audio": "outputs/tts_0001.wav", "transcript": "the quick brown fox jumps over the lazy dog"},
             {"audio": "outputs/tts_0002.wav", "transcript": "please call stella and ask her to bring these things"},
             {"audio": "outputs/tts_0003.wav", "transcript": "she sells sea shells by the sea shore"},
             {"audio": "outputs/tts_0004.wav", "transcript": "we will meet at the nation at noon"},
             {"audio": "outputs/tts_0005.wav", "transcript": "turn left after the second traffic light"},
             {"audio": "outputs/tts_0006.wav", "transcript": "the museum opens at nine every morning"}],
            key="transcript")),
        ("songgeneration", "generation", lambda: features(
            "song", "audio", rng, 8, 4, 1.0, 0.6, 0.4, "An upbeat pop song")),
        ("3d-accessory-classification", "classification", lambda: labelled(
            "acc3d", "point_cloud", "Which accessory is this?",
            ["hat", "bag", "glasses", "watch", "scarf", "shoe"], ["hat", "bag", "glasses", "watch", "scarf", "shoe"])),
        ("3d-situated-question-answering-on-what", "question answering", lambda: (labelled(
            "sqa", "point_cloud", "What is on the table in front of you?",
            ["a lamp", "a laptop", "a cup", "books", "a plant", "a phone"], [])[0], None)),
        ("3d-point-cloud-completion", "completion", lambda: point_clouds("pcc", rng)),
        ("text-to-3d-living-and-arts-point-cloud-generation", "generation", lambda: paired_embeddings(
            "t23d", rng, ["a wooden chair", "a ceramic vase", "a guitar", "a sofa", "a teapot", "a lamp"], 8, 0.2)),
        ("commonsense-reasoning", "MultipleChoiceQA", lambda: text_only(
            "csr", ["Where do you keep milk cold? (A) oven (B) fridge", "What do you use to cut paper? (A) scissors (B) spoon",
                    "When it rains you open (A) an umbrella (B) a book", "Fish live in (A) trees (B) water",
                    "You sleep on (A) a bed (B) a stove", "Ice is (A) hot (B) cold",
                    "To see in the dark use (A) a torch (B) a fork", "Bread is made from (A) flour (B) sand"],
            ["B", "A", "A", "B", "A", "B", "A", "A"], ["B", "A", "A", "B", "A", "B", "B", "A"])),
        ("multi-hop-question-answering", "OpenQA", lambda: text_only(
            "mhqa", ["Which river flows through the capital of France?", "Who wrote the novel that features Captain Ahab?",
                     "What is the currency of the country where the Taj Mahal is?", "In which continent is the longest river?",
                     "What language is spoken in the country whose capital is Lisbon?",
                     "Which planet is closest to the star our Earth orbits?"],
            ["the seine", "herman melville", "the indian rupee", "africa", "portuguese", "mercury"],
            ["the seine river", "melville", "rupee", "africa", "portuguese", "venus"])),
        ("bias-detection", "classification", lambda: text_only(
            "bias", ["Women are bad at maths.", "The meeting starts at ten.", "Old people cannot learn technology.",
                     "The report is due on Friday.", "All teenagers are lazy.", "Water boils at 100 degrees."],
            ["biased", "unbiased", "biased", "unbiased", "biased", "unbiased"],
            ["biased", "unbiased", "unbiased", "unbiased", "biased", "biased"], key="label")),
    ]


def folder_name(task_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", task_name).strip("_")


def dump(obj: Any, path: Path) -> None:
    """JSON with one annotation item / prediction per line: small and readable in a diff."""
    path.parent.mkdir(parents=True, exist_ok=True)
    one = lambda x: json.dumps(x, ensure_ascii=False)  # noqa: E731
    if isinstance(obj, dict):
        head = ", ".join(f"{one(k)}: {one(v)}" for k, v in obj.items() if k != "data")
        body = ",\n  ".join(one(x) for x in obj["data"])
        text = f"{{{head}, \"data\": [\n  {body}\n]}}\n"
    else:
        text = "[\n  " + ",\n  ".join(one(x) for x in obj) + "\n]\n"
    path.write_text(text, encoding="utf-8")


README = """# The generallevel demo

A tiny synthetic General-Bench tree, generated by `scripts/make_demo.py` (do not edit by hand):

- `bench/` - {n} tasks across Image, Video, Audio, 3D (comprehension and generation) and NLP, with a
  handful of made-up instances each. Media paths in `input` point nowhere: the metrics only need
  the `output` fields. Image Deblurring (PSNR) and 3D Point Cloud Completion (Chamfer distance) are
  scored from the PNG and PLY files their references and predictions name. The FID, FVD and FAD
  tasks hold real PNG, MP4 and WAV files too, but no extractor weights are bundled: small
  precomputed feature vectors next to each file stand in for the extractor's output (and win over
  the file). CLIP scores read precomputed embeddings.
- `predictions/{model}/` - prediction.json files of a made-up model, in the same layout. It has no
  predictions for `{unsupported}`, so that task is unsupported (score 0).

`generallevel evaluate` with no arguments evaluates exactly this.
"""


def main() -> int:
    import generallevel as gl

    rng = np.random.RandomState(2025)
    if DEMO.exists():
        shutil.rmtree(DEMO)
    bench, preds_root = DEMO / "bench", DEMO / "predictions" / MODEL
    unsupported = []
    specs = tasks(rng)
    for task_id, kind, build in specs:
        task = gl.get_task(task_id)
        rel = Path(DIRS[task.modality]) if task.modality == "NLP" else Path(DIRS[task.modality]) / task.paradigm
        rel /= folder_name(task.name)
        built = build()
        records, preds = built[0], built[1]
        dump({"task": task.name, "type": kind, "data": records}, bench / rel / "annotation.json")
        if preds is None:
            unsupported.append(task.name)
            continue
        dump([{"id": r["id"], "prediction": preds[r["id"]]} for r in records], preds_root / rel / "prediction.json")
        for side, name, write in (built[2] if len(built) > 2 else []):
            path = (bench if side == "bench" else preds_root) / rel / name
            path.parent.mkdir(parents=True, exist_ok=True)
            write(path)
    (DEMO / "README.md").write_text(README.format(n=len(specs), model=MODEL, unsupported=", ".join(unsupported)),
                                    encoding="utf-8")
    size = sum(p.stat().st_size for p in DEMO.rglob("*") if p.is_file())
    print(f"wrote {DEMO} ({len(specs)} tasks, {size / 1024:.1f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
