"""The plugin host cannot be fooled: built-ins load first and keep their names, a plugin is kept or
dropped whole, normalisations are probed at registration, and a printing or slow plugin is named.

Each case is a fake distribution (a module plus a ``.dist-info`` with ``entry_points.txt``) put on
``sys.path``, discovered by the host's entry-point scan, which test_plugin_discovery.py checks
equal to ``importlib.metadata`` (the helper is shared with test_plugin_ecosystem.py). Every case checks the three promises: the host and the other
plugins keep working in default mode, one PluginWarning names the plugin and its distribution, and
``GENERALLEVEL_STRICT=1`` turns the problem into an error.
"""

from __future__ import annotations

import json
import sys
import warnings

import pytest
from click.testing import CliRunner

import generallevel as gl
from generallevel import plugins
from generallevel.cli import main
from generallevel.plugins import PluginWarning

from test_plugin_ecosystem import fake_dist

DEMO_CSV = str(plugins.__file__).replace("plugins.py", "examples/example-model-scores.csv")


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    monkeypatch.delenv("GENERALLEVEL_STRICT", raising=False)
    monkeypatch.delenv("GENERALLEVEL_PLUGINS", raising=False)
    monkeypatch.setenv("GENERALLEVEL_PLUGIN_BUDGET", "60")  # only the slow-plugin tests are about time


def _forget_modules() -> None:
    """Forget the fake plugins' modules, so the next registry build imports (and runs) them again, as a
    fresh process would."""
    for name in [n for n in sys.modules if n.startswith("glfake_")]:
        del sys.modules[name]


def _load_warnings() -> list[str]:
    _forget_modules()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plugins.reset()
        plugins.get_registry()
    return [str(w.message) for w in caught if issubclass(w.category, PluginWarning)
            and "(distribution generallevel " not in str(w.message)]  # the fake plugins' warnings only


def _host_works() -> None:
    """Every command that reads the registry still works (exit 0) and built-ins are intact."""
    runner = CliRunner()
    for args in (["metrics"], ["tasks"], ["plugins"], ["score", DEMO_CSV, "--format", "json"]):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PluginWarning)
            plugins.reset()
            r = runner.invoke(main, args)
        assert r.exit_code == 0, (args, r.output)
    assert gl.get_metric("acc").plugin == "builtin_classification"
    assert gl.get_metric("ANLS").plugin == "builtin_text"
    assert len([t for t in gl.list_tasks() if t.plugin == "builtin_tasks"]) == 699


def _strict_fails(monkeypatch, *patterns: str) -> None:
    monkeypatch.setenv("GENERALLEVEL_STRICT", "1")
    _forget_modules()
    plugins.reset()
    with pytest.raises(gl.PluginLoadError) as err:
        gl.list_metrics()
    for p in patterns:
        assert p in str(err.value), (p, str(err.value))
    _forget_modules()
    r = CliRunner().invoke(main, ["metrics"])
    assert r.exit_code == 2 and patterns[0] in r.output
    monkeypatch.delenv("GENERALLEVEL_STRICT")
    plugins.reset()


METRIC = """
from generallevel import Metric, Task, hookimpl
from generallevel.normalize import Percent

@hookimpl
def register_metrics(register):
    register(Metric({name!r}, True, (0.0, 100.0), "percent", Percent(), impl=lambda p, r: 50.0))
"""


def _source(metric: str | None, tasks: list[str]) -> str:
    """A plugin module registering the percent metric ``metric`` (if any) and ``Task(...)`` per argument list."""
    lines = ["from generallevel import Metric, Task, hookimpl", "from generallevel.normalize import Percent", ""]
    if metric:
        lines += ["@hookimpl", "def register_metrics(register):",
                  f"    register(Metric({metric!r}, True, (0.0, 100.0), 'percent', Percent(), impl=lambda p, r: 1.0))",
                  ""]
    if tasks:
        lines += ["@hookimpl", "def register_tasks(register):"] + [f"    register(Task({t}))" for t in tasks]
    return "\n".join(lines) + "\n"


CLASHING_TASK = ('id="crowd-counting", name="My Crowd Count", modality="Image", paradigm="comprehension", '
                 'metric="MAE", sota=1.0, sota_unit="value"')


# -- built-ins first ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["acc", "ACC", "Accuracy"])
def test_a_plugin_sorting_before_the_builtins_cannot_take_a_builtin_metric(tmp_path, monkeypatch, name):
    ep, dist = fake_dist(tmp_path, monkeypatch, METRIC.format(name=name), ep="aa_mymetric")
    (msg,) = _load_warnings()
    assert msg.startswith(f"generallevel plugin 'aa_mymetric' (distribution {dist} 1.0) register failed")
    assert "already registered by plugin 'builtin_classification'" in msg and msg.endswith("plugin skipped")
    _host_works()
    assert "aa_mymetric" not in plugins.get_registry().provenance()["plugins"]
    _strict_fails(monkeypatch, "'aa_mymetric'", dist)


def test_a_plugin_sorting_before_the_builtins_cannot_take_a_builtin_task(tmp_path, monkeypatch):
    ep, dist = fake_dist(tmp_path, monkeypatch, _source(None, [CLASHING_TASK]), ep="aa_tasks")
    (msg,) = _load_warnings()
    assert "'aa_tasks'" in msg and dist in msg and "duplicate task id 'crowd-counting'" in msg
    assert gl.get_task("crowd-counting").plugin == "builtin_tasks" and gl.get_task("crowd-counting").sota != 1.0
    _host_works()
    _strict_fails(monkeypatch, "'aa_tasks'", dist)


def test_an_external_entry_point_named_like_a_builtin_one_is_refused(tmp_path, monkeypatch):
    ep, dist = fake_dist(tmp_path, monkeypatch, METRIC.format(name="Text-Shadow"), dist="shadow-dist",
                         ep="builtin_text")
    (msg,) = _load_warnings()
    assert msg.startswith("generallevel plugin 'builtin_text' (distribution shadow-dist 1.0) entry point name "
                          "'builtin_text' is already taken by plugin 'builtin_text' of distribution generallevel")
    assert "Text-Shadow" not in gl.list_metrics()
    row = next(p for p in plugins.get_registry().plugins.values() if p.distribution == "shadow-dist")
    assert row.error and plugins.get_registry().plugins["builtin_text"].distribution == "generallevel"
    _host_works()
    _strict_fails(monkeypatch, "shadow-dist", "already taken")


# -- a plugin is kept or dropped whole ------------------------------------------------------------
def test_a_plugin_with_one_clashing_task_is_dropped_whole(tmp_path, monkeypatch):
    ep, dist = fake_dist(tmp_path, monkeypatch, _source("Half-Good", [
        'id="a-fine-task", name="A Fine Task", modality="NLP", paradigm="none", metric="Half-Good", sota=50.0, '
        'sota_unit="percent"',
        'id="commonsense-reasoning", name="Reasoning Again", modality="NLP", paradigm="none", metric="Half-Good", '
        'sota=50.0, sota_unit="percent"']))
    msgs = _load_warnings()
    assert len(msgs) == 1 and f"'{ep}'" in msgs[0] and dist in msgs[0] and "plugin skipped" in msgs[0]
    assert "Half-Good" not in gl.list_metrics(), "its metric goes with it"
    assert "a-fine-task" not in [t.id for t in gl.list_tasks()], "and its other tasks"
    with pytest.raises(gl.InputError, match="unknown task 'a-fine-task'"):
        gl.score({"a-fine-task": 60.0})
    reg = plugins.get_registry()
    assert reg.plugins[ep].error and reg.plugins[ep].tasks == [] and reg.plugins[ep].metrics == []
    assert ep not in reg.provenance()["plugins"]
    _host_works()
    _strict_fails(monkeypatch, f"'{ep}'", "commonsense-reasoning")


def test_a_task_using_a_dropped_plugins_metric_drops_its_plugin_too(tmp_path, monkeypatch):
    fake_dist(tmp_path, monkeypatch, _source("Lent-Metric", [CLASHING_TASK]), ep="first_lender")
    fake_dist(tmp_path, monkeypatch, _source(None, [
        'id="borrowing-task", name="Borrowing Task", modality="NLP", paradigm="none", metric="Lent-Metric", '
        'sota=50.0, sota_unit="percent"']), ep="second_borrower")
    msgs = _load_warnings()
    assert len(msgs) == 2 and "unknown metric 'Lent-Metric'" in msgs[1]
    assert "Lent-Metric" not in gl.list_metrics() and "borrowing-task" not in [t.id for t in gl.list_tasks()]


# -- the normalisation contract -------------------------------------------------------------------
BAD_NORM = """
    import numpy as np
    from dataclasses import dataclass
    from generallevel import Metric, hookimpl
    from generallevel.normalize import Normalization, Percent

    @dataclass(frozen=True)
    class Bad(Normalization):
        {body}

    @hookimpl
    def register_metrics(register):
        register(Metric("Bad-Norm", {higher}, (0.0, 10.0), "value", Bad(), impl=lambda p, r: 1.0))
        register(Metric("Good-Sibling", True, (0.0, 100.0), "percent", Percent(), impl=lambda p, r: 1.0))

    @hookimpl
    def register_tasks(register):
        from generallevel import Task
        register(Task(id="bad-norm-task", name="Bad Norm Task", modality="Image", paradigm="comprehension",
                      metric="Bad-Norm", sota=2.0, sota_unit="value"))
"""
FORMULA = "formula = property(lambda self: 'mine')"
BAD_CASES = {
    "returns 150": (f"{FORMULA}\n        def __call__(self, raw):\n            return np.asarray(raw) * 0 + 150.0",
                    "True", "to 150.0, not a finite number in [0, 100]"),
    "returns NaN": (f"{FORMULA}\n        def __call__(self, raw):\n            return np.asarray(raw) * np.nan",
                    "True", "not a finite number in [0, 100]"),
    "returns a string": (f"{FORMULA}\n        def __call__(self, raw):\n            return 'high'",
                         "True", "not"),
    "no formula": ("def _map(self, x):\n            return 10.0 * x", "True", "has no formula"),
    "wrong direction": (f"{FORMULA}\n        def _map(self, x):\n            return 10.0 * x", "False",
                        "not monotone in the declared direction (lower is better)"),
    "constant": (f"{FORMULA}\n        def _map(self, x):\n            return 0 * x + 50.0", "True", "is constant"),
    "scalar differs": (f"{FORMULA}\n        def __call__(self, raw):\n"
                       f"            return 10.0 * np.asarray(raw) if np.ndim(raw) else 3.0", "True",
                       "alone but to"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_a_normalisation_breaking_the_contract_drops_its_plugin(tmp_path, monkeypatch, case):
    body, higher, expected = BAD_CASES[case]
    ep, dist = fake_dist(tmp_path, monkeypatch, BAD_NORM.format(body=body, higher=higher))
    (msg,) = _load_warnings()
    assert f"'{ep}' (distribution {dist} 1.0) register failed" in msg and "metric 'Bad-Norm'" in msg
    assert expected in msg and "plugin skipped" in msg
    assert "Bad-Norm" not in gl.list_metrics() and "Good-Sibling" not in gl.list_metrics()
    _host_works()
    report = gl.score({"crowd-counting": 3.0})  # a file that never names the plugin's task
    assert report.level >= 2
    _strict_fails(monkeypatch, f"'{ep}'", "Bad-Norm")


def test_a_normalisation_failing_between_probe_points_is_an_error_not_a_score():
    """The probe cannot see every raw value: the scorer refuses a value outside 0..100 it is given."""
    import numpy as np
    from dataclasses import dataclass

    from generallevel import Metric, Task, hookimpl
    from generallevel.normalize import Normalization

    @dataclass(frozen=True)
    class Spiky(Normalization):
        @property
        def formula(self) -> str:
            return "spiky"

        def __call__(self, raw):
            x = np.asarray(raw, dtype=float)
            y = np.where(x == 42.4242, np.nan, x)
            return float(y) if np.ndim(raw) == 0 else y

    class P:
        @staticmethod
        @hookimpl
        def register_metrics(register):
            register(Metric("Spiky", True, (0.0, 100.0), "percent", Spiky(), impl=lambda p, r: 1.0))

        @staticmethod
        @hookimpl
        def register_tasks(register):
            register(Task(id="spiky-task", name="Spiky Task", modality="NLP", paradigm="none", metric="Spiky",
                          sota=50.0, sota_unit="percent"))

    plugins.register_plugin(P, "spiky")
    assert gl.score({"spiky-task": 60.0}).tasks  # fine where the mapping is fine
    with pytest.raises(gl.InputError, match=r"metric Spiky \(plugin spiky\): its normalisation maps raw "
                                            r"42.4242 to nan, outside 0..100"):
        gl.score({"spiky-task": 42.4242})


def test_every_builtin_normalisation_keeps_the_contract():
    from generallevel.normalize import contract_problems

    for m in plugins.get_registry().metrics:
        assert contract_problems(m.normalization, m.raw_range, m.higher_is_better) == [], m.name


# -- a plugin that prints, or is slow, is kept and named ------------------------------------------
def test_a_plugin_printing_at_import_cannot_corrupt_json_output(tmp_path, monkeypatch):
    ep, dist = fake_dist(tmp_path, monkeypatch, "print('hello from a chatty plugin')\n"
                         + METRIC.format(name="Chatty"))
    runner = CliRunner()
    for args in (["metrics", "--json"], ["tasks", "--json"], ["plugins", "--json"],
                 ["score", DEMO_CSV, "--format", "json"]):
        _forget_modules()
        plugins.reset()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PluginWarning)
            r = runner.invoke(main, args)
        assert r.exit_code == 0, r.output
        json.loads(r.stdout)  # nothing but JSON on standard output
    (msg,) = _load_warnings()
    assert f"'{ep}' (distribution {dist} 1.0) wrote 27 characters to standard output" in msg
    assert "'hello from a chatty plugin'" in msg and msg.endswith("plugin kept")
    assert gl.get_metric("Chatty").plugin == ep
    assert plugins.get_registry().plugins[ep].describe()["warnings"]
    _strict_fails(monkeypatch, f"'{ep}'", "standard output")


def test_a_slow_plugin_is_named_and_kept(tmp_path, monkeypatch):
    ep, dist = fake_dist(tmp_path, monkeypatch, "import time\ntime.sleep(0.3)\n" + METRIC.format(name="Sluggish"))
    monkeypatch.setenv("GENERALLEVEL_PLUGIN_BUDGET", "0.1")
    (msg,) = _load_warnings()
    assert f"'{ep}' (distribution {dist} 1.0) took" in msg and "budget 0.1 s" in msg and msg.endswith("plugin kept")
    assert gl.get_metric("Sluggish").plugin == ep
    assert "ok; took" in CliRunner().invoke(main, ["plugins"]).output  # the table shows why it was named
    _host_works()
    _strict_fails(monkeypatch, f"'{ep}'", "budget 0.1 s")
    monkeypatch.setenv("GENERALLEVEL_PLUGIN_BUDGET", "30")
    assert _load_warnings() == []


def test_several_problems_of_one_plugin_make_one_warning(tmp_path, monkeypatch):
    ep, dist = fake_dist(tmp_path, monkeypatch, "import time\nprint('hi')\ntime.sleep(0.3)\n"
                         + METRIC.format(name="Noisy-Slow"))
    monkeypatch.setenv("GENERALLEVEL_PLUGIN_BUDGET", "0.1")
    (msg,) = _load_warnings()
    assert "standard output" in msg and "budget" in msg and dist in msg


def test_a_failing_hook_leaves_the_others_working(tmp_path, monkeypatch):
    ep, dist = fake_dist(tmp_path, monkeypatch, """
        from generallevel import hookimpl

        @hookimpl
        def register_metrics(register):
            raise RuntimeError("hook exploded")
    """)
    good_ep, _ = fake_dist(tmp_path, monkeypatch, METRIC.format(name="Still-Here"))
    (msg,) = _load_warnings()
    assert f"'{ep}' (distribution {dist} 1.0) register failed: RuntimeError: hook exploded; plugin skipped" == \
        msg.removeprefix("generallevel plugin ")
    assert gl.get_metric("Still-Here").plugin == good_ep
    _host_works()
    _strict_fails(monkeypatch, f"'{ep}'", "hook exploded")


# -- new-plugin sets what a plugin author needs ---------------------------------------------------
def _exec_module(source: str, name: str):
    import types

    module = types.ModuleType(name)
    exec(compile(source, name, "exec"), module.__dict__)  # noqa: S102 - our own generated code
    return module


def test_new_plugin_sets_metric_name_and_task_sota_unit_skill_short_name(tmp_path):
    from generallevel.scaffold import render

    files = render("my-dist", metric_name="Token Overlap Score")
    module = _exec_module(files["generallevel_my_dist/__init__.py"], "generallevel_my_dist")
    plugins.register_plugin(module, "my_dist")
    assert gl.get_metric("token overlap score").plugin == "my_dist"

    files = render("Pet Quiz", "task", metric="acc", sota=0.8, unit="fraction", skill="recognition",
                   short_name="Pets", modality="Image")
    module = _exec_module(files["generallevel_pet_quiz/__init__.py"], "generallevel_pet_quiz")
    plugins.register_plugin(module, "pet_quiz")
    task = gl.get_task("Pets")
    assert (task.id, task.sota, task.sota_unit, task.skill, task.short_name) == (
        "pet-quiz", 0.8, "fraction", "recognition", "Pets")
    assert task.sota_metric_unit == pytest.approx(80.0)  # Acc is in percent

    r = CliRunner().invoke(main, ["new-plugin", "Bird Quiz", "--kind", "task", "--metric", "Acc", "--sota", "71.5",
                                  "--skill", "recognition", "--short-name", "Birds", "-d", str(tmp_path)])
    assert r.exit_code == 0, r.output
    text = (tmp_path / "generallevel-bird-quiz" / "generallevel_bird_quiz" / "__init__.py").read_text()
    assert "sota=71.5," in text and 'sota_unit="percent"' in text and "short_name='Birds'" in text
    r = CliRunner().invoke(main, ["new-plugin", "dist-x", "--metric-name", "Acc", "-d", str(tmp_path)])
    assert r.exit_code == 2 and "already exists" in r.output and "--metric-name" in r.output
    with pytest.raises(gl.InputError, match=r"--sota 150 percent: Acc score 150 is outside"):
        render("Too High", "task", metric="Acc", sota=150)
    with pytest.raises(gl.InputError, match="do not apply to --kind metric"):
        render("m", sota=3.0, skill="x")
    with pytest.raises(gl.InputError, match="cannot convert"):
        render("t", "task", metric="FID", unit="percent", sota=3.0)
