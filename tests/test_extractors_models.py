"""The built-in extractors with tiny random weights in the real save format, through the real loading
code (torch hub checkpoints under TORCH_HOME, transformers folders in a Hugging Face hub cache with
HF_HUB_OFFLINE=1), checked against the reference implementations on the same weights.

Golden numbers: computed once with torch-fidelity 0.4.0 (FeatureExtractorInceptionV3), torchmetrics
1.9 (FrechetInceptionDistance with feature_extractor_weights_path) and torchvision 0.29.1
(models.video.r3d_18 with General-Bench's fvd.py transforms) on torch 2.14.1, from the weights
``tiny_models.save_tiny`` writes (numpy-seeded, identical on every platform) and the images below.
Those libraries cannot be installed beside this project (torch-fidelity and torchvision need a
multi-GB CUDA torch here), hence stored numbers; the live comparison against torchmetrics'
CLIPScore runs in-process.
"""

from __future__ import annotations

import numpy as np
import pytest

import generallevel as gl
from generallevel import InputError, plugins
from generallevel.extractors import MissingWeightsError, default_extractor

torch = pytest.importorskip("torch")
tiny_models = pytest.importorskip("generallevel_builtin.tiny_models")

# torch-fidelity features of A (row sums, first three values) and B (row sums), torchmetrics FID(A, B)
GOLD_A_SUMS = [1324.335089248776, 1499.6009613686147, 1740.765641219905, 1879.1644576932886,
               1918.95465450966, 1966.7654658298597]
GOLD_A_HEAD = [[0.08210183680057526, 2.514493465423584, 3.3019967079162598],
               [0.110564686357975, 3.0448596477508545, 3.804248332977295],
               [0.17309120297431946, 3.35247540473938, 4.443011283874512],
               [0.1773066520690918, 3.5125715732574463, 4.787199020385742],
               [0.18991456925868988, 3.663773775100708, 4.939981937408447],
               [0.2596231698989868, 3.9328558444976807, 5.029421329498291]]
GOLD_B_SUMS = [2175.346063739402, 2175.7888142987576, 2169.130780026573, 2196.3457626640884,
               2143.212748090329, 2164.549136737871]
GOLD_TORCHMETRICS_FID = {"torch-fidelity": 376.61022809404193,  # FrechetInceptionDistance(antialias=False)
                         "torchmetrics": 388.16987139594875}  # its default, antialias=True
GOLD_TORCHMETRICS_A_SUMS = [1325.423091681189, 1485.4741639099934, 1732.140636864549, 1877.4780207010763,
                            1917.508392357097, 1970.0205415303255]
# pytorch-fid 0.3.0 InceptionV3([3]) loading the same file as pt_inception-2015-12-05-6726825d.pth
GOLD_PYTORCH_FID_A_SUMS = [1328.8554439084473, 1490.7813546945981, 1738.4061967182206, 1884.418251957799,
                           1924.6370873769338, 1976.8997514308205]
GOLD_PYTORCH_FID = 391.67092938404517
# torchvision r3d_18 (fc = Identity) features of V under the official fvd.py preprocessing
GOLD_V_SUMS = [6019.229778468609, 6066.725665681064, 5904.453075300902]
GOLD_V_HEAD = [[4.544222354888916, 10.885238647460938, 25.598224639892578],
               [4.375819683074951, 12.166830062866211, 24.783952713012695],
               [4.877130508422852, 10.38471508026123, 23.511734008789062]]


def _media():
    rng = np.random.default_rng(7)

    def img(h, w, k):
        y, x = np.mgrid[0:h, 0:w]
        base = np.stack([(x * (k + 1) * 7) % 256, (y * (k + 2) * 5) % 256, ((x + y) * (k + 3)) % 256], -1)
        return np.clip(base + rng.integers(-30, 30, (h, w, 3)), 0, 255).astype(np.uint8)

    a = [img(32 + 3 * k, 40, k) for k in range(6)]
    b = [img(64, 48 + 5 * k, k + 10) for k in range(6)]
    v = [np.stack([img(40, 56, t + k) for t in range(n)]) for k, n in enumerate((20, 5, 16))]
    return a, b, v


A, B, V = _media()


def _reset_builds():
    for ext in plugins.get_registry().extractors:
        ext._built = None


@pytest.fixture(scope="module")
def torch_home(tmp_path_factory):
    """One folder laid out as TORCH_HOME holding the tiny Inception and R3D-18 checkpoints."""
    root = tmp_path_factory.mktemp("torch_home")
    opts = {name: tiny_models.save_tiny(name, root) for name in ("inception-pool3", "r3d18-kinetics")}
    return root, opts


@pytest.fixture(scope="module")
def inception(torch_home):
    """The tiny Inception built once for the module (explicit weights=, default preprocessing)."""
    return gl.get_extractor("inception-pool3").load(**torch_home[1]["inception-pool3"])


@pytest.fixture(scope="module")
def hub_cache(tmp_path_factory):
    root = tmp_path_factory.mktemp("hf_hub")
    return root, tiny_models.save_tiny("clip-image", root)


@pytest.fixture(autouse=True)
def _env(monkeypatch, tmp_path):
    monkeypatch.setenv("GENERALLEVEL_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("GENERALLEVEL_DEVICE", "cpu")
    monkeypatch.delenv("GENERALLEVEL_FEATURE_CACHE", raising=False)
    _reset_builds()
    yield
    _reset_builds()


# -- declarations ------------------------------------------------------------------------------------
def test_default_extractor_per_metric_and_role():
    assert default_extractor("FID") == "inception-pool3"
    assert default_extractor("frechet inception distance") == "inception-pool3"
    assert default_extractor("FVD") == "r3d18-kinetics"
    assert default_extractor("CLIP-T") == "clip-image"
    assert default_extractor("CLIP-T", "reference_extractor") == "clip-text"
    assert default_extractor("CLIP-I") == "clip-image" and default_extractor("CLIP-I", "reference_extractor") is None
    assert default_extractor("Acc") is None
    with pytest.raises(InputError, match="role must be one of"):
        default_extractor("FID", "features")


def test_tiny_models_cover_the_builtins():
    assert set(tiny_models.names()) <= set(gl.list_extractors())
    with pytest.raises(KeyError):
        tiny_models.save_tiny("Acc-extractor", "/nonexistent")


# -- Inception (FID) ---------------------------------------------------------------------------------
def test_inception_features_equal_torch_fidelity(inception):
    fa = inception(A)
    assert fa.shape == (6, 2048) and fa.dtype == np.float32
    np.testing.assert_allclose(fa.astype(np.float64).sum(1), GOLD_A_SUMS, rtol=1e-5)
    np.testing.assert_allclose(fa[:, :3], GOLD_A_HEAD, rtol=1e-4, atol=1e-5)


def test_fid_by_name_through_torch_home_equals_torchmetrics(torch_home, inception, monkeypatch, tmp_path):
    root, _ = torch_home
    monkeypatch.setenv("TORCH_HOME", str(root))
    inception(A + B)  # fills the feature cache (same weights and preprocessing: the same cache key)
    fid = gl.get_metric("FID").compute(B, A, extractor="inception-pool3")  # the default build, from TORCH_HOME
    assert fid == pytest.approx(GOLD_TORCHMETRICS_FID["torch-fidelity"], rel=1e-5)
    built = gl.get_extractor("inception-pool3").load()
    assert built is not inception and built.hits == 12 and built.misses == 0
    np.testing.assert_allclose(built(B).astype(np.float64).sum(1), GOLD_B_SUMS, rtol=1e-5)


@pytest.mark.parametrize("preprocess,sums,fid", [
    ("torchmetrics", GOLD_TORCHMETRICS_A_SUMS, None),
    ("pytorch-fid", GOLD_PYTORCH_FID_A_SUMS, GOLD_PYTORCH_FID),
])
def test_inception_reproduces_torchmetrics_default_and_pytorch_fid(torch_home, preprocess, sums, fid):
    fn = gl.get_extractor("inception-pool3").load(preprocess=preprocess, **torch_home[1]["inception-pool3"])
    fa = fn(A)
    np.testing.assert_allclose(fa.astype(np.float64).sum(1), sums, rtol=1e-5)
    if fid is not None:
        assert gl.get_metric("FID").compute(fa, fn(B)) == pytest.approx(fid, rel=1e-5)


def test_inception_missing_and_corrupt_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(MissingWeightsError) as err:
        gl.get_metric("FID").compute(A, B, extractor="inception-pool3")
    msg = str(err.value)
    assert "weights-inception-2015-12-05-6726825d.pth" in msg and str(tmp_path) in msg
    assert "generallevel extractors fetch inception-pool3" in msg and "Inception-V3" in msg
    bad = tmp_path / "hub" / "checkpoints" / "weights-inception-2015-12-05-6726825d.pth"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"not a checkpoint")
    with pytest.raises(MissingWeightsError, match=r"cannot read the weights file .*weights-inception.*corrupt"):
        # load() finds the file; it is read on the first feature-cache miss (a warm cache needs no weights)
        gl.get_extractor("inception-pool3").load()(A)


def test_inception_finds_pytorch_fids_file_name(torch_home, inception, tmp_path, monkeypatch):
    """pytorch-fid 0.3.0 loaded the tiny file strictly through its own loader (the golden numbers), so the
    layouts are one; here the option-free build finds it under pytorch-fid's name in TORCH_HOME."""
    folder = tmp_path / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    (folder / "pt_inception-2015-12-05-6726825d.pth").symlink_to(torch_home[1]["inception-pool3"]["weights"])
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    built = gl.get_extractor("inception-pool3").load()
    assert built.weights.name == "pt_inception-2015-12-05-6726825d.pth"
    assert np.array_equal(built(A[:2]), inception.fn(A[:2]))


def test_inception_refuses_samples_outside_the_contract(inception):
    fn = inception
    with pytest.raises(InputError, match="image 1 must have dtype uint8"):
        fn([A[0], A[1].astype(np.float32)])
    with pytest.raises(InputError, match=r"image 0 must be a uint8 RGB array H x W x 3, got shape \(4, 4, 4\)"):
        fn([np.zeros((4, 4, 4), np.uint8)])


# -- R3D-18 (FVD) ------------------------------------------------------------------------------------
def test_r3d18_features_equal_torchvision_with_the_official_preprocessing(torch_home):
    fv = gl.get_extractor("r3d18-kinetics").load(**torch_home[1]["r3d18-kinetics"])(V[:2])  # 20 and 5 frames
    assert fv.shape == (2, 512)
    np.testing.assert_allclose(fv.astype(np.float64).sum(1), GOLD_V_SUMS[:2], rtol=1e-5)
    np.testing.assert_allclose(fv[:, :3], GOLD_V_HEAD[:2], rtol=1e-4, atol=1e-5)
    with pytest.raises(InputError, match="video 0 has zero frames"):
        gl.get_extractor("r3d18-kinetics").load(**torch_home[1]["r3d18-kinetics"])([np.zeros((0, 8, 8, 3), np.uint8)])


# -- CLIP --------------------------------------------------------------------------------------------
TEXTS = ["the cat", "a dog", "the dog is running", "cat on a mat", "x", "the thing"]


def _torchmetrics_pairs(folder, images, texts):
    """torchmetrics' functional CLIPScore, one pair at a time: max(100 cos, 0) per pair."""
    from torchmetrics.functional.multimodal.clip_score import clip_score
    from transformers import CLIPModel, CLIPProcessor

    def load():
        return CLIPModel.from_pretrained(folder), CLIPProcessor.from_pretrained(folder)

    return [float(clip_score(torch.from_numpy(im).permute(2, 0, 1), t, model_name_or_path=load).detach())
            for im, t in zip(images, texts)]


def test_clip_t_equals_torchmetrics_clipscore_with_the_same_tiny_model(hub_cache, monkeypatch):
    root, opts = hub_cache
    monkeypatch.setenv("HF_HUB_CACHE", str(root))
    ours = gl.get_metric("CLIP-T").compute(A, TEXTS, extractor="clip-image", reference_extractor="clip-text")
    want = _torchmetrics_pairs(opts["model"], A, TEXTS)
    assert ours == pytest.approx(float(np.mean(want)), abs=1e-4)
    # the embeddings themselves: the cosines torchmetrics computes, unclipped
    img = gl.get_extractor("clip-image").load()(A)
    txt = gl.get_extractor("clip-text").load()(TEXTS)
    assert img.shape == txt.shape == (6, 16)


def test_clip_missing_model_names_the_hub_folder_and_the_fetch(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(MissingWeightsError) as err:
        gl.get_extractor("clip-text").load()
    msg = str(err.value)
    assert "openai/clip-vit-large-patch14" in msg and "models--openai--clip-vit-large-patch14" in msg
    assert "generallevel extractors fetch clip-text" in msg and "model=PATH" in msg


# -- the feature cache -------------------------------------------------------------------------------
def test_rescoring_reads_the_feature_cache(inception, monkeypatch, tmp_path):
    fid = gl.get_metric("FID")
    a, b = A[:3], B[:3]
    hits, misses = inception.hits, inception.misses
    first = fid.compute(a, b, extractor=inception)
    assert (inception.hits - hits, inception.misses - misses) == (0, 6)
    assert fid.compute(a, b, extractor=inception) == first
    assert (inception.hits - hits, inception.misses - misses) == (6, 6)
    assert (tmp_path / "cache" / "features").is_dir()
    monkeypatch.setenv("GENERALLEVEL_FEATURE_CACHE", "off")
    assert fid.compute(a[:2], b[:2], extractor=inception) == fid.compute(inception.fn(a[:2]), inception.fn(b[:2]))
    assert (inception.hits - hits, inception.misses - misses) == (6, 6)


# -- LAION-CLAP and DINO -----------------------------------------------------------------------------
# LAION-CLAP 1.1.7's own front end (HTSAT-tiny config: torchlibrosa Spectrogram + LogmelFilterBank) on
# CLAP_WAVE: mean, rows 0 / 500 / 1000 (a few bins) and every 250th row sum of the 1001 x 64 log-mel
GOLD_LAION_MEL_MEAN = -16.156034321302773
GOLD_LAION_MEL_CELLS = {(0, 0): -14.722472190856934, (0, 1): -23.60693359375, (0, 2): -27.328475952148438,
                        (500, 10): -21.83879852294922, (500, 11): -28.26289176940918, (500, 12): -23.911354064941406,
                        (1000, 60): -17.09777069091797, (1000, 61): -17.1003360748291, (1000, 62): -16.490367889404297}
GOLD_LAION_MEL_ROW_SUMS = [-1188.6108083724976, -1004.5700633972883, -1214.350938796997, -1012.1164780855179,
                           -1191.98148727417]


def _clap_wave():
    rng = np.random.default_rng(0)
    t = np.arange(480000) / 48000
    w = 0.3 * np.sin(2 * np.pi * 440 * t) * np.sin(2 * np.pi * 0.5 * t) + 0.05 * rng.standard_normal(480000)
    return w.astype(np.float32)


@pytest.fixture(scope="module")
def audio_hub(tmp_path_factory):
    root = tmp_path_factory.mktemp("hf_audio")
    return root, tiny_models.save_tiny("clap-audio", root), tiny_models.save_tiny("dino-vitb16", root)


def test_clap_log_mel_equals_laion_clap_front_end(audio_hub):
    fn = gl.get_extractor("clap-audio").load(**audio_hub[1])
    from generallevel_builtin._net_clap import quantize

    mel = fn.processor.feature_extractor([quantize(_clap_wave())], sampling_rate=48000, return_tensors="np",
                                         truncation="rand_trunc", padding="repeatpad")["input_features"][0, 0]
    assert mel.shape == (1001, 64)
    assert float(mel.astype(np.float64).mean()) == pytest.approx(GOLD_LAION_MEL_MEAN, abs=1e-4)
    for (i, j), want in GOLD_LAION_MEL_CELLS.items():
        assert mel[i, j] == pytest.approx(want, abs=1e-3)
    np.testing.assert_allclose(mel.astype(np.float64).sum(1)[::250], GOLD_LAION_MEL_ROW_SUMS, rtol=1e-5)


def test_fad_and_clap_by_name_from_the_hub_cache(audio_hub, monkeypatch):
    root, _, _ = audio_hub
    monkeypatch.setenv("HF_HUB_CACHE", str(root))
    ext = gl.get_extractor("clap-audio")
    assert ext.sample_rate == 48000 and default_extractor("FAD") == "clap-audio"
    assert default_extractor("CLAP", "reference_extractor") == "clap-text"
    rng = np.random.default_rng(5)
    gen = [(0.1 * rng.standard_normal(24000 + 4000 * k)).astype(np.float32) for k in range(4)]
    ref = [(0.2 * np.sin(np.arange(48000) * (k + 1) / 50)).astype(np.float32) for k in range(4)]
    fa, fr = ext.load()(gen), ext.load()(ref)
    assert fa.shape == (4, 16)
    assert gl.get_metric("FAD").compute(gen, ref, extractor="clap-audio") == gl.get_metric("FAD").compute(fa, fr)
    prompts = ["rain on a roof", "a dog barking", "piano", "wind"]
    score = gl.get_metric("CLAP").compute(gen, prompts, extractor="clap-audio", reference_extractor="clap-text")
    assert score == gl.get_metric("CLAP").compute(fa, gl.get_extractor("clap-text").load()(prompts))
    with pytest.raises(InputError, match="audio 0 must be a non-empty float32 mono 1-D waveform at 48000 Hz"):
        ext.load()([np.zeros((100, 2), np.float32)])


def test_dino_by_name_from_the_hub_cache(audio_hub, monkeypatch):
    root, _, opts = audio_hub
    monkeypatch.setenv("HF_HUB_CACHE", str(root))
    feats = gl.get_extractor("dino").load()(A[:3])
    from transformers import ViTImageProcessor, ViTModel

    model = ViTModel.from_pretrained(opts["model"], add_pooling_layer=False).eval()
    px = ViTImageProcessor.from_pretrained(opts["model"])(images=A[:3], return_tensors="pt")["pixel_values"]
    with torch.no_grad():
        want = model(pixel_values=px).last_hidden_state[:, 0].numpy()
    np.testing.assert_allclose(feats, want, rtol=1e-5, atol=1e-6)
    assert gl.get_metric("DINO-I").compute(A[:3], A[:3][::-1], extractor="dino-vitb16") >= 0


def test_laion_aesthetic_predictor_from_vbench_folder(tmp_path, monkeypatch):
    opts = tiny_models.save_tiny("laion-aesthetic", tmp_path)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("VBENCH_CACHE_DIR", str(tmp_path / "vbench"))
    assert default_extractor("AestheticScore", "predictor") == "laion-aesthetic"
    scores = gl.get_extractor("laion-aesthetic").load()(A)
    assert scores.shape == (6,) and ((scores >= 0) & (scores <= 10)).all()
    # by hand: the CLIP image embedding, L2-normalised, through the linear head
    emb = gl.get_extractor("clip-image").load(model=opts["model"])(A).astype(np.float64)
    head = torch.load(opts["head"])
    want = (emb / np.linalg.norm(emb, axis=1, keepdims=True)) @ head["weight"].double().numpy()[0] + float(head["bias"])
    np.testing.assert_allclose(scores, want, rtol=1e-5)
    assert gl.get_metric("AestheticScore").compute(A, None, predictor="laion-aesthetic") == \
        pytest.approx(10 * scores.mean())
    monkeypatch.setenv("VBENCH_CACHE_DIR", str(tmp_path / "elsewhere"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "elsewhere"))
    _reset_builds()
    with pytest.raises(MissingWeightsError, match=r"sa_0_4_vit_l_14_linear\.pth.*fetch laion-aesthetic"):
        gl.get_extractor("laion-aesthetic").load()


def test_whisper_transcribes_as_transformers_generate(tmp_path, monkeypatch):
    opts = tiny_models.save_tiny("whisper", tmp_path)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    ext = gl.get_extractor("whisper")
    assert (ext.output, ext.sample_rate, default_extractor("WER", "transcriber")) == ("text", 16000, "whisper")
    rng = np.random.default_rng(2)
    clips = [(0.1 * rng.standard_normal(16000 * s)).astype(np.float32) for s in (1, 3)]
    fn = ext.load(max_new_tokens=6)
    texts = fn(clips)
    from transformers import WhisperForConditionalGeneration, WhisperProcessor

    model = WhisperForConditionalGeneration.from_pretrained(opts["model"]).eval()
    proc = WhisperProcessor.from_pretrained(opts["model"])
    feats = proc.feature_extractor(clips, sampling_rate=16000, return_tensors="pt", return_attention_mask=True)
    with torch.no_grad():
        ids = model.generate(feats["input_features"], attention_mask=feats["attention_mask"], task="transcribe",
                             num_beams=1, do_sample=False, max_new_tokens=6)
    assert texts == [t.strip() for t in proc.batch_decode(ids, skip_special_tokens=True)]
    assert fn(clips[::-1]) == texts[::-1] and fn.hits == 2, "transcripts come from the feature cache"
