"""Text renderings of computed leaderboards: plain table, markdown and JSON (HTML lives in reports.html).

Split from :mod:`generallevel.leaderboard` so that module only computes boards. ``render_boards`` and
``provenance_text`` stay importable from ``generallevel.leaderboard`` (re-exported lazily there, because
this module imports the board constants from it).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Mapping, Sequence

from ..errors import InputError
from ..leaderboard import _LEVEL_KEYS, LEVEL_RULES, boards_to_dict
from . import format_table, interval_text

if TYPE_CHECKING:
    from ..leaderboard import Board
    from ..results_matrix import ResultMatrix


TIE_RULE = ("95 % CI: the board score's interval from resampling each task's instances (models scored with "
            "evaluate --ci); P(Level): the share of resamples at the model's Level; tied: the same Level as a "
            "neighbour and overlapping intervals (docs/intervals.md).")


def _row_cells(board: Board, row: dict[str, Any]) -> list[str]:
    keys = _LEVEL_KEYS[:board.spec.max_level - 1]
    cells = ([str(row["rank"]), row["model"], str(row["level"]), f"{row['score']:.2f}"]
             + [f"{row[k]:.2f}" for k in keys] + [f"{row['supported']}/{row['tasks']}", str(row["wins"])])
    if board.intervals:
        ci = row.get("ci")
        cells[4:4] = (["-", "-", ""] if ci is None else
                      [interval_text(ci), f"{row['p_level']:.2f}", "tied" if row.get("tied") else ""])
    return cells


def _head(board: Board) -> list[str]:
    ci = ["95 % CI", "P(Level)", "Tie"] if board.intervals else []
    return (["Rank", "Model", "Level", "Score"] + ci + [f"S{k}" for k in range(2, board.spec.max_level + 1)]
            + ["Supported", "Wins"])


def provenance_text(p: Mapping[str, Any]) -> str:
    """One line: the ranking generallevel and the plugin versions the reports were scored with."""
    plugins = ", ".join(f"{n} {v.get('version', '?')}" for n, v in (p.get("plugins") or {}).items())
    return (f"Ranked by generallevel {p.get('generallevel', '?')}; scored with plugins: {plugins or 'none'}"
            + (f" ({len(p['scored_with'])} different setups)" if len(p.get("scored_with") or []) > 1 else ""))


def render_boards(boards: Sequence[Board], fmt: str, matrix: ResultMatrix | None = None) -> str:
    """boards as ``table``, ``markdown``, ``json`` or ``html`` (one self-contained page)."""
    if fmt == "json":
        return json.dumps(boards_to_dict(boards, matrix), indent=2, ensure_ascii=False) + "\n"
    if fmt == "html":
        from .html import render_leaderboard_html

        return render_leaderboard_html(boards_to_dict(boards, matrix))
    out = []
    for b in boards:
        rows = [_row_cells(b, r) for r in b.rows()]
        title = f"{b.spec.title} [{b.spec.id}] - {b.n_tasks} tasks"
        if fmt == "table":
            out += [title, format_table(_head(b), rows), ""]
        elif fmt == "markdown":
            head = _head(b)
            out += [f"### {title}", "", "| " + " | ".join(head) + " |",
                    "|" + "|".join(["---:", "---"] + ["---:"] * (len(head) - 2)) + "|"]
            out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows] + [""]
        else:
            raise InputError(f"unknown format {fmt!r}; use table, json, markdown or html")
    out += [f"Scope-{s} Level and score: {LEVEL_RULES[s]}." for s in sorted({b.spec.scope for b in boards})]
    if any(b.intervals for b in boards):
        out.append(TIE_RULE)
    if matrix is not None:
        out.append(f"{len(matrix.models)} models, registry sha256 {matrix.registry_sha256}"
                   + (", official-compatible mode" if matrix.mode == "official" else ""))
        out.append(provenance_text(matrix.provenance))
    return "\n".join(out) + "\n"
