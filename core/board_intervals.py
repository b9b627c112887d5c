"""How sure is a rank? Intervals of every board's Level score, and statistical ties (``leaderboard --ci``
and the leaderboard service).

A report written by ``evaluate --ci`` (or a submission scored with intervals) keeps, per task, 41
quantiles of its resampled raw values. Tasks are resampled independently (their instances differ),
so a task's marginal distribution is all a board needs: each resample draws, for every such task, a
value from the quantile function (linear between quantiles) and keeps the other tasks at their
value. The resampled raw rows pass through the same normalisation, raw wins and
:func:`generallevel.leaderboard.compute_boards` as the model itself, as if each resample were a
model; percentiles of S_k, k the model's Level on the board (the quantity its board score is), are
the interval, and the share of resamples at that Level is the Level's probability.

A model's intervals depend on its own report only (its row of the matrix, the seed and its name,
which seeds its draws), so callers may compute them once per report and cache them (the service
does). Report files (:func:`add_board_intervals`) and report documents already in memory
(:func:`report_intervals`) share one path, :func:`row_intervals`.

Two neighbours on a board are **statistically tied** when both have intervals, they stand at the
same Level, and their score intervals overlap. Models without ``--ci`` reports have no interval and
are never marked. This is an overlap rule, conservative for a paired comparison; a paired test
needs both models' instance results, which reports do not carry.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np

from .errors import InputError
from .intervals import QUANTILES, IntervalSpec, percentile_bounds
from .levels import raw_wins
from .results_matrix import ResultMatrix
from .scoring import normalise, task_table

DEFAULT_BOARD_RESAMPLES = 400

Quantiles = dict[str, tuple[float, np.ndarray]]
"""Per task id: (raw value, the 41 quantiles of its resampled raw values)."""


def report_quantiles(doc: Mapping[str, Any], where: str) -> Quantiles:
    """The task quantiles of one report document (``where`` names it in errors); {} without intervals."""
    ids, raws, rows = [], [], []
    for t in doc.get("tasks") or []:
        iv = t.get("interval") if isinstance(t, dict) else None
        q = iv.get("quantiles") if isinstance(iv, dict) else None
        if isinstance(q, list) and len(q) == len(QUANTILES) and t.get("raw") is not None and t.get("id"):
            ids.append(str(t["id"]))
            raws.append(float(t["raw"]))
            rows.append(q)
    if not rows:
        return {}
    try:
        values = np.asarray(rows, dtype=float)
    except (TypeError, ValueError):
        values = np.array([[float(x) if isinstance(x, (int, float)) else np.nan for x in q] for q in rows])
    bad = ~np.all(np.isfinite(values), axis=1) | np.any(np.diff(values, axis=1) < 0, axis=1)
    if bad.any():
        raise InputError(f"{where}: task {ids[int(np.argmax(bad))]!r}: interval quantiles must be finite and ascending")
    return {tid: (raw, values[i]) for i, (tid, raw) in enumerate(zip(ids, raws))}


def task_quantiles(source: str) -> Quantiles:
    """The task quantiles of one ``evaluate --ci`` report file."""
    try:
        doc = json.loads(Path(source).read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise InputError(f"{source}: cannot read the report again for its intervals: {e}") from None
    if not isinstance(doc, dict):
        raise InputError(f"{source}: not a report (a JSON object)")
    return report_quantiles(doc, source)


def _draw(quantiles: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Each row's quantile function at that row of ``u`` in [0, 1): ``np.interp`` over QUANTILES
    (linear in between, the same arithmetic and bin), for all tasks in one vectorised step."""
    last = len(QUANTILES) - 2
    j = np.minimum((u * (last + 1)).astype(np.intp), last)  # QUANTILES are evenly spaced: the bin, give or take
    j -= (QUANTILES[j] > u) & (j > 0)  # ... one, where u * 40 rounded across a bin edge
    j += (QUANTILES[j + 1] <= u) & (j < last)
    rows = np.arange(quantiles.shape[0])[:, None]
    lo, hi = quantiles[rows, j], quantiles[rows, j + 1]
    slope = (hi - lo) / (QUANTILES[j + 1] - QUANTILES[j])
    return np.where(u == QUANTILES[j], lo, slope * (u - QUANTILES[j]) + lo)


def _pseudo_rows(matrix: ResultMatrix, row: int, per_task: Quantiles, spec: IntervalSpec, table: Any,
                 index: np.ndarray, key: str) -> tuple[np.ndarray, np.ndarray | None] | None:
    """(sigma, wins) of ``spec.resamples`` redraws of model ``row``; None if no task has quantiles."""
    mine = np.array([j for j, tid in enumerate(matrix.task_ids) if tid in per_task], dtype=np.intp)
    if not mine.size:
        return None
    rng = spec.rng(f"board:{key}")
    u = rng.random((mine.size, spec.resamples))  # task by task: the stream of one draw per task in turn
    quantiles = np.stack([per_task[matrix.task_ids[j]][1] for j in mine])
    theirs = index[mine]  # the registry's columns of the drawn tasks
    raw = np.full((spec.resamples, len(table.tasks)), np.nan)
    raw[:, theirs] = _draw(quantiles, u).T
    # tasks without resamples keep their normalised score; their raw value only decides wins
    sigma = np.tile(matrix.sigma[row], (spec.resamples, 1))
    sigma[:, mine] = normalise(raw, table)[:, theirs]
    if matrix.wins is None:  # the sigma rule
        return sigma, None
    won = np.tile(matrix.wins[row], (spec.resamples, 1))
    won[:, mine] = raw_wins(raw, table.sota_raw, table.higher)[:, theirs]
    return sigma, won


def _registry_columns(matrix: ResultMatrix, registry: Any = None) -> tuple[Any, np.ndarray]:
    table = task_table(registry)
    index = [table.index.get(tid) for tid in matrix.task_ids]
    if any(i is None for i in index):
        raise InputError("the result files' tasks are not the installed registry's; intervals need the same registry")
    return table, np.asarray(index, dtype=np.intp)


def _stacked(matrix: ResultMatrix, names: list[str], parts: list[tuple[np.ndarray, np.ndarray | None]],
             source: str) -> ResultMatrix:
    """Pseudo-models as one matrix, shaped like ``matrix`` (its tasks, SoTA and mode)."""
    sigma = np.vstack([p[0] for p in parts])
    won = None if parts[0][1] is None else np.vstack([p[1] for p in parts])
    return ResultMatrix(models=names, sources=[source] * len(names), task_ids=matrix.task_ids,
                        modality=matrix.modality, paradigm=matrix.paradigm, skill=matrix.skill, sigma=sigma,
                        sota=matrix.sota, registry_sha256=matrix.registry_sha256, mode=matrix.mode,
                        skill_group=matrix.skill_group, skill_group_name=matrix.skill_group_name, wins=won)


def pseudo_matrix(matrix: ResultMatrix, row: int, per_task: Quantiles, spec: IntervalSpec,
                  registry: Any = None, key: str | None = None) -> ResultMatrix | None:
    """The resamples of model ``row`` as a matrix of ``spec.resamples`` pseudo-models (None without
    intervals); ``key`` (default: the model's name) seeds the draws."""
    table, index = _registry_columns(matrix, registry)
    name = matrix.models[row]
    part = _pseudo_rows(matrix, row, per_task, spec, table, index, name if key is None else key)
    if part is None:
        return None
    return _stacked(matrix, [f"{name}#{b}" for b in range(spec.resamples)], [part], matrix.sources[row])


def row_intervals(boards: Sequence[Any], matrix: ResultMatrix, per_task: Mapping[int, Quantiles],
                  spec: IntervalSpec, keys: Sequence[str] | None = None) -> dict[int, dict[str, dict[str, Any]]]:
    """Matrix row -> board id -> ``{"ci": [lo, hi], "p_level": p}``, for every row of ``per_task``
    with task quantiles. ``boards`` are ``compute_boards(matrix)`` boards (a row's Level on each);
    ``keys`` (default: the matrix's model names) seed each row's draws.

    Rows are redrawn a few at a time into one ``compute_boards`` call of at most CHUNK pseudo-models:
    a call's fixed cost is shared, and below CHUNK no padding is added, so a row's numbers are the
    same whichever rows it is computed with.
    """
    from .leaderboard import CHUNK, compute_boards

    if matrix.mode == "official":
        raise InputError("leaderboard --ci: intervals follow the paper's rule; official-mode reports have none")
    names = list(matrix.models if keys is None else keys)
    rows = [r for r in sorted(per_task) if per_task[r]]
    if not rows:
        return {}
    table, index = _registry_columns(matrix)
    ids, n = [b.spec.id for b in boards], spec.resamples
    out: dict[int, dict[str, dict[str, Any]]] = {}
    per_call = max(1, CHUNK // n)
    for lo in range(0, len(rows), per_call):
        drawn = {r: _pseudo_rows(matrix, r, per_task[r], spec, table, index, names[r]) for r in rows[lo:lo + per_call]}
        batch = [r for r, part in drawn.items() if part is not None]
        if not batch:
            continue
        pseudo = _stacked(matrix, [f"{names[r]}#{b}" for r in batch for b in range(n)],
                          [drawn[r] for r in batch], "resamples")  # type: ignore[misc]
        for board, sampled in zip(boards, compute_boards(pseudo, board_ids=ids)):
            level = board.level[batch].astype(int)  # intervals of S at each row's Level (the board score)
            values = np.zeros((n, len(batch)))
            for i, k in enumerate(level.tolist()):
                if k >= 2:
                    values[:, i] = sampled.scores[f"level{k}"][i * n:(i + 1) * n]
            bounds = percentile_bounds(values, spec.confidence, axis=0)
            p_level = (sampled.level.reshape(len(batch), n) == level[:, None]).mean(axis=1)
            for i, r in enumerate(batch):
                out.setdefault(r, {})[board.spec.id] = {"ci": [float(bounds[0, i]), float(bounds[1, i])],
                                                        "p_level": float(p_level[i])}
    return out


def report_intervals(boards: Sequence[Any], matrix: ResultMatrix, reports: Mapping[int, Mapping[str, Any]],
                     resamples: int = DEFAULT_BOARD_RESAMPLES, seed: int = 0, keys: Sequence[str] | None = None,
                     on_bad: Callable[[int, InputError], None] | None = None) -> dict[int, dict[str, dict[str, Any]]]:
    """:func:`row_intervals` from report documents already in memory (matrix row -> its report), for
    callers that rank rows of their own (the service); a row whose report has no intervals is left
    out. ``on_bad(row, error)``: skip a report whose quantiles are malformed instead of raising."""
    per_task = {}
    for row, doc in reports.items():
        try:
            per_task[row] = report_quantiles(doc, matrix.sources[row])
        except InputError as e:
            if on_bad is None:
                raise
            on_bad(row, e)
    return row_intervals(boards, matrix, per_task, IntervalSpec(resamples, seed), keys)


def add_board_intervals(boards: Sequence[Any], matrix: ResultMatrix, resamples: int = DEFAULT_BOARD_RESAMPLES,
                        seed: int = 0) -> int:
    """Attach intervals to ``boards`` (in place) for every model whose report file has them (the
    matrix's sources); returns how many models."""
    per_task = {row: task_quantiles(source) for row, source in enumerate(matrix.sources)
                if source and Path(source).is_file()}
    found = row_intervals(boards, matrix, per_task, IntervalSpec(resamples, seed))
    for board in boards:
        board.intervals = {row: dict(per_board[board.spec.id]) for row, per_board in found.items()}
        _mark_ties(board)
    return len(found)


def mark_ties(ranked: Iterable[tuple[int, dict[str, Any] | None]]) -> None:
    """Set ``"tied": True`` on neighbours of a ranked board (``(level, interval or None)`` per row, in
    rank order) that stand at the same Level with overlapping ``"ci"`` intervals."""
    ranked = list(ranked)
    for (level_a, a), (level_b, b) in zip(ranked, ranked[1:]):
        if a is None or b is None or level_a != level_b:
            continue
        if a["ci"][0] <= b["ci"][1] and b["ci"][0] <= a["ci"][1]:
            a["tied"] = b["tied"] = True


def _mark_ties(board: Any) -> None:
    mark_ties((int(board.level[i]), board.intervals.get(i)) for i in board.order.tolist())
