"""generallevel.media: each decoder checked against files written here with known pixels, samples and
points (by the standard library or another writer than the one that reads), and each bad file a
clear error naming it."""

from __future__ import annotations

import math
import struct
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from generallevel import MissingDependencyError
from generallevel.media import (
    AudioSpec, FlowSpec, ImageSpec, LabelSpec, MapSpec, MediaError, MediaRoots, PointsSpec, VideoSpec, decode,
    looks_like_media_path,
)

PIL = pytest.importorskip("PIL.Image")
av = pytest.importorskip("av")
sf = pytest.importorskip("soundfile")

RNG = np.random.default_rng(7)


def raises_naming(path: Path, match: str):
    """pytest.raises for a MediaError whose message starts with the file and contains ``match``."""
    ctx = pytest.raises(MediaError, match=match)

    class _Check:
        def __enter__(self):
            self.info = ctx.__enter__()
            return self.info

        def __exit__(self, *exc):
            out = ctx.__exit__(*exc)
            assert str(self.info.value).startswith(str(path)), str(self.info.value)
            return out

    return _Check()


# -- images -------------------------------------------------------------------------------------
def test_png_rgb_exact_and_grey_palette_rgba_converted(tmp_path):
    rgb = RNG.integers(0, 256, (5, 7, 3), dtype=np.uint8)
    PIL.fromarray(rgb).save(tmp_path / "a.png")
    out = decode(tmp_path / "a.png", ImageSpec())
    assert out.dtype == np.uint8 and out.shape == (5, 7, 3) and np.array_equal(out, rgb)
    assert out.flags.writeable  # torch.from_numpy warns on read-only memory

    grey = RNG.integers(0, 256, (4, 6), dtype=np.uint8)
    PIL.fromarray(grey).save(tmp_path / "g.png")
    assert np.array_equal(decode(tmp_path / "g.png", ImageSpec()), np.repeat(grey[..., None], 3, axis=2))
    assert np.array_equal(decode(tmp_path / "g.png", ImageSpec("L")), grey)

    rgba = np.dstack([rgb, np.full((5, 7), 9, np.uint8)])
    PIL.fromarray(rgba, "RGBA").save(tmp_path / "a4.png")
    assert np.array_equal(decode(tmp_path / "a4.png", ImageSpec()), rgb)  # alpha dropped, colours kept

    pal = PIL.new("P", (3, 2))
    pal.putpalette([10, 20, 30, 200, 100, 50] + [0] * 762)
    pal.putdata([0, 1, 1, 0, 0, 1])
    pal.save(tmp_path / "p.png")
    expect = np.array([[[10, 20, 30], [200, 100, 50], [200, 100, 50]], [[10, 20, 30], [10, 20, 30], [200, 100, 50]]])
    assert np.array_equal(decode(tmp_path / "p.png", ImageSpec()), expect)


def test_jpeg_and_webp(tmp_path):
    flat = np.zeros((16, 16, 3), np.uint8) + np.array([200, 40, 90], np.uint8)
    PIL.fromarray(flat).save(tmp_path / "f.jpg", quality=95)
    assert np.abs(decode(tmp_path / "f.jpg", ImageSpec()).astype(int) - flat).max() <= 3  # lossy, flat colour
    noisy = RNG.integers(0, 256, (9, 11, 3), dtype=np.uint8)
    PIL.fromarray(noisy).save(tmp_path / "n.webp", lossless=True)
    assert np.array_equal(decode(tmp_path / "n.webp", ImageSpec()), noisy)


def test_sixteen_bit_png_is_a_map_not_an_8bit_image(tmp_path):
    raw = np.array([[0, 256, 512], [65535, 1000, 25600]], dtype=np.uint16)
    PIL.fromarray(raw).save(tmp_path / "d.png")  # mode I;16
    with raises_naming(tmp_path / "d.png", "16-bit or float"):
        decode(tmp_path / "d.png", ImageSpec())
    np.testing.assert_array_equal(decode(tmp_path / "d.png", MapSpec(256.0)), raw / 256.0)  # KITTI depth
    np.testing.assert_allclose(decode(tmp_path / "d.png", MapSpec()), raw / 65535.0, rtol=1e-6)
    eight = np.array([[0, 51, 255]], np.uint8)
    PIL.fromarray(eight).save(tmp_path / "m.png")
    np.testing.assert_allclose(decode(tmp_path / "m.png", MapSpec()), [[0.0, 0.2, 1.0]], rtol=1e-6)


def test_label_maps_palette_grey_binary_and_colour_refused(tmp_path):
    idx = np.array([[0, 1, 2], [2, 2, 0]], np.uint8)
    pal = PIL.fromarray(idx, "P")
    pal.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0] + [0] * 759)  # colours say nothing about the ids
    pal.save(tmp_path / "l.png")
    out = decode(tmp_path / "l.png", LabelSpec())
    assert out.dtype.kind in "iu" and np.array_equal(out, idx) and out.flags.writeable

    PIL.fromarray(np.array([[0, 255, 128, 127]], np.uint8)).save(tmp_path / "b.png")
    assert decode(tmp_path / "b.png", LabelSpec(binary=True)).tolist() == [[0, 1, 1, 0]]
    PIL.fromarray(np.array([[0, 1, 1]], np.uint8)).save(tmp_path / "01.png")
    assert decode(tmp_path / "01.png", LabelSpec(binary=True)).tolist() == [[0, 1, 1]]
    wide = np.array([[0, 300, 4000]], np.uint16)
    PIL.fromarray(wide).save(tmp_path / "w.png")
    assert decode(tmp_path / "w.png", LabelSpec()).tolist() == [[0, 300, 4000]]

    colour = np.zeros((2, 2, 3), np.uint8)
    colour[0, 0] = (255, 0, 0)
    PIL.fromarray(colour).save(tmp_path / "c.png")
    with raises_naming(tmp_path / "c.png", "colour image"):
        decode(tmp_path / "c.png", LabelSpec())
    np.save(tmp_path / "l.npy", idx.astype(np.int32))
    assert np.array_equal(decode(tmp_path / "l.npy", LabelSpec()), idx)


def test_unreadable_and_truncated_images_name_the_file(tmp_path):
    (tmp_path / "junk.png").write_bytes(b"not an image at all")
    with raises_naming(tmp_path / "junk.png", "not a readable image"):
        decode(tmp_path / "junk.png", ImageSpec())
    PIL.fromarray(RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(tmp_path / "t.png")
    data = (tmp_path / "t.png").read_bytes()
    (tmp_path / "t.png").write_bytes(data[: len(data) // 2])
    with raises_naming(tmp_path / "t.png", "cannot decode image"):
        decode(tmp_path / "t.png", ImageSpec())
    with raises_naming(tmp_path / "x.wav", "expected an image"):
        decode(tmp_path / "x.wav", ImageSpec())


# -- flow and arrays ----------------------------------------------------------------------------
def _write_flo_by_hand(path: Path, flow: np.ndarray) -> None:
    h, w, _ = flow.shape
    path.write_bytes(b"PIEH" + struct.pack("<ii", w, h) + flow.astype("<f4").tobytes())


def test_flo_files(tmp_path):
    flow = RNG.normal(0, 3, (4, 5, 2)).astype(np.float32)
    _write_flo_by_hand(tmp_path / "f.flo", flow)
    out = decode(tmp_path / "f.flo", FlowSpec())
    assert out.dtype == np.float32 and np.array_equal(out, flow)
    (tmp_path / "bad.flo").write_bytes(b"XXXX" + struct.pack("<ii", 5, 4) + flow.tobytes())
    with raises_naming(tmp_path / "bad.flo", "not a Middlebury"):
        decode(tmp_path / "bad.flo", FlowSpec())
    (tmp_path / "short.flo").write_bytes((tmp_path / "f.flo").read_bytes()[:-8])
    with raises_naming(tmp_path / "short.flo", "holds 38"):
        decode(tmp_path / "short.flo", FlowSpec())
    np.save(tmp_path / "chw.npy", flow.transpose(2, 0, 1))
    assert np.array_equal(decode(tmp_path / "chw.npy", FlowSpec()), flow)


def test_pickled_npy_is_refused(tmp_path):
    np.save(tmp_path / "o.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with raises_naming(tmp_path / "o.npy", "not a plain numeric"):
        decode(tmp_path / "o.npy", MapSpec())
    np.savez(tmp_path / "two.npz", a=np.zeros(3), b=np.ones(3))
    with raises_naming(tmp_path / "two.npz", "holds 2 arrays"):
        decode(tmp_path / "two.npz", PointsSpec())


# -- video --------------------------------------------------------------------------------------
def _write_video(path: Path, frames: np.ndarray, codec: str, fps: int = 10, pix_fmt: str = "yuv420p") -> None:
    with av.open(str(path), "w") as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], pix_fmt
        for f in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)


def _colours(n: int, h: int = 32, w: int = 48) -> np.ndarray:
    """n flat frames of distinct colours (frame k has red = 20 k)."""
    return np.stack([np.broadcast_to(np.array([20 * k, 100, 255 - 20 * k], np.uint8), (h, w, 3)) for k in range(n)])


def test_lossless_video_is_exact_and_carries_fps(tmp_path):
    frames = RNG.integers(0, 256, (6, 16, 24, 3), dtype=np.uint8)
    _write_video(tmp_path / "v.mkv", frames, "ffv1", fps=12, pix_fmt="bgr0")
    out = decode(tmp_path / "v.mkv", VideoSpec())
    assert out.dtype == np.uint8 and out.shape == (6, 16, 24, 3) and np.array_equal(out, frames)
    assert out.fps == pytest.approx(12.0)
    assert out[1:].fps == pytest.approx(12.0)  # slices keep the rate


def test_mp4_h264_frames_and_even_subsampling(tmp_path):
    frames = _colours(9)
    _write_video(tmp_path / "c.mp4", frames, "libx264", fps=25)
    out = decode(tmp_path / "c.mp4", VideoSpec())
    assert out.shape == frames.shape and out.fps == pytest.approx(25.0)
    assert np.abs(out.astype(int) - frames).max() <= 6  # lossy, flat colours
    few = decode(tmp_path / "c.mp4", VideoSpec(max_frames=3))  # frames 0, 4, 8
    assert few.shape[0] == 3
    assert [int(round(f[..., 0].mean() / 20)) for f in few] == [0, 4, 8]


def test_gif_written_by_pillow_and_frame_folders(tmp_path):
    frames = _colours(4, 10, 12)
    PIL.fromarray(frames[0]).save(tmp_path / "a.gif", save_all=True, append_images=[PIL.fromarray(f) for f in frames[1:]],
                                  duration=100, loop=0)
    out = decode(tmp_path / "a.gif", VideoSpec())
    assert out.shape == (4, 10, 12, 3) and np.abs(out.astype(int) - frames).max() <= 8  # GIF palette
    (tmp_path / "clip").mkdir()
    for k, f in enumerate(frames[::-1]):  # written in reverse, named in order
        PIL.fromarray(f).save(tmp_path / "clip" / f"{3 - k:03d}.png")
    folder = decode(tmp_path / "clip", VideoSpec())
    assert np.array_equal(folder, frames) and folder.fps is None


def test_empty_and_corrupt_videos_name_the_file(tmp_path):
    with av.open(str(tmp_path / "zero.mp4"), "w") as out:  # a stream, no frames
        s = out.add_stream("libx264", rate=10)
        s.width, s.height, s.pix_fmt = 16, 16, "yuv420p"
    with raises_naming(tmp_path / "zero.mp4", "no video frames|cannot decode"):
        decode(tmp_path / "zero.mp4", VideoSpec())
    (tmp_path / "junk.mp4").write_bytes(b"\x00" * 100)
    with raises_naming(tmp_path / "junk.mp4", "cannot decode video"):
        decode(tmp_path / "junk.mp4", VideoSpec())
    (tmp_path / "empty").mkdir()
    with raises_naming(tmp_path / "empty", "without image frames"):
        decode(tmp_path / "empty", VideoSpec())


def test_oversized_clips_are_refused_before_filling_memory(tmp_path, monkeypatch):
    from generallevel.media import spec

    frames = _colours(4, 16, 16)
    _write_video(tmp_path / "v.mp4", frames, "libx264")
    (tmp_path / "wav").mkdir()
    _write_wav_stdlib(tmp_path / "wav" / "a.wav", [np.zeros(1000)], 8000)
    monkeypatch.setattr(spec, "MAX_VIDEO_BYTES", 2 * 16 * 16 * 3)  # two frames' worth
    with raises_naming(tmp_path / "v.mp4", "more than"):
        decode(tmp_path / "v.mp4", VideoSpec())
    with raises_naming(tmp_path / "wav" / "a.wav", "more than"):
        decode(tmp_path / "wav" / "a.wav", AudioSpec(8000))


# -- audio --------------------------------------------------------------------------------------
def _write_wav_stdlib(path: Path, channels: list[np.ndarray], rate: int) -> None:
    """16-bit PCM through the standard library's wave module (not soundfile, which reads it)."""
    data = np.stack(channels, axis=1)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(len(channels))
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(data.astype("<i2").tobytes())


def test_wav_mono_stereo_and_the_declared_rate(tmp_path):
    left = RNG.integers(-20000, 20000, 400)
    right = RNG.integers(-20000, 20000, 400)
    _write_wav_stdlib(tmp_path / "m.wav", [left], 16000)
    out = decode(tmp_path / "m.wav", AudioSpec(16000))
    assert out.dtype == np.float32 and out.ndim == 1
    np.testing.assert_allclose(out, left / 32768.0, atol=1e-7)
    _write_wav_stdlib(tmp_path / "s.wav", [left, right], 16000)
    np.testing.assert_allclose(decode(tmp_path / "s.wav", AudioSpec(16000)), (left + right) / 2 / 32768.0, atol=1e-6)


def test_resampling_keeps_the_tone_and_can_be_refused(tmp_path):
    t8 = np.arange(8000) / 8000.0
    _write_wav_stdlib(tmp_path / "tone.wav", [np.round(16000 * np.sin(2 * math.pi * 440 * t8))], 8000)
    out = decode(tmp_path / "tone.wav", AudioSpec(16000))
    assert len(out) == 16000
    t16 = np.arange(16000) / 16000.0
    inner = slice(400, -400)  # away from the filter's edge transients
    np.testing.assert_allclose(out[inner], (16000 / 32768.0) * np.sin(2 * math.pi * 440 * t16)[inner], atol=5e-3)
    with raises_naming(tmp_path / "tone.wav", "8000 Hz; 16000 Hz is needed"):
        decode(tmp_path / "tone.wav", AudioSpec(16000, resample=False))


@pytest.mark.parametrize("fmt,suffix,tol", [("FLAC", ".flac", 1e-4), ("OGG", ".ogg", 0.05), ("MP3", ".mp3", 0.1)])
def test_compressed_audio(tmp_path, fmt, suffix, tol):
    t = np.arange(16000) / 16000.0
    tone = (0.5 * np.sin(2 * math.pi * 330 * t)).astype(np.float32)
    if fmt not in sf.available_formats():
        pytest.skip(f"libsndfile without {fmt}")
    sf.write(tmp_path / f"a{suffix}", tone, 16000, format=fmt)
    out = decode(tmp_path / f"a{suffix}", AudioSpec(16000))
    assert out.dtype == np.float32 and abs(len(out) - 16000) <= 2000  # codec padding
    n = min(len(out), 16000)
    if fmt == "FLAC":
        np.testing.assert_allclose(out[:n], tone[:n], atol=tol)
    else:  # lossy codecs may delay: compare loudness
        assert np.sqrt(np.mean(out ** 2)) == pytest.approx(0.5 / math.sqrt(2), abs=tol)


def test_bad_audio_names_the_file(tmp_path):
    (tmp_path / "x.wav").write_bytes(b"RIFF....WAVEjunk")
    with raises_naming(tmp_path / "x.wav", "cannot decode audio"):
        decode(tmp_path / "x.wav", AudioSpec())
    _write_wav_stdlib(tmp_path / "empty.wav", [np.zeros(0)], 16000)
    with raises_naming(tmp_path / "empty.wav", "no audio samples"):
        decode(tmp_path / "empty.wav", AudioSpec())


# -- point clouds and meshes --------------------------------------------------------------------
POINTS = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]])


def test_ascii_ply_obj_off_xyz_npy(tmp_path):
    head = "ply\nformat ascii 1.0\nelement vertex 4\nproperty double x\nproperty double y\nproperty double z\n"
    (tmp_path / "a.ply").write_text(head + "end_header\n" + "".join(f"{x} {y} {z}\n" for x, y, z in POINTS))
    (tmp_path / "a.obj").write_text("".join(f"v {x} {y} {z}\n" for x, y, z in POINTS) + "f 1 2 3\nf 1 3 4\n")
    (tmp_path / "a.off").write_text("OFF\n4 2 0\n" + "".join(f"{x} {y} {z}\n" for x, y, z in POINTS)
                                    + "3 0 1 2\n3 0 2 3\n")
    (tmp_path / "a.xyz").write_text("".join(f"{x} {y} {z}\n" for x, y, z in POINTS))
    np.save(tmp_path / "a.npy", np.hstack([POINTS, np.ones((4, 3))]))  # xyz + normals: xyz kept
    for name in ("a.ply", "a.obj", "a.off", "a.xyz", "a.npy"):
        out = decode(tmp_path / name, PointsSpec())
        assert out.dtype == np.float64 and out.shape == (4, 3), name
        np.testing.assert_array_equal(out, POINTS, err_msg=name)


def test_binary_ply_with_faces_and_surface_sampling(tmp_path):
    from plyfile import PlyData, PlyElement

    v = np.array([tuple(p) for p in POINTS], dtype=[("x", "f4"), ("y", "f4"), ("z", "f4")])
    f = np.array([([0, 1, 2, 3],)], dtype=[("vertex_indices", "i4", (4,))])  # one quad
    PlyData([PlyElement.describe(v, "vertex"), PlyElement.describe(f, "face")], text=False).write(str(tmp_path / "q.ply"))
    np.testing.assert_array_equal(decode(tmp_path / "q.ply", PointsSpec()), POINTS)
    pts = decode(tmp_path / "q.ply", PointsSpec(mesh_points=500))
    assert pts.shape == (500, 3) and np.all(pts[:, 2] == 0) and pts[:, :2].min() >= 0 and pts[:, :2].max() <= 1
    assert np.array_equal(pts, decode(tmp_path / "q.ply", PointsSpec(mesh_points=500)))  # seeded
    assert pts[:, 0].mean() == pytest.approx(0.5, abs=0.06)  # uniform over the square


def test_nan_vertices_and_empty_clouds_name_the_file(tmp_path):
    (tmp_path / "nan.obj").write_text("v 0 0 0\nv nan 1 0\nv 1 1 0\nf 1 2 3\n")
    with raises_naming(tmp_path / "nan.obj", "NaN or infinite"):
        decode(tmp_path / "nan.obj", PointsSpec())
    head = "ply\nformat ascii 1.0\nelement vertex 0\nproperty float x\nproperty float y\nproperty float z\nend_header\n"
    (tmp_path / "e.ply").write_text(head)
    with raises_naming(tmp_path / "e.ply", "holds no points"):
        decode(tmp_path / "e.ply", PointsSpec())
    (tmp_path / "bad.ply").write_text("ply\nformat nonsense\n")
    with raises_naming(tmp_path / "bad.ply", "cannot read PLY"):
        decode(tmp_path / "bad.ply", PointsSpec())


# -- paths --------------------------------------------------------------------------------------
def test_paths_resolve_relative_to_the_json_folder_and_stay_in_the_trees(tmp_path):
    data, preds, outside = tmp_path / "data", tmp_path / "preds", tmp_path / "secret"
    for d in (data / "task" / "images", preds / "task", outside):
        d.mkdir(parents=True)
    (data / "task" / "images" / "gt.png").write_bytes(b"x")
    (outside / "s.png").write_bytes(b"x")
    (preds / "task" / "link.png").symlink_to(outside / "s.png")
    roots = MediaRoots([data, preds])
    assert roots.resolve("images/gt.png", data / "task") == (data / "task" / "images" / "gt.png").resolve()
    assert roots.resolve("../../data/task/images/gt.png", preds / "task") == (data / "task" / "images" / "gt.png").resolve()
    for bad, why in (("../../secret/s.png", "outside the allowed trees"), ("../task/../../secret/s.png", "outside"),
                     (str(outside / "s.png"), "outside the allowed trees"), ("nope.png", "no such file"),
                     ("https://example.org/x.png", "is a URL")):
        with pytest.raises(MediaError, match=why):
            roots.resolve(bad, preds / "task")
    # a link placed inside a tree (shared storage, an editable install's link tree) is followed
    assert roots.resolve("link.png", preds / "task") == (outside / "s.png").resolve()
    assert looks_like_media_path("outputs/x.PNG") and looks_like_media_path("a.ply")
    assert not looks_like_media_path("a cat on a mat.") and not looks_like_media_path("v1.2") and not looks_like_media_path(3)


def test_a_missing_media_library_says_which_extra(tmp_path, monkeypatch):
    PIL.fromarray(np.zeros((2, 2), np.uint8)).save(tmp_path / "z.png")
    for mod in [m for m in sys.modules if m == "PIL" or m.startswith("PIL.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(MissingDependencyError, match=r"Pillow.*generallevel\[media\]"):
        decode(tmp_path / "z.png", ImageSpec())
