"""Section intervals: what ``evaluate --ci --resamples 1000`` costs against ``evaluate`` on the same tree.

A synthetic tree of every registry task (benchmarks/make_fullscale.py, scaled down to
:data:`INSTANCES` instances so that the section fits the run's 10-minute budget; ``--full`` runs it
at full scale, 325,876 instances) is scored twice in fresh processes with ``--jobs 2``: without
intervals and with ``--ci --resamples 1000``. Reported: both wall times, their ratio (aim <= 3x),
the peak resident memory of each process tree and what the intervals add, and how many tasks each
resampling method served. Both reports must agree on every task's raw value and on the Levels.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path

from _common import Row, generallevel_command, gib, log, run_measured, seconds

INSTANCES = 40_000
RESAMPLES = 1000
RATIO_GOAL = 3.0


def _cmd(dataset: str, predictions: str, ci: bool) -> list[str]:
    return (generallevel_command() + ["evaluate", dataset, "--predictions", predictions, "--jobs", "2",
                                      "--format", "json", "--model", "fullscale-model"]
            + (["--ci", "--resamples", str(RESAMPLES)] if ci else []))


def _report(res, what: str) -> dict:
    if res.returncode not in (0, 1):
        raise RuntimeError(f"evaluate {what} failed (exit {res.returncode}): {res.stderr.strip()[-400:]}")
    return json.loads(res.stdout)


def run(quick: bool = False, full: bool = False, timeout: float = 300.0) -> list[Row]:
    import make_fullscale as mf

    sec = "intervals"
    total = 300 if quick else (mf.TOTAL_INSTANCES if full else INSTANCES)
    small = {"per_kind": 1, "feature_dim": 8, "minimum": 2,
             "caps": {m: min(c, 3) for m, c in mf.CAPS.items()}} if quick else {}
    tmp = Path(tempfile.mkdtemp(prefix="generallevel-intervals-"))
    try:
        log(f"  writing a synthetic tree ({total:,} instances)")
        summary = mf.make_tree(tmp, total=total, seed=0, jobs=1 if quick else 2, **small)
        dataset, preds = summary["dataset"], summary["predictions"]
        log("  generallevel evaluate --jobs 2")
        plain = run_measured(_cmd(dataset, preds, False), timeout=timeout)
        log(f"  generallevel evaluate --jobs 2 --ci --resamples {RESAMPLES}")
        try:
            ci = run_measured(_cmd(dataset, preds, True), timeout=timeout)
        except TimeoutError:
            return [Row(sec, f"`evaluate --ci --resamples {RESAMPLES}` / `evaluate` wall", f"> {timeout:.0f} s",
                        f"<= {RATIO_GOAL:g}x", False, f"stopped at the section's budget ({summary['tasks']} tasks, "
                        f"{summary['instances']:,} instances; evaluate alone {seconds(plain.wall)})",
                        {"timeout": timeout})]
        a, b = _report(plain, "without --ci"), _report(ci, "with --ci")
        wrong = ([t["id"] for t, u in zip(a["tasks"], b["tasks"]) if t["raw"] != u["raw"]]
                 + ([] if a["levels"] == b["levels"] else ["levels"]))
        methods: dict[str, int] = {}
        for t in b["tasks"]:
            m = (t.get("interval") or {}).get("method", "none")
            methods[m] = methods.get(m, 0) + 1
        ratio = ci.wall / plain.wall
        added = ci.peak_tree_rss - plain.peak_tree_rss
        scale = f"{summary['tasks']} tasks, {summary['instances']:,} instances"
        return [
            Row(sec, f"`evaluate --ci --resamples {RESAMPLES}` / `evaluate` wall ({scale})", f"{ratio:.2f}x",
                f"<= {RATIO_GOAL:g}x", ratio <= RATIO_GOAL,
                f"{seconds(ci.wall)} vs {seconds(plain.wall)}, --jobs 2; tasks per method: "
                + ", ".join(f"{k} {v}" for k, v in sorted(methods.items()))
                + (f"; WRONG: raw values differ in {wrong[:5]}" if wrong else ""),
                {"ratio": ratio, "seconds_ci": ci.wall, "seconds_plain": plain.wall, "methods": methods,
                 "wrong": bool(wrong)}),
            Row(sec, "memory added by --ci (peak of the process tree)", gib(max(added, 0)), "-", None,
                f"{gib(ci.peak_tree_rss)} with --ci vs {gib(plain.peak_tree_rss)} without",
                {"bytes": added}),
        ]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--full", action="store_true", help="the full-scale tree (325,876 instances; minutes)")
    args = ap.parse_args()
    for row in run(quick=args.quick, full=args.full, timeout=1800.0 if args.full else 300.0):
        print(f"{row.figure}: {row.value} (goal {row.goal}) {row.note}")
