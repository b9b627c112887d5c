"""MUSIQ (pyiqa's network) and RAFT (VBench dynamic degree) built-in extractors, with tiny random
weights saved in the real checkpoint layout and loaded through the real code (TORCH_HOME folders).

Golden MUSIQ numbers: pyiqa 0.1.16's own ``musiq_arch.MUSIQ`` (its source file, with the package's
unrelated imports stubbed: pyiqa cannot be installed beside this project's torch/transformers pins)
on the weights ``tiny_models.save_tiny("musiq")`` writes and the images below; the in-tree network
matched it to 4e-6 on five image sizes.
"""

from __future__ import annotations

import numpy as np
import pytest

import generallevel as gl
from generallevel import plugins
from generallevel.extractors import MissingWeightsError, default_extractor

torch = pytest.importorskip("torch")
tiny_models = pytest.importorskip("generallevel_builtin.tiny_models")

# pyiqa 0.1.16 MUSIQ(hidden_size=128, mlp_dim=256, num_heads=2, num_layers=1) on save_tiny("musiq")
GOLD_PYIQA_MUSIQ = [50.94662857055664, 52.4016227722168, 50.436500549316406]


def _images():
    rng = np.random.default_rng(3)
    return [rng.integers(0, 256, (h, w, 3), dtype=np.uint8) for h, w in [(64, 96), (100, 37), (31, 250)]]


def _reset_builds():
    for ext in plugins.get_registry().extractors:
        ext._built = None


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.setenv("GENERALLEVEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("GENERALLEVEL_DEVICE", "cpu")
    monkeypatch.delenv("GENERALLEVEL_FEATURE_CACHE", raising=False)
    _reset_builds()
    yield
    _reset_builds()


# -- MUSIQ -------------------------------------------------------------------------------------------
def test_musiq_from_pyiqas_folder_equals_pyiqa(tmp_path, monkeypatch):
    opts = tiny_models.save_tiny("musiq", tmp_path)
    assert opts["weights"].endswith("hub/pyiqa/musiq_koniq_ckpt-e95806b9.pth")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    assert default_extractor("MUSIQ", "predictor") == "musiq"
    ext = gl.get_extractor("musiq")
    assert ext.weights_status() == (opts["weights"], True)
    scores = ext.load()(_images())
    np.testing.assert_allclose(scores, GOLD_PYIQA_MUSIQ, rtol=0, atol=1e-4)
    assert gl.get_metric("MUSIQ").compute(_images(), None, predictor="musiq") == pytest.approx(np.mean(scores))


def test_musiq_multiscale_patches_by_hand():
    from generallevel_builtin._net_musiq import _hash_positions, multiscale_patches

    # 64 x 96: longer side 224 -> 149 x 224 (5 x 7 patches, padded to 49); 384 -> 256 x 384 (8 x 12 = 96,
    # padded to 144); the original 2 x 3 = 6 patches unpadded
    tokens = multiscale_patches(torch.zeros(1, 3, 64, 96))
    assert tokens.shape == (1, 49 + 144 + 6, 3 * 32 * 32 + 3)
    mask, scale = tokens[0, :, -1], tokens[0, :, -2]
    assert mask[:49].sum() == 35 and mask[49:193].sum() == 96 and mask[193:].sum() == 6
    assert scale[:35].eq(0).all() and scale[49:145].eq(1).all() and scale[193:].eq(2).all()
    # a 2 x 3 patch grid hashed onto the 10 x 10 table: rows 0, 5; columns 0, 3, 6
    assert _hash_positions(10, 2, 3).tolist() == [0, 3, 6, 50, 53, 56]


@pytest.mark.parametrize("classes, bias, want", [(1, [73.25], 73.25), (10, [0.0] * 10, 5.5)])
def test_musiq_head_layouts_koniq_and_ava(tmp_path, classes, bias, want):
    """A zero head gives its bias (KonIQ: one MOS output) or the mean of a uniform 1..10 distribution
    (AVA: a softmax head saved as head.0.*): both layouts load from the checkpoint alone."""
    from generallevel_builtin import _model_support as ms
    from generallevel_builtin._net_musiq import MUSIQ

    state = ms.random_state(MUSIQ(hidden=64, mlp=32, heads=1, layers=2, classes=classes).state_dict(), 1)
    prefix = "head." if classes == 1 else "head.0."
    state[prefix + "weight"] = torch.zeros_like(state[prefix + "weight"])
    state[prefix + "bias"] = torch.tensor(bias)
    path = tmp_path / "ckpt.pth"
    torch.save({"params": {"module." + k: v for k, v in state.items()}}, path)
    scores = gl.get_extractor("musiq").load(weights=str(path))(_images()[:2])
    np.testing.assert_allclose(scores, [want, want], rtol=1e-6)


def test_musiq_missing_and_corrupt_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(MissingWeightsError, match=r"musiq_koniq_ckpt-e95806b9\.pth.*fetch musiq"):
        gl.get_extractor("musiq").load()
    bad = tmp_path / "hub" / "pyiqa" / "musiq_koniq_ckpt-e95806b9.pth"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(MissingWeightsError, match=r"cannot read the weights file .*musiq_koniq"):
        gl.get_extractor("musiq").load()


# -- RAFT / DynamicDegree ----------------------------------------------------------------------------
def _clip(frames, h, w, fps, seed=5):
    from generallevel.media.video import VideoArray

    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, (h + 8, w + 8 * frames, 3), dtype=np.uint8)
    return VideoArray(np.stack([base[4:4 + h, 8 * t:8 * t + w] for t in range(frames)]), fps)


@pytest.fixture(scope="module")
def raft_home(tmp_path_factory):
    root = tmp_path_factory.mktemp("raft_home")
    return root, tiny_models.save_tiny("raft-large", root)


def _hand_peak(flow):
    rad = np.sqrt(flow[..., 0].astype(np.float64) ** 2 + flow[..., 1].astype(np.float64) ** 2).ravel()
    cut = int(rad.size * 0.05)
    return np.sort(rad)[::-1][:cut].mean()


def test_vbench_rule_by_hand():
    from generallevel_builtin._net_raft import flow_peak, sample_frames, vbench_rule

    # 240 x 320 at 8 fps, 16 frames: 6 px, 4 pairs; at 4 fps the threshold doubles; 24 fps: factor 1
    assert vbench_rule(240, 320, 16, 8.0) == (5.625, 4)
    assert vbench_rule(240, 320, 16, 4.0) == (11.25, 4)
    assert vbench_rule(256, 512, 6, 24.0) == (6.0, 2)  # round(1.5) = 2 (Python's rounding, as VBench)
    assert vbench_rule(256, 512, 2, 24.0)[1] == 0
    # 20 x 20 flow: top 5 % = 20 pixels; 20 of (3, 4) -> 5 px, the rest still
    flow = np.zeros((20, 20, 2), np.float32)
    flow.reshape(-1, 2)[::20] = (3.0, 4.0)
    assert flow_peak(flow) == 5.0
    flow.reshape(-1, 2)[1] = (6.0, 8.0)  # one faster pixel replaces a 5 in the top 20
    assert flow_peak(flow) == pytest.approx((19 * 5 + 10) / 20)
    # frames: every round(fps / 8)-th; no rate counts as 8 fps
    video = np.zeros((30, 2, 2, 3), np.uint8)
    assert len(sample_frames(video, 24.0)[0]) == 10
    assert len(sample_frames(video, None)[0]) == 30 and len(sample_frames(video, 12.0)[0]) == 15


def test_raft_dynamic_degree_from_torch_home_by_hand(raft_home, monkeypatch):
    root, opts = raft_home
    monkeypatch.setenv("TORCH_HOME", str(root))
    ext = gl.get_extractor("raft-large")
    assert ext.weights_status() == (opts["weights"], True)
    raft = ext.load(updates=1)
    video = _clip(5, 128, 128, fps=16.0)  # frames 0, 2, 4 -> 2 pairs; threshold 3 px, 1 pair needed
    flows, rate, size = raft.flows(video)
    assert rate == 16.0 and size == (128, 128) and [f.shape for f in flows] == [(128, 128, 2)] * 2
    peaks, thres, need = raft.peaks(video)
    np.testing.assert_allclose(peaks, [_hand_peak(f) for f in flows], rtol=1e-12)
    assert (thres, need) == (3.0, 1)
    want = float(sum(p > thres for p in peaks) >= need)
    assert raft([video]).tolist() == [want]
    # the registry metric on the same flows (no padding at 128 px) agrees
    assert gl.get_metric("DynamicDegree").compute([np.stack(flows)], None, fps=16.0) == 100.0 * want
    # fps= overrides the clip's rate: at 64 fps every 8th frame -> 1 frame, no pair, static
    fast = gl.get_extractor("raft-large").load(updates=1, fps=64.0)
    assert fast.peaks(video) == ([], 3.0, 0) and fast([video]).tolist() == [0.0]


def test_raft_pads_to_a_multiple_of_eight_and_thresholds_on_the_frame(raft_home):
    raft = gl.get_extractor("raft-large").load(weights=raft_home[1]["weights"], updates=1)
    video = _clip(2, 130, 150, fps=None)
    flows, rate, size = raft.flows(video)
    assert rate == 8.0 and size == (130, 150) and flows[0].shape == (136, 152, 2)
    peaks, thres, need = raft.peaks(video)
    assert thres == 6.0 * 130 / 256 and need == 0
    assert peaks == [pytest.approx(_hand_peak(flows[0]))]  # top 5 % of the padded 136 x 152 flow


def test_raft_missing_weights_and_small_frames(raft_home, tmp_path, monkeypatch):
    from generallevel import InputError

    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(MissingWeightsError, match=r"raft_large_C_T_V1-22a6c225\.pth.*fetch raft-large"):
        gl.get_extractor("raft-large").load()
    raft = gl.get_extractor("raft-large").load(weights=raft_home[1]["weights"], updates=1)
    with pytest.raises(InputError, match="at least 128 px"):
        raft([_clip(2, 64, 200, fps=8.0)])


def test_dynamic_degree_takes_per_video_decisions():
    from generallevel import InputError

    dd = gl.get_metric("DynamicDegree")
    assert dd.compute([1.0, 0.0, 0.0, 1.0], None) == 50.0
    assert dd.compute([True, False, False], None) == pytest.approx(100.0 / 3)
    assert dd.compute(np.array([0.25, 0.75]), None) == 50.0  # scores in [0, 1] average the same way
    with pytest.raises(InputError, match=r"\[0, 1\]"):
        dd.compute([0.0, 2.0], None)
    with pytest.raises(InputError, match="decisions, so threshold cannot apply"):
        dd.compute([1.0, 0.0], None, threshold=2.0)
    with pytest.raises(InputError, match="fps, min_count cannot apply"):
        dd.compute([1.0], None, fps=16.0, min_count=1)
    flow = np.zeros((2, 20, 20, 2))  # flows still read as flows: all still -> static
    assert dd.compute([flow], None) == 0.0


def _write_mp4(path, frames, fps):
    av = pytest.importorskip("av")
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], "yuv420p"
        for f in frames:
            out.mux(stream.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(f), format="rgb24")))
        out.mux(stream.encode())


def test_dynamic_degree_task_scored_from_video_files_through_raft(raft_home, tmp_path, monkeypatch):
    """evaluate: a DynamicDegree task whose predictions are MP4/GIF files goes through raft-large
    (weights and updates from the extractor options); without weights it fails with the fetch command."""
    import json

    PIL = pytest.importorskip("PIL.Image")
    from generallevel.evaluate import evaluate
    from generallevel.media import VideoSpec, decode

    bench, preds = tmp_path / "bench", tmp_path / "preds"
    rel = "video/generation/Dynamic_Video_Generation"
    (bench / rel).mkdir(parents=True)
    (preds / rel / "videos").mkdir(parents=True)
    mp4 = np.asarray(_clip(3, 128, 136, fps=None, seed=1))
    _write_mp4(preds / rel / "videos" / "0.mp4", mp4, 8)  # 3 frames at 8 fps: 2 pairs, 1 needed
    gif = np.asarray(_clip(2, 128, 128, fps=None, seed=2))  # 50 fps (20 ms): every 6th frame -> static
    PIL.fromarray(gif[0]).save(preds / rel / "videos" / "1.gif", save_all=True, append_images=[PIL.fromarray(gif[1])],
                               duration=20, loop=0)
    records = [{"id": str(i), "input": {"prompt": f"a moving scene {i}"}, "output": {}} for i in range(2)]
    (bench / rel / "annotation.json").write_text(json.dumps({"task": "Dynamic Video Generation", "data": records}))
    (preds / rel / "prediction.json").write_text(json.dumps(
        [{"id": "0", "prediction": "videos/0.mp4"}, {"id": "1", "prediction": "videos/1.gif"}]))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "no_weights"))
    options = {"raft-large": {"weights": raft_home[1]["weights"], "updates": 1}}
    task = evaluate(bench, preds, model="m", jobs=1, extractor_options=options).tasks[0]
    assert task.task_id == "dynamic-video-generation" and task.status == "scored", task.error
    # by hand: the decoded clips through the same network and VBench's rule
    raft = gl.get_extractor("raft-large").load(weights=raft_home[1]["weights"], updates=1)
    videos = [decode(preds / rel / "videos" / n, VideoSpec()) for n in ("0.mp4", "1.gif")]
    assert videos[0].fps == 8.0 and videos[1].fps == pytest.approx(50.0)
    peaks, thres, need = raft.peaks(videos[0])
    assert len(peaks) == 2 and (thres, need) == (6.0 * 128 / 256, 1)
    flag = float(sum(p > thres for p in peaks) >= need)
    assert raft.peaks(videos[1])[0] == []  # one sampled frame: no pair, static
    assert task.raw == 100.0 * np.mean([flag, 0.0])
    assert any("raft-large" in note for note in task.notes), task.notes
    _reset_builds()
    missing = evaluate(bench, preds, model="m", jobs=1).tasks[0]
    assert missing.status == "failed" and "generallevel extractors fetch raft-large" in missing.error, missing.error


# -- VBench dimensions (I2V-Composite) ----------------------------------------------------------------
def test_vbench_consistency_rule_by_hand():
    from generallevel_builtin.vbench_dimensions import consistency

    # frames along 0, 60 and 90 degrees: pairs (prev, first) = (cos 60, cos 60), (cos 30, cos 90 = 0)
    deg = np.radians([0, 60, 90])
    feats = np.stack([np.cos(deg), np.sin(deg)], 1) * [[1.0], [2.0], [3.0]]  # lengths do not matter
    want = ((0.5 + 0.5) / 2 + (np.cos(np.radians(30)) + 0.0) / 2) / 2
    assert consistency([feats]) == pytest.approx([want])
    # an opposite frame counts 0, not -1
    assert consistency([np.array([[1.0, 0], [-1.0, 0]])]).tolist() == [0.0]
    with pytest.raises(gl.InputError, match="at least two frames"):
        consistency([np.ones((1, 4))])


def test_subject_consistency_through_dino_and_i2v_rows(tmp_path, monkeypatch):
    from generallevel import MissingDependencyError
    from generallevel_builtin.vbench_dimensions import consistency, i2v_rows, subject_consistency

    opts = tiny_models.save_tiny("dino-vitb16", tmp_path)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    videos = [_clip(4, 32, 40, 8.0, seed=s) for s in (1, 2)]
    got = subject_consistency(videos, model=opts["model"])
    dino = gl.get_extractor("dino-vitb16").load(model=opts["model"])
    assert got == pytest.approx(consistency([dino(list(v)) for v in videos]))
    with pytest.raises(MissingDependencyError, match=r"viclip needs ViCLIP.*motion_smoothness needs AMT-S"):
        i2v_rows(videos, dino_options={"model": opts["model"]})
    rows = i2v_rows(subject=got, dynamic=[1.0, 0.0], viclip=[0.2, 0.3], motion_smoothness=[0.9, 0.95])
    assert rows[1] == {"subject_consistency": got[1], "viclip": 0.3, "dynamic_degree": 0.0, "motion_smoothness": 0.95}
    want = 100 * np.mean([np.mean(got), 0.25, 0.5, 0.925])
    assert gl.get_metric("I2V-Composite").compute(rows, None) == pytest.approx(want)
