"""Score a model end to end from a General-Bench folder tree and a mirrored predictions tree.

For every task folder: read annotation.json, map it to its registry task (the annotation's
"task" name, else the folder name), join prediction.json by id, turn both into metric inputs with
the task's adapter (:mod:`generallevel.adapters`), compute the raw metric, and finally build the
same :class:`~generallevel.scoring.ScoreReport` as ``score``. A task that fails is reported with
its reason and does not stop the others (``strict=True`` makes any failure or problem fatal).

Tasks run in worker processes (``jobs``); each task is computed independently and results are
put back in folder order, so the outcome is identical for any number of jobs.
"""

from __future__ import annotations

import os
import pickle
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from .adapters import MISSING, adapt
from .annotation_types import check_known
from .errors import InputError, UnknownTaskError
from .media_adapter import DROP, file_context, read_extractor_options
from .evaluation_results import FIRST, EvaluationResult, IdProblem, TaskResult  # noqa: F401 - re-exported
from .readers.fastjson import parking
from .readers.benchfolder import (
    ANNOTATION, LAYOUT, PREDICTION, TaskFolder, read_annotation, read_predictions, scan_tree,
)
from .typed_adapter import NotWritten, type_for, typed_adapt
from .scoring import ScoreEntry, ScoreReport, check_registry, score
from .prediction_tree import require_predictions

DEMO_DIR = Path(__file__).with_name("examples") / "demo"
DEMO_DATASET = DEMO_DIR / "bench"
DEMO_MODEL = "demo-omni"
DEMO_PREDICTIONS = DEMO_DIR / "predictions" / DEMO_MODEL
DEMO_EXTRACTORS = DEMO_DIR / "extractors.json"  # the demo's bundled tiny models (generallevel.demo_models)


# -- one task (runs in a worker process) -------------------------------------------------------
_CATALOGS: tuple[Any, Any, Any] | None = None  # (tasks, metrics, annotation types) given to worker processes


def _one_thread() -> Any:
    """Hold BLAS/OpenMP to one thread, in workers and in the one-process path alike.

    With --jobs N the processes are the parallelism (letting each worker's BLAS also spread over
    all cores oversubscribed the machine: --jobs 2 ran slower than --jobs 1), and using the same
    thread count everywhere keeps floating-point results identical for every --jobs value.
    Returns the threadpoolctl limiter (a context manager) or None when threadpoolctl is absent.
    """
    os.environ["OMP_NUM_THREADS"] = "1"  # read by torch when a metric first imports it
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # optional: without it BLAS keeps its default thread count
        return None
    return threadpool_limits(1)


def _default_threads(omp: str | None) -> int:
    """The intra-op thread count torch would have chosen at import: OMP_NUM_THREADS when the caller
    set it, else one per CPU this process may run on (torch counts physical cores; close enough)."""
    if omp and omp.strip().isdigit() and int(omp) > 0:
        return int(omp)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def _init_worker(catalogs: tuple[Any, Any, Any]) -> None:
    global _CATALOGS
    _CATALOGS = catalogs
    _one_thread()


def _catalogs() -> tuple[Any, Any, Any]:
    if _CATALOGS is not None:
        return _CATALOGS
    from .plugins import get_registry

    reg = get_registry()
    return reg.tasks, reg.metrics, reg.types


def _resolve_task(annotation: dict, folder: TaskFolder, path: Path):
    """The registry task named by the annotation's "task" field, falling back to the folder name."""
    tasks = _catalogs()[0]
    tried = []
    for name in (annotation.get("task"), folder.name):
        if not name:
            continue
        try:
            return tasks.get(name)
        except UnknownTaskError as e:
            tried.append(str(e))
    raise InputError(f"{path}: no registered task matches the annotation's task name "
                     f"{annotation.get('task')!r} or the folder name {folder.name!r}: " + "; ".join(tried))


def _join(records: list[dict], preds: list[tuple[str, Any]], res: TaskResult) -> list[Any]:
    """Predictions aligned with ``records`` (MISSING where absent); fills the id problem counts."""
    by_id: dict[str, Any] = {}
    seen: set[str] = set()
    known = {str(r["id"]) for r in records}
    for ident, value in preds:
        if ident in seen:
            res.duplicates.add(ident)
        elif ident not in known:
            res.unknown.add(ident)
        else:
            by_id[ident] = value
        seen.add(ident)
    aligned = []
    for r in records:
        ident = str(r["id"])
        if ident in by_id:
            aligned.append(by_id[ident])
        else:
            res.missing.add(ident)
            aligned.append(MISSING)
    return aligned


def evaluate_folder(folder: TaskFolder, prediction: Path | None, official: bool = False,
                    extractor_options: dict | None = None, intervals: Any = None) -> TaskResult:
    """Evaluate one task folder; every error becomes a failed :class:`TaskResult`, never an exception.

    ``official``: read typed annotations as the official code does (``--compat official``).
    ``extractor_options``: load options per extractor name, for items that name media files.
    ``intervals``: an :class:`~generallevel.intervals.IntervalSpec` (``--ci``): resample the items.
    """
    res = TaskResult(folder=folder.rel, status="failed", group=folder.group)
    try:
        with parking():  # the task's files out of the collector's sight until its data is freed
            _evaluate_into(res, folder, prediction, official, extractor_options, intervals)
    except NotWritten as e:  # the official pipeline writes no value: the task is unsupported there
        res.status, res.raw = "unsupported", None
        res.problems.append(str(e))
    except Exception as e:  # noqa: BLE001 - one bad task must not lose the others
        res.status = "failed"
        res.raw = None
        res.error = str(e) if isinstance(e, InputError) else f"{type(e).__name__}: {e}"
    return res


def _evaluate_into(res: TaskResult, folder: TaskFolder, prediction: Path | None, official: bool,
                   extractor_options: dict | None = None, intervals: Any = None) -> None:
    path = folder.path / ANNOTATION
    annotation = read_annotation(path)
    records: list[dict] = annotation["data"]
    res.annotated = len(records)
    task = _resolve_task(annotation, folder, path)
    res.task_id, res.name, res.metric = task.id, task.name, task.metric
    if (task.modality, task.paradigm) != (folder.modality, folder.paradigm):
        raise InputError(f"{path}: task {task.name!r} belongs to {task.group}, but the folder is under {folder.group}")
    seen: set[str] = set()
    dup_ann = []
    for r in records:
        ident = str(r["id"])
        if ident in seen:
            dup_ann.append(ident)
        seen.add(ident)
    if dup_ann:
        raise InputError(f"{path}: duplicate annotation id(s) {dup_ann[:FIRST]}")
    if prediction is None:
        res.status = "unsupported"
        return
    header: dict[str, Any] = {}
    preds = read_predictions(prediction, header)
    _compare_header(header, annotation, prediction, res)
    res.predicted = len(preds)
    aligned = _join(records, preds, res)
    if res.unknown.count:
        res.problems.append(f"{res.unknown.text()} prediction id(s) not in the annotation; ignored")
    if res.duplicates.count:
        raise InputError(f"{prediction}: {res.duplicates.text()} duplicate prediction id(s); "
                         f"each id must be predicted once")
    if res.missing.count == len(records):
        raise InputError(f"{prediction}: none of the {len(records)} annotation ids has a prediction")
    _, metrics, types = _catalogs()
    metric = metrics.get(task.metric)
    atype = type_for(task, annotation.get("type"), metrics, types)
    if res.missing.count:
        fate = "left out (--compat official)" if official and atype is not None else "scored as wrong answers"
        res.problems.append(f"{res.missing.text()} annotation id(s) without a prediction; {fate}")
    if atype is not None:
        note = check_known(types, task.modality, annotation.get("type"))
        if note:
            res.problems.append(note)
        res.annotation_type = atype.name
        typed = typed_adapt(atype, task, metrics, types, records, aligned, official)
        res.notes += typed.notes
        res.options = typed.options
        preds_in, refs_in, options = typed.predictions, typed.references, typed.options
        res.scored = len(records) - typed.skipped
    else:
        files = file_context(folder, prediction, extractor_options)
        preds_in, refs_in, adapter_options = adapt(task, records, aligned, files)
        options = {**task.metric_options, **adapter_options}
        options = res.options = {k: v for k, v in options.items() if v is not DROP}
        res.notes += files.notes
        res.scored = len(records)
    res.raw = metric.compute(preds_in, refs_in, **options)
    res.status = "scored"
    if intervals is not None:
        _resample(res, metric, preds_in, refs_in, options, intervals)


def _resample(res: TaskResult, metric: Any, preds: Any, refs: Any, options: dict, spec: Any) -> None:
    """--ci: the task's interval; a task whose items cannot be resampled keeps its score, with a note."""
    from .intervals import resample_task

    try:
        res.interval = resample_task(metric, preds, refs, options, res.raw, spec, res.task_id)
    except Exception as e:  # noqa: BLE001 - an interval is extra; it never costs the task its score
        reason = str(e) if isinstance(e, (InputError, ValueError)) else f"{type(e).__name__}: {e}"
        res.notes.append(f"no confidence interval: {reason}")


def _compare_header(header: dict[str, Any], annotation: dict, prediction: Path, res: TaskResult) -> None:
    """A prediction file's own task/type that disagree with its annotation are worth a problem line."""
    for key in ("task", "type"):
        mine, theirs = header.get(key), annotation.get(key)
        if isinstance(mine, str) and isinstance(theirs, str) and mine.strip().casefold() != theirs.strip().casefold():
            res.problems.append(f"{prediction}: the prediction file's {key} {mine!r} differs from the "
                                f"annotation's {theirs!r}; the annotation's is used")


# -- the whole tree ----------------------------------------------------------------------------
def _pairs(dataset: Path, predictions: Path, filename: str = PREDICTION,
           ) -> tuple[list[tuple[TaskFolder, Path | None]], list[str]]:
    folders, problems = scan_tree(dataset, ANNOTATION)
    if not folders:
        raise InputError(f"{dataset}: no task folders found; expected {LAYOUT.format(file=ANNOTATION)}")
    if predictions.resolve() == dataset.resolve():  # the official layout: predictions beside annotations
        return [(f, f.path / filename if (f.path / filename).is_file() else None) for f in folders], problems
    pred_folders, pred_problems = scan_tree(predictions, filename)
    problems += pred_problems
    by_key: dict[tuple[str, str, str], TaskFolder] = {}
    for pf in pred_folders:
        if pf.key in by_key:
            problems.append(f"{pf.path / filename}: the same task folder as {by_key[pf.key].rel!r} "
                            f"(names differ only in case); ignored")
        else:
            by_key[pf.key] = pf
    keys = {f.key for f in folders}
    for pf in pred_folders:
        if pf.key not in keys:
            problems.append(f"{pf.path / filename}: no task folder {pf.rel!r} in the dataset; ignored")
    pairs = [(f, by_key[f.key].path / filename if f.key in by_key else None) for f in folders]
    return pairs, problems


def _run(pairs: list[tuple[TaskFolder, Path | None]], jobs: int, progress: bool,
         notes: list[str], official: bool = False, extractor_options: dict | None = None, *, dask: dict | None = None,
         intervals: Any = None) -> list[TaskResult]:
    bar = _progress_bar(len(pairs), progress)
    try:
        if dask is not None:  # --scheduler: the tasks run on a Dask cluster (generallevel.cluster)
            from .cluster import evaluate_pairs

            return evaluate_pairs(pairs, (official, extractor_options, intervals), bar=bar, notes=notes, **dask)
        if jobs > 1 and len(pairs) > 1:
            results = _run_parallel(pairs, jobs, bar, notes, official, extractor_options, intervals)
            if results is not None:
                return results
        saved_omp = os.environ.get("OMP_NUM_THREADS")
        saved_torch = sys.modules["torch"].get_num_threads() if "torch" in sys.modules else None
        limiter = _one_thread()
        try:
            out = []
            for f, p in pairs:
                out.append(evaluate_folder(f, p, official, extractor_options, intervals))
                bar.update(1)
            return out
        finally:  # give the caller's process its thread settings back
            if limiter is not None:
                limiter.restore_original_limits()
            if saved_omp is None:
                os.environ.pop("OMP_NUM_THREADS", None)
            else:
                os.environ["OMP_NUM_THREADS"] = saved_omp
            if saved_torch is not None:
                sys.modules["torch"].set_num_threads(saved_torch)
            elif "torch" in sys.modules:  # first imported by a task, under OMP_NUM_THREADS=1: not the caller's setting
                sys.modules["torch"].set_num_threads(_default_threads(saved_omp))
    finally:
        bar.close()


def _run_parallel(pairs, jobs: int, bar, notes: list[str], official: bool = False,
                  extractor_options: dict | None = None, intervals: Any = None) -> list[TaskResult] | None:
    import multiprocessing

    from .plugins import get_registry

    reg = get_registry()
    catalogs = (reg.tasks, reg.metrics, reg.types)
    ctx = multiprocessing.get_context()
    if ctx.get_start_method() != "fork":
        try:
            pickle.dumps(catalogs)
        except Exception as e:  # noqa: BLE001 - e.g. a plugin registered a lambda as compute/adapter
            notes.append(f"ran tasks in one process: the registry cannot be sent to workers ({e})")
            return None
    results: list[TaskResult | None] = [None] * len(pairs)
    # Largest tasks first (by file size), so one big task does not start last and run alone.
    order = sorted(range(len(pairs)), key=lambda i: -_input_bytes(*pairs[i]))
    with ProcessPoolExecutor(max_workers=min(jobs, len(pairs)), mp_context=ctx,
                             initializer=_init_worker, initargs=(catalogs,)) as pool:
        futures = {pool.submit(evaluate_folder, *pairs[i], official, extractor_options, intervals): i for i in order}
        for fut in as_completed(futures):
            i = futures[fut]
            try:
                results[i] = fut.result()
            except Exception as e:  # noqa: BLE001 - e.g. a worker killed by a crashing extension
                f = pairs[i][0]
                results[i] = TaskResult(folder=f.rel, status="failed", group=f.group,
                                        error=f"worker process failed: {type(e).__name__}: {e}")
            bar.update(1)
    return [r for r in results if r is not None]


def _input_bytes(folder: TaskFolder, prediction: Path | None) -> int:
    total = 0
    for path in (folder.path / "annotation.json", prediction):
        try:
            total += path.stat().st_size if path is not None else 0
        except OSError:
            pass  # reported when the task runs
    return total


class _NoBar:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(total: int, progress: bool):
    if not progress:
        return _NoBar()
    try:
        from tqdm import tqdm
    except ImportError:  # the bar is a nicety; tqdm is optional
        return _NoBar()
    return tqdm(total=total, unit="task", desc="evaluate", file=sys.stderr, leave=False)


def _finish(results: list[TaskResult], report: ScoreReport) -> None:
    """Copy the normalised score, SoTA and win of each scored task from the report."""
    rows = {t.task.id: t for t in report.tasks}
    metrics = _catalogs()[1]
    for r in results:
        row = rows.get(r.task_id) if r.task_id else None
        if row is None:
            continue
        r.sota_raw, r.sota_score = row.task.sota_metric_unit, row.sota_sigma
        if r.status == "scored":
            r.score, r.win = row.sigma, row.win
            if r.interval is not None:
                r.interval_info = r.interval.describe(metrics.get(r.metric), r.sota_raw)
        else:
            r.interval = None


def evaluate(dataset: str | Path, predictions: str | Path | None = None, model: str | None = None, *,
             jobs: int | None = None, strict: bool = False, progress: bool | None = None,
             compat: str | None = None, expect_registry: str | None = None,
             prediction_file: str = PREDICTION, extractor_options: dict | str | Path | None = None,
             scheduler: str | None = None, dashboard: bool = False, task_timeout: float | None = 3600.0,
             ci: bool = False, resamples: int | None = None, seed: int = 0) -> EvaluationResult:
    """Evaluate ``predictions`` (a mirrored tree of prediction.json files) on a General-Bench tree.

    predictions: the mirrored tree; None (or the dataset folder itself) reads the prediction files
    beside each annotation.json, the official layout. prediction_file: their file name (the official
    ``register.py -p``). scheduler: run the tasks on Dask ("local" for a LocalCluster of ``jobs``
    processes, or a scheduler address; docs/cluster.md) with ``task_timeout`` seconds per task,
    printing the dashboard's address when ``dashboard``. model: the report's model name (default: the predictions folder's name). jobs: worker
    processes (default: all cores; 1 = in this process). progress: a tqdm bar on stderr (default:
    only when stderr is a terminal). strict: raise :class:`InputError` listing every failed task and
    problem instead of reporting them. compat / expect_registry: as for :func:`generallevel.score`.
    extractor_options: load options per extractor (``{"inception-pool3": {"weights": PATH}}``) for
    items that name media files, or a JSON file of them (docs/media.md); default: none, except the
    bundled demo's tiny weights for the demo tree. ci: 95 % intervals for task scores, wins and
    Levels from ``resamples`` (default 1000) resamples of the instances drawn with ``seed``
    (docs/intervals.md); off by default for speed.
    """
    check_registry(expect_registry)
    spec = _interval_spec(ci, resamples, seed, compat)  # before any work: a wrong registry must not cost a whole run
    _check_file_name(prediction_file)
    dataset = Path(dataset)
    notes: list[str] = []
    if predictions is None or Path(predictions).resolve() == dataset.resolve():
        predictions = dataset
        if not scan_tree(dataset, ANNOTATION)[0]:
            raise InputError(f"{dataset}: no task folders found; expected {LAYOUT.format(file=ANNOTATION)}")
        found = scan_tree(dataset, prediction_file)[0]
        if not found:
            raise InputError(f"{dataset}: no {prediction_file} beside any annotation.json; pass --predictions DIR "
                             f"(prediction files in the layout of the dataset) or write them into the task folders")
        notes.append(f"predictions read from the {len(found)} {prediction_file} file(s) inside the dataset tree "
                     f"{dataset} (the official layout)")
        if model is None:
            notes.append("no --model given: the report names the model 'model'")
            model = "model"
    predictions = Path(predictions)
    pairs, problems = _pairs(dataset, predictions, prediction_file)
    require_predictions(pairs, predictions, prediction_file)  # else an empty folder scores Level 1 silently
    jobs = (os.cpu_count() or 1) if jobs is None else jobs
    if jobs < 1:
        raise InputError(f"jobs must be at least 1, got {jobs}")
    if progress is None:
        progress = sys.stderr.isatty()
    if extractor_options is None and _is_demo(dataset):
        from .demo_models import REPORT_NOTE, demo_extractor_options

        extractor_options = demo_extractor_options()  # tiny random-weight models, generated on the first run
        notes.append(REPORT_NOTE)
    if isinstance(extractor_options, (str, Path)):
        extractor_options = read_extractor_options(extractor_options)
    dask = None if scheduler is None else {"roots": [dataset, predictions], "scheduler": scheduler, "workers": jobs,
                                           "timeout": task_timeout, "dashboard": dashboard}
    results = _run(pairs, jobs, progress, notes, compat == "official", extractor_options, dask=dask, intervals=spec)
    first: dict[str, str] = {}
    for r in results:  # two folders for one task: the first (in folder order) counts
        if r.task_id is None or r.status == "failed":
            continue
        if r.task_id in first:
            r.status, r.raw = "failed", None
            r.error = f"task {r.task_id!r} is already evaluated from folder {first[r.task_id]!r}"
        else:
            first[r.task_id] = r.folder
    entries = [ScoreEntry(r.task_id, r.raw, None, r.folder) for r in results
               if r.status == "scored" and r.task_id]
    report = score(entries, model=model or predictions.resolve().name, assume_percent=True, measured=True,
                   compat=compat, source=str(predictions), expect_registry=expect_registry)
    _finish(results, report)
    result = EvaluationResult(report, results, problems, str(dataset), str(predictions), notes)
    if spec is not None:
        from .level_intervals import level_intervals

        result.intervals = level_intervals(results, report, spec)
    if strict:
        issues = result.all_problems()
        if issues:
            raise InputError(f"{len(issues)} problem(s) while evaluating {predictions} on {dataset} "
                             f"(strict mode):\n  - " + "\n  - ".join(issues))
    return result


def _is_demo(dataset: Path) -> bool:
    """The bundled demo tree, also under its source path in an editable install (a link tree there:
    the package's demo folder holds links to the source files, so the folder itself differs)."""
    here = dataset.resolve()
    return here == DEMO_DATASET.resolve() or here == (DEMO_DIR / "README.md").resolve().parent / "bench"


def _interval_spec(ci: bool, resamples: int | None, seed: int, compat: str | None) -> Any:
    if not ci:
        if resamples is not None:
            raise InputError("resamples only applies with ci=True (--ci)")
        return None
    if compat == "official":
        raise InputError("confidence intervals (--ci) follow the paper's rule on raw values; they are not "
                         "available with --compat official, which reproduces the official ranker's arithmetic")
    from .intervals import DEFAULT_RESAMPLES, IntervalSpec

    return IntervalSpec(DEFAULT_RESAMPLES if resamples is None else resamples, seed)


def _check_file_name(name: str) -> None:
    if not isinstance(name, str) or not name.endswith(".json") or "/" in name or "\\" in name or name.startswith("."):
        raise InputError(f"prediction file name must be a plain *.json file name, got {name!r}")
    if name == ANNOTATION:
        raise InputError(f"the prediction file cannot be named {ANNOTATION}")


def evaluate_demo(**options: Any) -> EvaluationResult:
    """Evaluate the bundled demo tree with the bundled predictions of its made-up model."""
    options.setdefault("model", DEMO_MODEL)
    return evaluate(DEMO_DATASET, DEMO_PREDICTIONS, **options)
