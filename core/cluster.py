"""Run evaluate's tasks on a Dask cluster: a running scheduler, or a LocalCluster of processes.

``evaluate --scheduler ADDRESS`` (or ``local``) submits each task folder as one Dask task, except
that small folders share one (Dask's round trip per task, milliseconds, would otherwise rival their
work); results come back into folder order, so the report is identical to ``--jobs 1``. Dask, not a scheduler of
our own: the same code runs on a laptop, on SLURM through dask-jobqueue and on Kubernetes through
dask-kubernetes (docs/cluster.md). Dask is an optional extra (``[cluster]``) imported only here.

What this module adds to plain ``client.submit``:

* every worker is asked once, before any work, whether it sees the dataset and predictions trees
  (they must be on a shared file system); the first missing path on the first worker is the error;
* the registry's catalogues travel to the workers (so in-process plugins work there too), and each
  worker computes with one BLAS thread, as ``--jobs`` does, so numbers are bit-identical;
* a worker that dies mid-task has the task retried once elsewhere (on a cluster we start; an external
  scheduler keeps its own ``distributed.scheduler.allowed-failures``); if it dies again the task fails
  with that reason, never the run;
* a per-task timeout: a task processing longer than ``timeout`` seconds fails with a timeout, and its
  worker is restarted (a running Python thread cannot be stopped any other way), so the run never hangs;
* feature extraction spreads over the cluster: a model-based task (FID, FVD, FAD, CLIP-*, ...) whose
  items name media files has them decoded and embedded in Dask tasks of :data:`SPREAD_FILES` files
  each (split at the extractor's batch boundaries, so the rows are the same floats as in one
  process), while the task itself waits seceded from its worker's thread pool;
* GPU work is pinned: when a worker advertises a ``GPU`` resource, every extraction run is submitted
  with ``resources={"GPU": 1}`` (and, with spreading off, the tasks that need a model).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from .errors import InputError, MissingDependencyError

DEFAULT_TIMEOUT = 3600.0  # seconds one task may run on a worker before it is failed (docs/cluster.md)
POLL = 0.5  # seconds between checks of running tasks' ages
SPREAD_FILES = 128  # a model-based task's files are embedded in Dask tasks of this many (a multiple of the batch)
GROUPS_PER_WORKER = 50  # small tasks share a Dask task until a group holds 1/(workers*this) of the input bytes
MAX_GROUP = 32  # tasks in one group at most
INSTALL = "pip install 'generallevel[cluster]'"


def _dask():
    try:
        import dask
        from dask import distributed
    except ImportError:
        raise MissingDependencyError(f"--scheduler runs tasks on Dask, which is not installed: {INSTALL}") from None
    return dask, distributed


def _start_method() -> str:
    import multiprocessing

    return "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"


# -- run on the workers -----------------------------------------------------------------------------
def _missing_paths(paths: list[str]) -> str | None:
    """On a worker: the first path it cannot see."""
    for p in paths:
        if not os.path.exists(p):
            return p
    return None


def _run_tasks(fn: Callable[..., Any], arg_list: list[tuple], spread_files: int = 0, gpu: bool = False) -> list[Any]:
    """On a worker: compute a group of tasks with one BLAS thread (the catalogues come from the worker
    plugin); one Dask task for several small ones, so Dask's per-task round trip is paid once.
    ``spread_files`` > 0: a model-based task's files are embedded in Dask tasks of that many files
    (all of them on GPU workers when ``gpu``: the cluster has some)."""
    from . import evaluate as ev
    from . import media_features

    ev._one_thread()
    media_features.SPREAD = (lambda *a: _spread(spread_files, gpu, *a)) if spread_files > 0 else None
    try:
        return [fn(*args) for args in arg_list]
    finally:
        media_features.SPREAD = None


def _extract(*args: Any) -> Any:
    """On a worker: one run of a side's files through its extractor, with one BLAS thread."""
    from . import evaluate as ev
    from .media_features import extract_files

    ev._one_thread()
    return extract_files(*args)


def _spread(per_task: int, gpu: bool, name: str, options: dict, files: list, base: Any, roots: Any, specs: list,
            rows: str, ids: list, side: str) -> tuple[Any, list[str], int] | None:
    """On a worker running a model-based task: its files, ``per_task`` at a time (a multiple of the
    extractor batch), decoded and embedded as Dask tasks of their own; None (embed in place) when
    they fit one such task. With GPU workers every run goes to them, even a single one: the task
    itself is not pinned to a GPU then, since a task waiting on its runs would still hold the GPU
    resource (Dask releases resources only when a task ends) and could starve them."""
    import numpy as np
    from distributed import worker_client

    from .media_features import BATCH

    size = max(BATCH, per_task // BATCH * BATCH)
    if len(files) <= size and not gpu:
        return None
    kw = {"resources": {"GPU": 1}} if gpu else {}
    with worker_client() as client:  # secedes: this task waits without holding a worker thread
        futures = [client.submit(_extract, name, options, files[i:i + size], base, roots, specs[i:i + size], rows,
                                 ids[i:i + size], side, pure=False, **kw) for i in range(0, len(files), size)]
        parts = client.gather(futures)
    failed = [line for _, lines in parts for line in lines]
    return (None if failed else np.concatenate([a for a, _ in parts])), failed, len(futures)


def group_small(order: Sequence[int], sizes: Sequence[int], workers: int, alone: Callable[[int], bool] = lambda i: False,
                per_worker: int | None = None, max_members: int | None = None) -> list[list[int]]:
    """Submission groups in ``order``: a task of at least the target size runs alone, smaller ones share
    a Dask task until their sizes reach it (at most ``max_members``). The target is the total size over
    ``workers * per_worker``, so there stay enough groups to balance the workers.
    ``alone(i)``: tasks that are never grouped (GPU work)."""
    per_worker = GROUPS_PER_WORKER if per_worker is None else per_worker
    max_members = MAX_GROUP if max_members is None else max_members
    target = max(sum(sizes) / max(workers * per_worker, 1), 1)
    groups: list[list[int]] = []
    current: list[int] = []
    filled = 0
    for i in order:
        if alone(i) or sizes[i] >= target:
            groups.append([i])
            continue
        current.append(i)
        filled += sizes[i]
        if filled >= target or len(current) >= max_members:
            groups.append(current)
            current, filled = [], 0
    if current:
        groups.append(current)
    return groups


def _catalog_plugin(distributed: Any, catalogs: Any, name: str) -> Any:
    """A worker plugin that hands the client's registry catalogues to every worker, including the
    ones the nanny restarts after a death (scattered data would die with its last replica)."""

    class Catalogs(distributed.WorkerPlugin):
        def __init__(self) -> None:
            self.name = name
            self.catalogs = catalogs

        def setup(self, worker: Any) -> None:
            from . import evaluate as ev

            ev._CATALOGS = self.catalogs

    return Catalogs()


# -- the client side -------------------------------------------------------------------------------
class DaskRun:
    """One evaluate run on Dask: connect (or start a LocalCluster), check paths, submit, collect."""

    def __init__(self, scheduler: str, workers: int | None = None, timeout: float | None = DEFAULT_TIMEOUT,
                 dashboard: bool = False, notes: list[str] | None = None) -> None:
        self.dask, self.distributed = _dask()
        self.notes = notes if notes is not None else []
        self.timeout = timeout
        self.spread_files = SPREAD_FILES  # 0: a task embeds its files itself
        self.cluster = None
        if scheduler == "local":
            # one retry after a worker death; one task per worker thread at a time, so a task that kills
            # its worker takes no queued bystander with it
            # (and no statistical profiler sampling every worker's stack every 10 ms: it costs CPU the
            # tasks need, and evaluate has its own per-task figures)
            with self.dask.config.set({"distributed.scheduler.allowed-failures": 1,
                                       "distributed.scheduler.worker-saturation": 1.0,
                                       "distributed.worker.profile.enabled": False,
                                       "distributed.worker.memory.monitor-interval": "1s",
                                       "distributed.admin.system-monitor.interval": "2s",
                                       "distributed.admin.tick.interval": "200ms",
                                       # workers forked from a clean server process start in about half
                                       # the time of fresh interpreters, without forking our threads
                                       "distributed.worker.multiprocessing-method": _start_method()}):
                self.cluster = self.distributed.LocalCluster(
                    n_workers=workers or min(os.cpu_count() or 1, 4), threads_per_worker=1, processes=True,
                    dashboard_address=":0" if dashboard else None, silence_logs=40)
            self.client = self.distributed.Client(self.cluster)
        else:
            try:
                self.client = self.distributed.Client(scheduler, timeout="20s")
            except (OSError, TimeoutError) as e:
                raise InputError(f"cannot reach the Dask scheduler at {scheduler!r}: {e}") from None
        if dashboard:  # printed now, not with the notes at the end: it is for watching the run
            sys.stderr.write(f"Dask dashboard: {self.client.dashboard_link}\n")
            sys.stderr.flush()

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def __enter__(self) -> "DaskRun":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- checks --------------------------------------------------------------------------------
    def check_paths(self, paths: Sequence[str | Path]) -> None:
        """Every worker must see every path; the first miss (first worker by address) is the error."""
        wanted = [str(Path(p).resolve()) for p in paths]
        self.client.wait_for_workers(1, timeout=60)
        seen = self.client.run(_missing_paths, wanted)
        for worker in sorted(seen):
            if seen[worker] is not None:
                raise InputError(f"Dask worker {worker} cannot see {seen[worker]}: every worker needs the dataset "
                                 f"and predictions trees at the same path (a shared file system; docs/cluster.md)")

    def gpu_workers(self) -> bool:
        info = self.client.scheduler_info().get("workers", {})
        return any(w.get("resources", {}).get("GPU") for w in info.values())

    # -- run -----------------------------------------------------------------------------------
    def map(self, fn: Callable[..., Any], args: Sequence[tuple], catalogs: Any, failed: Callable[[int, str], Any],
            needs_gpu: Callable[[int], bool] = lambda i: False, order: Sequence[int] | None = None,
            progress: Callable[[], None] = lambda: None, groups: Sequence[Sequence[int]] | None = None) -> list[Any]:
        """``fn(*args[i])`` on the workers for every i, results in input order.

        ``failed(i, reason)`` builds the result of a task that could not finish (worker died twice,
        timeout, cancelled); ``order`` is the submission order (largest first). ``groups``: tasks that
        share one Dask task (in submission order; default: each alone). A group that cannot finish
        (its worker died twice, it ran past the timeout) is split and its tasks resubmitted one by one,
        so only the task at fault fails, with its own reason.
        """
        distributed = self.distributed
        plugin = None
        if catalogs is not None:
            plugin = f"generallevel-catalogs-{os.getpid()}-{time.monotonic_ns()}"
            self.client.register_plugin(_catalog_plugin(distributed, catalogs, plugin))
        try:
            if groups is None:
                groups = [[i] for i in (order if order is not None else range(len(args)))]
            return self._map(fn, args, failed, needs_gpu, groups, progress)
        finally:
            if plugin is not None:
                try:
                    self.client.unregister_worker_plugin(plugin)
                except Exception:  # noqa: BLE001 - the cluster is going away anyway
                    pass

    def _map(self, fn, args, failed, needs_gpu, groups, progress) -> list[Any]:
        distributed = self.distributed
        gpu = self.gpu_workers()
        futures: dict[Any, list[int]] = {}

        def submit(group: list[int]) -> Any:
            pin = gpu and not self.spread_files and any(needs_gpu(i) for i in group)  # else: its runs are pinned
            kw = {"resources": {"GPU": 1}} if pin else {}
            fut = self.client.submit(_run_tasks, fn, [args[i] for i in group], self.spread_files, gpu, pure=False,
                                     key=f"generallevel-tasks-{group[0]}-{len(group)}-{os.getpid()}-"
                                         f"{time.monotonic_ns()}", **kw)
            futures[fut] = group
            return fut

        for group in groups:
            submit(list(group))
        results: list[Any] = [None] * len(args)
        pending = set(futures)
        started: dict[str, tuple[float, str]] = {}
        finished = distributed.as_completed(list(futures))

        def settle(fut: Any, reason: str | None, value: Any = None) -> None:
            """A group's end: its results, or (failed) its tasks alone again, or a single task's failure."""
            group = futures[fut]
            if reason is None:
                for i, r in zip(group, value):
                    results[i] = r
                    progress()
            elif len(group) > 1:
                for i in group:
                    again = submit([i])
                    pending.add(again)
                    finished.add(again)
            else:
                results[group[0]] = failed(group[0], reason)
                progress()

        last_check = time.monotonic()
        while pending:
            batch = finished.next_batch(block=False)
            for fut in batch:
                if fut not in pending:  # failed by the timeout already
                    continue
                pending.discard(fut)
                try:
                    value = fut.result()
                except Exception as e:  # noqa: BLE001 - KilledWorker, a cancelled future, ...
                    settle(fut, self._reason(e))
                else:
                    settle(fut, None, value)
            if not batch:
                time.sleep(0.02)
            if self.timeout and pending and time.monotonic() - last_check >= POLL:
                last_check = time.monotonic()
                for fut, reason in self._expire(pending, started).items():
                    pending.discard(fut)
                    settle(fut, reason)
        return results

    def _reason(self, e: BaseException) -> str:
        if type(e).__name__ == "KilledWorker":
            return ("the Dask worker running it died twice (killed, out of memory or a crashing extension); "
                    "the task was retried once")
        return f"Dask: {type(e).__name__}: {e}"

    def _expire(self, pending: set, started: dict) -> dict[Any, str]:
        """Cancel the Dask tasks running longer than the timeout and restart their workers; returns
        each with its reason."""
        now = time.monotonic()
        for worker, keys in self.client.processing().items():
            for key in keys:
                started.setdefault(key, (now, worker))
        expired = {}
        restart = set()
        for fut in pending:
            if fut.key in started and now - started[fut.key][0] > self.timeout:
                fut.cancel()
                worker = started[fut.key][1]
                expired[fut] = (f"timed out: still running after {self.timeout:g} s on Dask worker {worker} "
                                f"(--task-timeout); the worker was restarted")
                restart.add(worker)
        if restart:
            try:
                self.client.restart_workers(sorted(restart))
            except Exception as e:  # noqa: BLE001 - an external cluster may not allow it
                self.notes.append(f"could not restart Dask worker(s) {sorted(restart)} after a timeout: {e}")
        return expired


# -- evaluate's entry point --------------------------------------------------------------------------
def evaluate_pairs(pairs: Sequence[tuple[Any, Any]], extra: tuple, *, roots: Sequence[Path], scheduler: str,
                   workers: int | None, bar: Any, notes: list[str], timeout: float | None = DEFAULT_TIMEOUT,
                   dashboard: bool = False) -> list[Any]:
    """evaluate's task folders on Dask: ``evaluate_folder(folder, prediction, *extra)`` each, in folder order.

    ``roots``: the dataset and predictions trees, which every worker must see.
    """
    import pickle

    from . import evaluate as ev
    from .adapters import family_of
    from .plugins import get_registry

    reg = get_registry()
    catalogs: Any = (reg.tasks, reg.metrics, reg.types)
    try:
        pickle.dumps(catalogs)
    except Exception as e:  # noqa: BLE001 - e.g. a plugin registered a lambda
        notes.append(f"the registry cannot be sent to Dask workers ({e}); they build their own from entry points")
        catalogs = None

    def failed(i: int, reason: str) -> Any:
        folder = pairs[i][0]
        return ev.TaskResult(folder=folder.rel, status="failed", group=folder.group, error=reason)

    def needs_gpu(i: int) -> bool:  # a model-based metric may run a network: pin it to a GPU worker
        try:
            return family_of(reg.tasks.get(pairs[i][0].name).metric).name == "features"
        except Exception:  # noqa: BLE001 - the folder name is not a task name: the worker resolves it
            return False

    sizes = [ev._input_bytes(*pair) for pair in pairs]
    order = sorted(range(len(pairs)), key=lambda i: -sizes[i])
    with DaskRun(scheduler, workers, timeout, dashboard, notes) as run:
        run.check_paths(roots)
        n_workers = max(len(run.client.scheduler_info().get("workers", {})), 1)
        groups = group_small(order, sizes, n_workers, alone=needs_gpu)
        return run.map(ev.evaluate_folder, [(f, p, *extra) for f, p in pairs], catalogs, failed,
                       needs_gpu=needs_gpu, groups=groups, progress=lambda: bar.update(1))
