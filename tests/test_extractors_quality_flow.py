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
