"""The plugin ecosystem end to end: a real pip-installed plugin distribution, the new-plugin scaffold,
and the host's safety rules (isolation, strict mode, name clashes, the allow-list).

Installs go into a throw-away venv (``python -m venv`` from this interpreter) that sees this
environment's packages through a ``.pth`` file, so the test environment itself is never modified.
Broken plugins are exercised in-process with fake distributions (a module plus a ``.dist-info``
holding ``entry_points.txt``) put on ``sys.path``: the host discovers them as ``importlib.metadata``
would (its own scan, checked equal in test_plugin_discovery.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import uuid
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

import generallevel as gl
from generallevel import plugins
from generallevel.cli import main
from generallevel.plugins import PluginWarning

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "plugins" / "examples" / "generallevel-metric-example"

def _can_build_wheels() -> bool:
    """pip --no-build-isolation builds with this environment's setuptools (>= 70.1, or wheel)."""
    import importlib.util
    from importlib.metadata import PackageNotFoundError, version

    try:
        major, minor = (int(x) for x in version("setuptools").split(".")[:2])
    except (PackageNotFoundError, ValueError):
        return False
    return (major, minor) >= (70, 1) or importlib.util.find_spec("wheel") is not None


needs_setuptools = pytest.mark.skipif(
    not _can_build_wheels(),
    reason="building a plugin offline (pip --no-build-isolation) needs setuptools>=70.1 (or wheel) "
           "in the test environment")


# -- a throw-away venv ----------------------------------------------------------------------------
class Venv:
    """A venv whose python also sees the test environment's site-packages (generallevel, pytest)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
        self.python = str(path / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python"))
        purelib = subprocess.run([self.python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                 check=True, capture_output=True, text=True).stdout.strip()
        host = sysconfig.get_paths()["purelib"]
        Path(purelib, "_generallevel_host.pth").write_text(f"import site; site.addsitedir({host!r})\n")

    def run(self, *args: str, cwd: Path | None = None, check: bool = True, env: dict | None = None):
        import os

        full_env = {k: v for k, v in os.environ.items() if not k.startswith("GENERALLEVEL_")}
        full_env.update(env or {}, PYTHONDONTWRITEBYTECODE="1")
        proc = subprocess.run([self.python, *args], cwd=cwd, capture_output=True, text=True, env=full_env)
        if check and proc.returncode != 0:
            raise AssertionError(f"{args} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
        return proc

    def cli(self, *args: str, **kw):
        return self.run("-m", "generallevel.cli", *args, **kw)

    def pip(self, *args: str):
        proc = subprocess.run([sys.executable, "-m", "pip", "--python", self.python, *args,
                               "--disable-pip-version-check"], capture_output=True, text=True)
        if proc.returncode != 0:
            raise AssertionError(f"pip {args} failed:\n{proc.stdout}\n{proc.stderr}")
        return proc

    def install(self, source: Path, tmp: Path) -> None:
        """pip-install a copy of ``source`` (builds never write into the repository)."""
        copy = tmp / f"src-{source.name}-{uuid.uuid4().hex[:6]}"
        shutil.copytree(source, copy, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
        self.pip("install", "--no-deps", "--no-build-isolation", "--no-index", "--no-cache-dir", str(copy))


@pytest.fixture
def venv(tmp_path) -> Venv:
    return Venv(tmp_path / "venv")


def _plugin_rows(v: Venv, **kw) -> dict[str, dict]:
    return {p["name"]: p for p in json.loads(v.cli("plugins", "--json", **kw).stdout)}


# -- the example distribution ---------------------------------------------------------------------
@needs_setuptools
def test_example_distribution_installs_lists_computes_scores_and_uninstalls(venv, tmp_path):
    venv.install(EXAMPLE, tmp_path)

    row = _plugin_rows(venv)["token_jaccard"]
    assert row == {"name": "token_jaccard", "distribution": "generallevel-metric-example", "version": "0.1.0",
                   "module": "generallevel_metric_example", "builtin": False,
                   "hooks": ["register_metrics", "register_tasks"], "metrics": ["Token-Jaccard"], "tasks": 1,
                   "error": None}
    metrics = {m["name"]: m for m in json.loads(venv.cli("metrics", "--json").stdout)}
    assert metrics["Token-Jaccard"]["plugin"] == "token_jaccard"
    assert metrics["Token-Jaccard"]["aliases"] == ["Tag-Jaccard"]
    tasks = {t["id"]: t for t in json.loads(venv.cli("tasks", "--modality", "Image", "--json").stdout)}
    assert tasks["image-keyword-tagging"]["metric"] == "Token-Jaccard"
    assert tasks["image-keyword-tagging"]["plugin"] == "token_jaccard"

    script = textwrap.dedent("""
        import json, generallevel as gl
        m = gl.get_metric("tag jaccard")
        value = m.compute(["dog, ball", "cat"], [["dog", "frisbee"], ["cat"]])
        r = gl.score({"image-keyword-tagging": value, "crowd-counting": 3.0}, model="m")
        row = next(t for t in r.tasks if t.task.id == "image-keyword-tagging")
        print(json.dumps({"value": value, "sigma": row.sigma, "win": row.win, "image": r.modalities["Image"],
                          "plugins": r.provenance["plugins"], "sha": gl.registry_fingerprint()}))
    """)
    out = json.loads(venv.run("-c", script).stdout)
    assert out["value"] == pytest.approx(100 * (1 / 3 + 1) / 2)
    assert out["sigma"] == pytest.approx(out["value"]) and out["win"]  # 66.7 >= SoTA 61.5
    assert out["image"]["tasks"] == 317 and out["image"]["supported"] == 2 and out["image"]["wins"] == 2
    assert out["plugins"]["token_jaccard"] == {"distribution": "generallevel-metric-example", "version": "0.1.0"}
    assert out["sha"] != gl.registry_fingerprint(), "a plugin task changes the registry fingerprint"

    # the example's own tests pass against the installed distribution
    copy = tmp_path / "example-tests"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__",
                                                                 "generallevel_metric_example"))
    res = venv.run("-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=copy, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "passed" in res.stdout

    # the allow-list applies to it
    assert "token_jaccard" not in _plugin_rows(venv, env={"GENERALLEVEL_PLUGINS": ""})
    assert "token_jaccard" in _plugin_rows(venv, env={"GENERALLEVEL_PLUGINS": "generallevel-metric-example"})

    venv.pip("uninstall", "-y", "generallevel-metric-example")
    assert "token_jaccard" not in _plugin_rows(venv)
    gone = venv.run("-c", textwrap.dedent("""
        import generallevel as gl
        assert "image-keyword-tagging" not in [t.id for t in gl.list_tasks()]
        gl.get_metric('Token-Jaccard')
    """), check=False)
    assert gone.returncode != 0 and "unknown metric 'Token-Jaccard'" in gone.stderr


# -- the scaffold ---------------------------------------------------------------------------------
@needs_setuptools
@pytest.mark.parametrize("kind,args,entry,dist", [
    ("metric", ["Word-Overlap"], "word_overlap", "generallevel-word-overlap"),
    ("task", ["Pet Breed Quiz", "--kind", "task", "--modality", "Image"], "pet_breed_quiz",
     "generallevel-pet-breed-quiz"),
])
def test_new_plugin_scaffold_installs_and_its_generated_tests_pass(venv, tmp_path, kind, args, entry, dist):
    result = CliRunner().invoke(main, ["new-plugin", *args, "--directory", str(tmp_path)])
    assert result.exit_code == 0, result.output
    root = tmp_path / dist
    assert f"Created {root}" in result.output
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    module = "generallevel_" + entry
    assert files == ["README.md", f"{module}/__init__.py", "pyproject.toml", f"tests/test_{entry}.py"]
    assert f'[project.entry-points.generallevel]\n{entry} = "{module}"' in (root / "pyproject.toml").read_text()

    venv.install(root, tmp_path)
    row = _plugin_rows(venv)[entry]
    assert row["distribution"] == dist and row["error"] is None
    assert row["hooks"] == (["register_metrics"] if kind == "metric" else ["register_tasks"])
    res = venv.run("-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=root, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "passed" in res.stdout and "skipped" not in res.stdout
    if kind == "metric":
        assert "Word-Overlap" in venv.cli("metrics").stdout
    else:
        tasks = json.loads(venv.cli("tasks", "--json").stdout)
        assert any(t["id"] == "pet-breed-quiz" and t["plugin"] == entry for t in tasks)


def test_scaffold_names_and_refusals(tmp_path):
    from generallevel.scaffold import PluginNames, render, scaffold

    n = PluginNames.from_name("generallevel-My Metric!")
    assert (n.slug, n.dist, n.module, n.entry) == ("my-metric", "generallevel-my-metric",
                                                   "generallevel_my_metric", "my_metric")
    files = render("3d-thing", "task", metric="cd", modality="3d", paradigm="generation")
    module = files["generallevel_3d_thing/__init__.py"]
    assert 'metric=\'CD\'' in module and 'modality="3D"' in module and 'sota_unit="value"' in module
    compile(module, "module", "exec")
    for text in render("zzz-metric").values():
        assert "$" not in text.replace("$$", ""), "every template placeholder is filled"

    with pytest.raises(gl.InputError, match="already exists.*'Acc'.*builtin_classification"):
        render("ACC")
    with pytest.raises(gl.InputError, match="task 'crowd-counting' already exists"):
        render("crowd counting", "task")
    with pytest.raises(gl.UnknownMetricError, match="did you mean"):
        render("new-task", "task", metric="Accuracyy")
    with pytest.raises(gl.InputError, match="unknown plugin kind"):
        render("x", "dataset")
    with pytest.raises(gl.InputError, match="does not fit modality NLP"):
        render("x", "task", modality="NLP", paradigm="generation")
    with pytest.raises(gl.InputError, match="no letters or digits"):
        render("!!!")
    scaffold("abc", directory=tmp_path)
    with pytest.raises(gl.InputError, match="already exists and is not empty"):
        scaffold("abc", directory=tmp_path)
    result = CliRunner().invoke(main, ["new-plugin", "acc", "-d", str(tmp_path)])
    assert result.exit_code == 2 and "already exists" in result.output


def test_templates_are_package_data():
    """The scaffold reads its templates with importlib.resources, so they must ship in the wheel."""
    from importlib import resources

    tomllib = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")

    root = resources.files("generallevel") / "templates"
    names = {f"{kind}/{p.name}" for kind in ("common", "metric", "task") for p in (root / kind).iterdir()
             if p.name.endswith(".tmpl")}
    assert {"common/pyproject.toml.tmpl", "metric/module.py.tmpl", "task/test.py.tmpl"} <= names
    globs = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["generallevel"]
    assert any(g.startswith("templates/") and g.endswith("*") for g in globs), globs


# -- broken and clashing plugins (fake distributions on sys.path) ---------------------------------
def fake_dist(tmp_path: Path, monkeypatch, source: str, dist: str | None = None, ep: str | None = None) -> tuple[str, str]:
    """Install a one-module distribution with an entry point in the `generallevel` group; return (ep, dist)."""
    tag = uuid.uuid4().hex[:8]
    module, dist, ep = f"glfake_{tag}", dist or f"glfake-dist-{tag}", ep or f"fake_{tag}"
    root = tmp_path / f"site-{tag}"
    root.mkdir()
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{dist.replace('-', '_')}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[generallevel]\n{ep} = {module}\n")
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.delitem(sys.modules, module, raising=False)
    plugins.reset()
    return ep, dist


GOOD_METRIC = """
    from generallevel import Metric, hookimpl
    from generallevel.normalize import Percent

    @hookimpl
    def register_metrics(register):
        register(Metric("{name}", True, (0.0, 100.0), "percent", Percent(), impl=lambda p, r: 50.0,
                        aliases={aliases}))
"""


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv("GENERALLEVEL_STRICT", raising=False)
    monkeypatch.delenv("GENERALLEVEL_PLUGINS", raising=False)


def test_plugin_raising_at_import_is_isolated_with_a_warning(tmp_path, monkeypatch):
    ep, dist = fake_dist(tmp_path, monkeypatch, "raise RuntimeError('boom at import')\n")
    with pytest.warns(PluginWarning, match=rf"plugin '{ep}' \(distribution {dist} 1.0\) import failed: "
                                           r"RuntimeError: boom at import; plugin skipped"):
        names = gl.list_metrics()
    assert "Acc" in names and len(gl.list_tasks()) == 699, "everything else still loads"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PluginWarning)
        plugins.reset()
        rows = {p["name"]: p for p in json.loads(CliRunner().invoke(main, ["plugins", "--json"]).output)}
    assert rows[ep]["error"] == "import failed: RuntimeError: boom at import"
    assert rows[ep]["distribution"] == dist and rows[ep]["metrics"] == []


def test_plugin_raising_during_registration_is_isolated_transactionally(tmp_path, monkeypatch):
    ep, _ = fake_dist(tmp_path, monkeypatch, """
        from generallevel import Metric, hookimpl
        from generallevel.normalize import Percent

        @hookimpl
        def register_metrics(register):
            register(Metric("Half-Done", True, (0.0, 100.0), "percent", Percent(), impl=lambda p, r: 1.0))
            raise ValueError("broken halfway")
    """)
    with pytest.warns(PluginWarning, match=rf"'{ep}'.*register failed: ValueError: broken halfway"):
        assert "Half-Done" not in gl.list_metrics(), "nothing a failing plugin registered is kept"
    assert plugins.get_registry().plugins[ep].metrics == []


@pytest.mark.parametrize("source,stage", [
    ("raise ImportError('missing dep')\n", "import failed: ImportError: missing dep"),
    ("from generallevel import hookimpl\n\n@hookimpl\ndef register_tasks(register):\n    register('not a task')\n",
     "register failed: RegistrationError: register_tasks expects Task objects, got str"),
])
def test_strict_mode_makes_plugin_failures_fatal(tmp_path, monkeypatch, source, stage):
    ep, dist = fake_dist(tmp_path, monkeypatch, source)
    monkeypatch.setenv("GENERALLEVEL_STRICT", "1")
    with pytest.raises(gl.PluginLoadError, match=rf"'{ep}' \(distribution {dist} 1.0\) {stage}"):
        gl.list_metrics()
    result = CliRunner().invoke(main, ["metrics"])
    assert result.exit_code == 2 and ep in result.output


@pytest.mark.parametrize("name,aliases,clash", [
    ("Acc", "()", "'Acc'"),                  # an existing name
    ("My-Accuracy", "('ACC',)", "'ACC'"),    # an existing alias spelling, differently cased
    ("My-Fid", "('f_i_d',)", "'f_i_d'"),     # the same name key as FID
])
def test_registering_an_existing_metric_name_or_alias_names_both_plugins(tmp_path, monkeypatch, name, aliases, clash):
    ep, _ = fake_dist(tmp_path, monkeypatch, GOOD_METRIC.format(name=name, aliases=aliases))
    with pytest.warns(PluginWarning) as caught:
        gl.list_metrics()
    msg = str(caught[0].message)
    assert f"metric name {clash} from plugin '{ep}' clashes with metric" in msg
    assert "already registered by plugin 'builtin_" in msg
    assert gl.get_metric("Acc").plugin == "builtin_classification"
    monkeypatch.setenv("GENERALLEVEL_STRICT", "1")
    plugins.reset()
    with pytest.raises(gl.PluginLoadError, match=f"from plugin '{ep}' clashes.*by plugin 'builtin_"):
        gl.list_metrics()


def test_two_external_plugins_with_the_same_metric_name(tmp_path, monkeypatch):
    ep1, _ = fake_dist(tmp_path, monkeypatch, GOOD_METRIC.format(name="Shared-Name", aliases="()"), ep="aaa_first")
    ep2, _ = fake_dist(tmp_path, monkeypatch, GOOD_METRIC.format(name="shared name", aliases="()"), ep="zzz_second")
    with pytest.warns(PluginWarning, match="'shared name' from plugin 'zzz_second' clashes with metric "
                                           "'Shared-Name' already registered by plugin 'aaa_first'"):
        assert gl.get_metric("Shared-Name").plugin == "aaa_first"


def test_a_task_id_taken_by_another_plugin_names_both(tmp_path, monkeypatch):
    ep, _ = fake_dist(tmp_path, monkeypatch, """
        from generallevel import Task, hookimpl

        @hookimpl
        def register_tasks(register):
            register(Task(id="crowd-counting", name="Another Crowd Count", modality="Image",
                          paradigm="comprehension", metric="MAE", sota=1.0, sota_unit="value"))
    """)
    with pytest.warns(PluginWarning, match=rf"duplicate task id 'crowd-counting': registered by plugin "
                                           rf"'builtin_tasks' and again by '{ep}'"):
        assert gl.get_task("crowd-counting").plugin == "builtin_tasks"


def test_allow_list_limits_external_plugins_only(tmp_path, monkeypatch):
    ep, dist = fake_dist(tmp_path, monkeypatch, GOOD_METRIC.format(name="Allowed-Metric", aliases="()"))
    for value, loaded in ((None, True), ("", False), (ep, True), (dist.upper(), True),
                          ("something-else", False), (f"x, {ep} ,y", True)):
        if value is None:
            monkeypatch.delenv("GENERALLEVEL_PLUGINS", raising=False)
        else:
            monkeypatch.setenv("GENERALLEVEL_PLUGINS", value)
        plugins.reset()
        assert ("Allowed-Metric" in gl.list_metrics()) is loaded, value
        assert (ep in plugins.get_registry().plugins) is loaded
        assert len(gl.list_tasks()) == 699 and "Acc" in gl.list_metrics(), "built-ins always load"


def test_in_process_plugin_registration(tmp_path):
    """register_plugin/unregister_plugin: both hooks, with a compute and an adapter given as callables."""
    from generallevel import Metric, Task, hookimpl
    from generallevel.normalize import Percent

    class InProcess:
        @staticmethod
        @hookimpl
        def register_metrics(register):
            register(Metric("Always-42", True, (0.0, 100.0), "percent", Percent(), impl=lambda p, r: 42.0))

        @staticmethod
        @hookimpl
        def register_tasks(register):
            register(Task(id="answer-everything", name="Answer Everything", modality="NLP", paradigm="none",
                          metric="Always-42", sota=40.0, sota_unit="percent"))

    plugins.register_plugin(InProcess, "in_process")
    assert gl.get_metric("always 42").compute([1], [1]) == 42.0
    row = next(t for t in gl.score({"answer-everything": 42.0}).tasks if t.task.id == "answer-everything")
    assert row.win and row.sigma == 42.0
    assert plugins.get_registry().plugins["in_process"].hooks == ["register_metrics", "register_tasks"]
    plugins.unregister_plugin("in_process")
    assert "Always-42" not in gl.list_metrics()
