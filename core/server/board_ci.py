"""Confidence intervals on the service's boards (docs/intervals.md, docs/server.md).

With ``ServerConfig.ci_resamples`` > 0 submissions are scored with intervals
(:meth:`AppState.score_submission`), so each stored report carries its tasks' resampling
quantiles. Each model's board intervals are redrawn from them by
:func:`generallevel.board_intervals.report_intervals`: the path of ``leaderboard --ci``, fed with
the stored reports instead of files, and each model's draws seeded by its name, so the numbers are
those of ``leaderboard --ci`` on the same reports written to files.

A model's intervals depend on its own report only, so they are computed once per stored report
(``AppState.intervals``, keyed like ``AppState.reports``): a new board version redraws the new
results alone. Ties depend on the neighbours a board shows, so they are marked afresh on every
board's rows. A stored report with malformed quantiles loses its intervals, never the boards.
"""

from __future__ import annotations

import logging
from typing import Any, Hashable, Sequence

from ..board_intervals import mark_ties, report_intervals
from .config import CI_SEED

log = logging.getLogger("generallevel.server.board_ci")

Intervals = dict[str, dict[str, dict[str, Any]]]
"""Submission public id -> board id -> ``{"ci": [low, high], "p_level": p}``."""


def submission_intervals(state: Any, matrix: Any, boards: Sequence[Any], subs: Sequence[Any],
                         reports: dict[str, dict[str, Any]], report_keys: Sequence[Hashable]) -> Intervals:
    """The board intervals of every submission whose stored report has them.

    ``matrix`` and ``boards``: ``matrix_from_reports`` and ``compute_boards`` of the reports of
    ``subs``, one row per submission in that order; ``report_keys``: a key per submission that
    changes whenever its stored report does. Only submissions not seen before are redrawn.
    """
    cfg = state.config
    if not cfg.ci_resamples:  # intervals are off: none scored, none shown
        return {}
    setting = (cfg.board_resamples, CI_SEED)
    keys = [(key, setting) for key in report_keys]
    with state.reports_lock:
        have = [state.intervals.get(k) for k in keys]
    missing = {row: reports[sub.public_id] for row, sub in enumerate(subs) if have[row] is None}
    if missing:
        def bad(row: int, error: Exception) -> None:
            log.warning("submission %s: no board intervals: %s", subs[row].public_id, error)

        found = report_intervals(boards, matrix, missing, cfg.board_resamples, CI_SEED,
                                 keys=[sub.model_name for sub in subs], on_bad=bad)
        for row in missing:
            have[row] = found.get(row, {})  # {}: none (remembered too, so never redrawn)
    with state.reports_lock:  # forget the reports no longer shown
        state.intervals = dict(zip(keys, have))
    return {sub.public_id: iv for sub, iv in zip(subs, have) if iv}


def with_intervals(rows: list[dict[str, Any]], board_id: str, intervals: Intervals) -> list[dict[str, Any]]:
    """``rows`` (one board's, ranked) with each model's ``ci``, ``p_level`` and ``tied`` mark, as
    ``leaderboard --ci`` rows have them; rows of models without intervals are left as they are."""
    for row in rows:
        iv = intervals.get(row["submission"], {}).get(board_id)
        if iv is not None:
            row.update(ci=list(iv["ci"]), p_level=iv["p_level"], tied=False)
    mark_ties((row["level"], row if "ci" in row else None) for row in rows)
    return rows
