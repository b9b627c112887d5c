"""The feature cache (generallevel.feature_cache) and `generallevel extractors fetch`, with toy
extractors (no torch needed): content keys, per-sample rows, reference-set statistics, off switch."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

import generallevel as gl
from generallevel import Extractor, hookimpl, plugins
from generallevel.cli import main
from generallevel.feature_cache import FeatureCache, sample_key

PROJ = np.random.default_rng(3).standard_normal((12, 4))


class Projector:
    """A toy image embedder that counts the samples it embeds and names its identity."""

    calls: list[int] = []

    def __init__(self, scale: float = 1.0):
        self.cache_key = f"toy-projector scale={scale}"
        self.scale = scale

    def __call__(self, samples):
        Projector.calls.append(len(samples))
        flat = np.asarray(samples, dtype=np.float64).reshape(len(samples), -1)
        return self.scale * np.tanh(flat @ PROJ)


class ToyCached:
    @staticmethod
    @hookimpl
    def register_extractors(register):
        register(Extractor("toy-cached", "image", Projector, dim=4, metrics=("FID",), version="1",
                           fetch=lambda: "/nowhere/toy.pt"))
        register(Extractor("toy-nofetch", "image", Projector, dim=4))


@pytest.fixture
def toy(monkeypatch, tmp_path):
    monkeypatch.setenv("GENERALLEVEL_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("GENERALLEVEL_FEATURE_CACHE", raising=False)
    Projector.calls = []
    plugins.register_plugin(ToyCached, "toy_cached")
    yield tmp_path
    plugins.unregister_plugin("toy_cached")


def imgs(n, seed):
    return list(np.random.default_rng(seed).random((n, 2, 2, 3)))


def test_sample_keys_follow_content():
    a = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    assert sample_key(a) == sample_key(a.copy()) != sample_key(a.astype(np.int16))
    assert sample_key(a) != sample_key(a.reshape(3, 2, 2))
    assert sample_key("a cat") == sample_key("a cat") != sample_key("a cat ")
    with pytest.raises(TypeError):
        sample_key(np.array(["x"], dtype=object))


def test_a_videos_frame_rate_is_part_of_its_key():
    """Extractors that sample a clip by time (VBench's dynamic degree samples frames by fps) give other
    rows for the same frames at another rate: the rate is in the key; a clip of unknown rate keys as
    its frames."""
    from generallevel.media.video import VideoArray

    frames = np.arange(2 * 4 * 4 * 3, dtype=np.uint8).reshape(2, 4, 4, 3)
    at8, at24 = VideoArray(frames, 8.0), VideoArray(frames.copy(), 24.0)
    assert sample_key(at8) != sample_key(at24)
    assert sample_key(at8) == sample_key(VideoArray(frames.copy(), 8))
    assert sample_key(VideoArray(frames, None)) == sample_key(frames)


def test_rows_are_embedded_once_and_reused(toy):
    fn = gl.get_extractor("toy-cached").load()
    a = imgs(5, 1)
    first = fn(a)
    again = fn(a[::-1] + [a[0]])  # reordered, one duplicate: nothing new to embed
    assert Projector.calls == [5]
    assert np.array_equal(again, np.vstack([first[::-1], first[:1]]))
    assert (fn.hits, fn.misses) == (6, 5)
    fresh = gl.get_extractor("toy-cached").load(scale=2.0)  # another model identity: another cache
    assert np.allclose(fresh(a), 2 * first) and Projector.calls == [5, 5]


def test_duplicates_in_one_call_are_embedded_once(toy):
    fn = gl.get_extractor("toy-cached").load()
    a = imgs(3, 2)
    out = fn([a[0], a[1], a[0], a[2], a[1]])
    assert Projector.calls == [3] and np.array_equal(out[0], out[2]) and np.array_equal(out[1], out[4])


def test_reference_statistics_are_cached_per_set(toy):
    fid = gl.get_metric("FID")
    ref, gen1, gen2 = imgs(30, 3), imgs(12, 4), imgs(12, 5)
    v1 = fid.compute(gen1, ref, extractor="toy-cached")
    assert Projector.calls == [12, 30]
    v2 = fid.compute(gen2, ref, extractor="toy-cached")
    assert Projector.calls == [12, 30, 12], "the reference set's mean and covariance come from the cache"
    assert v1 == pytest.approx(fid.compute(Projector()(gen1), Projector()(ref)), rel=1e-12)
    assert v2 == pytest.approx(fid.compute(Projector()(gen2), Projector()(ref)), rel=1e-12)
    assert list((toy / "stats").rglob("*.npz"))
    assert fid.compute(gen1, ref[::-1], extractor="toy-cached") == pytest.approx(v1, rel=1e-9), \
        "the statistics do not depend on the order of the set"


def test_the_cache_can_be_turned_off(toy, monkeypatch):
    monkeypatch.setenv("GENERALLEVEL_FEATURE_CACHE", "off")
    fn = gl.get_extractor("toy-cached").load()
    a = imgs(4, 6)
    fn(a)
    fn(a)
    assert Projector.calls == [4, 4] and not (toy / "features").exists()


def test_the_cache_folder_can_be_named_by_the_switch(toy, monkeypatch, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("shared_cache")
    monkeypatch.setenv("GENERALLEVEL_FEATURE_CACHE", str(elsewhere))  # e.g. a cluster's shared file system
    gl.get_extractor("toy-cached").load()(imgs(2, 7))
    assert list((elsewhere / "features").glob("*.sqlite")) and not (toy / "features").exists()


def test_feature_cache_survives_a_new_process_view(toy):
    cache = FeatureCache(toy, "identity-x")
    cache.put({"k1": np.arange(3, dtype=np.float32)})
    again = FeatureCache(toy, "identity-x")
    assert np.array_equal(again.get(["k1", "k2"])["k1"], np.arange(3, dtype=np.float32)) and len(again) == 1
    assert FeatureCache(toy, "identity-y").get(["k1"]) == {}


def test_fetch_command(toy, monkeypatch):
    r = CliRunner().invoke(main, ["extractors", "fetch", "toy-cached"])
    assert r.exit_code == 0 and r.output.strip() == "toy-cached: /nowhere/toy.pt"
    r = CliRunner().invoke(main, ["extractors", "fetch", "toy-nofetch"])
    assert r.exit_code == 1 and "declares no download" in r.output
    r = CliRunner().invoke(main, ["extractors", "fetch", "no-such-extractor"])
    assert r.exit_code != 0
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    r = CliRunner().invoke(main, ["extractors", "fetch", "clip-image"])
    assert r.exit_code == 1 and "HF_HUB_OFFLINE=1 forbids downloads" in r.output
    listing = CliRunner().invoke(main, ["extractors", "--kind", "image"])
    assert listing.exit_code == 0 and "toy-cached" in listing.output


def test_listing_says_whether_the_weights_are_there(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    ext = gl.get_extractor("inception-pool3")
    where, present = ext.weights_status()
    assert not present and where == str(tmp_path / "hub" / "checkpoints" / "weights-inception-2015-12-05-6726825d.pth")
    (tmp_path / "hub" / "checkpoints").mkdir(parents=True)
    (tmp_path / "hub" / "checkpoints" / "pt_inception-2015-12-05-6726825d.pth").write_bytes(b"x")
    assert ext.weights_status() == (str(tmp_path / "hub" / "checkpoints" / "pt_inception-2015-12-05-6726825d.pth"),
                                    True)
    assert gl.get_extractor("clip-text").weights_status() == (
        str(tmp_path / "hub" / "models--openai--clip-vit-large-patch14"), False)
    table = CliRunner().invoke(main, ["extractors"]).output
    assert "Weights" in table and "generallevel extractors fetch NAME" in table
    line = next(ln for ln in table.splitlines() if ln.startswith("inception-pool3"))
    assert " present " in line
    rows = {r["name"]: r for r in json.loads(CliRunner().invoke(main, ["extractors", "--json"]).output)}
    assert rows["clip-image"]["weights"] == {"path": str(tmp_path / "hub" / "models--openai--clip-vit-large-patch14"),
                                             "present": False}
