"""Renderers of a ScoreReport: json, markdown, plain table (html lives in reports.html)."""

from __future__ import annotations

import json
from typing import Any

from ..levels import MODALITIES


def to_json(report, include_tasks: bool = False) -> str:
    return json.dumps(report.to_dict(include_tasks=include_tasks), indent=2, ensure_ascii=False)


def _rows(report) -> list[list[Any]]:
    rows = []
    for m in MODALITIES:
        d = report.modalities[m]
        rows.append([m, f"{d['level2']:.2f}", f"{d['level3']:.2f}", f"{d['level4']:.2f}",
                     f"{d['supported']}/{d['tasks']}", str(d["wins"])])
    n = report.nlp
    rows.append(["NLP", "", "", "", f"{n['supported']}/{n['tasks']}", str(n["wins"])])
    return rows


HEAD = ["Modality", "Level-2", "Level-3", "Level-4", "Supported", "Wins"]
TASK_HEAD = ["Task", "Group", "Metric", "Raw", "SoTA raw", "Score", "SoTA score", "Win"]

LEGEND = (
    "Supported: tasks given a score, of the group's tasks (unsupported tasks score 0). "
    "Wins: tasks whose raw result is at least the SoTA specialist's (they alone count for Level-3 and up). "
    "S_L: the NLP tasks' mean score, counting won tasks only (others 0); w_L = S_L / 100, "
    "and Level-5 = Level-4 x w_L. See docs/scoring.md.")


def _num(x: Any, fmt: str) -> str:
    return "-" if x is None else format(x, fmt)


def task_rows(report) -> tuple[list[list[str]], int]:
    """Rows of the supported tasks (``TASK_HEAD``) and the number of unsupported tasks left out."""
    rows = [[t.task.id, t.task.group, t.task.metric, _num(t.raw, ".4g"), _num(t.task.sota_metric_unit, ".4g"),
             _num(t.sigma, ".2f"), _num(t.sota_sigma, ".2f"), "yes" if t.win else ""]
            for t in report.tasks if t.raw is not None]
    return rows, len(report.tasks) - len(rows)


def _notes(report) -> list[str]:
    return [f"Note: {n}" for n in getattr(report, "notes", None) or []]


def to_markdown(report, include_tasks: bool = False) -> str:
    lv = report.levels
    out = [f"## General-Level: {report.model}", "",
           f"**Level {report.level}**" + (" (official-compatible mode)" if report.mode == "official" else ""), "",
           "| Level-2 | Level-3 | Level-4 | Level-5 |", "|---:|---:|---:|---:|",
           f"| {lv['level2']:.2f} | {lv['level3']:.2f} | {lv['level4']:.2f} | {lv['level5']:.2f} |", "",
           "| " + " | ".join(HEAD) + " |", "|" + "|".join(["---"] + ["---:"] * (len(HEAD) - 1)) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in _rows(report)]
    out += ["", f"S_L = {report.nlp['s_l']:.2f}, w_L = {report.nlp['w_l']:.4f}", "", LEGEND, ""]
    if getattr(report, "units", None):
        out += [units_line(report.units), ""]
    out += [f"{n}\n" for n in _notes(report)]
    if include_tasks:
        rows, unsupported = task_rows(report)
        out += ["### Tasks", "", "| " + " | ".join(TASK_HEAD) + " |",
                "|" + "|".join(["---"] * 3 + ["---:"] * 4 + ["---"]) + "|"]
        out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
        out += ["", f"{len(rows)} supported tasks; {unsupported} unsupported tasks not listed", ""]
    out += [_provenance_line(report)]
    return "\n".join(out) + "\n"


def units_line(units) -> str:
    """One line stating how a workbook's percent-scale cells were read (the report's ``units``)."""
    groups: dict[tuple, list[tuple[str, int]]] = {}
    for sheet, u in units.items():
        groups.setdefault((u["unit"], u["declared"], u["checked"]), []).append((sheet, u["values"]))
    ordered = sorted(groups.items(), key=lambda kv: len(kv[1]))
    parts = []
    for i, ((unit, declared, checked), items) in enumerate(ordered):
        if len(items) == len(units):
            where = "every sheet"
        elif i == len(ordered) - 1 and len(items) > 1:
            where = f"the other {len(items)} sheets"
        else:
            where = ", ".join(s for s, _ in items)
        n = sum(v for _, v in items)
        why = f"declared {declared}" if declared else \
            "the sheet's unit, " + ("checked for fractions" if checked else "taken as is")
        parts.append(f"{unit} in {where} ({why}; {n} value{'' if n == 1 else 's'})")
    return "Workbook percent-scale cells read as: " + "; ".join(parts)


def _provenance_line(report) -> str:
    p = report.provenance
    plugins = ", ".join(f"{n} {v.get('version', '?')}" for n, v in sorted(p["plugins"].items()))
    return (f"generallevel {p['generallevel']}, registry sha256 {p['registry_sha256']}\n"
            f"plugins: {plugins or 'none'}")


def interval_text(bounds: Any, nd: int = 2) -> str:
    """A --ci interval as "[low, high]" ("-" when there is none)."""
    if not isinstance(bounds, (list, tuple)) or len(bounds) != 2 or any(b is None for b in bounds):
        return "-"
    return f"[{bounds[0]:.{nd}f}, {bounds[1]:.{nd}f}]"


def format_table(head: list[str], rows: list[list[Any]]) -> str:
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)] if rows else [len(h) for h in head]
    line = lambda r: "  ".join(str(x).ljust(w) for x, w in zip(r, widths)).rstrip()  # noqa: E731
    return "\n".join([line(head), line(["-" * w for w in widths])] + [line(r) for r in rows])


def to_table(report, include_tasks: bool = False) -> str:
    lv = report.levels
    out = [f"Model: {report.model}    Level: {report.level}" + ("   [official-compatible mode]" if report.mode == "official" else ""),
           f"Level-2 {lv['level2']:.2f}   Level-3 {lv['level3']:.2f}   Level-4 {lv['level4']:.2f}   Level-5 {lv['level5']:.2f}",
           "", format_table(HEAD, _rows(report)), "",
           f"NLP: S_L {report.nlp['s_l']:.2f}  w_L {report.nlp['w_l']:.4f}", LEGEND]
    if getattr(report, "units", None):
        out.append(units_line(report.units))
    out += _notes(report)
    if include_tasks:
        rows, unsupported = task_rows(report)
        out += ["", format_table(TASK_HEAD, rows), f"{len(rows)} supported tasks; {unsupported} unsupported "
                f"tasks not listed", ""]
    out.append(_provenance_line(report))
    return "\n".join(out) + "\n"


def render(report, fmt: str, include_tasks: bool = False) -> str:
    if fmt == "json":
        return to_json(report, include_tasks) + "\n"
    if fmt == "markdown":
        return to_markdown(report, include_tasks)
    if fmt == "table":
        return to_table(report, include_tasks)
    if fmt == "html":
        from .html import render_html

        return render_html(report)
    raise ValueError(f"unknown format {fmt!r}")
