"""evaluate on Dask: identical reports to --jobs 1, a killed worker, a task that kills every worker,
a hung task, a path the workers cannot see, and Dask as an optional extra.

Every test starts a LocalCluster of worker *processes* (the real thing, as on a cluster node).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("distributed")

import generallevel as gl  # noqa: E402
from generallevel import InputError, Metric, MissingDependencyError, Task, hookimpl, plugins  # noqa: E402
from generallevel.cluster import DaskRun  # noqa: E402
from generallevel.evaluate import DEMO_DATASET, DEMO_PREDICTIONS, evaluate  # noqa: E402
from generallevel.normalize import Percent  # noqa: E402

SLOW_METRIC = '''
import os, pathlib, time

def compute(predictions, references, mode="plain", marker=""):
    if mode == "die":
        os._exit(1)  # the worker process dies, every time
    if mode == "hang":
        time.sleep(600)
    if mode == "sleep-once":
        m = pathlib.Path(marker)
        if not m.exists():
            m.write_text(str(os.getpid()))
            time.sleep(120)  # killed by the test while here
    return 100.0 * sum(p == r for p, r in zip(predictions, references)) / len(predictions)
'''


def _stable(result) -> dict:
    """The report without what legitimately differs between two runs (where the tasks ran)."""
    d = json.loads(json.dumps(result.to_dict()))
    d.pop("generated_at", None)
    return d


@pytest.fixture
def slow_plugin(tmp_path, monkeypatch):
    """A plugin task 'Slow Task' whose metric (importable by worker processes) behaves as told."""
    mod = tmp_path / "pymods"
    mod.mkdir()
    (mod / "gl_slow_metric.py").write_text(textwrap.dedent(SLOW_METRIC))
    monkeypatch.syspath_prepend(str(mod))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(mod), os.environ.get("PYTHONPATH", "")]))

    def install(**options):
        class Slow:
            @staticmethod
            @hookimpl
            def register_metrics(register):
                register(Metric("Slow-Acc", True, (0.0, 100.0), "percent", Percent(), impl="gl_slow_metric:compute"))

            @staticmethod
            @hookimpl
            def register_tasks(register):
                register(Task(id="slow-task", name="Slow Task", modality="Image", paradigm="comprehension",
                              metric="Slow-Acc", sota=50.0, sota_unit="percent", metric_options=options))
        plugins.register_plugin(Slow, "slow_plugin")

    yield install
    plugins.unregister_plugin("slow_plugin")


def _tree(tmp_path: Path) -> tuple[Path, Path]:
    """Two demo tasks plus 'Slow Task' (answers a, b, c; predicted a, b, x)."""
    data, preds = tmp_path / "data", tmp_path / "preds"
    for rel in ("image/comprehension/Human_Action_Recognition", "nlp/Commonsense_Reasoning"):
        shutil.copytree(DEMO_DATASET / rel, data / rel)
        shutil.copytree(DEMO_PREDICTIONS / rel, preds / rel)
    slow = data / "image" / "comprehension" / "Slow_Task"
    slow.mkdir(parents=True)
    (slow / "annotation.json").write_text(json.dumps(
        {"task": "Slow Task", "data": [{"id": i, "output": {"answer": a}} for i, a in enumerate("abc")]}))
    (preds / "image" / "comprehension" / "Slow_Task").mkdir(parents=True)
    (preds / "image" / "comprehension" / "Slow_Task" / "prediction.json").write_text(json.dumps(
        [{"id": i, "prediction": a} for i, a in enumerate("abx")]))
    return data, preds


def test_demo_on_a_local_cluster_equals_jobs_1(capsys):
    one = evaluate(DEMO_DATASET, DEMO_PREDICTIONS, "demo-omni", jobs=1)
    dask = evaluate(DEMO_DATASET, DEMO_PREDICTIONS, "demo-omni", jobs=2, scheduler="local", dashboard=True)
    assert _stable(dask) == _stable(one)
    assert "Dask dashboard: http" in capsys.readouterr().err


def test_confidence_intervals_on_a_local_cluster_equal_jobs_1():
    one = evaluate(DEMO_DATASET, DEMO_PREDICTIONS, "demo-omni", jobs=1, ci=True, resamples=60, seed=2)
    dask = evaluate(DEMO_DATASET, DEMO_PREDICTIONS, "demo-omni", jobs=2, scheduler="local", ci=True, resamples=60,
                    seed=2)
    assert _stable(dask) == _stable(one) and "intervals" in _stable(one)


def test_general_bench_tree_on_a_local_cluster_equals_jobs_1(tmp_path):
    from test_general_bench_nlp import TASKS, _write_task

    for entry in TASKS:
        _write_task(tmp_path / "gb", tmp_path / "gb", "NLP", entry)
    one = evaluate(tmp_path / "gb", None, "m", jobs=1)
    dask = evaluate(tmp_path / "gb", None, "m", jobs=2, scheduler="local")
    assert _stable(dask) == _stable(one) and not dask.failed


def test_a_worker_killed_mid_task_is_retried_and_the_result_is_intact(tmp_path, slow_plugin):
    marker = tmp_path / "slow-task-started"
    slow_plugin(mode="sleep-once", marker=str(marker))
    data, preds = _tree(tmp_path)
    out: dict = {}
    run = threading.Thread(target=lambda: out.update(r=evaluate(data, preds, "m", jobs=2, scheduler="local")))
    run.start()
    deadline = time.monotonic() + 120
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert marker.exists(), "the slow task never started"
    os.kill(int(marker.read_text()), signal.SIGKILL)
    run.join(180)
    assert not run.is_alive()
    slow = next(t for t in out["r"].tasks if t.task_id == "slow-task")
    assert slow.status == "scored" and slow.raw == pytest.approx(200 / 3)
    assert _stable(out["r"]) == _stable(evaluate(data, preds, "m", jobs=1))  # the marker now exists: no sleep


def test_a_task_that_kills_every_worker_fails_alone(tmp_path, slow_plugin):
    slow_plugin(mode="die")
    data, preds = _tree(tmp_path)
    result = evaluate(data, preds, "m", jobs=2, scheduler="local")
    by_id = {t.task_id or t.folder: t for t in result.tasks}
    bad = next(t for t in result.tasks if t.folder.endswith("Slow_Task"))
    assert bad.status == "failed" and "died twice" in bad.error
    assert by_id["commonsense-reasoning"].status == "scored" and by_id["human-action-recognition"].status == "scored"


def test_a_hung_task_times_out_and_the_run_finishes(tmp_path, slow_plugin):
    slow_plugin(mode="hang")
    data, preds = _tree(tmp_path)
    start = time.monotonic()
    result = evaluate(data, preds, "m", jobs=2, scheduler="local", task_timeout=10)  # healthy tasks take seconds under load
    assert time.monotonic() - start < 90
    bad = next(t for t in result.tasks if t.folder.endswith("Slow_Task"))
    assert bad.status == "failed" and "timed out" in bad.error and "--task-timeout" in bad.error
    assert sum(t.status == "scored" for t in result.tasks) == 2


def test_small_tasks_share_a_dask_task_and_large_ones_run_alone():
    from generallevel.cluster import group_small

    sizes = [900, 10, 40, 500, 30, 30, 5, 5, 5]  # total 1525; 2 workers x 2 groups: target 381.25
    order = sorted(range(len(sizes)), key=lambda i: -sizes[i])  # 0, 3, 2, 4, 5, 1, 6, 7, 8
    assert group_small(order, sizes, workers=2, per_worker=2) == [[0], [3], [2, 4, 5, 1, 6, 7, 8]]
    assert group_small(order, sizes, workers=2, per_worker=2, max_members=3) == [[0], [3], [2, 4, 5], [1, 6, 7], [8]]
    assert group_small(order, sizes, workers=2, per_worker=2, alone=lambda i: i == 4) == [
        [0], [3], [4], [2, 5, 1, 6, 7, 8]]
    assert group_small(order, sizes, workers=1, per_worker=1000) == [[i] for i in order]  # target 1.5: all alone


@pytest.fixture
def one_group(monkeypatch):
    """Every task folder in one Dask task (a group's target size is then the whole input)."""
    import generallevel.cluster as cluster

    monkeypatch.setattr(cluster, "GROUPS_PER_WORKER", 0)


def test_a_group_with_a_task_that_kills_every_worker_is_split_and_only_that_task_fails(tmp_path, slow_plugin,
                                                                                     one_group):
    slow_plugin(mode="die")
    data, preds = _tree(tmp_path)
    result = evaluate(data, preds, "m", jobs=2, scheduler="local")
    bad = next(t for t in result.tasks if t.folder.endswith("Slow_Task"))
    assert bad.status == "failed" and "died twice" in bad.error
    assert sorted(t.task_id for t in result.tasks if t.status == "scored") == [
        "commonsense-reasoning", "human-action-recognition"]


def test_a_group_with_a_hung_task_is_split_and_only_that_task_times_out(tmp_path, slow_plugin, one_group):
    slow_plugin(mode="hang")
    data, preds = _tree(tmp_path)
    result = evaluate(data, preds, "m", jobs=2, scheduler="local", task_timeout=10)  # healthy tasks take seconds under load
    bad = next(t for t in result.tasks if t.folder.endswith("Slow_Task"))
    assert bad.status == "failed" and "timed out" in bad.error
    assert sum(t.status == "scored" for t in result.tasks) == 2


def test_grouped_tasks_give_the_same_report_as_jobs_1(one_group):
    dask = evaluate(DEMO_DATASET, DEMO_PREDICTIONS, "demo-omni", jobs=2, scheduler="local")
    assert _stable(dask) == _stable(evaluate(DEMO_DATASET, DEMO_PREDICTIONS, "demo-omni", jobs=1))


def test_feature_extraction_runs_as_dask_tasks_of_its_own_with_the_same_rows(tmp_path, monkeypatch):
    """A FID task over 70 + 70 PNG files: on Dask its files are decoded and embedded in runs of one
    extractor batch (32 files: 3 runs per side) as Dask tasks of their own; the FID is the same float
    as with --jobs 1, which embeds them in one process."""
    dask = pytest.importorskip("dask")
    Image = pytest.importorskip("PIL.Image")
    pytest.importorskip("transformers")
    from generallevel import cluster
    from generallevel_builtin.tiny_models import save_tiny

    rng = np.random.default_rng(5)
    opts = save_tiny("clip-image", tmp_path / "hub")
    data, preds = tmp_path / "data", tmp_path / "preds"
    rel = Path("image") / "generation" / "Spread_FID"
    for side, root in (("targets", data), ("outputs", preds)):
        (root / rel / side).mkdir(parents=True)
        for i in range(70):
            Image.fromarray(rng.integers(0, 256, (24, 20, 3), dtype=np.uint8)).save(root / rel / side / f"{i}.png")
    (data / rel / "annotation.json").write_text(json.dumps(
        {"task": "Spread FID", "data": [{"id": str(i), "output": {"image": f"targets/{i}.png"}} for i in range(70)]}))
    (preds / rel / "prediction.json").write_text(json.dumps(
        [{"id": str(i), "prediction": f"outputs/{i}.png"} for i in range(70)]))

    class SpreadTask:
        @staticmethod
        @hookimpl
        def register_tasks(register):
            register(Task(id="spread-fid", name="Spread FID", modality="Image", paradigm="generation", metric="FID",
                          sota=50.0, sota_unit="value", metric_options={"extractor": "clip-image"}))

    env = {"GENERALLEVEL_FEATURE_CACHE": "off", "HF_HUB_OFFLINE": "1", "GENERALLEVEL_DEVICE": "cpu"}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    monkeypatch.setattr(cluster, "SPREAD_FILES", 32)
    plugins.register_plugin(SpreadTask, "spread_task")
    try:
        options = {"clip-image": opts}
        one = evaluate(data, preds, "m", jobs=1, extractor_options=options)
        with dask.config.set({"distributed.nanny.environ": env}):  # the workers' environment
            spread = evaluate(data, preds, "m", jobs=2, scheduler="local", extractor_options=options)
        (preds / rel / "outputs" / "40.png").write_bytes(b"not a png")  # in the second run of 32 files
        (preds / rel / "outputs" / "3.png").write_bytes(b"")
        bad_one = evaluate(data, preds, "m", jobs=1, extractor_options=options).tasks[0]
        with dask.config.set({"distributed.nanny.environ": env}):
            bad_spread = evaluate(data, preds, "m", jobs=2, scheduler="local", extractor_options=options).tasks[0]
    finally:
        plugins.unregister_plugin("spread_task")
    a, b = one.tasks[0], spread.tasks[0]
    assert a.status == b.status == "scored", (a.error, b.error)
    assert b.raw == a.raw
    assert any("70 prediction file(s) through 'clip-image'" in n and "in 3 Dask tasks" in n for n in b.notes), b.notes
    assert any("70 reference file(s) through 'clip-image'" in n and "in 3 Dask tasks" in n for n in b.notes), b.notes
    assert not any("Dask tasks" in n for n in a.notes)
    assert bad_one.status == bad_spread.status == "failed"
    assert bad_spread.error == bad_one.error and "2 of 70 item(s)" in bad_one.error, bad_one.error
    assert bad_one.error.index("'3' (prediction)") < bad_one.error.index("'40' (prediction)")


def test_a_path_the_workers_cannot_see_is_one_clear_error(tmp_path):
    missing = tmp_path / "only-on-the-client"
    with DaskRun("local", workers=1) as run:
        with pytest.raises(InputError, match=r"Dask worker tcp://.* cannot see .*only-on-the-client.*shared file"):
            run.check_paths([tmp_path, missing])


def test_without_dask_the_message_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'generallevel\[cluster\]'"):
        evaluate(DEMO_DATASET, DEMO_PREDICTIONS, jobs=1, scheduler="local")


def test_importing_and_evaluating_without_a_scheduler_never_imports_dask():
    import subprocess

    code = ("import sys, generallevel as gl; from generallevel.evaluate import evaluate_demo; evaluate_demo(jobs=1); "
            "print([m for m in ('dask', 'distributed') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_unreachable_scheduler_is_a_clear_error():
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        evaluate(DEMO_DATASET, DEMO_PREDICTIONS, jobs=1, scheduler="tcp://127.0.0.1:9")


assert gl  # the public API is importable alongside the cluster module
