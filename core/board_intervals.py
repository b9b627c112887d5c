"""How sure is a rank? Intervals of every board's Level score, and statistical ties (``leaderboard --ci``).

A report written by ``evaluate --ci`` keeps, per task, 41 quantiles of its resampled raw values.
Tasks are resampled independently (their instances differ), so a task's marginal distribution is
all a board needs: each resample draws, for every such task, a value from the quantile function
(linear between quantiles) and keeps the other tasks at their value. The resampled raw rows pass
through the same normalisation, raw wins and :func:`generallevel.leaderboard.compute_boards` as
the model itself, as if each resample were a model; percentiles of S_k, k the model's Level on the
board (the quantity its board score is), are the interval, and the share of resamples at that
Level is the Level's probability.

Two neighbours on a board are **statistically tied** when both have intervals, they stand at the
same Level, and their score intervals overlap. Models without ``--ci`` reports have no interval and
are never marked. This is an overlap rule, conservative for a paired comparison; a paired test
needs both models' instance results, which reports do not carry.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .errors import InputError
from .intervals import QUANTILES, IntervalSpec, _quantiles
from .levels import raw_wins
from .results_matrix import ResultMatrix
from .scoring import normalise, task_table

DEFAULT_BOARD_RESAMPLES = 400


def task_quantiles(source: str) -> dict[str, tuple[float, np.ndarray]]:
    """Per task id: (raw value, quantiles of its resamples) from one ``evaluate --ci`` report file."""
    try:
        doc = json.loads(Path(source).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise InputError(f"{source}: cannot read the report again for its intervals: {e}") from None
    out = {}
    for t in doc.get("tasks") or []:
        iv = t.get("interval") if isinstance(t, dict) else None
        q = iv.get("quantiles") if isinstance(iv, dict) else None
        if isinstance(q, list) and len(q) == len(QUANTILES) and t.get("raw") is not None and t.get("id"):
            values = np.asarray(q, dtype=float)
            if not np.all(np.isfinite(values)) or np.any(np.diff(values) < 0):
                raise InputError(f"{source}: task {t['id']!r}: interval quantiles must be finite and ascending")
            out[str(t["id"])] = (float(t["raw"]), values)
    return out


def _draw(quantiles: np.ndarray, u: np.ndarray) -> np.ndarray:
    return np.interp(u, QUANTILES, quantiles)


def pseudo_matrix(matrix: ResultMatrix, row: int, per_task: dict[str, tuple[float, np.ndarray]],
                  spec: IntervalSpec, registry: Any = None) -> ResultMatrix | None:
    """The resamples of model ``row`` as a matrix of ``spec.resamples`` pseudo-models (None without intervals)."""
    table = task_table(registry)
    cols = [(j, per_task[tid]) for j, tid in enumerate(matrix.task_ids) if tid in per_task]
    if not cols:
        return None
    index = [table.index.get(tid) for tid in matrix.task_ids]
    if any(i is None for i in index):
        raise InputError("the result files' tasks are not the installed registry's; intervals need the same registry")
    rng = spec.rng(f"board:{matrix.models[row]}")
    raw = np.full((spec.resamples, len(table.tasks)), np.nan)
    sigma_row = matrix.sigma[row]
    # tasks without resamples keep their normalised score; their raw value only decides wins
    fixed_wins = matrix.wins[row] if matrix.wins is not None else None
    for j, (_, q) in cols:
        raw[:, index[j]] = _draw(q, rng.random(spec.resamples))
    mine = np.array([j for j, _ in cols])  # matrix columns with resamples, and their registry columns
    theirs = np.asarray(index)[mine]
    sigma = np.tile(sigma_row, (spec.resamples, 1))
    sigma[:, mine] = normalise(raw, table)[:, theirs]
    won = None if fixed_wins is None else np.tile(fixed_wins, (spec.resamples, 1))  # None: the sigma rule
    if won is not None:
        won[:, mine] = raw_wins(raw, table.sota_raw, table.higher)[:, theirs]
    return ResultMatrix(models=[f"{matrix.models[row]}#{b}" for b in range(spec.resamples)],
                        sources=[matrix.sources[row]] * spec.resamples, task_ids=matrix.task_ids,
                        modality=matrix.modality, paradigm=matrix.paradigm, skill=matrix.skill, sigma=sigma,
                        sota=matrix.sota, registry_sha256=matrix.registry_sha256, mode=matrix.mode,
                        skill_group=matrix.skill_group, skill_group_name=matrix.skill_group_name,
                        wins=won)


def add_board_intervals(boards: Sequence[Any], matrix: ResultMatrix, resamples: int = DEFAULT_BOARD_RESAMPLES,
                        seed: int = 0) -> int:
    """Attach intervals to ``boards`` (in place) for every model whose report has them; returns how many models."""
    from .leaderboard import compute_boards

    if matrix.mode == "official":
        raise InputError("leaderboard --ci: intervals follow the paper's rule; official-mode reports have none")
    spec = IntervalSpec(resamples, seed)
    ids = [b.spec.id for b in boards]
    with_ci = 0
    for row, source in enumerate(matrix.sources):
        per_task = task_quantiles(source) if source and Path(source).is_file() else {}
        pseudo = pseudo_matrix(matrix, row, per_task, spec) if per_task else None
        if pseudo is None:
            continue
        with_ci += 1
        for board, sampled in zip(boards, compute_boards(pseudo, board_ids=ids)):
            level = int(board.level[row])  # the interval is of S at this Level (the board score's quantity)
            values = sampled.scores[f"level{level}"] if level >= 2 else np.zeros(spec.resamples)
            board.intervals[row] = {"ci": list(_quantiles(values, spec.confidence)),
                                    "p_level": float(np.mean(sampled.level == level))}
    for board in boards:
        _mark_ties(board)
    return with_ci


def _mark_ties(board: Any) -> None:
    order = board.order.tolist()
    for above, below in zip(order, order[1:]):
        a, b = board.intervals.get(above), board.intervals.get(below)
        if a is None or b is None or board.level[above] != board.level[below]:
            continue
        if a["ci"][0] <= b["ci"][1] and b["ci"][0] <= a["ci"][1]:
            a["tied"] = b["tied"] = True
