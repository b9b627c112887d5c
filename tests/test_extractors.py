"""Plugin-registered feature extractors: the register_extractors hook, the catalogue, metric options
``extractor="name"`` / ``reference_extractor=`` / ``predictor=``, the CLI listing, and the host's
rules (duplicates name both plugins, a raising hook is isolated, strict mode)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import uuid
import warnings

import numpy as np
import pytest
from click.testing import CliRunner

import generallevel as gl
from generallevel import Extractor, InputError, MissingDependencyError, hookimpl, plugins
from generallevel.cli import main
from generallevel.plugins import PluginWarning

RNG = np.random.default_rng(20250)
PROJ = RNG.standard_normal((3 * 4 * 4, 6))
TEXT_TABLE = RNG.standard_normal((10, 6))


def project_images(images):
    """A toy image embedder: flatten and project to D=6 (deterministic, one row per sample)."""
    return np.asarray(images, dtype=np.float64).reshape(len(images), -1) @ PROJ


def embed_texts(texts):
    return TEXT_TABLE[[int(t.split()[-1]) for t in texts]]


class ToyExtractors:
    """An in-process plugin registering extractors (and no metric or task)."""

    builds = 0

    @staticmethod
    def build_images(**options):
        ToyExtractors.builds += 1
        return project_images

    @staticmethod
    @hookimpl
    def register_extractors(register):
        register(Extractor("Toy-Image-Proj", "image", ToyExtractors.build_images, dim=6,
                           metrics=("frechet inception distance", "CLIP-I", "Not-A-Metric-Here"),
                           aliases=("toyproj",), description="random projection of flattened images"))
        register(Extractor("toy-text", "text", lambda: embed_texts, dim=6, metrics=("CLIP-T",)))
        register(Extractor("toy-wrong-dim", "image", lambda: project_images, dim=7))
        register(Extractor("toy-aesthetic", "image", lambda: (lambda imgs: [5.0] * len(imgs)),
                           output="scores", metrics=("AestheticScore",)))


@pytest.fixture
def toy():
    ToyExtractors.builds = 0
    plugins.register_plugin(ToyExtractors, "toy_extractors")
    yield
    plugins.unregister_plugin("toy_extractors")


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv("GENERALLEVEL_STRICT", raising=False)
    monkeypatch.delenv("GENERALLEVEL_PLUGINS", raising=False)


def images(n, seed):
    return np.random.default_rng(seed).random((n, 3, 4, 4))


def third_party(**filters):
    """Registered extractors other than the built-in ones (generallevel_builtin.extractors_*)."""
    builtin = {n for n, p in plugins.get_registry().plugins.items() if p.builtin}
    return [n for n in gl.list_extractors(**filters) if gl.get_extractor(n).plugin not in builtin]


# -- the hook, the catalogue and the public API ------------------------------------------------------
def test_builtins_are_registered_without_weights_or_imports():
    """The built-in extractors are declarations (no weights ship); third-party ones come on top."""
    assert third_party() == []
    assert {"inception-pool3", "clip-image", "clip-text", "r3d18-kinetics"} <= set(gl.list_extractors())
    rows = plugins.get_registry().plugins
    assert rows["builtin_extractors_inception"].extractors == ["inception-pool3"]
    assert gl.get_extractor("inception-pool3").fetch is not None


def test_registered_extractor_is_listed_tagged_and_found_case_insensitively(toy):
    assert third_party() == ["toy-aesthetic", "Toy-Image-Proj", "toy-text", "toy-wrong-dim"]
    ext = gl.get_extractor("TOY image proj")
    assert ext is gl.get_extractor("toyproj") and ext.name == "Toy-Image-Proj"
    assert (ext.plugin, ext.kind, ext.dim, ext.output) == ("toy_extractors", "image", 6, "features")
    # intended metrics are spelled canonically once every plugin's metrics are known; unknown kept
    assert ext.metrics == ("FID", "CLIP-I", "Not-A-Metric-Here")
    assert third_party(kind="text") == ["toy-text"]
    assert third_party(metric="Frechet Inception Distance") == ["Toy-Image-Proj"]
    assert third_party(metric="aestheticscore") == ["toy-aesthetic"]
    info = plugins.get_registry().plugins["toy_extractors"]
    assert info.hooks == ["register_extractors"] and info.error is None
    assert info.extractors == ["Toy-Image-Proj", "toy-text", "toy-wrong-dim", "toy-aesthetic"]
    assert ToyExtractors.builds == 0, "registering and listing build nothing"


def test_plugins_json_and_extractors_cli(toy):
    runner = CliRunner()
    rows = {p["name"]: p for p in json.loads(runner.invoke(main, ["plugins", "--json"]).output)}
    assert rows["toy_extractors"]["extractors"] == ["Toy-Image-Proj", "toy-text", "toy-wrong-dim", "toy-aesthetic"]
    assert rows["toy_extractors"]["metrics"] == [] and rows["toy_extractors"]["tasks"] == 0

    table = runner.invoke(main, ["extractors"])
    assert table.exit_code == 0, table.output
    line = next(ln for ln in table.output.splitlines() if ln.startswith("Toy-Image-Proj"))
    assert "image" in line and "D=6" in line and "FID, CLIP-I" in line and "toy_extractors" in line
    assert f"{len(gl.list_extractors())} extractors" in table.output
    data = [d for d in json.loads(runner.invoke(main, ["extractors", "--json", "--kind", "text"]).output)
            if d["plugin"] == "toy_extractors"]
    assert [d["name"] for d in data] == ["toy-text"]
    assert data[0] | {"factory": None} == {
        "name": "toy-text", "aliases": [], "kind": "text", "output": "features", "dim": 6, "metrics": ["CLIP-T"],
        "requires": [], "available": True, "factory": None, "plugin": "toy_extractors", "plugin_version": "0",
        "reference": "", "description": "", "sample_rate": None, "samples": "", "preprocessing": "",
        "version": "", "fetch": False, "weights": None, "default_for": [], "reference_for": []}
    assert ToyExtractors.builds == 0


def test_cli_without_matching_extractors_says_what_to_do():
    r = CliRunner().invoke(main, ["extractors", "--metric", "Acc"])
    assert r.exit_code == 0 and "No registered extractor matches the filter" in r.output
    assert "extractor=callable" in r.output
    assert json.loads(CliRunner().invoke(main, ["extractors", "--json", "--metric", "Acc"]).output) == []


# -- metrics resolve names ---------------------------------------------------------------------------
def test_fid_with_a_registered_name_equals_fid_on_its_features(toy):
    a, b = images(40, 1), images(30, 2) ** 2
    fid = gl.get_metric("FID")
    on_features = fid.compute(project_images(a), project_images(b))
    assert on_features > 0
    assert fid.compute(a, b, extractor="toy-image-proj") == on_features
    assert fid.compute(a, b, extractor="TOYPROJ") == on_features
    assert fid.compute(a, b, extractor=gl.get_extractor("Toy-Image-Proj")) == on_features  # the object itself
    assert gl.get_metric("FVD").compute(list(a), list(b), extractor="toyproj") == on_features
    assert ToyExtractors.builds == 1, "the model is built once and reused"


def test_reference_extractor_and_predictor_by_name(toy):
    imgs = images(10, 3)
    texts = [f"caption {i}" for i in range(10)]
    clip_t = gl.get_metric("CLIP-T")
    want = clip_t.compute(project_images(imgs), embed_texts(texts))
    assert clip_t.compute(imgs, texts, extractor="Toy-Image-Proj", reference_extractor="toy-text") == want
    assert gl.get_metric("AestheticScore").compute(imgs, None, predictor="toy-aesthetic") == 50.0
    from generallevel_builtin._features import resolve_extractor  # for metrics that call it per sample

    assert resolve_extractor("TOY TEXT", "MCD") is embed_texts and resolve_extractor(embed_texts, "MCD") is embed_texts


def test_unknown_name_says_did_you_mean(toy):
    with pytest.raises(gl.UnknownExtractorError, match=r"unknown extractor 'toy-image-prj'; did you mean "
                                                       r"'Toy-Image-Proj'\?"):
        gl.get_extractor("toy-image-prj")
    a = images(5, 4)
    with pytest.raises(MissingDependencyError, match=r"FID: extractor='toy-imag-proj' is not a registered "
                                                     r"extractor; did you mean 'Toy-Image-Proj'\?.*extractor=callable"):
        gl.get_metric("FID").compute(a, a, extractor="toy-imag-proj")
    with pytest.raises(InputError, match="reference_extractor='toy-txt'.*did you mean 'toy-text'"):
        gl.get_metric("CLIP-T").compute(a, ["caption 1"] * 5, extractor="toyproj", reference_extractor="toy-txt")
    with pytest.raises(KeyError):  # like an unknown metric name
        gl.get_extractor("nothing-like-it")


def test_unknown_name_without_a_plugin_for_it():
    with pytest.raises(MissingDependencyError, match="'vggish' is not a registered extractor.*extractor=callable"):
        gl.get_metric("FAD").compute([np.zeros(8)] * 3, [np.zeros(8)] * 3, extractor="vggish")
    with pytest.raises(MissingDependencyError, match=r"predictor='laion'.*predictor=callable"):
        gl.get_metric("MUSIQ").compute(images(3, 5), None, predictor="laion")


def test_declared_dimension_and_output_are_checked(toy):
    a = images(5, 6)
    with pytest.raises(InputError, match=r"extractor 'toy-wrong-dim' \(plugin toy_extractors\).*D=6.*declares dim=7"):
        gl.get_metric("FID").compute(a, a, extractor="toy-wrong-dim")
    with pytest.raises(InputError, match=r"'toy-aesthetic' is a predictor.*pass it as predictor="):
        gl.get_metric("FID").compute(a, a, extractor="toy-aesthetic")
    with pytest.raises(InputError, match=r"'toy-text' is a[n]? extractor.*pass it as extractor="):
        gl.get_metric("MUSIQ").compute(a, None, predictor="toy-text")
    with pytest.raises(InputError, match="must be a callable or the name of a registered extractor"):
        gl.get_metric("FID").compute(a, a, extractor=42)


# -- lazy factories and requirements -----------------------------------------------------------------
def _factory_module(tmp_path, monkeypatch) -> str:
    name = f"glx_factory_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{name}.py").write_text(textwrap.dedent("""
        import numpy as np
        CALLS = []

        def build(scale=1.0):
            CALLS.append(scale)
            return lambda samples: scale * np.asarray(samples, dtype=float).reshape(len(samples), -1)
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def test_string_factory_is_imported_on_first_use_only(tmp_path, monkeypatch):
    module = _factory_module(tmp_path, monkeypatch)

    class Lazy:
        @staticmethod
        @hookimpl
        def register_extractors(register):
            register(Extractor("lazy-flat", "image", f"{module}:build", requires=("numpy",)))

    plugins.register_plugin(Lazy, "lazy")
    ext = gl.get_extractor("lazy-flat")
    assert module not in sys.modules and ext.available and ext.describe()["factory"] == f"{module}:build"
    feats = np.arange(12.0).reshape(4, 3)
    assert gl.get_metric("FID").compute(feats, feats[::-1] ** 2, extractor="lazy-flat") == \
        gl.get_metric("FID").compute(feats, feats[::-1] ** 2)
    assert sys.modules[module].CALLS == [1.0]
    assert np.array_equal(ext.load(scale=2.0)(feats), 2 * feats), "options go to the factory, uncached"
    assert sys.modules[module].CALLS == [1.0, 2.0]


def test_missing_requirements_raise_before_anything_is_imported(tmp_path, monkeypatch):
    module = _factory_module(tmp_path, monkeypatch)
    missing = f"no_such_lib_{uuid.uuid4().hex[:6]}"

    class NeedsLib:
        @staticmethod
        @hookimpl
        def register_extractors(register):
            register(Extractor("needs-lib", "audio", f"{module}:build", requires=("numpy", missing)))
            register(Extractor("bad-module", "audio", f"{missing}.models:build"))

    plugins.register_plugin(NeedsLib, "needs_lib")
    ext = gl.get_extractor("needs-lib")
    assert ext.missing_requirements() == [missing] and not ext.available
    rows = {r["name"]: r for r in json.loads(CliRunner().invoke(main, ["extractors", "--json"]).output)}
    assert rows["needs-lib"]["available"] is False and rows["needs-lib"]["requires"] == ["numpy", missing]
    clips = [np.zeros(8)] * 3
    with pytest.raises(MissingDependencyError,
                       match=rf"extractor 'needs-lib' \(plugin needs_lib 0\) needs '{missing}'"):
        gl.get_metric("FAD").compute(clips, clips, extractor="needs-lib")
    assert module not in sys.modules, "the factory module is not imported when a requirement is missing"
    with pytest.raises(MissingDependencyError, match=rf"extractor 'bad-module'.*cannot import '{missing}.models'"):
        gl.get_metric("FAD").compute(clips, clips, extractor="bad-module")
    table = CliRunner().invoke(main, ["extractors"]).output
    assert f"missing {missing}" in table


@pytest.mark.parametrize("kwargs,match", [
    ({"name": "", "kind": "image", "factory": print}, "non-empty string"),
    ({"name": "x", "kind": "picture", "factory": print}, "kind must be one of"),
    ({"name": "x", "kind": "image", "factory": "no_colon"}, "'module:attr'"),
    ({"name": "x", "kind": "image", "factory": print, "dim": 0}, "dim must be a positive integer"),
    ({"name": "x", "kind": "image", "factory": print, "output": "logits"}, "output must be one of"),
    ({"name": "x", "kind": "image", "factory": print, "metrics": ("FID", 3)}, "metrics must be a tuple"),
])
def test_bad_declarations_are_registration_errors(kwargs, match):
    with pytest.raises(gl.RegistrationError, match=match):
        Extractor(**kwargs)


def test_a_single_string_is_not_split_into_characters():
    assert Extractor("x", "image", print, metrics="FID", requires="torch").metrics == ("FID",)


def test_factory_returning_a_non_callable_is_refused():
    class Broken:
        @staticmethod
        @hookimpl
        def register_extractors(register):
            register(Extractor("returns-none", "video", lambda: None))

    plugins.register_plugin(Broken, "broken_factory")
    with pytest.raises(gl.RegistrationError, match="factory returned NoneType, not a callable"):
        gl.get_metric("FVD").compute(images(3, 1), images(3, 2), extractor="returns-none")


# -- the host's rules --------------------------------------------------------------------------------
def _plugin(name, *, metric=None, raise_after=False):
    from generallevel import Metric
    from generallevel.normalize import Percent

    class P:
        @staticmethod
        @hookimpl
        def register_metrics(register):
            if metric:
                register(Metric(metric, True, (0.0, 100.0), "percent", Percent(), impl=lambda p, r: 1.0))

        @staticmethod
        @hookimpl
        def register_extractors(register):
            register(Extractor(name, "image", lambda: project_images))
            if raise_after:
                raise RuntimeError("weights index unreadable")

    return P


def test_duplicate_name_across_plugins_names_both_and_drops_the_second_whole(monkeypatch):
    plugins.register_plugin(_plugin("Shared-Extractor", metric="First-Metric"), "aaa_first")
    plugins.register_plugin(_plugin("shared extractor", metric="Second-Metric"), "zzz_second")
    with pytest.warns(PluginWarning, match="extractor name 'shared extractor' from plugin 'zzz_second' clashes "
                                           "with extractor 'Shared-Extractor' already registered by plugin "
                                           "'aaa_first'"):
        assert gl.get_extractor("SHARED-extractor").plugin == "aaa_first"
    reg = plugins.get_registry()
    assert "Second-Metric" not in gl.list_metrics(), "nothing the clashing plugin registered is kept"
    assert "First-Metric" in gl.list_metrics()
    assert reg.plugins["zzz_second"].error.startswith("register failed: RegistrationError")
    assert reg.plugins["zzz_second"].extractors == []
    monkeypatch.setenv("GENERALLEVEL_STRICT", "1")
    plugins.reset()
    with pytest.raises(gl.PluginLoadError, match="from plugin 'zzz_second' clashes.*by plugin 'aaa_first'"):
        gl.list_extractors()


def test_a_raising_register_extractors_is_isolated_with_a_warning():
    plugins.register_plugin(_plugin("good-one"), "good")
    plugins.register_plugin(_plugin("half-done", metric="Half-Metric", raise_after=True), "half")
    with pytest.warns(PluginWarning, match=r"plugin 'half' \(distribution half 0\) register failed: "
                                           r"RuntimeError: weights index unreadable; plugin skipped"):
        assert third_party() == ["good-one"]
    assert "Half-Metric" not in gl.list_metrics() and "Acc" in gl.list_metrics()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)
        rows = {p["name"]: p for p in json.loads(CliRunner().invoke(main, ["plugins", "--json"]).output)}
    assert rows["half"]["error"] == "register failed: RuntimeError: weights index unreadable"
    assert rows["half"]["extractors"] == [] and rows["good"]["extractors"] == ["good-one"]


def test_registering_something_else_is_refused():
    class NotAnExtractor:
        @staticmethod
        @hookimpl
        def register_extractors(register):
            register(project_images)

    plugins.register_plugin(NotAnExtractor, "not_an_extractor")
    with pytest.warns(PluginWarning, match="register_extractors expects Extractor objects, got function"):
        assert third_party() == []


def test_listing_extractors_is_light():
    code = ("import generallevel as gl, sys, json; gl.list_extractors(); gl.list_extractors(metric='FID'); "
            "print(json.dumps([m for m in ('torch', 'transformers', 'sklearn', 'scipy', 'pycocotools', 'jiwer', 'PIL') if m in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
