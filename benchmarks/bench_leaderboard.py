"""Section 4: level 1,000 models x 699 tasks for every board of every scope (Scope-A..D).

The timed path starts from raw per-task scores (each in its metric's unit) and ends with every
ranked board: ``scoring.normalise`` -> ``leaderboard.compute_boards`` (which runs
``levels.compute_levels`` once over the whole matrix). Reading result files is not included.
"""

from __future__ import annotations

import numpy as np

from _common import Row, best_of, failed_row, seconds

GOAL = 0.1
N_MODELS = 1000


def raw_matrix(table, n_models: int, seed: int = 0) -> np.ndarray:
    """Plausible raw scores in each task's metric unit; about 30 % of (model, task) pairs unsupported."""
    rng = np.random.default_rng(seed)
    n = len(table.tasks)
    raw = np.empty((n_models, n))
    for j, m in enumerate(table.metrics):
        lo, hi = m.raw_range
        if m.unit in ("percent", "fraction") and hi is not None:
            lo = max(lo, 0.0)
            raw[:, j] = rng.uniform(lo, hi, n_models)
        elif m.unit == "mos":
            raw[:, j] = rng.uniform(1.0, 5.0, n_models)
        elif m.unit == "dB":
            raw[:, j] = rng.uniform(5.0, 40.0, n_models)
        else:
            raw[:, j] = rng.lognormal(0.0, 1.0, n_models)
    raw[rng.random(raw.shape) < 0.3] = np.nan
    return raw


def run(quick: bool = False) -> list[Row]:
    sec = "leaderboard"
    n_models = 50 if quick else N_MODELS
    try:
        from generallevel.levels import compute_levels
        from generallevel.scoring import normalise, task_table

        table = task_table()
        raw = raw_matrix(table, n_models)
    except Exception as e:  # noqa: BLE001
        return [failed_row(sec, f"level {n_models} x 699 (all scopes)", f"< {GOAL} s", e)]
    rows: list[Row] = []
    label = f"{n_models} models x {len(table.tasks)} tasks, all boards"
    try:
        from generallevel import leaderboard as lb

        skill = np.array([t.skill or "" for t in table.tasks], dtype=object)
        group = np.array([t.skill_group or "" for t in table.tasks], dtype=object)
        group_name = np.array([t.skill_group_name or "" for t in table.tasks], dtype=object)
        ids = [t.id for t in table.tasks]
        sha = table.registry.fingerprint()

        def boards():
            sigma = normalise(raw, table)
            matrix = lb.ResultMatrix([f"model-{i:04d}" for i in range(n_models)], [""] * n_models, ids,
                                     table.modality, table.paradigm, skill, sigma, table.sota_sigma, sha,
                                     skill_group=group, skill_group_name=group_name)
            return lb.compute_boards(matrix)

        boards()  # warm-up (first numpy calls, lazy imports)
        t, out = best_of(boards, repeat=5)
        scopes = sorted({b.spec.scope for b in out})
        rows.append(Row(sec, f"normalise + level + rank: {label}", seconds(t), f"< {GOAL} s", t < GOAL,
                        f"{len(out)} boards (scopes {','.join(scopes)}), best of 5; "
                        f"scoring.normalise + leaderboard.compute_boards", {"seconds": t, "boards": len(out)}))
    except ImportError as e:
        rows.append(failed_row(sec, f"normalise + level + rank: {label}", f"< {GOAL} s",
                               f"core/leaderboard.py not available ({e})"))
    except Exception as e:  # noqa: BLE001
        rows.append(failed_row(sec, f"normalise + level + rank: {label}", f"< {GOAL} s", e))
    try:
        def levels_only():
            return compute_levels(normalise(raw, table), table.sota_sigma, table.modality, table.paradigm)

        levels_only()
        t, _ = best_of(levels_only, repeat=5)
        rows.append(Row(sec, f"normalise + compute_levels only ({n_models} x {len(table.tasks)})", seconds(t),
                        f"< {GOAL} s", t < GOAL, "Scope-A levels without the boards; best of 5",
                        {"seconds": t}))
    except Exception as e:  # noqa: BLE001
        rows.append(failed_row(sec, "normalise + compute_levels only", f"< {GOAL} s", e))
    return rows
