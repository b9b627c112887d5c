"""Where the time of ``generallevel evaluate`` goes, per metric: read, join + adapt, compute.

    python benchmarks/profile_tasks.py DATASET_DIR PREDICTIONS_DIR [--top 15]

Runs every task folder in this process, one after the other, through the same steps as
``generallevel.evaluate.evaluate_folder`` (read annotation.json, read prediction.json, join by id,
adapt: the annotation type's conventions, else the default adapter with the folder's media files
decoded, compute with one BLAS thread) and times each step; prints the totals per metric, slowest first. This is the
profile behind the full-scale figures in benchmarks/run.py.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

STEPS = ("read_annotation", "read_predictions", "join_adapt", "compute")


def profile(dataset: str | Path, predictions: str | Path) -> tuple[dict[str, dict[str, float]], list[str]]:
    """{metric: {step: seconds, 'tasks': n, 'instances': n, 'peak_rss_growth_mib': ...}} and the failures.

    ``peak_rss_growth_mib`` is the largest rise of this process's peak RSS during one task of the
    metric: it points at the task that sets the memory high-water mark.
    """
    from generallevel.evaluate import TaskResult, _join, _one_thread, _pairs, _resolve_task
    from generallevel.adapters import adapt
    from generallevel.media_adapter import DROP, file_context
    from generallevel.typed_adapter import type_for, typed_adapt
    from generallevel.plugins import get_registry
    from generallevel.readers.benchfolder import ANNOTATION, read_annotation, read_predictions
    from generallevel.readers.fastjson import parking, release_parked

    _one_thread()  # one BLAS/OpenMP thread, as evaluate computes (else BLAS-heavy metrics look slower)
    reg = get_registry()
    pairs, _ = _pairs(Path(dataset), Path(predictions))
    table: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    failures: list[str] = []
    def peak() -> int:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    with parking():  # task files parked as in evaluate_folder
        for folder, pred in pairs:
            ann = preds = aligned = p = r = None  # the previous task's data freed, then, as evaluate_folder
            release_parked()  # does when a task ends, its parsed files handed back to the collector
            if pred is None:
                continue
            before = peak()
            t0 = time.perf_counter()
            try:
                ann = read_annotation(folder.path / ANNOTATION)
                task = _resolve_task(ann, folder, folder.path / ANNOTATION)
            except Exception as e:  # noqa: BLE001
                failures.append(f"{folder.rel}: {e}")
                continue
            row = table[task.metric]
            row["read_annotation"] += time.perf_counter() - t0
            row["tasks"] += 1
            row["instances"] += len(ann["data"])
            try:
                t1 = time.perf_counter()
                preds = read_predictions(pred)
                t2 = time.perf_counter()
                aligned = _join(ann["data"], preds, TaskResult(folder.rel, "failed"))
                # as evaluate's _evaluate_into: a declared annotation type's conventions, else the
                # default adapter with the task folder's media files
                atype = type_for(task, ann.get("type"), reg.metrics, reg.types)
                if atype is not None:
                    typed = typed_adapt(atype, task, reg.metrics, reg.types, ann["data"], aligned, False)
                    p, r, options = typed.predictions, typed.references, typed.options
                else:
                    p, r, opts = adapt(task, ann["data"], aligned, file_context(folder, pred, None))
                    options = {k: v for k, v in {**task.metric_options, **opts}.items() if v is not DROP}
                t3 = time.perf_counter()
                reg.metrics.get(task.metric).compute(p, r, **options)
                t4 = time.perf_counter()
            except Exception as e:  # noqa: BLE001
                failures.append(f"{folder.rel} ({task.metric}): {str(e)[:200]}")
                continue
            row["read_predictions"] += t2 - t1
            row["join_adapt"] += t3 - t2
            row["compute"] += t4 - t3
            row["peak_rss_growth_mib"] = max(row.get("peak_rss_growth_mib", 0.0), (peak() - before) / 2**20)
            row["peak_rss_mib"] = max(row.get("peak_rss_mib", 0.0), peak() / 2**20)
    return {k: dict(v) for k, v in table.items()}, failures


def format_profile(table: dict[str, dict[str, float]], top: int = 15) -> str:
    totals = {m: sum(v.get(s, 0.0) for s in STEPS) for m, v in table.items()}
    grand = sum(totals.values()) or 1.0
    lines = [f"{'metric':<18}{'tasks':>6}{'instances':>10}{'total s':>9}{'share':>7}"
             + "".join(f"{s:>17}" for s in STEPS) + f"{'peak RSS +MiB':>15}"]
    for m in sorted(totals, key=totals.get, reverse=True)[:top]:
        v = table[m]
        lines.append(f"{m:<18}{int(v['tasks']):>6}{int(v['instances']):>10}{totals[m]:>9.2f}"
                     f"{100 * totals[m] / grand:>6.1f}%" + "".join(f"{v.get(s, 0.0):>17.2f}" for s in STEPS)
                     + f"{v.get('peak_rss_growth_mib', 0.0):>15.0f}")
    step_tot = {s: sum(v.get(s, 0.0) for v in table.values()) for s in STEPS}
    lines.append(f"{'all':<18}{int(sum(v['tasks'] for v in table.values())):>6}"
                 f"{int(sum(v['instances'] for v in table.values())):>10}{grand:>9.2f}{100.0:>6.1f}%"
                 + "".join(f"{step_tot[s]:>17.2f}" for s in STEPS))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dataset")
    ap.add_argument("predictions")
    ap.add_argument("--top", type=int, default=15)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    table, failures = profile(args.dataset, args.predictions)
    print(format_profile(table, args.top))
    print(f"\nwall {time.perf_counter() - t0:.1f} s in one process; peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:.0f} MiB")
    for f in failures:
        print("failed:", f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
