"""normalise() on columns grouped by metric and the Scope-C/D membership matrix built in one pass
over the tasks, each checked against the plain per-task / per-board computation."""

from __future__ import annotations

import numpy as np
import pytest

from generallevel.leaderboard import _select_specs, _single_board_members
from generallevel.results_matrix import ResultMatrix
from generallevel.scoring import normalise, task_table


def _raw(table, n_models: int, seed: int) -> np.ndarray:
    """Raw values inside each metric's range (percent metrics 0..100, errors >= 0, MOS 1..5, ...)."""
    rng = np.random.default_rng(seed)
    raw = np.empty((n_models, len(table.tasks)))
    for j, metric in enumerate(table.metrics):
        lo, hi = metric.raw_range
        lo = 0.0 if lo is None or not np.isfinite(lo) else lo
        hi = lo + 10.0 if hi is None or not np.isfinite(hi) else hi
        raw[:, j] = rng.uniform(lo, hi, n_models)
    raw[rng.random(raw.shape) < 0.3] = np.nan
    return raw


def test_normalise_equals_each_tasks_own_normalisation():
    table = task_table()
    raw = _raw(table, 40, seed=3)
    got = normalise(raw, table)
    for j, metric in enumerate(table.metrics):
        ok = ~np.isnan(raw[:, j])
        want = np.full(len(raw), np.nan)
        want[ok] = np.asarray(metric.normalization(raw[ok, j]), dtype=float)
        np.testing.assert_array_equal(got[:, j], want, err_msg=f"{table.tasks[j].id} ({metric.name})")
    for i in range(3):  # one model (1-D) gives that model's row
        np.testing.assert_array_equal(normalise(raw[i], table), got[i])


def test_normalise_keeps_unsupported_as_nan_and_all_nan_input():
    table = task_table()
    assert np.isnan(normalise(np.full((2, len(table.tasks)), np.nan), table)).all()


def _matrix(table) -> ResultMatrix:
    n = 3
    return ResultMatrix([f"m{i}" for i in range(n)], [""] * n, [t.id for t in table.tasks], table.modality,
                        table.paradigm, np.array([t.skill or "" for t in table.tasks], dtype=object),
                        np.full((n, len(table.tasks)), 50.0), table.sota_sigma, "sha",
                        skill_group=np.array([t.skill_group or "" for t in table.tasks], dtype=object),
                        skill_group_name=np.array([t.skill_group_name or "" for t in table.tasks], dtype=object))


@pytest.mark.parametrize("facet", ["group", "keyword"])
def test_single_board_members_equal_per_board_masks(facet):
    table = task_table()
    m = _matrix(table)
    specs = [sp for sp in _select_specs(m, None, None, facet) if sp.scope in ("C", "D")]
    assert any(sp.scope == "D" for sp in specs) and any(sp.scope == "C" for sp in specs)
    got = _single_board_members(m, specs)
    for c, sp in enumerate(specs):
        want = np.array([t.modality == sp.modalities[0] and t.paradigm == sp.paradigm
                         and (sp.skill_group is None or (t.skill_group or "") == sp.skill_group)
                         and (sp.skill_group is not None or sp.skill is None or (t.skill or "") == sp.skill)
                         for t in table.tasks], dtype=float)
        assert want.sum() > 0, sp.id
        np.testing.assert_array_equal(got[:, c], want, err_msg=sp.id)
