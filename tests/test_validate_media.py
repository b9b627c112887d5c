"""`tasks validate` checks the media files annotations and predictions name: present, inside their
tree, with a readable header (generallevel.media.probe)."""

from __future__ import annotations

import json
import struct
import wave
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from generallevel.cli import main
from generallevel.media import MediaError
from generallevel.media.arrays import write_flo
from generallevel.media.probe import probe
from generallevel.validate import validate
from generallevel.validate_media import validate_predictions

PIL = pytest.importorskip("PIL.Image")


def _png(path: Path, h: int = 6, w: int = 9) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    PIL.fromarray(np.zeros((h, w, 3), np.uint8)).save(path)
    return path


def _wav(path: Path, frames: int = 160) -> Path:
    with wave.open(str(path), "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(16000)
        f.writeframes(b"\0\0" * frames)
    return path


def test_probe_reads_headers_and_names_the_file(tmp_path):
    assert probe(_png(tmp_path / "a.png")) == "image 9 x 6 RGB"
    assert probe(_wav(tmp_path / "a.wav")).startswith("audio 16000 Hz, 1 channel(s), 160 samples")
    np.save(tmp_path / "a.npy", np.zeros((2, 3), np.float32))
    assert probe(tmp_path / "a.npy") == "npy float32 (2, 3)"
    write_flo(tmp_path / "a.flo", np.zeros((4, 5, 2), np.float32))
    assert probe(tmp_path / "a.flo") == "flow 5 x 4"
    (tmp_path / "a.ply").write_bytes(b"ply\nformat ascii 1.0\nend_header\n")
    assert probe(tmp_path / "a.ply").startswith("ply file")
    bad = {
        "b.png": (b"\x89PNG not really", "not a readable image"),
        "b.wav": (b"RIFF....WAVEjunk", "not a readable audio file"),
        "b.npy": (b"\x93NUMPY garbage", "not a readable .npy file"),
        "b.flo": (struct.pack("<fii", 202021.25, 5, 4) + b"\0" * 8, "does not match the file's 20 bytes"),
        "b.ply": (b"solid x\n", "not a PLY file"),
        "b.mp4": (b"\0\0\0\x18ftypmp42 truncated", "not a readable video file"),
        "e.png": (b"", "is empty"),
    }
    for name, (data, why) in bad.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(MediaError, match=why) as info:
            probe(tmp_path / name)
        assert name in str(info.value)


def _predictions(tmp_path: Path) -> Path:
    tree = tmp_path / "preds"
    task = tree / "image" / "generation" / "Edge-to-Image Generation"
    _png(task / "outputs" / "0.png")
    (task / "outputs" / "2.png").write_bytes(b"not a png")
    (tmp_path / "secret.png").write_bytes(b"x")
    items = [{"id": "0", "prediction": "outputs/0.png"},
             {"id": "1", "prediction": {"image": "outputs/missing.png"}},
             {"id": "2", "prediction": "outputs/2.png"},
             {"id": "3", "prediction": "../../../../secret.png"},
             {"id": "4", "prediction": "a caption, not a file"}]
    task.mkdir(parents=True, exist_ok=True)
    (task / "predictions.json").write_text(json.dumps({"task": "Edge-to-Image Generation", "data": items}))
    return tree


def test_validate_predictions_lists_every_bad_file(tmp_path):
    tree = _predictions(tmp_path)
    report = validate_predictions(tree)
    got = {p.where.rpartition("item ")[2]: p.message for p in report.problems}
    assert set(got) == {"'1' (prediction)", "'2' (prediction)", "'3' (prediction)"}
    assert "no such file" in got["'1' (prediction)"]
    assert "not a readable image" in got["'2' (prediction)"]
    assert "outside the allowed trees" in got["'3' (prediction)"]
    assert any("4 media file(s) checked" in n for n in report.notes)


def test_tasks_validate_checks_annotation_outputs_and_predictions(tmp_path):
    data = tmp_path / "data"
    task = data / "image" / "generation" / "Edge-to-Image Generation"
    _png(task / "images" / "gt_0.png")
    items = [{"id": str(i), "input": {"image": f"edges/{i}.png"}, "output": {"image": f"images/gt_{i}.png"}}
             for i in range(2)]
    task.mkdir(parents=True, exist_ok=True)
    (task / "annotation.json").write_text(json.dumps({"task": "Edge-to-Image Generation", "type": "t", "data": items}))
    report = validate(data, sample=0)
    media = [p for p in report.problems if "(reference)" in p.where]
    assert len(media) == 1 and "item '1'" in media[0].where and "no such file" in media[0].message
    result = CliRunner().invoke(main, ["tasks", "validate", str(data), "--sample", "0",
                                       "--predictions", str(_predictions(tmp_path))])
    assert result.exit_code == 1
    assert "gt_1.png" in result.stdout and "missing.png" in result.stdout and "outside the allowed trees" in result.stdout
