"""`evaluate --jobs N`: metric-affine scheduling (tasks of one metric family tend to run in one worker,
which then pays that family's heavy imports alone), largest first, with results as for --jobs 1."""

from __future__ import annotations

import json
import shutil
from types import SimpleNamespace

import pytest

from generallevel import evaluate as ev
from generallevel.evaluate import DEMO_DATASET, DEMO_PREDICTIONS, _family, _next_task
from generallevel.plugins import get_registry

from demo_copy import evaluate

CROWD = "image/comprehension/Crowd_Counting"


def order(tasks, own=(), taken=()):
    """The order in which one worker that keeps coming back would be given ``tasks``."""
    remaining, own, taken, out = list(tasks), set(own), set(taken), []
    while remaining:
        size, family = remaining.pop(_next_task(remaining, own, taken))
        out.append((size, family))
        if family is not None:
            own.add(family)
            taken.add(family)
    return out


# -- the chooser ------------------------------------------------------------------------------------------
def test_a_worker_gets_its_own_family_first_largest_first():
    tasks = [(5, "a"), (90, "b"), (7, "a"), (1, "a")]
    assert _next_task(tasks, {"a"}, {"a", "b"}) == 2
    assert order(tasks, own={"a"}, taken={"a", "b"}) == [(7, "a"), (5, "a"), (1, "a"), (90, "b")]


def test_a_fresh_family_is_claimed_before_another_workers_family():
    tasks = [(90, "b"), (3, "c"), (8, "d")]
    assert _next_task(tasks, {"a"}, {"a", "b"}) == 2  # d: the largest family nobody has
    assert _next_task(tasks, set(), {"a", "b", "d"}) == 1  # c
    assert _next_task(tasks, set(), set()) == 0  # nothing claimed yet: the largest


def test_falls_back_to_the_largest_task_overall():
    tasks = [(4, "b"), (60, "c"), (9, "b")]
    assert _next_task(tasks, {"a"}, {"a", "b", "c"}) == 1


def test_ties_keep_the_given_order():
    assert _next_task([(5, "b"), (5, "b"), (5, "a")], {"b"}, {"a", "b"}) == 0
    assert _next_task([(5, "a"), (5, "b")], set(), {"a", "b"}) == 0


def test_a_family_of_none_is_no_preference():
    tasks = [(9, "b"), (2, None), (1, "a")]
    assert _next_task(tasks, {"a"}, {"a", "b"}) == 2  # its own family still comes first
    assert _next_task(tasks, {"x"}, {"a", "b", "x"}) == 1  # fresh every time, even if a None task ran here
    assert _next_task([(1, None), (3, None)], {"a"}, {"a"}) == 1  # largest among them
    assert order([(1, None), (3, None), (2, "a")]) == [(3, None), (2, "a"), (1, None)]


def test_the_first_submissions_take_the_largest_tasks_of_distinct_families():
    tasks = [(100, "a"), (90, "a"), (80, "b"), (70, "c"), (60, "b")]
    remaining, taken, first = list(tasks), set(), []
    for _ in range(3):  # --jobs 3: three workers, none has run anything
        size, family = remaining.pop(_next_task(remaining, set(), taken))
        taken.add(family)
        first.append((size, family))
    assert first == [(100, "a"), (80, "b"), (70, "c")]
    two = [(100, "a"), (90, "a")]  # one family only: the largest tasks
    assert _next_task(two, set(), {"a"}) == 0


def simulate(tasks, workers):
    """Event-driven run of the scheduler with each task taking its size in time units: the tasks per worker."""
    remaining, taken = list(range(len(tasks))), set()
    ran = [[] for _ in range(workers)]
    clock = [0] * workers

    def pick(w):
        return remaining.pop(_next_task([tasks[i] for i in remaining], {tasks[i][1] for i in ran[w]}, taken))

    for w in range(workers):
        i = pick(w)
        taken.add(tasks[i][1])
        ran[w].append(i)
        clock[w] += tasks[i][0]
    while remaining:
        w = clock.index(min(clock))  # the worker that becomes idle first
        i = pick(w)
        taken.add(tasks[i][1])
        ran[w].append(i)
        clock[w] += tasks[i][0]
    return ran, clock


def test_every_task_is_chosen_exactly_once_and_families_mostly_stay_in_one_worker():
    tasks = [(size, fam) for fam in "abcdef" for size in range(1, 21)]  # 6 families, equal work
    ran, clock = simulate(tasks, 2)
    assert sorted(i for r in ran for i in r) == list(range(len(tasks)))
    shared = {tasks[i][1] for i in ran[0]} & {tasks[i][1] for i in ran[1]}
    assert len(shared) <= 1  # only the family left at the end may be split, to keep both busy
    assert abs(clock[0] - clock[1]) <= 20  # at most one task's length apart


# -- the family of a task folder ---------------------------------------------------------------------------
def folder(name):
    return SimpleNamespace(name=name)


def test_the_family_is_the_compute_module_of_the_folder_names_task():
    reg = get_registry()
    catalogs = (reg.tasks, reg.metrics, reg.types)
    impl = reg.metrics.get(reg.tasks.get("Crowd_Counting").metric).impl
    want = impl.partition(":")[0] if isinstance(impl, str) else impl.__module__
    assert _family(folder("Crowd_Counting"), catalogs) == want and want
    assert _family(folder("no such task anywhere"), catalogs) is None


def test_a_callable_compute_gives_its_module_and_a_broken_lookup_gives_none():
    metric = SimpleNamespace(impl=json.dumps)
    tasks = SimpleNamespace(get=lambda name: SimpleNamespace(metric="m"))
    assert _family(folder("x"), (tasks, SimpleNamespace(get=lambda name: metric), None)) == "json"
    no_impl = SimpleNamespace(get=lambda name: SimpleNamespace(impl=None))
    assert _family(folder("x"), (tasks, no_impl, None)) is None
    broken = SimpleNamespace(get=lambda name: 1 / 0)
    assert _family(folder("x"), (broken, broken, None)) is None


# -- end to end --------------------------------------------------------------------------------------------
@pytest.fixture
def tree(tmp_path):
    """A writable copy of the demo (several metric families): (dataset dir, predictions dir)."""
    shutil.copytree(DEMO_DATASET, tmp_path / "bench")
    shutil.copytree(DEMO_PREDICTIONS, tmp_path / "preds")
    return tmp_path / "bench", tmp_path / "preds"


def test_two_jobs_give_the_results_of_one_in_folder_order(tree, monkeypatch):
    bench, preds = tree
    # one folder renamed to no task at all (the annotation's "task" field decides): family None, still runs
    (bench / CROWD).rename(bench / "image/comprehension/Crowd_Counting_renamed")
    (preds / CROWD).rename(preds / "image/comprehension/Crowd_Counting_renamed")
    chosen = []
    real = ev._next_task
    monkeypatch.setattr(ev, "_next_task", lambda *a: chosen.append(a[0][real(*a)][1]) or real(*a))
    one = evaluate(bench, preds, jobs=1)
    two = evaluate(bench, preds, jobs=2)
    assert one.to_dict() == two.to_dict()
    assert json.dumps(one.to_dict()) == json.dumps(two.to_dict())
    assert [t.folder for t in two.tasks] == [t.folder for t in one.tasks]
    assert len(two.tasks) == 22 and sum(t.status == "scored" for t in two.tasks) == 21  # as in the demo
    assert next(t for t in two.tasks if t.folder == CROWD + "_renamed").status == "scored"
    assert len(chosen) == 22 and None in chosen and len({f for f in chosen if f}) >= 3


@pytest.mark.skipif(__import__("multiprocessing").get_start_method() != "fork",
                    reason="the patched evaluate_folder is only inherited by forked workers")
def test_a_crash_fails_its_task_and_the_ones_not_yet_sent_every_task_is_reported(tree, monkeypatch):
    import os

    folders = [t.folder for t in evaluate(*tree, jobs=1).tasks]
    real = ev.evaluate_folder
    monkeypatch.setattr(ev, "evaluate_folder", lambda f, *a: os._exit(3) if f.rel == CROWD else real(f, *a))
    res = evaluate(*tree, jobs=2)
    assert [t.folder for t in res.tasks] == folders
    assert "worker process failed: BrokenProcessPool" in next(t for t in res.tasks if t.folder == CROWD).error
    others = [t for t in res.tasks if t.status not in ("scored", "unsupported")]
    assert all(t.error.startswith("worker process failed: BrokenProcessPool") for t in others)
