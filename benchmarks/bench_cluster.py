"""Section cluster: what running evaluate on Dask costs (docs/cluster.md).

Two figures, each measured from outside in fresh processes:

* the same synthetic General-Bench tree (all 699 tasks; a tenth of the full-scale instances so the
  section fits the benchmark's time budget beside the full-scale section) scored with
  ``--scheduler local --jobs 2`` (a LocalCluster of two worker processes) against ``--jobs 2``
  (two plain worker processes): the wall-time ratio, goal <= 1.10, and both reports must agree;
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

from _common import Row, generallevel_command, log, run_measured, seconds

RATIO_GOAL = 1.10
SHARE = 10  # the tree holds 1/SHARE of the full-scale instances


def _cmd(dataset: str, predictions: str, extra: list[str]) -> list[str]:
    return generallevel_command() + ["evaluate", dataset, "--predictions", predictions, "--jobs", "2",
                                     "--format", "json", "--model", "cluster-model", *extra]


def _levels(stdout: str) -> tuple | None:
    try:
        data = json.loads(stdout)
    except json.JSONDecodeError:
        return None
    return data.get("levels"), [(t["id"], t["raw"]) for t in data.get("tasks", [])]


def _noop(x: int) -> int:
    return x


def _overhead(n: int) -> float:
    """Seconds per task that DaskRun.map adds, on a warm two-worker LocalCluster."""
    from generallevel.cluster import DaskRun

    with DaskRun("local", workers=2) as run:
        run.map(_noop, [(i,) for i in range(8)], None, lambda i, r: None)  # warm up imports and connections
        t0 = time.perf_counter()
        run.map(_noop, [(i,) for i in range(n)], None, lambda i, r: None)
        return (time.perf_counter() - t0) / n


def run(quick: bool = False) -> list[Row]:
    import make_fullscale as mf

    sec = "cluster"
    rows: list[Row] = []
    try:
        import distributed  # noqa: F401
    except ImportError:
        return [Row(sec, "Dask", "not installed", "-", None, "pip install 'generallevel[cluster]'")]
    total = 300 if quick else mf.TOTAL_INSTANCES // SHARE
    caps = {m: min(c, 3) for m, c in mf.CAPS.items()} if quick else {m: max(2, c // SHARE) for m, c in mf.CAPS.items()}
    small = {"per_kind": 1, "feature_dim": 8} if quick else {}
    tmp = Path(tempfile.mkdtemp(prefix="generallevel-cluster-"))
    try:
        summary = mf.make_tree(tmp, total=total, seed=1, jobs=1 if quick else 2, caps=caps,
                               minimum=2 if quick else 3, **small)
        dataset, preds = summary["dataset"], summary["predictions"]
        log(f"  cluster: {summary['tasks']} tasks, {summary['instances']:,} instances; --jobs 2, then --scheduler local")
        plain = run_measured(_cmd(dataset, preds, []), timeout=600)
        dask = run_measured(_cmd(dataset, preds, ["--scheduler", "local"]), timeout=600)
        same = _levels(plain.stdout) == _levels(dask.stdout) and _levels(plain.stdout) is not None
        ratio = dask.wall / plain.wall
        rows.append(Row(sec, f"evaluate --scheduler local (2 workers) / --jobs 2, {summary['tasks']} tasks",
                        f"{ratio:.2f}x", f"<= {RATIO_GOAL:.2f}x", ratio <= RATIO_GOAL and same,
                        f"{seconds(dask.wall)} vs {seconds(plain.wall)} on {summary['instances']:,} instances; "
                        f"reports {'identical' if same else 'DIFFER'}; the cluster's start-up included",
                        {"dask_s": dask.wall, "jobs_s": plain.wall, "identical": same}))
        n = 50 if quick else 1000
        per_task = _overhead(n)
        rows.append(Row(sec, "Dask overhead per task (no-op tasks, warm LocalCluster)", f"{per_task * 1e3:.1f} ms",
                        "-", None, f"{n} tasks through DaskRun.map: submission, scheduling, polling, result",
                        {"seconds_per_task": per_task}))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows
