"""Generate the bundled demo: a tiny synthetic General-Bench tree and a made-up model's predictions.

    python scripts/make_demo.py          # rewrites core/examples/demo/

Everything is made up here (seeded, so the output is byte-identical on every run with the same
media and model libraries): short texts, labels, counts, boxes, and small real media files
(scripts/demo_media.py): PNG images scored by PSNR, PLY point clouds by Chamfer distance, the
reference and generated PNG, MP4 and WAV files of the FID, FVD and FAD tasks, and the generated
PNG images and MP4 turntables of the two CLIP-T tasks. Every generation task is scored from its
files through the real extractor classes: the demo bundles tiny random-weight CLIP and CLAP
checkpoints (``models/``, a few hundred kB, named by ``extractors.json``), and evaluate generates
random-weight Inception-V3 and R3D-18 files (which have no small variant) into the generallevel
cache on the first demo run (generallevel.demo_models). Their numbers mean nothing. No downloads.
`generallevel evaluate` with no arguments scores this tree. Needs the [media] and [models] extras.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from pathlib import Path
from typing import Any, Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # demo_media.py, however this script is run
import demo_media as dm  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "core" / "examples" / "demo"
MODEL = "demo-omni"
FVD_ITEMS = 2  # R3D-18 reads every clip as 16 x 224 x 224 (~3 s on one CPU thread): few clips, a short cold run
TINY_MODELS = {"clip": "clip-image", "clap": "clap-audio"}  # bundled under models/; one folder serves both towers
EXTRACTORS = {"clip-image": "clip", "clip-text": "clip", "clap-audio": "clap", "clap-text": "clap"}
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


def generated_media(prefix: str, media: str, rng: np.random.RandomState, n: int, draws: tuple[int, int],
                    prompt: str):
    """Reference and generated media files (FID, FVD, FAD): each generated file is its reference as an
    imperfect generator makes it (see demo_media); scored through the task's extractor from the files.

    ``draws``: the shape this task once drew from ``rng`` (twice) for precomputed features; still
    drawn, so that the values of the tasks built after it do not move."""
    rng.randn(*draws), rng.randn(*draws)
    ids = _ids(prefix, n)
    ext = {"image": "png", "video": "mp4", "audio": "wav"}[media]
    records = [{"id": i, "input": {"prompt": f"{prompt} #{k + 1}"}, "output": {media: f"targets/{i}.{ext}"}}
               for k, i in enumerate(ids)]
    preds = {i: {media: f"outputs/{i}.{ext}"} for i in ids}
    files: Media = []
    for k, i in enumerate(ids):
        ref, gen = _GENERATED[media](2 * k, 2 * k + 1)
        files += [("bench", f"targets/{i}.{ext}", ref), ("pred", f"outputs/{i}.{ext}", gen)]
    return records, preds, files


def _image_pair(seed: int, gen_seed: int) -> tuple[Callable[[Path], None], Callable[[Path], None]]:
    ref = dm.picture(seed, 32)
    return dm.png(ref), dm.png(dm.distorted(ref, gen_seed))


def _video_pair(seed: int, gen_seed: int) -> tuple[Callable[[Path], None], Callable[[Path], None]]:
    return dm.mp4(dm.moving_square(seed)), dm.mp4(dm.moving_square(seed, wobble=2, noise=6.0))


def _audio_pair(seed: int, gen_seed: int) -> tuple[Callable[[Path], None], Callable[[Path], None]]:
    return dm.chord(seed), dm.chord(seed, detune=0.03, noise=0.02)


_GENERATED = {"image": _image_pair, "video": _video_pair, "audio": _audio_pair}


def prompted_media(prefix: str, rng: np.random.RandomState, prompts: list[str], media: str, draws: tuple[int, int]):
    """Text-prompted generation scored by CLIP-T from the files: the prompt (in ``input``) is the
    reference text; the model's output is a PNG image (``media="image"``) or, for a point cloud, an
    MP4 of 8 rendered views turning about it (the image extractor averages its frames).
    ``draws``: as in generated_media."""
    rng.randn(*draws), rng.randn(*draws)
    ids = _ids(prefix, len(prompts))
    records = [{"id": i, "input": {"prompt": p}, "output": {}} for i, p in zip(ids, prompts)]
    files: Media = []
    preds = {}
    for k, i in enumerate(ids):
        if media == "image":
            preds[i] = {"image": f"outputs/{i}.png"}
            files.append(("pred", f"outputs/{i}.png", dm.png(dm.washed_out(dm.picture(300 + k, 32)))))
        else:
            colour = tuple(int(c) for c in np.random.RandomState(400 + k).randint(0, 200, 3))
            preds[i] = {"video": f"outputs/{i}.mp4"}
            files.append(("pred", f"outputs/{i}.mp4", dm.mp4(dm.turntable(dm.shape_points(400 + k), colour))))
    return records, preds, files


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
        files += [("bench", f"complete/{i}.ply", dm.ply(_round(full))), ("pred", f"outputs/{i}.ply", dm.ply(_round(out)))]
    return records, preds, files


def restored_images(prefix: str, n: int = 6, size: int = 24):
    """Image restoration: reference PNGs and the model's restored PNGs, scored by PSNR from the files."""
    ids = _ids(prefix, n)
    records, preds, files = [], {}, []
    for k, i in enumerate(ids):
        gt = dm.picture(100 + k, size)
        noise = np.random.RandomState(200 + k).randint(-(4 + 2 * k), 5 + 2 * k, gt.shape)
        out = np.clip(gt.astype(int) + noise, 0, 255).astype(np.uint8)
        records.append({"id": i, "input": {"image": f"images/blurred_{i}.png", "prompt": "Deblur the image."},
                        "output": {"image": f"images/{i}.png"}})
        preds[i] = f"outputs/{i}.png"
        files += [("bench", f"images/{i}.png", dm.png(gt)), ("pred", f"outputs/{i}.png", dm.png(out))]
    return records, preds, files


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
        ("edge-to-image-generation", "generation", lambda: generated_media(
            "edge", "image", rng, 8, (8, 4), "Render the edge map as a photo")),
        ("image-editing-with-text-and-image-prompt", "editing", lambda: prompted_media(
            "edit", rng, ["make the sky purple", "add a hat to the dog", "turn the car blue",
                          "remove the tree", "make it snow", "add a rainbow"], "image", (6, 8))),
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
        ("human-video-generation", "generation", lambda: generated_media(
            "humvid", "video", rng, FVD_ITEMS, (8, 4), "A person walking")),
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
        ("songgeneration", "generation", lambda: generated_media(
            "song", "audio", rng, 8, (8, 4), "An upbeat pop song")),
        ("3d-accessory-classification", "classification", lambda: labelled(
            "acc3d", "point_cloud", "Which accessory is this?",
            ["hat", "bag", "glasses", "watch", "scarf", "shoe"], ["hat", "bag", "glasses", "watch", "scarf", "shoe"])),
        ("3d-situated-question-answering-on-what", "question answering", lambda: (labelled(
            "sqa", "point_cloud", "What is on the table in front of you?",
            ["a lamp", "a laptop", "a cup", "books", "a plant", "a phone"], [])[0], None)),
        ("3d-point-cloud-completion", "completion", lambda: point_clouds("pcc", rng)),
        ("text-to-3d-living-and-arts-point-cloud-generation", "generation", lambda: prompted_media(
            "t23d", rng, ["a wooden chair", "a ceramic vase", "a guitar", "a sofa", "a teapot", "a lamp"], "video",
            (6, 8))),
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
  handful of made-up instances each. Media paths in `input` point nowhere: the comprehension metrics
  only need the `output` fields.
- `predictions/{model}/` - prediction.json files of a made-up model, in the same layout. It has no
  predictions for `{unsupported}`, so that task is unsupported (score 0).

Every generation task with a file- or model-based metric is scored from real media files, decoded
by `generallevel.media`:
Image Deblurring (PSNR) from PNG images, 3D Point Cloud Completion (Chamfer distance) from PLY
point clouds, and through the real extractor classes and loading code: Edge-to-Image Generation
(FID, Inception-V3) from PNG files, Human Video Generation (FVD, R3D-18) from MP4 files,
SongGeneration (FAD, CLAP) from WAV files, and the two CLIP-T tasks from the generated PNG images
and from MP4 files of 8 rendered views of each generated point cloud (CLIP averages the views)
against the prompts. (TextToSpeech's WER reads transcripts and Class-Conditioned Text-to-Video
Generation's success rate reads success flags, as a speech recogniser or a detector would give them.)

The extractors have **tiny random-weight models in the real save formats**, so these numbers mean
nothing beyond exercising the code: CLIP and CLAP are bundled in `models/` ({model_kb} kB, written by
`generallevel_builtin.tiny_models.save_tiny`, seed 0) and named by `extractors.json`, which
evaluate uses for this tree. Inception-V3 (~95 MB) and R3D-18 (~133 MB) have no small variant: the
first demo run generates them (seed 0, a few seconds) into the generallevel cache folder
(`GENERALLEVEL_CACHE_DIR`, else `$XDG_CACHE_HOME/generallevel` or `~/.cache/generallevel`, under
`demo-models/`) and says so on stderr. Nothing is downloaded. Only the demo does this: on your own
tree, missing weights are an error naming `generallevel extractors fetch NAME`.

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
    sizes = dm.bundle_tiny_models(DEMO / "models", TINY_MODELS)
    options = {name: {"model": f"./models/{folder}"} for name, folder in EXTRACTORS.items()}
    (DEMO / "extractors.json").write_text(json.dumps(options, indent=2) + "\n", encoding="utf-8")
    (DEMO / "README.md").write_text(README.format(n=len(specs), model=MODEL, unsupported=", ".join(unsupported),
                                                  model_kb=round(sum(sizes.values()) / 1024)), encoding="utf-8")
    size = sum(p.stat().st_size for p in DEMO.rglob("*") if p.is_file())
    print(f"wrote {DEMO} ({len(specs)} tasks, {size / 1024:.1f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
