"""Generate a synthetic full-scale General-Bench tree: every registry task, 325,876 instances.

    python benchmarks/make_fullscale.py OUT_DIR [--instances 325876] [--seed 0] [--jobs 2] [--model-media]

writes ``OUT_DIR/bench/<modality>/<paradigm>/<Task>/annotation.json`` for all 699 registry tasks
and a model's ``OUT_DIR/predictions/fullscale-model/.../prediction.json`` in the layout of
docs/evaluate.md, in the formats the default adapters read (core/adapters.py). The output is a
pure function of the seed and the registry: byte-identical on every run.

Instances are spread over tasks with log-normal weights (as real benchmarks vary in size); the
tasks of heavy families are capped at realistic per-task sizes (:data:`CAPS`) and the rest absorb
the remainder, so the total is exact. Model-based metrics get precomputed features of the real
extractors' widths (Inception 2,048, I3D 400, VGGish 128, CLIP 512, DINO 768). Images, masks,
maps and videos are inlined as nested lists, kept small (:data:`SHAPES`), except in every third
task of each metric that reads files (PSNR, mIoU, Dice, S-measure, AbsRel, EPE, CD,
TemporalFlickering), whose items name PNG/.flo/PLY/MP4 files (``_instances_media.py``).
Every prediction is present, so every task should be scored.

``--model-media`` (off by default; the benchmark rows use the default tree) also gives every third
task of each model-based metric (FID, FVD, FAD, CLIP-I, CLIP-T, CLIP-Style, DINO-I, CLAP,
Style-CLAP) real PNG/MP4/WAV files, a few instances each, and writes ``OUT_DIR/extractors.json``
with tiny random-weight models, for ``generallevel evaluate ... --extractor-options
OUT_DIR/extractors.json`` (``_instances_models.py``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _instances import (  # noqa: E402
    FEATURE_DIM, SHAPES, Gen, Words, gen_binary, gen_boxes, gen_code, gen_counts, gen_embeddings, gen_features,
    gen_flags, gen_grounding, gen_labels, gen_micro_f1, gen_overlaps, gen_ranked, gen_ratings, gen_scores_binary,
    gen_short_answers, gen_text, gen_transcripts, gen_values, gen_votes,
)
from _instances_media import media_generator, with_media_keys, write_media  # noqa: E402
import _instances_models as models_media  # noqa: E402
from _instances_arrays import (  # noqa: E402
    gen_amota, gen_binary_masks, gen_centre_boxes, gen_cepstra, gen_clouds, gen_depth, gen_flow, gen_frame_labels,
    gen_i2v, gen_images, gen_label_maps, gen_mattes, gen_panoptic, gen_parts, gen_saliency, gen_tracks, gen_tubes,
    gen_trajectories, gen_video_flows, gen_video_masks, gen_videos,
)


TOTAL_INSTANCES = 325_876
MODEL = "fullscale-model"
MIN_INSTANCES = 30
# Per-task instance caps of the heavy families (payload per instance is large).
CAPS = {
    "FID": 300, "FVD": 300, "FAD": 300, "CLIP-I": 300, "CLIP-T": 300, "CLIP-Style": 300, "DINO-I": 300,
    "CLAP": 300, "Style-CLAP": 300, "PSNR": 100, "MS-SSIM": 24, "mIoU": 100, "Instance-mIoU": 200,
    "S-measure": 100, "Dice": 100, "PQ": 50, "CD": 100, "AbsRel": 100, "EPE": 100, "SAD": 100, "RMS": 100,
    "MSE": 100, "RTE": 11, "MCD": 50, "TemporalFlickering": 50, "DynamicDegree": 50, "AMOTA": 1,
    "Frame-Acc": 200, "m_vIoU": 200, "CodeBLEU": 300, "Recall@50": 500,
}
FOLDER = re.compile(r"[^A-Za-z0-9]+")


GENERATORS: dict[str, Gen] = {
    "Acc": gen_labels, "E-Acc": gen_short_answers, "EM@1": gen_short_answers, "Macro-Acc": gen_labels,
    "F1": gen_binary, "Micro-F1": gen_micro_f1, "Recall@50": gen_ranked, "Frame-Acc": gen_frame_labels,
    "BLEU-1": gen_text, "BLEU-4": gen_text, "ROUGE-1": gen_text, "ROUGE-L": gen_text, "CIDEr": gen_text,
    "ANLS": gen_short_answers, "CodeBLEU": gen_code, "WER": gen_transcripts,
    "MAE": gen_counts, "RMSE": gen_values, "MSE": gen_mattes, "RMS": gen_depth, "PCC": gen_values,
    "AUC": gen_scores_binary, "AbsRel": gen_depth, "EPE": gen_flow, "SAD": gen_mattes, "RTE": gen_trajectories,
    "AP": gen_boxes, "mAP": gen_boxes, "AP@50": gen_boxes, "AP@75": gen_boxes, "AP@10": gen_grounding,
    "AMOTA": gen_amota,
    "mIoU": gen_label_maps, "Dice": gen_binary_masks, "S-measure": gen_saliency, "PQ": gen_panoptic,
    "Instance-mIoU": gen_parts, "m_vIoU": gen_tubes,
    "PSNR": gen_images(SHAPES["image"]), "MS-SSIM": gen_images(SHAPES["ms_ssim"]),
    "MOS": gen_ratings(1.0, 5.0), "MUSIQ": gen_ratings(20.0, 80.0), "AestheticScore": gen_ratings(3.0, 8.0),
    "GPT-Score": gen_ratings(0.0, 10.0), "SuccessRate": gen_flags, "UserPreference": gen_votes,
    "I2V-Composite": gen_i2v, "TemporalFlickering": gen_videos, "DynamicDegree": gen_video_flows,
    "MCD": gen_cepstra, "CD": gen_clouds,
}
for _m, _d in FEATURE_DIM.items():
    GENERATORS[_m] = gen_features(_d) if _m in ("FID", "FVD", "FAD") else gen_embeddings(_d)
# Tasks whose registry metric_options change what the metric reads.
OPTION_GENERATORS: dict[tuple[str, str, Any], Gen] = {
    ("AUC", "curve", "success"): gen_overlaps,
    ("F1", "mode", "token"): gen_short_answers,
    ("mIoU", "per_video", True): gen_video_masks,
    ("mAP", "matching", "center-distance"): gen_centre_boxes,
}
# Tasks read by their own adapter (registry ``adapter``), keyed by that adapter.
ADAPTER_GENERATORS: dict[str, Gen] = {"generallevel_builtin.tracking3d:adapt": gen_tracks}


def generator_key(task: Any, metric: str) -> str:
    """Which generator a task uses: its adapter's, its metric's, or a metric_options variant
    ("AUC[curve=success]")."""
    adapter = getattr(task, "adapter", None)
    if isinstance(adapter, str) and adapter in ADAPTER_GENERATORS:
        return f"{metric}[adapter={adapter}]"
    for k, v in sorted(getattr(task, "metric_options", {}).items()):
        if isinstance(v, (str, int, float, bool)) and (metric, k, v) in OPTION_GENERATORS:
            return f"{metric}[{k}={v}]"
    return metric


def _generator(key: str) -> Gen:
    if key.endswith(models_media.KEY):  # a model-based task whose items name files (--model-media)
        return models_media.generator(key)
    if "+files@" in key:  # this task's items name media files (_instances_media.py)
        return media_generator(key)
    if "[adapter=" in key:
        return ADAPTER_GENERATORS[key.partition("[adapter=")[2].rstrip("]")]
    if "[" in key:
        return next(gen for (m, k, v), gen in OPTION_GENERATORS.items() if f"{m}[{k}={v}]" == key)
    return GENERATORS[key]


# -- the tree ----------------------------------------------------------------------------------------
def allocate(metrics: list[str], total: int, seed: int, caps: dict[str, int] | None = None,
             minimum: int = MIN_INSTANCES) -> list[int]:
    """Instances per task: log-normal weights, heavy families capped, summing exactly to ``total``."""
    caps = CAPS if caps is None else caps
    rng = np.random.default_rng([seed, 1])
    w = rng.lognormal(0.0, 0.9, len(metrics))
    cap = np.array([caps.get(m, np.inf) for m in metrics], dtype=float)
    low = np.minimum(minimum, cap)
    if low.sum() > total:
        raise ValueError(f"{total} instances cannot give {len(metrics)} tasks their minimum sizes")
    if np.isfinite(cap).all() and cap.sum() < total:
        raise ValueError(f"{total} instances exceed the capped capacity {int(cap.sum())}")

    def sizes(scale: float) -> np.ndarray:
        return np.clip(w * scale, low, cap)

    lo, hi = 0.0, float(total) / w.min() + 1.0
    for _ in range(200):  # bisection on the scale
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if sizes(mid).sum() < total else (lo, mid)
    exact = sizes(hi)
    n = np.floor(exact).astype(np.int64)
    free = np.flatnonzero(n < cap)
    order = free[np.argsort(-(exact - n)[free], kind="stable")]
    short = total - int(n.sum())
    i = 0
    while short > 0:  # largest remainders first, then round-robin over the uncapped tasks
        j = order[i % len(order)]
        if n[j] < cap[j]:
            n[j] += 1
            short -= 1
        i += 1
    while short < 0:
        j = int(np.argmax(np.where(n > low, n, -1)))
        n[j] -= 1
        short += 1
    return n.tolist()


def folder_names(tasks) -> list[str]:
    """Folder per task from its name; unique case-insensitively within a group."""
    seen: set[tuple[str, str]] = set()
    out = []
    for t in tasks:
        name = FOLDER.sub("_", t.name).strip("_") or t.id
        key = (t.group, name.casefold())
        if key in seen:
            name = f"{name}_{t.id}"
            key = (t.group, name.casefold())
        seen.add(key)
        out.append(name)
    return out


def rel_dir(task, folder: str) -> Path:
    if task.modality == "NLP":
        return Path("nlp") / folder
    return Path(task.modality.lower()) / task.paradigm / folder


_WORDS: dict[int, Words] = {}


def _words(seed: int) -> Words:
    """The vocabulary of a seed, built once per process."""
    if seed not in _WORDS:
        _WORDS[seed] = Words(np.random.default_rng([seed, 3]))
    return _WORDS[seed]


def write_task(job: tuple) -> tuple[str, int, int]:
    """Write one task's annotation.json and prediction.json; returns (task id, instances, bytes)."""
    out, task_id, task_name, key, rel, n, seed, index, dim = job
    rng = np.random.default_rng([seed, 2, index])
    words = _words(seed)
    metric = key.partition("[")[0].partition("+")[0]
    gen = _generator(key)
    if dim is not None and metric in FEATURE_DIM and not key.endswith(models_media.KEY):
        gen = gen_features(dim) if metric in ("FID", "FVD", "FAD") else gen_embeddings(dim)
    outputs, preds, *media = gen(n, rng, words)
    prefix = re.sub(r"[^a-z0-9]+", "", task_id)[:12]
    ids = [f"{prefix}_{i:06d}" for i in range(n)]
    annotation = {"task": task_name, "type": metric, "data": [
        {"id": i, "input": {"prompt": f"instance {k}"}, "output": o} for k, (i, o) in enumerate(zip(ids, outputs))]}
    prediction = [{"id": i, "prediction": p} for i, p in zip(ids, preds)]
    size = 0
    for sub, name, obj in (("bench", "annotation.json", annotation),
                           (f"predictions/{MODEL}", "prediction.json", prediction)):
        d = Path(out) / sub / rel
        d.mkdir(parents=True, exist_ok=True)
        text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
        (d / name).write_text(text, encoding="utf-8")
        size += len(text)
    size += write_media(out, rel, MODEL, media[0]) if media else 0
    return task_id, n, size


def make_tree(out: str | Path, total: int = TOTAL_INSTANCES, seed: int = 0, jobs: int = 2,
              caps: dict[str, int] | None = None, minimum: int = MIN_INSTANCES,
              per_kind: int | None = None, feature_dim: int | None = None,
              model_media: bool = False) -> dict[str, Any]:
    """Write the tree under ``out`` (``bench/`` and ``predictions/<MODEL>/``); returns a summary.

    ``per_kind`` keeps only the first that many tasks of each generator (a small tree that still
    exercises every metric: the smoke test); ``feature_dim`` overrides the feature widths;
    ``model_media``: see the module docstring (``--model-media``).
    """
    import generallevel

    tasks = generallevel.list_tasks()
    metrics = [generallevel.get_metric(t.metric).name for t in tasks]
    missing = sorted({m for m in metrics if m not in GENERATORS})
    if missing:
        raise SystemExit(f"no instance generator for metric(s) {missing}; add them to GENERATORS")
    keys = with_media_keys(tasks, [generator_key(t, m) for t, m in zip(tasks, metrics)])
    if model_media:
        keys = models_media.with_model_media_keys(keys)
    if per_kind is not None:
        count: dict[str, int] = {}
        keep = [count.__setitem__(k, count.get(k, 0) + 1) or count[k] <= per_kind for k in keys]
        tasks, metrics, keys = ([x for x, k in zip(col, keep) if k] for col in (tasks, metrics, keys))
    if model_media:  # those tasks are capped by their own labels: every file is a network forward pass
        caps = {**(CAPS if caps is None else caps), **models_media.caps(keys)}
        metrics = [k if k.endswith(models_media.KEY) else m for k, m in zip(keys, metrics)]
    sizes = allocate(metrics, total, seed, caps, minimum)
    folders = folder_names(tasks)
    out = Path(out)
    jobs_list = [(str(out), t.id, t.name, k, str(rel_dir(t, f)), n, seed, i, feature_dim)
                 for i, (t, k, f, n) in enumerate(zip(tasks, keys, folders, sizes))]
    # heavy families first, so that the writer processes finish together
    jobs_list.sort(key=lambda j: (j[3].partition("[")[0] not in CAPS, -j[5]))
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs) as pool:
            done = list(pool.map(write_task, jobs_list, chunksize=1))
    else:
        done = [write_task(j) for j in jobs_list]
    summary = {"tasks": len(done), "instances": sum(d[1] for d in done), "bytes": sum(d[2] for d in done),
               "dataset": str(out / "bench"), "predictions": str(out / "predictions" / MODEL), "seed": seed}
    if model_media:
        summary["model_media_tasks"] = sum(k.endswith(models_media.KEY) for k in keys)
        summary["extractor_options"] = str(models_media.write_extractor_options(out))
    return summary


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", help="output folder (bench/ and predictions/ are created in it)")
    ap.add_argument("--instances", type=int, default=TOTAL_INSTANCES)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--model-media", action="store_true",
                    help="every third FID/FVD/FAD/CLIP/CLAP/DINO task names real files, scored with tiny models "
                         "through OUT/extractors.json (not the benchmark rows' tree)")
    args = ap.parse_args(argv)
    summary = make_tree(args.out, args.instances, args.seed, args.jobs, model_media=args.model_media)
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
