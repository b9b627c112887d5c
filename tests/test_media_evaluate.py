"""`evaluate` on items that name media files: dense tasks decoded to arrays, generation tasks through a
registered extractor; raw scores checked against values computed here from the known pixels, samples
and points the test wrote; bad files fail their task (listing each item), never the run."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

import generallevel as gl
from generallevel import Extractor, Task, hookimpl, plugins
from generallevel.evaluate import evaluate

PIL = pytest.importorskip("PIL.Image")
av = pytest.importorskip("av")
RNG = np.random.default_rng(11)


class Tree:
    """A General-Bench tree and a mirrored predictions tree under tmp_path."""

    def __init__(self, root: Path):
        self.root = root
        self.bench, self.preds = root / "bench", root / "preds"

    def task(self, rel: str, name: str, records: list, predictions: dict) -> tuple[Path, Path]:
        b, p = self.bench / rel, self.preds / rel
        b.mkdir(parents=True, exist_ok=True)
        p.mkdir(parents=True, exist_ok=True)
        (b / "annotation.json").write_text(json.dumps({"task": name, "data": records}))
        (p / "prediction.json").write_text(json.dumps([{"id": k, "prediction": v} for k, v in predictions.items()]))
        return b, p

    def run(self, **kw):
        return {t.task_id: t for t in evaluate(self.bench, self.preds, model="m", jobs=1, **kw).tasks}


@pytest.fixture
def tree(tmp_path):
    return Tree(tmp_path)


def png(path: Path, arr: np.ndarray, **kw) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    PIL.fromarray(arr, **kw).save(path)


def psnr_by_hand(pairs) -> float:
    return float(np.mean([10 * math.log10(255.0 ** 2 / np.mean((p.astype(float) - g) ** 2)) for p, g in pairs]))


def psnr_task(tree: Tree, n: int = 3, size=(20, 30)):
    rel = "image/generation/Image_Deblurring"
    b, p = tree.bench / rel, tree.preds / rel
    records, preds, pairs = [], {}, []
    for i in range(n):
        gt = RNG.integers(0, 256, (*size, 3), dtype=np.uint8)
        out = np.clip(gt.astype(int) + RNG.integers(-12, 13, gt.shape), 0, 255).astype(np.uint8)
        png(b / "images" / f"gt_{i}.png", gt)
        png(p / "outputs" / f"o_{i}.png", out)
        records.append({"id": f"x{i}", "input": {"image": f"images/in_{i}.png"}, "output": {"image": f"images/gt_{i}.png"}})
        preds[f"x{i}"] = f"outputs/o_{i}.png" if i % 2 else {"image": f"outputs/o_{i}.png"}
        pairs.append((out, gt))
    tree.task(rel, "Image Deblurring", records, preds)
    return b, p, pairs


# -- dense tasks: arrays ------------------------------------------------------------------------
def test_psnr_from_png_files_equals_the_hand_computed_value(tree):
    _, _, pairs = psnr_task(tree)
    t = tree.run()["image-deblurring"]
    assert t.status == "scored", t.error
    assert t.raw == pytest.approx(psnr_by_hand(pairs), rel=1e-12)
    assert "media" not in t.options


def test_one_bad_file_fails_its_task_listing_each_item_and_nothing_else(tree):
    b, p, _ = psnr_task(tree, n=4)
    (p / "outputs" / "o_1.png").write_bytes(b"garbage")
    png(p / "outputs" / "o_2.png", np.zeros((10, 10, 3), np.uint8))  # wrong size
    (p / "outputs" / "o_3.png").unlink()
    rel = "image/comprehension/Crowd_Counting"
    tree.task(rel, "Crowd Counting", [{"id": "c1", "input": {}, "output": {"count": 3}}], {"c1": 4})
    tasks = tree.run()
    bad = tasks["image-deblurring"]
    assert bad.status == "failed"
    assert "3 of 4 item(s)" in bad.error
    assert "'x1' (prediction)" in bad.error and "o_1.png" in bad.error and "not a readable image" in bad.error
    assert "'x2' (prediction)" in bad.error and "size 10x10" in bad.error and "30x20" in bad.error
    assert "'x3' (prediction)" in bad.error and "o_3.png" in bad.error and "no such file" in bad.error
    assert tasks["crowd-counting"].status == "scored" and tasks["crowd-counting"].raw == 1.0


def test_paths_outside_both_trees_are_refused(tree, tmp_path):
    psnr_task(tree, n=2)
    png(tmp_path / "elsewhere" / "x.png", np.zeros((20, 30, 3), np.uint8))
    rel = "image/generation/Image_Deblurring"
    preds = json.loads((tree.preds / rel / "prediction.json").read_text())
    preds[0]["prediction"] = "../../../../elsewhere/x.png"
    (tree.preds / rel / "prediction.json").write_text(json.dumps(preds))
    t = tree.run()["image-deblurring"]
    assert t.status == "failed" and "outside the allowed trees" in t.error


def test_video_psnr_from_frame_folders_and_mp4_counts_every_frame(tree):
    rel = "video/generation/Video_Deblurring"
    b, p = tree.bench / rel, tree.preds / rel
    pairs, records, preds = [], [], {}
    for i in range(2):
        gt = RNG.integers(0, 256, (3, 8, 12, 3), dtype=np.uint8)
        out = np.clip(gt.astype(int) + RNG.integers(-9, 10, gt.shape), 0, 255).astype(np.uint8)
        for k in range(3):
            png(b / "gt" / f"v{i}" / f"{k:04d}.png", gt[k])
            png(p / "pred" / f"v{i}" / f"{k:04d}.png", out[k])
            pairs.append((out[k], gt[k]))
        records.append({"id": f"v{i}", "input": {}, "output": {"video": f"gt/v{i}"}})
        preds[f"v{i}"] = {"video": f"pred/v{i}/"}
    tree.task(rel, "Video Deblurring", records, preds)
    t = tree.run()["video-deblurring"]
    assert t.status == "scored", t.error
    assert t.raw == pytest.approx(psnr_by_hand(pairs), rel=1e-12)  # mean over all 6 frames


def test_video_frames_as_a_list_of_paths_and_a_frame_count_mismatch(tree):
    rel = "video/generation/Video_Deblurring"
    b, p = tree.bench / rel, tree.preds / rel
    gt = RNG.integers(0, 256, (2, 3, 6, 8, 3), dtype=np.uint8)  # 2 videos of 3 frames
    out = np.clip(gt.astype(int) + RNG.integers(-5, 6, gt.shape), 0, 255).astype(np.uint8)
    for i in range(2):
        for k in range(3):
            png(b / "gt" / f"v{i}" / f"{k}.png", gt[i, k])
            png(p / "f" / f"v{i}_{k}.png", out[i, k])
    records = [{"id": f"v{i}", "input": {}, "output": {"video": f"gt/v{i}"}} for i in range(2)]
    tree.task(rel, "Video Deblurring", records, {f"v{i}": [f"f/v{i}_{k}.png" for k in range(3)] for i in range(2)})
    t = tree.run()["video-deblurring"]
    assert t.status == "scored", t.error
    assert t.raw == pytest.approx(psnr_by_hand([(out[i, k], gt[i, k]) for i in range(2) for k in range(3)]), rel=1e-12)
    tree.task(rel, "Video Deblurring", records, {f"v{i}": [f"f/v{i}_{k}.png" for k in range(2)] for i in range(2)})
    t = tree.run()["video-deblurring"]
    assert t.status == "failed" and "2 of 2 item(s)" in t.error and "shape (2, 6, 8, 3) differs" in t.error


def test_miou_from_palette_pngs(tree):
    rel = "image/comprehension/Bacteria_Segmentation"
    b, p = tree.bench / rel, tree.preds / rel
    gt = [np.array([[0, 0, 1, 1], [0, 1, 1, 1]], np.uint8), np.array([[1, 1, 0, 0], [0, 0, 0, 0]], np.uint8)]
    pr = [np.array([[0, 1, 1, 1], [0, 1, 1, 1]], np.uint8), np.array([[1, 0, 0, 0], [0, 0, 0, 1]], np.uint8)]
    for i, (g, q) in enumerate(zip(gt, pr)):
        for arr, path in ((g, b / "masks" / f"{i}.png"), (q, p / "masks" / f"{i}.png")):
            png(path, arr, mode="L") if i else png(path, arr)
    tree.task(rel, "Bacteria Segmentation", [{"id": str(i), "input": {}, "output": {"mask": f"masks/{i}.png"}}
                                              for i in range(2)], {str(i): f"masks/{i}.png" for i in range(2)})
    t = tree.run()["bacteria-segmentation"]
    g, q = np.concatenate([x.ravel() for x in gt]), np.concatenate([x.ravel() for x in pr])
    ious = [np.sum((g == c) & (q == c)) / np.sum((g == c) | (q == c)) for c in (0, 1)]  # pooled confusion
    assert t.status == "scored", t.error
    assert t.raw == pytest.approx(100 * np.mean(ious))


def test_chamfer_from_ply_and_obj_files(tree):
    rel = "3d/generation/3D_Point_Cloud_Completion"
    b, p = tree.bench / rel, tree.preds / rel
    (b / "gt").mkdir(parents=True)
    (p / "out").mkdir(parents=True)
    clouds = [(RNG.random((6, 3)), RNG.random((5, 3))) for _ in range(2)]
    head = "ply\nformat ascii 1.0\nelement vertex {n}\nproperty double x\nproperty double y\nproperty double z\nend_header\n"
    for i, (g, q) in enumerate(clouds):
        (b / "gt" / f"{i}.ply").write_text(head.format(n=len(g)) + "".join(f"{x!r} {y!r} {z!r}\n" for x, y, z in g.tolist()))
        (p / "out" / f"{i}.obj").write_text("".join(f"v {x!r} {y!r} {z!r}\n" for x, y, z in q.tolist()))
    tree.task(rel, "3D Point Cloud Completion", [{"id": str(i), "input": {}, "output": {"pointcloud": f"gt/{i}.ply"}}
                                                 for i in range(2)], {str(i): {"pointcloud": f"out/{i}.obj"} for i in range(2)})
    t = tree.run()["3d-point-cloud-completion"]

    def cd(a, c):  # brute force: squared distances, mean of the two directions
        d = ((a[:, None, :] - c[None, :, :]) ** 2).sum(-1)
        return 0.5 * (d.min(1).mean() + d.min(0).mean())

    assert t.status == "scored", t.error
    assert t.raw == pytest.approx(np.mean([cd(q, g) for g, q in clouds]), rel=1e-12)


def test_optical_flow_from_flo_files(tree):
    from generallevel.media.arrays import write_flo

    rel = "video/comprehension/Optical_Flow_in_Simple_Synthetic_Scene"
    b, p = tree.bench / rel, tree.preds / rel
    (b / "flow").mkdir(parents=True)
    (p / "flow").mkdir(parents=True)
    flows = [(RNG.normal(0, 2, (4, 6, 2)).astype(np.float32), RNG.normal(0, 2, (4, 6, 2)).astype(np.float32))
             for _ in range(2)]
    for i, (g, q) in enumerate(flows):
        write_flo(b / "flow" / f"{i}.flo", g)
        write_flo(p / "flow" / f"{i}.flo", q)
    tree.task(rel, "Optical Flow in Simple Synthetic Scene",
              [{"id": str(i), "input": {}, "output": {"flow": f"flow/{i}.flo"}} for i in range(2)],
              {str(i): f"flow/{i}.flo" for i in range(2)})
    t = tree.run()["optical-flow-in-simple-synthetic-scene"]
    per_sample = [np.sqrt(((q.astype(float) - g) ** 2).sum(-1)).mean() for g, q in flows]  # reduction=per_sample
    assert t.status == "scored", t.error
    assert t.raw == pytest.approx(np.mean(per_sample), rel=1e-6)


def test_epe_from_kitti_pngs_skips_invalid_reference_pixels(tree):
    """KITTI flow PNG references with invalid pixels are read with invalid="nan", and EPE averages
    the valid pixels only; an invalid pixel in a prediction still fails its item."""
    from generallevel.media.arrays import write_kitti_flow

    rel = "video/comprehension/Optical_Flow_in_Complex_Scene_Estimation"
    b, p = tree.bench / rel, tree.preds / rel
    (b / "flow").mkdir(parents=True)
    (p / "flow").mkdir(parents=True)
    gts = [np.zeros((2, 3, 2)), np.zeros((1, 2, 2))]
    valid = [np.array([[1, 1, 0], [0, 1, 1]], bool), np.array([[1, 0]], bool)]
    outs = [np.zeros((2, 3, 2)), np.zeros((1, 2, 2))]
    outs[0][0, 0] = (3.0, 4.0)   # error 5 (valid)
    outs[0][0, 2] = (100.0, 0.0)  # invalid in the reference: not counted
    outs[0][1, 2] = (0.0, 1.0)   # error 1 (valid)
    outs[1][0, 0] = (6.0, 8.0)   # error 10 (valid)
    outs[1][0, 1] = (50.0, 50.0)  # invalid: not counted
    for i in range(2):
        write_kitti_flow(b / "flow" / f"{i}.png", gts[i], valid[i])
        write_kitti_flow(p / "flow" / f"{i}.png", outs[i])
    tree.task(rel, "Optical Flow in Complex Scene Estimation",
              [{"id": str(i), "input": {}, "output": {"flow": f"flow/{i}.png"}} for i in range(2)],
              {str(i): f"flow/{i}.png" for i in range(2)})
    t = tree.run()["optical-flow-in-complex-scene-estimation"]
    assert t.status == "scored", t.error
    # the registry's reduction=per_sample: image 0 (5 + 0 + 1 + 0) / 4 valid pixels, image 1 10 / 1
    assert t.raw == pytest.approx((6 / 4 + 10 / 1) / 2)
    write_kitti_flow(p / "flow" / "1.png", outs[1], valid[1])  # a prediction with invalid pixels
    t = tree.run()["optical-flow-in-complex-scene-estimation"]
    assert t.status == "failed" and "'1' (prediction)" in t.error and "marked invalid" in t.error, t.error


# -- generation tasks: features through an extractor ----------------------------------------------
def colour_stats(images):
    """A toy image extractor: per-channel mean and standard deviation (6-D)."""
    return np.stack([np.concatenate([np.asarray(im, float).reshape(-1, 3).mean(0), np.asarray(im, float).reshape(-1, 3).std(0)])
                     for im in images])


def brightness(frames):
    """A toy image predictor on 0..10: mean brightness / 25.5."""
    return [float(np.asarray(f, float).mean()) / 25.5 for f in frames]


SEEN: dict[str, list] = {}


class ToyMedia:
    built_with: list = []

    @staticmethod
    def images(**options):
        ToyMedia.built_with.append(options)
        def fn(batch):
            SEEN.setdefault("images", []).append([(np.asarray(x).dtype, np.shape(x)) for x in batch])
            return colour_stats(batch)
        return fn

    @staticmethod
    def audio(**options):
        def fn(batch):
            SEEN.setdefault("audio", []).extend((x.dtype, x.shape) for x in batch)
            return np.stack([[float(np.mean(x)), float(np.std(x)), float(len(x))] for x in batch])
        return fn

    @staticmethod
    def texts(**options):
        return lambda batch: np.stack([[float(len(t)), float(t.count(" ")), 1.0] for t in batch])

    @staticmethod
    @hookimpl
    def register_tasks(register):  # tasks that name their extractors, as a task plugin would
        register(Task("toy-fid-generation", "Toy FID Generation", "Image", "generation", "FID", 10.0, "value",
                      metric_options={"extractor": "toy-colour"}))
        register(Task("toy-video-aesthetics", "Toy Video Aesthetics", "Video", "generation", "AestheticScore", 50.0,
                      "percent", metric_options={"predictor": "toy-brightness"}))
        register(Task("toy-caption-to-audio", "Toy Caption to Audio", "Audio", "generation", "CLAP", 50.0, "percent",
                      metric_options={"extractor": "toy-wave", "reference_extractor": "toy-words"}))

    @staticmethod
    @hookimpl
    def register_extractors(register):
        register(Extractor("toy-colour", "image", ToyMedia.images, dim=6, metrics=("FID", "CLIP-I")))
        wave = Extractor("toy-wave", "audio", ToyMedia.audio, dim=3, metrics=("CLAP",))
        wave.sample_rate = 8000  # the rate an audio extractor declares (a field of Extractor)
        register(wave)
        register(Extractor("toy-words", "text", ToyMedia.texts, dim=3, metrics=("CLAP",)))
        register(Extractor("toy-brightness", "image", lambda: brightness, output="scores", metrics=("AestheticScore",)))


@pytest.fixture
def toy():
    SEEN.clear()
    ToyMedia.built_with = []
    plugins.register_plugin(ToyMedia, "toy_media")
    yield
    plugins.unregister_plugin("toy_media")


def fid_task(tree, n=5, name="Toy FID Generation"):
    rel = "image/generation/" + name.replace(" ", "_")
    b, p = tree.bench / rel, tree.preds / rel
    gen = [RNG.integers(0, 256, (8 + i, 10, 3), dtype=np.uint8) for i in range(n)]
    real = [RNG.integers(40, 200, (12, 9, 3), dtype=np.uint8) for _ in range(n)]
    for i in range(n):
        png(b / "targets" / f"{i}.png", real[i])
        png(p / "outputs" / f"{i}.png", gen[i])
    tree.task(rel, name, [{"id": str(i), "input": {"prompt": "x"}, "output": {"image": f"targets/{i}.png"}}
                          for i in range(n)], {str(i): f"outputs/{i}.png" for i in range(n)})
    return gen, real


def test_fid_from_image_files_through_a_registered_extractor(tree, toy):
    gen, real = fid_task(tree)
    t = tree.run(extractor_options={"toy-colour": {"weights": "/w.pt"}})["toy-fid-generation"]
    assert t.status == "scored", t.error
    expect = gl.get_metric("FID").compute(colour_stats(gen), colour_stats(real))
    assert t.raw == pytest.approx(expect, rel=1e-9)
    assert ToyMedia.built_with == [{"weights": "/w.pt"}]  # built once per task, with the given options
    assert all(d == np.uint8 and len(s) == 3 and s[2] == 3 for batch in SEEN["images"] for d, s in batch)
    assert any("through 'toy-colour'" in n for n in t.notes) and "extractor" not in t.options


def test_precomputed_features_beside_files_win(tree, toy):
    rel = "image/generation/Toy_FID_Generation"
    feats = RNG.normal(size=(4, 3))
    tree.task(rel, "Toy FID Generation",
              [{"id": str(i), "input": {}, "output": {"image": f"t/{i}.png", "features": (feats[i] + 1).tolist()}} for i in range(4)],
              {str(i): {"image": f"o/{i}.png", "features": feats[i].tolist()} for i in range(4)})
    t = tree.run()["toy-fid-generation"]
    assert t.status == "scored" and t.raw == pytest.approx(gl.get_metric("FID").compute(feats, feats + 1))
    assert "images" not in SEEN  # no file was read


def test_clap_audio_files_at_the_extractors_rate_with_text_references(tree, toy):
    import soundfile as sf

    rel = "audio/generation/Toy_Caption_to_Audio"
    b, p = tree.bench / rel, tree.preds / rel
    (p / "wav").mkdir(parents=True)
    prompts = ["a dog barks", "rain on a tin roof", "a violin"]
    waves = []
    for i in range(3):
        stereo = RNG.uniform(-0.5, 0.5, (16000, 2)).astype(np.float32)  # 1 s at 16 kHz
        sf.write(p / "wav" / f"{i}.wav", stereo, 16000, subtype="FLOAT")
        waves.append(stereo.mean(1))
    tree.task(rel, "Toy Caption to Audio", [{"id": str(i), "input": {"prompt": t}, "output": {}}
                                            for i, t in enumerate(prompts)], {str(i): f"wav/{i}.wav" for i in range(3)})
    t = tree.run()["toy-caption-to-audio"]
    assert t.status == "scored", t.error
    assert SEEN["audio"] == [(np.float32, (8000,))] * 3  # mono, resampled to the declared 8 kHz
    from scipy.signal import resample_poly

    a = np.stack([[float(np.mean(w)), float(np.std(w)), 8000.0] for w in (resample_poly(x, 1, 2) for x in waves)])
    txt = np.stack([[float(len(s)), float(s.count(" ")), 1.0] for s in prompts])
    cos = (a * txt).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(txt, axis=1)
    assert t.raw == pytest.approx(100 * np.mean(np.maximum(cos, 0)), rel=1e-4)


def test_without_an_extractor_the_task_fails_saying_what_to_install(tree):
    fid_task(tree, n=3, name="Edge-to-Image Generation")
    psnr_task(tree, n=2)
    tasks = tree.run()
    t = tasks["edge-to-image-generation"]
    # no extractor for FID at all, or its reference network without weights: either way the command to run
    assert t.status == "failed" and "generallevel extractors" in t.error, t.error
    assert tasks["image-deblurring"].status == "scored"


def test_extractor_options_from_a_json_file_resolve_relative_paths(tree, toy, tmp_path):
    fid_task(tree, n=3)
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "opts.json").write_text(json.dumps({"toy-colour": {"weights": "./w.pt", "device": "cpu"}}))
    t = tree.run(extractor_options=tmp_path / "models" / "opts.json")["toy-fid-generation"]
    assert t.status == "scored", t.error
    assert ToyMedia.built_with == [{"weights": str((tmp_path / "models" / "w.pt").resolve()), "device": "cpu"}]


# -- the bundled demo ---------------------------------------------------------------------------
def test_demo_scores_its_png_and_ply_tasks_from_the_files():
    from generallevel.evaluate import DEMO_DATASET, DEMO_PREDICTIONS, evaluate_demo

    rows = {t.task_id: t for t in evaluate_demo(jobs=1).tasks}
    rel = "image/generation/Image_Deblurring"
    records = json.loads((DEMO_DATASET / rel / "annotation.json").read_text())["data"]
    preds = {p["id"]: p["prediction"] for p in json.loads((DEMO_PREDICTIONS / rel / "prediction.json").read_text())}
    pairs = [(np.asarray(PIL.open(DEMO_PREDICTIONS / rel / preds[r["id"]]).convert("RGB")),
              np.asarray(PIL.open(DEMO_DATASET / rel / r["output"]["image"]).convert("RGB"))) for r in records]
    assert rows["image-deblurring"].raw == pytest.approx(psnr_by_hand(pairs), rel=1e-12)

    def ply_points(path: Path) -> np.ndarray:  # ASCII PLY read by hand: the rows after end_header
        lines = path.read_text().splitlines()
        return np.array([[float(v) for v in ln.split()] for ln in lines[lines.index("end_header") + 1:]])

    rel = "3d/generation/3D_Point_Cloud_Completion"
    records = json.loads((DEMO_DATASET / rel / "annotation.json").read_text())["data"]
    preds = {p["id"]: p["prediction"] for p in json.loads((DEMO_PREDICTIONS / rel / "prediction.json").read_text())}
    cds = []
    for r in records:
        g, q = ply_points(DEMO_DATASET / rel / r["output"]["pointcloud"]), ply_points(DEMO_PREDICTIONS / rel / preds[r["id"]])
        d = ((q[:, None, :] - g[None, :, :]) ** 2).sum(-1)
        cds.append(0.5 * (d.min(1).mean() + d.min(0).mean()))
    assert rows["3d-point-cloud-completion"].raw == pytest.approx(np.mean(cds), rel=1e-12)


def test_videos_scored_by_an_image_predictor_are_the_mean_of_their_frames(tree, toy):
    rel = "video/generation/Toy_Video_Aesthetics"
    p = tree.preds / rel
    (p / "v").mkdir(parents=True)
    videos = [RNG.integers(0, 256, (8, 8, 10, 3), dtype=np.uint8) for _ in range(3)]  # 8 frames: all of them count
    for i, v in enumerate(videos):
        with av.open(str(p / "v" / f"{i}.mkv"), "w") as out:  # lossless, so the frames are exact
            st = out.add_stream("ffv1", rate=8)
            st.width, st.height, st.pix_fmt = 10, 8, "bgr0"
            for f in v:
                out.mux(st.encode(av.VideoFrame.from_ndarray(f, format="rgb24")))
            out.mux(st.encode())
    tree.task(rel, "Toy Video Aesthetics", [{"id": str(i), "input": {"prompt": "x"}, "output": {}} for i in range(3)],
              {str(i): f"v/{i}.mkv" for i in range(3)})
    t = tree.run()["toy-video-aesthetics"]
    assert t.status == "scored", t.error
    assert t.raw == pytest.approx(10 * np.mean([np.mean([f.mean() / 25.5 for f in v]) for v in videos]), rel=1e-12)


def test_cli_extractor_options_file(tree, toy, tmp_path):
    from click.testing import CliRunner

    from generallevel.cli import main

    gen, real = fid_task(tree, n=4)
    opts = tmp_path / "opts.json"
    opts.write_text(json.dumps({"toy-colour": {"weights": "../w/x.pt"}}))
    r = CliRunner().invoke(main, ["evaluate", str(tree.bench), "-p", str(tree.preds), "--jobs", "1", "--format", "json",
                                  "--extractor-options", str(opts)], catch_exceptions=False)
    row = next(t for t in json.loads(r.stdout)["tasks"] if t["id"] == "toy-fid-generation")
    assert row["status"] == "scored" and row["raw"] == pytest.approx(
        gl.get_metric("FID").compute(colour_stats(gen), colour_stats(real)), rel=1e-9)
    assert ToyMedia.built_with == [{"weights": str((tmp_path.parent / "w" / "x.pt").resolve())}]
