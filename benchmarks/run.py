"""generallevel benchmarks: one table of measured figures against their goals, from one run.

    python benchmarks/run.py              # the full benchmark (under 10 minutes on 2 cores)
    python benchmarks/run.py --quick      # tiny sizes, a few seconds per section (smoke test)
    python benchmarks/run.py --only metrics,leaderboard --json out.json
    python benchmarks/run.py --readme     # the full run, its table written into benchmarks/README.md

Exit status: 1 when a compared result is wrong (a metric differs from its reference beyond its
tolerance, a leaderboard read back differs from what was written, --jobs 1 and 2 disagree), else 0;
a slow figure is a "NO" in the table, never a failed run.

Sections: startup (import and CLI wall time), metrics (each metric against its reference library
on the same inputs), fullscale (a synthetic 699-task, 325,876-instance General-Bench tree scored
with ``generallevel evaluate``), intervals (``evaluate --ci --resamples 1000`` against ``evaluate`` on a
40,000-instance tree of every task), extractors (PNG decode + Inception features against torch-fidelity, cached
FID rescoring, WAV decode + CLAP), leaderboard (1,000 models x 699 tasks in memory and 100,000 from result
files, every board), service (the web
service as real processes: board latency under 200 concurrent GETs while a worker scores, and the
server's memory under 8 concurrent uploads expanding to 190 MiB each). Progress goes to stderr;
stdout carries only the table. Speed goals live here, never in a timed test.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Row, byte_compile_installed, failed_row, format_table, log  # noqa: E402

SECTIONS = ("startup", "metrics", "extractors", "fullscale", "intervals", "leaderboard", "cluster",
            "service")  # table order
RUN_ORDER = ("startup", "service", "leaderboard", "metrics", "extractors", "cluster", "intervals",
             "fullscale")  # open-ended last; service before leaderboard, whose 21 GiB of files leave I/O behind
BUDGET = 570.0  # seconds: the whole run must stay under 10 minutes; --jobs 1 gets what is left


def _section(name: str, args: argparse.Namespace, deadline: float) -> list[Row]:
    if name == "startup":
        import bench_startup

        return bench_startup.run(quick=args.quick)
    if name == "metrics":
        import bench_metrics

        return bench_metrics.run(quick=args.quick, only=args.metric)
    if name == "extractors":
        import bench_extractors

        return bench_extractors.run(quick=args.quick)
    if name == "fullscale":
        import bench_fullscale

        after = None
        if "cluster" in args.wanted:  # the Dask comparison on the same full-scale tree, right after --jobs 2
            import bench_cluster

            after = bench_cluster.compare if bench_cluster.installed() else None
        return bench_fullscale.run(quick=args.quick, keep=args.keep_tree, jobs1=not args.no_jobs1,
                                   deadline=deadline, after_jobs2=after)
    if name == "intervals":
        import bench_intervals

        return bench_intervals.run(quick=args.quick, timeout=max(60.0, min(240.0, deadline - time.time() - 200.0)))
    if name == "leaderboard":
        import bench_leaderboard

        return bench_leaderboard.run(quick=args.quick, deadline=deadline)
    if name == "cluster":
        import bench_cluster

        return bench_cluster.run(quick=args.quick, with_tree="fullscale" not in args.wanted)
    if name == "service":
        import bench_service

        return bench_service.run(quick=args.quick)
    raise ValueError(name)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="tiny sizes: checks that the harness works, not speed")
    ap.add_argument("--only", default=",".join(SECTIONS),
                    help=f"comma-separated sections to run (default: all of {','.join(SECTIONS)})")
    ap.add_argument("--metric", action="append",
                    help="only these per-metric rows (repeatable; e.g. --metric FID --metric WER)")
    ap.add_argument("--keep-tree", metavar="DIR", help="write the full-scale tree to DIR and keep it")
    ap.add_argument("--no-jobs1", action="store_true", help="skip the --jobs 1 run (no speed-up figure)")
    ap.add_argument("--json", metavar="FILE", help="also write every row (with raw numbers) as JSON")
    ap.add_argument("--readme", action="store_true",
                    help="also write the table into benchmarks/README.md (between its table markers)")
    args = ap.parse_args(argv)
    wanted = [s.strip() for s in args.only.split(",") if s.strip()]
    args.wanted = wanted
    unknown = sorted(set(wanted) - set(SECTIONS))
    if unknown:
        ap.error(f"unknown section(s) {unknown}; choose from {', '.join(SECTIONS)}")

    t0 = time.perf_counter()
    deadline = time.time() + BUDGET
    compiled = byte_compile_installed()
    load_before = _load()
    by_section: dict[str, list[Row]] = {}
    loads: list[str] = []
    for name in RUN_ORDER:
        if name not in wanted:
            continue
        loads.append(f"{name} {_load()}")
        log(f"section {name} (load average {_load()}) ...")
        ts = time.perf_counter()
        try:
            by_section[name] = _section(name, args, deadline)
        except Exception as e:  # noqa: BLE001 - a broken section is a row, not a lost table
            by_section[name] = [failed_row(name, f"section {name}", "-", e)]
        log(f"section {name} done in {time.perf_counter() - ts:.1f} s")
    total = time.perf_counter() - t0
    rows = sorted((r for name in SECTIONS for r in by_section.get(name, [])),  # a row under its own section
                  key=lambda r: SECTIONS.index(r.section) if r.section in SECTIONS else len(SECTIONS))

    mode = "quick (sizes are NOT the benchmark's)" if args.quick else "full"
    header = (f"generallevel benchmarks - {mode} - Python {platform.python_version()}, {platform.machine()}, "
              f"{_cpus()} CPU(s); load average before/after: {load_before} / {_load()} (at each section: "
              f"{', '.join(loads)}; above the CPU count, other work slowed the figures); {compiled}")
    table = format_table(rows)
    wrong = [r for r in rows if r.data.get("wrong")]
    footer = f"total benchmark time: {total:.1f} s" + (
        f"; WRONG RESULTS in {len(wrong)} row(s): {', '.join(r.figure for r in wrong)}" if wrong else
        "; every compared result is right (a slow figure never fails the run, a wrong one does)")
    print(header)
    print(table)
    print(footer)
    if args.json:
        Path(args.json).write_text(json.dumps(
            {"mode": mode, "total_seconds": total, "loads": loads,
             "rows": [{"section": r.section, "figure": r.figure, "value": r.value, "goal": r.goal,
                       "met": r.met, "note": r.note, "data": r.data} for r in rows]},
            indent=2, default=str), encoding="utf-8")
    if args.readme:
        _write_readme("\n".join([time.strftime("%Y-%m-%d") + ": " + header, "", table, "", footer]))
    return 1 if wrong else 0


README = Path(__file__).resolve().parent / "README.md"
MARKERS = ("<!-- benchmark table: written by `python benchmarks/run.py --readme` -->", "<!-- end of table -->")


def _write_readme(text: str) -> None:
    """Replace the table between the README's markers (the prose around it stays as written)."""
    doc = README.read_text(encoding="utf-8")
    start, end = doc.index(MARKERS[0]) + len(MARKERS[0]), doc.index(MARKERS[1])
    README.write_text(doc[:start] + "\n```\n" + text + "\n```\n" + doc[end:], encoding="utf-8")
    log(f"table written to {README}")


def _load() -> str:
    """1-minute load average: other work on the machine slows every figure (best read on a quiet box)."""
    try:
        import os

        return f"{os.getloadavg()[0]:.2f}"
    except (OSError, AttributeError):
        return "?"


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


if __name__ == "__main__":
    sys.exit(main())
