"""Section cluster: what running evaluate on Dask costs (docs/cluster.md).

Three figures, each measured from outside in fresh processes:

* the full-scale synthetic General-Bench tree (benchmarks/make_fullscale.py: all 699 tasks, 325,876
  instances) scored with ``--scheduler local --jobs 2`` (a LocalCluster of two worker processes)
  against ``--jobs 2`` (two plain worker processes): the wall-time ratio, goal <= 1.10, and both
  reports must agree. When the fullscale section runs too, it hands its tree and its ``--jobs 2``
  run over (:func:`compare`, called right after that run), so the tree is written and scored once;
* the LocalCluster's start-up (scheduler, two nannies and workers, the path check): a fixed cost
  that the ratio includes, and that dominates on small trees;
* scheduler overhead per task: N no-op tasks through ``DaskRun.map`` on a running two-worker
  LocalCluster (the path evaluate uses: worker plugin, submission, polling, results), minus nothing:
  an upper bound on what Dask adds to each task.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

from _common import Row, RunResult, log, run_measured, seconds

RATIO_GOAL = 1.10
SECTION = "cluster"


def _cmd(dataset: str, predictions: str, extra: list[str]) -> list[str]:
    """The fullscale section's ``--jobs 2`` command, plus ``extra``: both sides score the same way."""
    from bench_fullscale import _evaluate_cmd

    return _evaluate_cmd(dataset, predictions, 2) + extra


def _levels(stdout: str) -> tuple | None:
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError:
        return None
    return data.get("levels"), [(t["id"], t["raw"]) for t in data.get("tasks", [])]


def _noop(x: int) -> int:
    return x


def _startup_and_overhead(n: int) -> tuple[float, float]:
    """(seconds to start a two-worker LocalCluster and check a path, seconds per task DaskRun.map adds)."""
    from generallevel.cluster import DaskRun

    t0 = time.perf_counter()
    with DaskRun("local", workers=2) as run:
        run.check_paths([tempfile.gettempdir()])
        start = time.perf_counter() - t0
        run.map(_noop, [(i,) for i in range(8)], None, lambda i, r: None)  # warm up imports and connections
        t0 = time.perf_counter()
        run.map(_noop, [(i,) for i in range(n)], None, lambda i, r: None)
        return start, (time.perf_counter() - t0) / n


def compare(dataset: str, predictions: str, plain: RunResult, summary: dict, timeout: float = 600) -> list[Row]:
    """The ratio row: ``--scheduler local`` on the tree that ``plain`` (``--jobs 2``) just scored."""
    log("  generallevel evaluate --jobs 2 --scheduler local")
    try:
        dask = run_measured(_cmd(dataset, predictions, ["--scheduler", "local"]), timeout=timeout)
    except TimeoutError:
        return [Row(SECTION, "evaluate --scheduler local (2 workers) / --jobs 2", f"> {timeout:.0f} s",
                    f"<= {RATIO_GOAL:.2f}x", False, f"stopped at the benchmark's budget; --jobs 2 took "
                    f"{seconds(plain.wall)}", {"timeout": timeout})]
    same = _levels(plain.stdout) == _levels(dask.stdout) and _levels(plain.stdout) is not None
    ratio = dask.wall / plain.wall
    return [Row(SECTION, f"evaluate --scheduler local (2 workers) / --jobs 2, {summary['tasks']} tasks",
                f"{ratio:.2f}x", f"<= {RATIO_GOAL:.2f}x", ratio <= RATIO_GOAL and same,
                f"{seconds(dask.wall)} vs {seconds(plain.wall)} on {summary['instances']:,} instances; "
                f"reports {'identical' if same else 'WRONG: they differ'}; the cluster's start-up included",
                {"dask_s": dask.wall, "jobs_s": plain.wall, "identical": same, "wrong": not same})]


def overhead_rows(quick: bool = False) -> list[Row]:
    """Start-up and per-task overhead of a two-worker LocalCluster (no tree needed)."""
    n = 50 if quick else 1000
    start, per_task = _startup_and_overhead(n)
    return [Row(SECTION, "LocalCluster start-up (2 workers, path check)", seconds(start), "-", None,
                "a fixed cost of every --scheduler local run, included in the ratio above",
                {"seconds": start}),
            Row(SECTION, "Dask overhead per task (no-op tasks, warm LocalCluster)", f"{per_task * 1e3:.1f} ms",
                "-", None, f"{n} tasks through DaskRun.map: submission, scheduling, polling, result",
                {"seconds_per_task": per_task})]


def installed() -> bool:
    try:
        import distributed  # noqa: F401
    except ImportError:
        return False
    return True


def run(quick: bool = False, with_tree: bool = True) -> list[Row]:
    """The section on its own. ``with_tree=False``: the fullscale section supplies the ratio row."""
    import make_fullscale as mf

    if not installed():
        return [Row(SECTION, "Dask", "not installed", "-", None, "pip install 'generallevel[cluster]'")]
    rows: list[Row] = []
    if with_tree:
        total = 300 if quick else mf.TOTAL_INSTANCES
        small = {"per_kind": 1, "feature_dim": 8, "minimum": 2,
                 "caps": {m: min(c, 3) for m, c in mf.CAPS.items()}} if quick else {}
        tmp = Path(tempfile.mkdtemp(prefix="generallevel-cluster-"))
        try:
            summary = mf.make_tree(tmp, total=total, seed=0, jobs=1 if quick else 2, **small)
            dataset, preds = summary["dataset"], summary["predictions"]
            log(f"  cluster: {summary['tasks']} tasks, {summary['instances']:,} instances; --jobs 2")
            plain = run_measured(_cmd(dataset, preds, []), timeout=600)
            rows += compare(dataset, preds, plain, summary)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return rows + overhead_rows(quick)
