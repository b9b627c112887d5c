"""The cheap path of media decoding (one lstat per file, one realpath per folder, no same-mode copy)
gives what the full checks give: the same real paths, the same refusals with the same messages, and
arrays equal byte for byte to an independent Pillow/NumPy decode."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from generallevel.media import FlowSpec, ImageSpec, LabelSpec, MapSpec, MediaError, MediaRoots, decode
from generallevel.media.arrays import write_flo
from generallevel.media_adapter import FileContext, Items

Image = pytest.importorskip("PIL.Image")
RNG = np.random.default_rng(11)


def _outcome(call):
    try:
        return ("ok", call())
    except MediaError as e:
        return ("error", str(e))
    except (ValueError, TypeError) as e:
        return (type(e).__name__, str(e))


@pytest.fixture
def tree(tmp_path):
    """A dataset tree with plain files, a linked folder, a linked file, a link out of the tree, a
    link loop, a frame folder and a fifo; and a folder outside the roots."""
    root, outside = tmp_path / "data", tmp_path / "outside"
    (root / "task" / "images").mkdir(parents=True)
    (root / "task" / "frames").mkdir()
    (root / "shared").mkdir()
    outside.mkdir()
    for folder in (root / "task" / "images", root / "shared", outside, root / "task" / "frames"):
        (folder / "a.png").write_bytes(b"x")
    (root / "task" / "linked").symlink_to(root / "shared")
    (root / "task" / "images" / "link.png").symlink_to(root / "shared" / "a.png")
    (root / "task" / "out").symlink_to(outside)
    (root / "task" / "loop").symlink_to(root / "task" / "loop")
    (root / "task" / "images" / "dangling.png").symlink_to(root / "nowhere.png")
    os.mkfifo(root / "task" / "fifo.png")
    return root


VALUES = ["images/a.png", "images/./a.png", "images//a.png", "./images/a.png", "images/../images/a.png",
          "linked/a.png", "linked/../task/images/a.png", "images/link.png", "out/a.png", "loop/a.png", "loop",
          "images/missing.png", "missing/a.png", "images/a.png/b.png", "images", "images/", "frames", "frames/.",
          ".", "..", "../..", "../../outside/a.png", "images/dangling.png", "fifo.png", "http://x/a.png",
          "data:image/png;base64,AAAA", "bad\0name.png", "", "..png", "images\\a.png"]


@pytest.mark.parametrize("folder_ok", [False, True])
@pytest.mark.parametrize("relative_base", [False, True])
def test_locate_agrees_with_the_full_check(tree, folder_ok, relative_base, monkeypatch):
    base = tree / "task"
    if relative_base:
        monkeypatch.chdir(base)
        base = "" if folder_ok else Path("../task")
    values = VALUES + [str(tree / "task" / "images" / "a.png"), str(tree.parent / "outside" / "a.png"), "/"]
    roots = MediaRoots([tree])
    for value in values + values:  # twice: the second time with the folders' real paths cached
        fast = _outcome(lambda: roots.resolve(value, base, folder_ok=folder_ok))
        full = _outcome(lambda: MediaRoots([tree])._resolve(value, base, folder_ok=folder_ok))
        assert fast == full, value
        located = _outcome(lambda: roots.locate(value, base, folder_ok=folder_ok))
        if full[0] == "ok":
            assert located == ("ok", (str(full[1]), full[1].is_dir())), value


def test_roots_pickle_without_their_cache(tree):
    roots = MediaRoots([tree, tree.parent / "outside"])
    roots.resolve("images/a.png", tree / "task")
    copy = pickle.loads(pickle.dumps(roots))
    assert copy.roots == roots.roots and copy._real_dirs == {}
    assert copy.resolve("images/a.png", tree / "task") == roots.resolve("images/a.png", tree / "task")
    with pytest.raises(MediaError, match="outside the allowed trees"):
        copy.resolve("../../elsewhere/a.png", tree / "task")


def _write_images(folder: Path) -> dict[str, tuple[str, object]]:
    rgb = RNG.integers(0, 256, (7, 9, 3), dtype=np.uint8)
    grey = RNG.integers(0, 256, (7, 9), dtype=np.uint8)
    labels = RNG.integers(0, 5, (7, 9), dtype=np.uint8)
    Image.fromarray(rgb).save(folder / "rgb.png")
    Image.fromarray(np.dstack([rgb, grey])).save(folder / "rgba.png")
    Image.fromarray(grey).save(folder / "grey.png")
    pal = Image.fromarray(labels, mode="L").convert("P")
    pal.putpalette([v for i in range(256) for v in (i, 255 - i, i // 2)])
    pal.save(folder / "pal.png")
    np.save(folder / "depth.npy", RNG.random((7, 9)).astype(np.float32))
    write_flo(folder / "f.flo", RNG.standard_normal((7, 9, 2)).astype(np.float32))
    return {"rgb.png": ImageSpec("RGB"), "rgba.png": ImageSpec("RGB"), "grey.png": ImageSpec("RGB"),
            "pal.png": LabelSpec(), "depth.npy": MapSpec(), "f.flo": FlowSpec()}


def _independent(path: Path, spec) -> np.ndarray:
    if path.suffix == ".npy":
        return np.load(path).astype(np.float32)
    if path.suffix == ".flo":
        return np.fromfile(path, "<f4")[3:].reshape(7, 9, 2)
    img = Image.open(path)
    return np.array(img) if isinstance(spec, LabelSpec) else np.array(img.convert(spec.mode))


def test_items_decode_equals_an_independent_decode(tmp_path):
    task = tmp_path / "task"
    task.mkdir()
    specs = _write_images(task)
    items = Items(FileContext(MediaRoots([tmp_path]), task), "PSNR")
    for name, spec in specs.items():
        for _ in range(2):
            got = items.decode(name, task, spec, {"id": name}, "prediction")
            want = _independent(task / name, spec)
            assert got.dtype == want.dtype and got.shape == want.shape and got.tobytes() == want.tobytes(), name
            assert got.flags.writeable
        assert np.array_equal(decode(str(task / name), spec), got)
    assert not items.failed


def test_items_failures_read_as_before(tmp_path):
    task = tmp_path / "task"
    (task / "sub").mkdir(parents=True)
    Image.fromarray(np.zeros((2, 2), np.uint8)).save(task / "sub" / "x.png")
    items = Items(FileContext(MediaRoots([task]), task), "PSNR")
    for value in ("sub", "missing.png", "../escape.png", "sub/x.png/y.png"):
        assert items.decode(value, task, ImageSpec(), {"id": value}, "prediction") is None
    assert items.failed == [
        f"'sub' (prediction): {task / 'sub'}: is a folder, not a file",
        f"'missing.png' (prediction): {task / 'missing.png'}: no such file (named 'missing.png' in {task})",
        f"'../escape.png' (prediction): {task / '../escape.png'}: names {tmp_path / 'escape.png'}, outside the "
        f"allowed trees ({task}); refused",
        f"'sub/x.png/y.png' (prediction): {task / 'sub/x.png/y.png'}: no such file (named 'sub/x.png/y.png' in "
        f"{task})",
    ]
    frames = items.decode("sub", task, LabelSpec(), {"id": "f"}, "reference")
    assert frames.shape == (1, 2, 2)


def test_plain_files_and_folders_take_the_cheap_path(tree, monkeypatch):
    roots = MediaRoots([tree])
    monkeypatch.setattr(MediaRoots, "_slow", lambda *a: pytest.fail(f"full check for {a[1:]}"))
    base = tree / "task"
    assert roots.locate("images/a.png", base) == (str(base / "images" / "a.png"), False)
    assert roots.locate("linked/a.png", base) == (str(tree / "shared" / "a.png"), False)
    assert roots.locate("frames", base, folder_ok=True) == (str(base / "frames"), True)
    assert list(roots._real_dirs) == [f"{base}/images", f"{base}/linked", str(base)]


@pytest.mark.parametrize("kinds", [("image",), ("image", "array", "flow")])
def test_folder_files_lists_what_iterdir_and_is_file_list(tmp_path, kinds):
    from generallevel.media import file_kind
    from generallevel.media.paths import folder_files

    folder = tmp_path / "frames"
    folder.mkdir()
    for name in ("b.png", "a.PNG", "c.jpg", "10.png", "9.png", "d.npy", "e.flo", "notes.txt", "..png", ".png", "f.",
                 "g.png.bak", "h"):
        (folder / name).write_bytes(b"x")
    (folder / "sub.png").mkdir()
    (folder / "link.png").symlink_to(folder / "b.png")
    (folder / "dangling.png").symlink_to(folder / "nowhere.png")
    (folder / "loop.png").symlink_to(folder / "loop.png")
    os.mkfifo(folder / "fifo.png")
    want = sorted(p for p in folder.iterdir() if p.is_file() and file_kind(p) in kinds)
    got = folder_files(folder, kinds)
    assert got == want and [type(p) for p in got] == [type(p) for p in want]
    assert len(got) == (7 if kinds == ("image",) else 9)


def test_frame_folders_decode_to_the_stacked_frames(tmp_path):
    from generallevel.media import VideoSpec

    colour = RNG.integers(0, 256, (3, 5, 6, 3), dtype=np.uint8)
    grey = RNG.integers(0, 256, (3, 5, 6), dtype=np.uint8)
    for clip, frames in (("colour", colour), ("grey", grey)):
        (tmp_path / clip).mkdir()
        (tmp_path / clip / "readme.txt").write_text("not a frame")
        for i, f in enumerate(frames):
            Image.fromarray(f).save(tmp_path / clip / f"{i:03d}.png")
    items = Items(FileContext(MediaRoots([tmp_path]), tmp_path), "PSNR")
    for clip, spec, want in (("colour", VideoSpec(), colour), ("grey", LabelSpec(), grey), ("grey", MapSpec(), None)):
        got = items.decode(clip, tmp_path, spec, {"id": clip}, "prediction")
        want = (grey.astype(np.float32) / np.float32(255)) if want is None else want
        assert got.dtype == want.dtype and got.shape == want.shape and got.tobytes() == want.tobytes()
    assert not items.failed
