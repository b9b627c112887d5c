"""Section 3: score a synthetic full-scale General-Bench tree with ``generallevel evaluate``.

The tree (benchmarks/make_fullscale.py: all 699 registry tasks, 325,876 instances) is written to a
temporary folder and scored twice in fresh processes, ``--jobs 2`` and ``--jobs 1``. Each run is
measured from outside: wall time, and peak resident memory of the whole process tree (sampled
from /proc every 50 ms and summed over the CLI process and its workers; the largest single
process, from ``getrusage(RUSAGE_CHILDREN)``, is reported too). The ``--jobs 1`` run gets the time
left in the benchmark's budget; if it runs out, the speed-up is reported as a lower bound. The
parse floor is the time to parse every JSON file of the tree in 2 processes: evaluate --jobs 2 should
stay within FLOOR_GOAL times it (the rest is adapters, metrics and scoring).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Callable

from _common import Row, RunResult, failed_row, generallevel_command, gib, log, run_measured, seconds

WALL_GOAL = 60.0
RSS_GOAL = 2 * 2**30
SPEEDUP_GOAL = 1.8
FLOOR_GOAL = 2.0  # evaluate --jobs 2 within this multiple of the bare parse of its JSON files (2 processes)
MIN_JOBS1_TIMEOUT = 45.0  # below this much time left, --jobs 1 is not started (the run stays < 10 min)

_PARSE = """
import json, os, sys, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

def parse(path, how):
    if how == "fast":
        from generallevel.readers.benchfolder import read_json
        read_json(Path(path))
    else:
        with open(path, encoding="utf-8") as fh:
            json.loads(fh.read())
    return 0

files = sorted((str(p) for root in sys.argv[2:] for p in Path(root).rglob("*.json")), key=os.path.getsize,
               reverse=True)  # largest first, as evaluate schedules its tasks
with ProcessPoolExecutor(2) as pool:
    list(pool.map(parse, files[:2], [sys.argv[1]] * 2))  # start the workers (imports) before timing
    t0 = time.perf_counter()
    list(pool.map(parse, files, [sys.argv[1]] * len(files), chunksize=4))
    print(time.perf_counter() - t0, len(files), sum(os.path.getsize(f) for f in files))
"""


def parse_floor(dataset: str, predictions: str, how: str, timeout: float) -> tuple[float, int, int]:
    """Seconds to parse every annotation.json and prediction.json of the tree in 2 processes (workers
    started before the clock), with generallevel's read_json ('fast': msgspec where it is exact) or
    json.loads ('stdlib'); the floor evaluate cannot go below."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _PARSE, how, dataset, predictions], capture_output=True, text=True,
                         timeout=timeout, check=True)
    secs, n, nbytes = out.stdout.split()
    return float(secs), int(n), int(nbytes)


def _evaluate_cmd(dataset: str, predictions: str, jobs: int) -> list[str]:
    return generallevel_command() + ["evaluate", dataset, "--predictions", predictions, "--jobs", str(jobs),
                                     "--format", "json", "--model", "fullscale-model"]


def _summary(res: RunResult) -> dict:
    """Counts and the first failures from the evaluate JSON (an error text if it did not run).

    Exit status 1 means "results printed, but some tasks failed" (docs/evaluate.md): still a run.
    """
    if res.returncode not in (0, 1):
        return {"error": f"exit {res.returncode}: {res.stderr.strip()[-400:]}"}
    try:
        data = json.loads(res.stdout)
    except json.JSONDecodeError as e:
        return {"error": f"output is not JSON ({e}): {res.stdout[:200]}"}
    ev = data.get("evaluation", {})
    failed = [f"{t.get('metric')}: {t.get('error')}" for t in data.get("tasks", []) if t.get("status") == "failed"]
    return {"scored": ev.get("scored"), "failed": ev.get("failed"), "unsupported": ev.get("unsupported"),
            "folders": ev.get("task_folders"), "level": data.get("level"), "levels": data.get("levels"),
            "failures": failed}


def _failure_note(failures: list[str]) -> str:
    """Failed tasks grouped by metric and reason: '22 x AUC: <reason>; 1 x PQ: <reason>'."""
    groups: dict[str, int] = {}
    for f in failures:
        groups[f] = groups.get(f, 0) + 1
    return "failed: " + "; ".join(f"{n} x {text[:100]}" for text, n in
                                  sorted(groups.items(), key=lambda kv: -kv[1])) if failures else ""


def run(quick: bool = False, keep: str | None = None, jobs1: bool = True, deadline: float | None = None,
        after_jobs2: Callable[[str, str, RunResult, dict], list[Row]] | None = None) -> list[Row]:
    """``after_jobs2(dataset, predictions, run, summary)``: more rows measured on the same tree right
    after the ``--jobs 2`` run (the cluster section's ``--scheduler local`` comparison)."""
    import make_fullscale as mf

    sec = "fullscale"
    rows: list[Row] = []
    # --quick: one task per kind of instance generator (every metric still runs), tiny sizes
    total = 300 if quick else mf.TOTAL_INSTANCES
    caps = {m: min(c, 3) for m, c in mf.CAPS.items()} if quick else None
    minimum = 2 if quick else mf.MIN_INSTANCES
    small = {"per_kind": 1, "feature_dim": 8} if quick else {}
    tmp = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="generallevel-fullscale-"))
    if keep and tmp.exists():
        shutil.rmtree(tmp)
    try:
        log(f"  writing the synthetic tree ({total:,} instances) to {tmp}")
        t0 = time.perf_counter()
        summary = mf.make_tree(tmp, total=total, seed=0, jobs=1 if quick else 2, caps=caps, minimum=minimum,
                               **small)
        t_gen = time.perf_counter() - t0
        rows.append(Row(sec, f"synthetic tree: {summary['tasks']} tasks, {summary['instances']:,} instances",
                        f"{summary['bytes'] / 2**20:.0f} MiB JSON", "-", None,
                        f"written in {seconds(t_gen)} by benchmarks/make_fullscale.py (seed 0); "
                        f"not part of any goal", {"seconds": t_gen, **summary}))
        dataset, preds = summary["dataset"], summary["predictions"]
        budget = (deadline - time.time()) if deadline else 600.0
        timeout2 = max(budget - MIN_JOBS1_TIMEOUT, 2 * WALL_GOAL)
        log(f"  generallevel evaluate --jobs 2 (timeout {timeout2:.0f} s)")
        try:
            r2 = run_measured(_evaluate_cmd(dataset, preds, 2), timeout=timeout2)
        except TimeoutError:
            rows.append(Row(sec, "`generallevel evaluate --jobs 2` wall", f"> {timeout2:.0f} s", f"< {WALL_GOAL:g} s",
                            False, "stopped at the benchmark's time budget; memory and speed-up not measured",
                            {"timeout": timeout2}))
            return rows
        s2 = _summary(r2)
        if "error" in s2:
            raise RuntimeError(f"generallevel evaluate --jobs 2 failed: {s2['error']}")
        rows.append(Row(sec, "`generallevel evaluate --jobs 2` wall", seconds(r2.wall), f"< {WALL_GOAL:g} s",
                        r2.wall < WALL_GOAL, f"level {s2['level']}; S2..S5 "
                        + ", ".join(f"{v:.2f}" for v in (s2.get("levels") or {}).values()), {"seconds": r2.wall}))
        if after_jobs2 is not None:
            try:
                rows += after_jobs2(dataset, preds, r2, summary)
            except Exception as e:  # noqa: BLE001 - its own row, never the section
                rows.append(failed_row(sec, "rows measured after --jobs 2", "-", e))
        try:
            log("  parse floor: every JSON file of the tree, 2 processes, read_json")
            fast, n_files, nbytes = parse_floor(dataset, preds, "fast", 300)
            ratio = r2.wall / fast
            rows.append(Row(sec, "evaluate --jobs 2 / bare parse of its JSON files", f"{ratio:.2f}x",
                            f"<= {FLOOR_GOAL:g}x", ratio <= FLOOR_GOAL,
                            f"parse floor {seconds(fast)}: read_json (msgspec where exact, else json) of {n_files} "
                            f"files, {nbytes / 2**20:.0f} MiB, in 2 processes like --jobs 2 (json.loads alone "
                            f"takes ~2.5x as long: parse_floor(..., 'stdlib')); the rest of evaluate's time is "
                            f"adapters, metrics and scoring (benchmarks/profile_tasks.py splits it per metric)",
                            {"floor_s": fast, "ratio": ratio, "files": n_files, "bytes": nbytes}))
        except Exception as e:  # noqa: BLE001
            rows.append(failed_row(sec, "evaluate --jobs 2 / bare parse of its JSON files", f"<= {FLOOR_GOAL:g}x", e))
        rows.append(Row(sec, "peak RSS of the process tree (--jobs 2)", gib(r2.peak_tree_rss), f"< {gib(RSS_GOAL)}",
                        r2.peak_tree_rss < RSS_GOAL,
                        f"sum over the CLI process and its workers, sampled every 50 ms; largest single process "
                        f"{gib(r2.peak_single_rss)} (getrusage RUSAGE_CHILDREN)",
                        {"tree_bytes": r2.peak_tree_rss, "single_bytes": r2.peak_single_rss}))
        scored, folders = s2.get("scored") or 0, s2.get("folders") or 0
        fails = s2.get("failures") or []
        rows.append(Row(sec, "task folders scored", f"{scored}/{folders}", f"all {folders}", scored == folders,
                        _failure_note(fails), {"scored": scored, "failed": s2.get("failed"), "failures": fails}))
        if not jobs1:
            rows.append(Row(sec, "speed-up --jobs 2 over --jobs 1", "skipped", f">= {SPEEDUP_GOAL}", None,
                            "--no-jobs1 given"))
            return rows
        budget = (deadline - time.time()) if deadline else 3 * r2.wall + 60
        if budget < MIN_JOBS1_TIMEOUT:
            rows.append(Row(sec, "speed-up --jobs 2 over --jobs 1", "skipped", f">= {SPEEDUP_GOAL}", None,
                            f"only {max(budget, 0):.0f} s of the benchmark's 10 minutes left: --jobs 1 not run"))
            return rows
        timeout = budget
        log(f"  generallevel evaluate --jobs 1 (timeout {timeout:.0f} s)")
        try:
            r1 = run_measured(_evaluate_cmd(dataset, preds, 1), timeout=timeout)
            s1 = _summary(r1)
            if "error" in s1:
                raise RuntimeError(f"generallevel evaluate --jobs 1 failed: {s1['error']}")
            speedup = r1.wall / r2.wall
            same = s1.get("levels") == s2.get("levels")
            rows.append(Row(sec, "speed-up --jobs 2 over --jobs 1", f"{speedup:.2f}x", f">= {SPEEDUP_GOAL}",
                            speedup >= SPEEDUP_GOAL if same else False,
                            f"--jobs 1 wall {seconds(r1.wall)}, peak RSS {gib(r1.peak_tree_rss)}; "
                            f"{'identical' if same else 'WRONG: different'} level scores; CPU seconds of the "
                            f"process tree {r1.cpu:.1f} (--jobs 1) vs {r2.cpu:.1f} (--jobs 2): --jobs 2 spends "
                            f"{r2.cpu / max(r1.cpu, 1e-9):.2f}x the CPU time (two workers importing the metric "
                            f"libraries; each task slower while both CPUs are busy), so at most "
                            f"{2 * r1.cpu / max(r2.cpu, 1e-9):.2f}x is possible here",
                            {"jobs1_seconds": r1.wall, "speedup": speedup, "identical": same, "wrong": not same,
                             "jobs1_cpu": r1.cpu, "jobs2_cpu": r2.cpu}))
        except TimeoutError:
            bound = timeout / r2.wall
            rows.append(Row(sec, "speed-up --jobs 2 over --jobs 1", f">= {bound:.2f}x (lower bound)",
                            f">= {SPEEDUP_GOAL}", True if bound >= SPEEDUP_GOAL else None,
                            f"--jobs 1 stopped after {timeout:.0f} s (the benchmark's time budget); "
                            f"the bound is timeout / jobs-2 wall", {"lower_bound": bound}))
    except Exception as e:  # noqa: BLE001
        rows.append(failed_row(sec, "`generallevel evaluate` on the full-scale tree", f"< {WALL_GOAL:g} s", e))
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)
    return rows

