"""Submission archives: every hostile or malformed archive is refused with one clear message, nothing
lands outside a temporary folder, and a good archive scores like `evaluate`."""

from __future__ import annotations

import io
import json
import stat
import struct
import tempfile
import warnings
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from generallevel.cli import main
from generallevel.errors import InputError
from generallevel.evaluate import DEMO_DATASET, DEMO_PREDICTIONS, evaluate
from generallevel.submission import (
    check_submission, copy_limited, known_leaderboards, parse_archive_name, score_submission,
)

GOOD = json.dumps([{"id": 1, "prediction": "a"}, {"id": "2", "prediction": "b"}])
IMG = "image/comprehension/Bird-Detection/prediction.json"


@pytest.fixture(autouse=True)
def private_tmp(tmp_path, monkeypatch):
    """Extraction happens below this folder, so tests can see that nothing is left behind."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp))
    return tmp


def _zip(path: Path, members: dict[str, str | bytes], **zkw) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # duplicate names on purpose
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, **zkw) as zf:
            for name, data in members.items() if isinstance(members, dict) else members:
                zf.writestr(name, data)
    return path


def _refused(path: Path, match: str, **kw) -> str:
    with pytest.raises(InputError, match=match) as e:
        check_submission(path, **kw)
    return str(e.value)


def _json_only(f: Path) -> bool:
    """Archives carry prediction.json files (and their folders): the demo's media outputs stay out."""
    return f.name == "prediction.json" or (f.is_dir() and any(f.rglob("prediction.json")))


def _demo_archive(path: Path, only: tuple[str, ...] = ()) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(DEMO_PREDICTIONS.rglob("*")):
            rel = f.relative_to(DEMO_PREDICTIONS).as_posix()
            if (not only or rel.split("/")[0] in only) and _json_only(f):
                zf.write(f, rel)  # folders too, as `zip -r` does
    return path


def test_good_archive(tmp_path, private_tmp):
    info = check_submission(_demo_archive(tmp_path / "demo-omni-scope-a.zip"))
    assert (info.model, info.leaderboard_id, info.board.scope) == ("demo-omni", "scope-a", "A")
    files = sorted(DEMO_PREDICTIONS.rglob("prediction.json"))
    assert len(info.members) == len(files)
    assert sum(m.predictions for m in info.members) == sum(len(json.loads(f.read_text())) for f in files)
    assert info.total_bytes == sum(f.stat().st_size for f in files)
    assert all(m.task_id for m in info.members)
    assert list(private_tmp.iterdir()) == []  # the extraction folder is gone


def test_archive_names():
    boards = known_leaderboards()
    assert parse_archive_name("my-model-v2-scope-c-image-comprehension.zip", boards) == \
        ("my-model-v2", "scope-c-image-comprehension")
    assert parse_archive_name("a-scope-model-scope-a.zip", boards) == ("a-scope-model", "scope-a")
    assert parse_archive_name("M-SCOPE-B-IMAGE-VIDEO.ZIP", boards) == ("M", "scope-b-image-video")
    for name, msg in [("model.zip", "must be \\[model\\]-\\[leaderboard-id\\].zip"),
                      ("model-scope-a.tar.gz", "must be a .zip"),
                      ("-scope-a.zip", "must be \\[model\\]"),
                      ("my model-scope-a.zip", "model name 'my model'"),
                      ("../x-scope-a.zip", "model name"),
                      ("m-scope-e.zip", "unknown leaderboard id 'scope-e'"),
                      ("m-scope-c-image-comprehensoin.zip", "did you mean scope-c-image-comprehension")]:
        with pytest.raises(InputError, match=msg):
            parse_archive_name(name, boards)


def test_bad_name_and_unknown_id_refused_before_reading(tmp_path):
    _refused(_zip(tmp_path / "model.zip", {IMG: GOOD}), "leaderboard-id")
    _refused(_zip(tmp_path / "m-scope-x.zip", {IMG: GOOD}), "unknown leaderboard id 'scope-x'")
    (tmp_path / "m-scope-a.zip").write_bytes(b"PK\x03\x04 not really a zip")
    _refused(tmp_path / "m-scope-a.zip", "not a readable zip archive")
    _refused(tmp_path / "missing-scope-a.zip", "file not found")


@pytest.mark.parametrize("member, reason", [
    ("../evil/prediction.json", "climbs out with '..'"),
    ("image/comprehension/../../../evil/prediction.json", "climbs out with '..'"),
    ("/etc/evil/prediction.json", "absolute path"),
    ("C:/evil/prediction.json", "drive letter"),
    ("image\\comprehension\\X\\prediction.json", "uses '\\\\'"),
    ("image//comprehension/X/prediction.json", "empty"),
    ("image/./comprehension/X/prediction.json", "'.'"),
])
def test_paths_outside_the_root(tmp_path, member, reason):
    msg = _refused(_zip(tmp_path / "m-scope-a.zip", {IMG: GOOD, member: GOOD}), reason)
    assert "inside the archive root" in msg and repr(member) in msg
    assert not (tmp_path / "evil").exists() and not Path("/etc/evil").exists()


def test_symlinks_and_special_files(tmp_path):
    link = zipfile.ZipInfo("image/comprehension/Bird-Detection/prediction.json")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    _refused(_zip(tmp_path / "m-scope-a.zip", [(link, "/etc/passwd")]), "is a symbolic link")
    fifo = zipfile.ZipInfo(IMG)
    fifo.external_attr = (stat.S_IFIFO | 0o644) << 16
    _refused(_zip(tmp_path / "m-scope-a.zip", [(fifo, GOOD)]), "special file")


def test_layout_and_board_membership(tmp_path):
    _refused(_zip(tmp_path / "m-scope-a.zip", {IMG: GOOD, "README.txt": "hi"}), "not a prediction file in the layout")
    _refused(_zip(tmp_path / "m-scope-a.zip", {"image/comprehension/X/other.json": GOOD}), "not a prediction file")
    _refused(_zip(tmp_path / "m-scope-a.zip", {"smell/comprehension/X/prediction.json": GOOD}), "not a prediction")
    _refused(_zip(tmp_path / "m-scope-a.zip", {"__MACOSX/": ""}), "folder outside the layout")
    _refused(_zip(tmp_path / "m-scope-a.zip", {"image/": ""}), "no prediction files")
    nlp = "nlp/Commonsense-Reasoning/prediction.json"
    msg = _refused(_zip(tmp_path / "m-scope-c-image-comprehension.zip", {IMG: GOOD, nlp: GOOD}),
                   "board scope-c-image-comprehension")
    assert "NLP task folder" in msg
    gen = "image/generation/Edge_to_Image_Generation/prediction.json"
    _refused(_zip(tmp_path / "m-scope-c-image-comprehension.zip", {gen: GOOD}), "Image-generation task folder")
    info = check_submission(_zip(tmp_path / "m-scope-b-image.zip", {IMG: GOOD, nlp: GOOD}))
    assert [m.modality for m in info.members] == ["Image", "NLP"]  # NLP gauges Level-5 on Scope-B
    _refused(_zip(tmp_path / "m-scope-d-image-comprehension-24.zip", {IMG: GOOD}),
             r"skill group 'I-C #26' \(Object detection\), not 'I-C #24'")
    _refused(_zip(tmp_path / "m-scope-a.zip", {"image/generation/Bird-Detection/prediction.json": GOOD}),
             "belongs to Image-comprehension")
    odd = "image/comprehension/Not-A-Registered-Task/prediction.json"
    info = check_submission(_zip(tmp_path / "m-scope-a.zip", {odd: GOOD}))
    assert info.members[0].task_id is None and "annotation.json" in info.notes[0]


def test_duplicate_and_encrypted_members(tmp_path):
    _refused(_zip(tmp_path / "m-scope-a.zip", [(IMG, GOOD), (IMG, GOOD)]), "appears twice")
    _refused(_zip(tmp_path / "m-scope-a.zip", [(IMG, GOOD), (IMG.replace("Bird", "BIRD"), GOOD)]), "appears twice")
    data = bytearray(_zip(tmp_path / "m-scope-a.zip", {IMG: GOOD}).read_bytes())
    for sig, offset in ((b"PK\x01\x02", 8), (b"PK\x03\x04", 6)):  # set the "encrypted" flag bit
        at = data.find(sig)
        data[at + offset] |= 0x1
    (tmp_path / "m-scope-a.zip").write_bytes(bytes(data))
    _refused(tmp_path / "m-scope-a.zip", "is encrypted")


@pytest.mark.parametrize("content, match", [
    ("{not json", "malformed JSON"),
    (b"\xff\xfe\x00bad", "not UTF-8"),
    (json.dumps({"id": 1}), "a prediction object needs 'data'"),
    (json.dumps([{"prediction": "a"}]), "item 0: expected an object with 'id' and 'prediction'"),
    (json.dumps([{"id": 1}]), r"item 0 \(id 1\): no 'prediction' \(or 'prediction_final'\)"),
    (json.dumps([{"id": "", "prediction": 1}]), "'id' must be a non-empty string"),
    (json.dumps([{"id": 1, "prediction": 1}, {"id": "1", "prediction": 2}]), "1 duplicate id"),
    ("[]", "holds no predictions"),
])
def test_bad_prediction_files(tmp_path, private_tmp, content, match):
    msg = _refused(_zip(tmp_path / "m-scope-a.zip", {IMG: content}), match)
    assert f"m-scope-a.zip: {IMG}" in msg and str(private_tmp) not in msg  # names the member, not the temp path
    assert list(private_tmp.iterdir()) == []


def test_size_limits(tmp_path):
    big = json.dumps([{"id": i, "prediction": "x" * 100} for i in range(100)])  # ~12 KB
    _refused(_zip(tmp_path / "m-scope-a.zip", {IMG: big}), "declares .* bytes uncompressed; the limit per file",
             max_member_bytes=10_000)
    members = {f"image/comprehension/Task-{i}/prediction.json": big for i in range(5)}
    _refused(_zip(tmp_path / "m-scope-a.zip", members), "more than 40,000 bytes uncompressed in total",
             max_total_bytes=40_000)
    _refused(_zip(tmp_path / "m-scope-a.zip", members), "5 entries; at most 3", max_members=3)


def test_streaming_budget_ignores_headers():
    src = io.BytesIO(bytes(10_000))
    out = io.BytesIO()
    with pytest.raises(InputError, match="too much"):
        copy_limited(src, out, 4096, "too much")
    assert len(out.getvalue()) <= 4096  # never more than the budget is written
    assert copy_limited(io.BytesIO(b"x" * 4096), io.BytesIO(), 4096, "too much") == 4096


@pytest.fixture(scope="module")
def bomb(tmp_path_factory) -> Path:
    """1 GiB of zeros in one member (~4.7 MB on disk), written in chunks by zipfile's streaming writer."""
    path = tmp_path_factory.mktemp("bomb") / "bomber-scope-a.zip"
    chunk = bytes(1 << 20)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        with zf.open(IMG, "w") as fh:
            for _ in range(1024):
                fh.write(chunk)
    return path


@pytest.fixture
def inflated(monkeypatch):
    """Counts the bytes zipfile decompresses, to prove a bomb is stopped at the budget."""
    total = {"bytes": 0}
    original = zipfile.ZipExtFile.read

    def counting_read(self, n=-1):
        data = original(self, n)
        total["bytes"] += len(data)
        return data

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting_read)
    return total


def test_zip_bomb_refused_by_declared_size(bomb, private_tmp, inflated):
    msg = _refused(bomb, "declares 1,073,741,824 bytes uncompressed")
    assert "bomber-scope-a.zip" in msg
    assert inflated["bytes"] == 0, "refused from the headers, before decompressing anything"
    assert list(private_tmp.iterdir()) == []


def test_zip_bomb_with_lying_headers_stops_at_the_budget(bomb, tmp_path, private_tmp, inflated):
    """Headers claim 1,000 bytes; the data expands to 1 GiB. At most the budget is ever decompressed."""
    data = bytearray(bomb.read_bytes())
    for sig, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):  # central directory, local header
        at = data.rfind(sig) if sig == b"PK\x01\x02" else data.find(sig)
        assert struct.unpack("<I", data[at + offset:at + offset + 4])[0] == 1 << 30
        data[at + offset:at + offset + 4] = struct.pack("<I", 1000)
    liar = tmp_path / "liar-scope-a.zip"
    liar.write_bytes(bytes(data))
    _refused(liar, "cannot be read|expands beyond")
    assert inflated["bytes"] <= 64 << 20, f"decompressed {inflated['bytes']} bytes of a 1 GiB bomb"
    assert list(private_tmp.iterdir()) == []


def test_many_members_add_up_to_a_bomb(tmp_path):
    """Each member is under the per-file limit; together they exceed the total: refused."""
    zeros = bytes(300_000)
    members = {f"image/comprehension/Task-{i}/prediction.json": zeros for i in range(4)}
    _refused(_zip(tmp_path / "m-scope-a.zip", members), "in total", max_member_bytes=400_000,
             max_total_bytes=1_000_000)


def test_score_submission_matches_evaluate(tmp_path, private_tmp):
    archive = _demo_archive(tmp_path / "demo-omni-scope-a.zip")
    result = score_submission(archive, DEMO_DATASET)
    same = tmp_path / "same-files" / "demo-omni"  # the archive's files: tasks whose outputs are media files fail
    for f in DEMO_PREDICTIONS.rglob("prediction.json"):
        (same / f.parent.relative_to(DEMO_PREDICTIONS)).mkdir(parents=True, exist_ok=True)
        (same / f.relative_to(DEMO_PREDICTIONS)).write_bytes(f.read_bytes())
    direct = evaluate(DEMO_DATASET, same, jobs=1)
    assert result.report.levels == direct.report.levels and result.level == direct.report.level
    assert result.model == "demo-omni"
    d = result.to_dict(include_tasks=True)
    assert d["submission"]["board"]["level"] == direct.report.level
    assert d["submission"]["evaluation"]["scored"] == sum(t.status == "scored" for t in direct.tasks)
    text = json.dumps(d)
    assert str(DEMO_DATASET) not in text and str(private_tmp) not in text  # no private paths
    assert list(private_tmp.iterdir()) == []

    archive = _demo_archive(tmp_path / "demo-omni-scope-b-image-video.zip", only=("image", "video", "nlp"))
    result = score_submission(archive, DEMO_DATASET, model="renamed")
    board = result.board
    assert result.model == "renamed" and board["id"] == "scope-b-image-video"
    rep = result.report
    assert board["tasks"] == rep.modalities["Image"]["tasks"] + rep.modalities["Video"]["tasks"] + rep.nlp["tasks"]
    assert board["supported"] == rep.modalities["Image"]["supported"] + rep.modalities["Video"]["supported"] \
        + rep.nlp["supported"]
    assert rep.modalities["Audio"]["supported"] == 0  # only the archive's predictions count
    with pytest.raises(InputError, match="answers folder does not exist"):
        score_submission(archive, tmp_path / "nope")


def test_cli(tmp_path):
    run = lambda *a: CliRunner().invoke(main, ["submission", *map(str, a)], catch_exceptions=False)  # noqa: E731
    archive = _demo_archive(tmp_path / "demo-omni-scope-a.zip")
    r = run("check", archive)
    assert r.exit_code == 0 and r.output.startswith("ok: 'demo-omni' for board scope-a")
    r = run("check", archive, "--json")
    assert json.loads(r.output)["leaderboard_id"] == "scope-a"
    r = run("check", _zip(tmp_path / "m-scope-a.zip", {"../evil/prediction.json": GOOD}))
    assert r.exit_code == 2 and r.output.startswith("error: m-scope-a.zip: member '../evil/prediction.json'")
    r = run("score", archive, "--answers", DEMO_DATASET, "--format", "json")
    assert r.exit_code == 0 and json.loads(r.stdout)["submission"]["leaderboard_id"] == "scope-a"  # problems: stderr
    out = tmp_path / "report.html"
    r = run("score", archive, "--answers", DEMO_DATASET, "--format", "html", "--output", out)
    assert r.exit_code == 0 and "demo-omni" in out.read_text(encoding="utf-8")
    r = run("boards")
    assert r.exit_code == 0 and "scope-c-3d-generation" in r.output


def test_cli_score_with_confidence_intervals_passes_them_to_evaluate(tmp_path):
    run = lambda *a: CliRunner().invoke(main, ["submission", *map(str, a)], catch_exceptions=False)  # noqa: E731
    archive = _demo_archive(tmp_path / "demo-omni-scope-a.zip")
    r = run("score", archive, "--answers", DEMO_DATASET, "--format", "json", "--ci", "--resamples", 40, "--seed", 3)
    assert r.exit_code == 0
    got = json.loads(r.stdout)
    same = score_submission(archive, DEMO_DATASET, ci=True, resamples=40, seed=3).to_dict(include_tasks=True)
    assert got["intervals"]["resamples"] == 40 and got["intervals"]["seed"] == 3
    assert got["intervals"] == same["intervals"]
    assert any("interval" in t for t in got["tasks"])
    other = json.loads(run("score", archive, "--answers", DEMO_DATASET, "--format", "json", "--ci", "--resamples", 40,
                           "--seed", 4).stdout)
    assert other["intervals"]["seed"] == 4
    r = run("score", archive, "--answers", DEMO_DATASET, "--ci", "--resamples", 40)
    assert r.exit_code == 0 and "95 % intervals (40 resamples, seed 0" in r.stdout
    assert "Probability of each Level" in r.stdout
    r = CliRunner().invoke(main, ["submission", "score", str(archive), "--answers", str(DEMO_DATASET),
                                  "--resamples", "40"])
    assert r.exit_code == 2 and "--resamples needs --ci" in r.output


def test_score_submission_honours_expect_registry(tmp_path):
    import generallevel as gl

    archive = _demo_archive(tmp_path / "demo-omni-scope-a.zip")
    with pytest.raises(InputError, match="refusing to score"):
        score_submission(archive, DEMO_DATASET, expect_registry="0" * 64)
    result = score_submission(archive, DEMO_DATASET, expect_registry=gl.registry_fingerprint())
    assert result.to_dict()["provenance"]["registry_sha256"] == gl.registry_fingerprint()


# -- media files named by predictions ------------------------------------------------------------
DEBLUR = "image/generation/Image_Deblurring"


def _png_bytes(arr) -> bytes:
    PIL = pytest.importorskip("PIL.Image")
    buf = io.BytesIO()
    PIL.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def _psnr_answers(root: Path, n: int = 3):
    """An answers tree with one PSNR generation task (PNG references) and the model's PNG outputs."""
    import numpy as np

    rng = np.random.default_rng(4)
    gts = [rng.integers(0, 256, (12, 16, 3), dtype=np.uint8) for _ in range(n)]
    outs = [np.clip(g.astype(int) + rng.integers(-9, 10, g.shape), 0, 255).astype(np.uint8) for g in gts]
    task = root / DEBLUR
    (task / "images").mkdir(parents=True)
    for i, g in enumerate(gts):
        (task / "images" / f"gt_{i}.png").write_bytes(_png_bytes(g))
    records = [{"id": str(i), "input": {}, "output": {"image": f"images/gt_{i}.png"}} for i in range(n)]
    (task / "annotation.json").write_text(json.dumps({"task": "Image Deblurring", "data": records}))
    want = float(np.mean([10 * np.log10(255.0 ** 2 / np.mean((o.astype(float) - g) ** 2)) for o, g in zip(outs, gts)]))
    members = {f"{DEBLUR}/prediction.json": json.dumps([{"id": str(i), "prediction": f"outputs/{i}.png"}
                                                        for i in range(n)])}
    members.update({f"{DEBLUR}/outputs/{i}.png": _png_bytes(o) for i, o in enumerate(outs)})
    return want, members


def test_generation_task_with_png_outputs_is_checked_and_scored(tmp_path, private_tmp):
    want, members = _psnr_answers(tmp_path / "answers")
    archive = _zip(tmp_path / "m-scope-c-image-generation.zip", {f"{DEBLUR}/outputs/": "", **members})
    info = check_submission(archive)
    assert [m.path for m in info.members] == [f"{DEBLUR}/prediction.json"]
    assert sorted(m.path for m in info.media) == [f"{DEBLUR}/outputs/{i}.png" for i in range(3)]
    assert info.total_bytes == sum(len(v) for v in members.values())
    assert info.describe()["media_files"] == 3 and list(private_tmp.iterdir()) == []
    result = score_submission(archive, tmp_path / "answers")
    task = next(t for t in result.evaluation.tasks if t.task_id == "image-deblurring")
    assert task.status == "scored", task.error
    assert task.raw == pytest.approx(want, rel=1e-9)  # PSNR by hand on the same pixels
    assert list(private_tmp.iterdir()) == []


def test_media_members_pass_the_path_size_and_board_guards(tmp_path):
    want, members = _psnr_answers(tmp_path / "answers", n=1)
    pred = {f"{DEBLUR}/prediction.json": members[f"{DEBLUR}/prediction.json"]}
    png = members[f"{DEBLUR}/outputs/0.png"]
    zipname = tmp_path / "m-scope-a.zip"
    for bad, match in ((f"{DEBLUR}/../../x.png", "climbs out"), ("/abs/x.png", "absolute"),
                       ("image/x.png", "not a prediction file"), ("image/generation/x.png", "not a prediction file"),
                       (f"{DEBLUR}/notes.txt", "nor a media file"), ("nlp/Task/out.png", "not a prediction file"),
                       (f"{DEBLUR}/" + "d/" * 7 + "x.png", "folders deep"),
                       (f"{DEBLUR}/prediction.json/x.png", "nor a media file")):
        _refused(_zip(zipname, {**pred, bad: png}), match)
    _refused(_zip(zipname, {**pred, f"{DEBLUR}/o/a.png": png, f"{DEBLUR}/o/a.png/b.png": png}), "both")
    _refused(_zip(tmp_path / "m-scope-c-image-comprehension.zip", {IMG: GOOD, f"{DEBLUR}/outputs/0.png": png}),
             "Image-generation task folder")
    big = bytes(50_000)
    _refused(_zip(zipname, {**pred, f"{DEBLUR}/outputs/0.png": big}), "declares 50,000 bytes",
             max_member_bytes=40_000)
    _refused(_zip(zipname, {**pred, **{f"{DEBLUR}/outputs/{i}.png": big for i in range(3)}}), "in total",
             max_total_bytes=120_000)
    _refused(_zip(zipname, {f"{DEBLUR}/outputs/0.png": png}), "no prediction files")
    info = check_submission(_zip(zipname, {**pred, "image/generation/Other_Task/x.png": png}))
    assert "without a prediction.json" in info.notes[-1]


def test_media_member_with_lying_headers_stops_at_the_budget(tmp_path, private_tmp, inflated):
    pred = {f"{DEBLUR}/prediction.json": json.dumps([{"id": "0", "prediction": "outputs/0.png"}])}
    path = _zip(tmp_path / "m-scope-a.zip", {**pred, f"{DEBLUR}/outputs/0.png": bytes(8 << 20)})
    data = bytearray(path.read_bytes())
    for sig, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):  # the media member's two headers (the last)
        at = data.rfind(sig)
        assert struct.unpack("<I", data[at + offset:at + offset + 4])[0] == 8 << 20
        data[at + offset:at + offset + 4] = struct.pack("<I", 1000)
    path.write_bytes(bytes(data))
    _refused(path, "cannot be read|expands beyond", max_member_bytes=1 << 20)
    with pytest.raises(InputError, match="cannot be read|expands beyond"):
        score_submission(path, tmp_path, max_member_bytes=1 << 20)
    assert inflated["bytes"] <= 2 << 20 and list(private_tmp.iterdir()) == []
