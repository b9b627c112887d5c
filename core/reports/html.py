"""Self-contained HTML: a model's Level report and leaderboards.

One file, no scripts, no external URLs (fonts, styles, images): inline CSS and inline SVG only, so
a report can be mailed, archived or served from a closed network and still render identically.
Every piece of text from a report is HTML-escaped.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any, Iterable, Mapping

MODALITIES = ("Image", "Video", "Audio", "3D")
COLORS = {"level2": "#9db4d9", "level3": "#4f7cc4", "level4": "#1f3f7a", "level5": "#b8860b",
          "comprehension": "#3a9a6a", "generation": "#c0673a", "sota": "#222222"}

CSS = """
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2430;
       margin: 0; background: #f4f6f9; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 32px 0 10px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.sub { color: #5b6576; margin: 0 0 18px; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; }
.card { background: #fff; border: 1px solid #dde2ea; border-radius: 8px; padding: 12px 16px; min-width: 120px; }
.card .k { color: #5b6576; font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card .v { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.card.level { background: #1f3f7a; color: #fff; border-color: #1f3f7a; }
.card.level .k { color: #c9d6ee; }
.panel { background: #fff; border: 1px solid #dde2ea; border-radius: 8px; padding: 14px 16px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr)); gap: 12px; }
table { border-collapse: collapse; width: 100%; background: #fff; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 8px; border-bottom: 1px solid #e7ebf1; text-align: right; white-space: nowrap; }
th { background: #eef1f6; font-weight: 600; position: sticky; top: 0; }
td.l, th.l { text-align: left; white-space: normal; }
tr.win td.w { color: #1b7a3e; font-weight: 700; }
.legend span { display: inline-block; margin-right: 14px; font-size: 12px; color: #3b4455; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 5px; vertical-align: -1px; }
.prov dt { font-weight: 600; } .prov dd { margin: 0 0 8px; font-family: ui-monospace, monospace; word-break: break-all; }
.note { color: #5b6576; font-size: 12px; }
svg text { font: 11px system-ui, sans-serif; fill: #3b4455; }
svg { max-width: 100%; height: auto; }
.scroll { overflow-x: auto; }
table.tasks { table-layout: fixed; }
table.tasks col.name { width: 34%; } table.tasks col.metric { width: 13%; } table.tasks col.bar { width: 136px; }
table.tasks col.win { width: 44px; }
table.tasks td.l { overflow-wrap: anywhere; }
.card .ci { font-size: 11px; color: #5b6576; font-variant-numeric: tabular-nums; }
.card.level .ci { color: #c9d6ee; }
tr.fragile td.w { color: #a15c00; }
"""


def _f(x: Any, nd: int = 2) -> str:
    return "-" if x is None else f"{x:.{nd}f}"


def _nice_max(values: Iterable[float]) -> float:
    """Axis maximum: the data maximum rounded up to 1, 2 or 5 x 10^k (at least 1, at most 100)."""
    top = max([v for v in values if v is not None and math.isfinite(v)] + [0.0])
    if top <= 0:
        return 10.0
    exp = 10 ** math.floor(math.log10(top))
    for m in (1, 2, 5, 10):
        if top <= m * exp:
            return float(min(100.0, m * exp))
    return 100.0


def _page(title: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{escape(title)}</title><style>{CSS}</style></head>"
            f"<body><main>{body}</main></body></html>\n")


def _legend(items: list[tuple[str, str]]) -> str:
    return "<div class=\"legend\">" + "".join(
        f"<span><i style=\"background:{c}\"></i>{escape(t)}</span>" for t, c in items) + "</div>"


def _bars_svg(rows: list[tuple[str, list[tuple[str, float, str]]]], width: int = 680, label_w: int = 70,
              bar_h: int = 12, title: str = "") -> str:
    """Grouped horizontal bars: rows of (label, [(series name, value, color), ...]), one axis 0..nice max."""
    vmax = _nice_max(v for _, series in rows for _, v, _ in series)
    plot_w = width - label_w - 56
    group_h = bar_h * max(len(s) for _, s in rows) + 10
    height = group_h * len(rows) + 22
    out = [f"<svg role=\"img\" aria-label=\"{escape(title)}\" width=\"{width}\" height=\"{height}\" "
           f"viewBox=\"0 0 {width} {height}\">"]
    for t in range(5):  # grid lines and ticks
        x = label_w + plot_w * t / 4
        out.append(f"<line x1=\"{x:.1f}\" y1=\"0\" x2=\"{x:.1f}\" y2=\"{height - 18}\" stroke=\"#e3e7ee\"/>"
                   f"<text x=\"{x:.1f}\" y=\"{height - 5}\" text-anchor=\"middle\">{vmax * t / 4:g}</text>")
    for i, (label, series) in enumerate(rows):
        y0 = i * group_h + 4
        out.append(f"<text x=\"{label_w - 8}\" y=\"{y0 + group_h / 2:.1f}\" text-anchor=\"end\" "
                   f"font-weight=\"600\">{escape(label)}</text>")
        for j, (name, v, color) in enumerate(series):
            w = 0.0 if v is None else max(0.0, min(1.0, v / vmax)) * plot_w
            y = y0 + j * bar_h
            out.append(f"<rect class=\"bar\" data-series=\"{escape(name)}\" x=\"{label_w}\" y=\"{y}\" "
                       f"width=\"{w:.1f}\" height=\"{bar_h - 2}\" fill=\"{color}\"><title>{escape(label)} "
                       f"{escape(name)}: {_f(v)}</title></rect>"
                       f"<text x=\"{label_w + w + 4:.1f}\" y=\"{y + bar_h - 3}\">{_f(v)}</text>")
    out.append("</svg>")
    return "".join(out)


def _as_dict(report: Any) -> dict[str, Any]:
    if isinstance(report, Mapping):
        return dict(report)
    evaluation = getattr(report, "evaluation", report)  # a SubmissionResult wraps an EvaluationResult
    if hasattr(evaluation, "report_dict"):  # with --ci: intervals beside the rows
        return evaluation.report_dict()
    return report.to_dict(include_tasks=True)


def _p_win(t: Mapping[str, Any]) -> float | None:
    iv = t.get("interval")
    return iv.get("p_win") if isinstance(iv, Mapping) else None


def _fragile_section(tasks: list[dict[str, Any]]) -> str:
    """--ci: the wins that resampling the instances overturns in more than 1 resample in 10."""
    from ..intervals import FRAGILE

    fragile = sorted((t for t in tasks if t.get("win") and _p_win(t) is not None and _p_win(t) < FRAGILE),
                     key=lambda t: _p_win(t))
    head = (f"<h2 id=\"fragile\">Fragile wins</h2><p class=\"sub\">Wins whose probability (the share of "
            f"resamples of the task's instances at or above SoTA) is below {FRAGILE:g}: a Level that rests on "
            f"them could move on another sample of the same size.</p>")
    if not fragile:
        return head + "<p class=\"note\">None.</p>"
    rows = "".join(f"<tr class=\"fragile\"><td class=\"l\">{escape(str(t.get('name', t['id'])))}</td>"
                   f"<td class=\"l\">{escape(str(t.get('metric', '')))}</td><td>{_f(t.get('score'))}</td>"
                   f"<td>{_f(t.get('sota_score'))}</td><td>{_ci(t['interval']['score'])}</td>"
                   f"<td>{_f(_p_win(t))}</td></tr>" for t in fragile)
    return (head + "<div class=\"scroll\"><table><thead><tr><th class=\"l\">Task</th><th class=\"l\">Metric</th>"
            "<th>Score</th><th>SoTA score</th><th>95 % CI</th><th>P(win)</th></tr></thead>"
            f"<tbody>{rows}</tbody></table></div>")


def _ci(bounds: Any) -> str:
    from . import interval_text

    return interval_text(bounds)


def _tasks_section(tasks: list[dict[str, Any]]) -> str:
    supported = [t for t in tasks if t.get("score") is not None]
    wins = sum(bool(t.get("win")) for t in supported)
    with_ci = any(isinstance(t.get("interval"), Mapping) for t in supported)
    out = [f"<h2 id=\"tasks\">Wins over SoTA per task</h2><p class=\"sub\">{len(supported)} of {len(tasks)} "
           f"tasks supported, {wins} at or above SoTA (a win). Unsupported tasks score 0 and are "
           f"counted per group below."
           + (" The thin black bar under each score bar is its 95 % interval; P(win) is the share of "
              "resamples at or above SoTA." if with_ci else "") + "</p>"]
    groups: dict[str, list[dict[str, Any]]] = {}
    rank = {m: i for i, m in enumerate(MODALITIES)}
    for t in sorted(tasks, key=lambda t: (rank.get(t["modality"], len(rank)), t.get("paradigm") or "")):
        g = t["modality"] if t.get("paradigm") in (None, "none") else f"{t['modality']} {t['paradigm']}"
        groups.setdefault(g, []).append(t)
    for g, rows in groups.items():
        sup = [t for t in rows if t.get("score") is not None]
        out.append(f"<h3>{escape(g)}: {len(sup)}/{len(rows)} supported, "
                   f"{sum(bool(t.get('win')) for t in sup)} wins</h3>")
        if not sup:
            continue
        out.append("<div class=\"scroll\"><table class=\"tasks\"><colgroup><col class=\"name\"><col class=\"metric\">"
                   "<col><col><col><col><col class=\"bar\"><col class=\"win\">" + ("<col><col>" if with_ci else "")
                   + "</colgroup><thead><tr><th class=\"l\">Task</th><th class=\"l\">Metric</th>"
                   "<th>Raw</th><th>SoTA raw</th><th>Score</th><th>SoTA score</th><th>Score vs SoTA</th>"
                   "<th>Win</th>" + ("<th>95 % CI</th><th>P(win)</th>" if with_ci else "") + "</tr></thead><tbody>")
        for t in sup:
            score, sota = t.get("score"), t.get("sota_score")
            clip = lambda v: 1.2 * max(0.0, min(100.0, v))  # noqa: E731 - official mode leaves 0..100
            bar = (f"<svg width=\"120\" height=\"12\" viewBox=\"0 0 120 12\"><rect x=\"0\" y=\"2\" width=\"120\" "
                   f"height=\"8\" fill=\"#edf0f5\"/><rect x=\"0\" y=\"2\" width=\"{clip(score):.1f}\" height=\"8\" "
                   f"fill=\"{COLORS['level3'] if t.get('win') else COLORS['level2']}\"/>"
                   + (f"<rect x=\"{min(118.0, clip(sota)):.1f}\" y=\"0\" width=\"2\" height=\"12\" "
                      f"fill=\"{COLORS['sota']}\"/>" if sota is not None else "") + _interval_bar(t, clip) + "</svg>")
            win = bool(t.get("win"))
            ci_cells = ""
            if with_ci:
                iv = t.get("interval") if isinstance(t.get("interval"), Mapping) else {}
                ci_cells = f"<td>{_ci(iv.get('score'))}</td><td>{_f(iv.get('p_win'))}</td>"
            out.append(f"<tr class=\"{'win' if win else 'loss'}\"><td class=\"l\">{escape(str(t.get('name', t['id'])))}"
                       f"</td><td class=\"l\">{escape(str(t.get('metric', '')))}</td><td>{_g(t.get('raw'))}</td>"
                       f"<td>{_g(t.get('sota_raw'))}</td><td>{_f(score)}</td><td>{_f(sota)}</td><td>{bar}</td>"
                       f"<td class=\"w\">{'win' if win else ''}</td>{ci_cells}</tr>")
        out.append("</tbody></table></div>")
    return "".join(out)


def _interval_bar(t: Mapping[str, Any], clip: Any) -> str:
    iv = t.get("interval")
    if not isinstance(iv, Mapping) or not isinstance(iv.get("score"), (list, tuple)):
        return ""
    lo, hi = (clip(v) for v in iv["score"])
    return (f"<rect class=\"ci\" x=\"{lo:.1f}\" y=\"10.5\" width=\"{max(hi - lo, 0.8):.1f}\" height=\"1.5\" "
            f"fill=\"{COLORS['sota']}\"><title>95 % interval {_ci(iv['score'])}</title></rect>")


def _g(x: Any) -> str:
    return "-" if x is None else f"{x:.4g}"


def _provenance(p: Mapping[str, Any], mode: str, units: Mapping[str, Any] | None = None) -> str:
    plugins = p.get("plugins") or {}
    extra = ""
    if units:
        from . import units_line

        extra = (f"<dt>Workbook percent-scale cells read as</dt>"
                 f"<dd>{escape(units_line(units).split(': ', 1)[1])}</dd>")
    items = "".join(f"<li>{escape(str(n))}: {escape(str(v.get('distribution', '')))} "
                    f"{escape(str(v.get('version', '')))}</li>" for n, v in sorted(plugins.items()))
    return ("<h2 id=\"provenance\">Provenance</h2><div class=\"panel prov\"><dl>"
            f"<dt>generallevel</dt><dd>{escape(str(p.get('generallevel', '?')))}</dd>"
            f"<dt>Task registry (sha256)</dt><dd class=\"sha\">{escape(str(p.get('registry_sha256', '?')))}</dd>"
            f"<dt>Scoring mode</dt><dd>{escape(mode)}</dd>{extra}"
            f"<dt>Plugins ({len(plugins)})</dt><dd><ul>{items}</ul></dd></dl></div>")


def render_html(report: Any) -> str:
    """A model's report (ScoreReport, its ``to_dict(include_tasks=True)``, or an evaluation result)."""
    d = _as_dict(report)
    lv, mods, nlp = d["levels"], d["modalities"], d.get("nlp", {})
    mode = d.get("mode", "paper")
    ci = d.get("intervals") if isinstance(d.get("intervals"), Mapping) else None
    sure = (f"<div class=\"ci\">P = {_f(ci['level_probability_assigned'])} "
            f"({ci['resamples']} resamples)</div>" if ci else "")
    cards = [f"<div class=\"card level\"><div class=\"k\">General-Level</div><div class=\"v\" id=\"level\">"
             f"Level {int(d['level'])}</div>{sure}</div>"]
    cards += [f"<div class=\"card\"><div class=\"k\">Level-{k}</div><div class=\"v\" id=\"level{k}\">"
              f"{_f(lv.get(f'level{k}'))}</div>"
              + (f"<div class=\"ci\">95 % {_ci(ci['levels'][f'level{k}'])}</div>" if ci else "") + "</div>"
              for k in (2, 3, 4, 5)]
    cards.append(f"<div class=\"card\"><div class=\"k\">NLP S_L</div><div class=\"v\">{_f(nlp.get('s_l'))}</div></div>")
    body = [f"<h1>General-Level report: {escape(str(d['model']))}</h1>",
            f"<p class=\"sub\">Level scores on General-Bench"
            + (" (official-compatible mode)" if mode == "official" else "") + "</p>",
            f"<div class=\"cards\">{''.join(cards)}</div>"]

    order = [m for m in MODALITIES if m in mods]
    rows = [(m, [("Level-2", mods[m]["level2"], COLORS["level2"]), ("Level-3", mods[m]["level3"], COLORS["level3"]),
                 ("Level-4", mods[m]["level4"], COLORS["level4"])]) for m in order]
    body += ["<h2 id=\"modalities\">Per-modality Level scores</h2><div class=\"panel\">",
             _legend([("Level-2", COLORS["level2"]), ("Level-3", COLORS["level3"]), ("Level-4", COLORS["level4"])]),
             _bars_svg(rows, title="Level scores per modality"),
             "<table><thead><tr><th class=\"l\">Modality</th><th>Level-2</th><th>Level-3</th><th>Level-4</th>"
             "<th>Supported</th><th>Wins</th></tr></thead><tbody>"]
    body += [f"<tr><td class=\"l\">{escape(m)}</td><td>{_f(mods[m]['level2'])}</td><td>{_f(mods[m]['level3'])}</td>"
             f"<td>{_f(mods[m]['level4'])}</td><td>{mods[m]['supported']}/{mods[m]['tasks']}</td>"
             f"<td>{mods[m]['wins']}</td></tr>" for m in order]
    if nlp:
        body.append(f"<tr><td class=\"l\">NLP</td><td></td><td></td><td></td><td>{nlp.get('supported')}/"
                    f"{nlp.get('tasks')}</td><td>{nlp.get('wins')}</td></tr>")
    body.append("</tbody></table></div>")

    body += ["<h2 id=\"paradigms\">Comprehension vs generation</h2><p class=\"sub\">Per modality: the plain "
             "mean of the paradigm's task scores (Level-2 half) and its wins-only mean (S_C, S_G; a task counts "
             "only at or above SoTA).</p>",
             _legend([("Comprehension", COLORS["comprehension"]), ("Generation", COLORS["generation"])]),
             "<div class=\"grid\">"]
    for m in order:
        x = mods[m]
        chart = _bars_svg([("mean", [("Comprehension", x["comprehension"], COLORS["comprehension"]),
                                     ("Generation", x["generation"], COLORS["generation"])]),
                           ("wins-only", [("S_C", x["s_c"], COLORS["comprehension"]),
                                          ("S_G", x["s_g"], COLORS["generation"])])],
                          width=300, label_w=62, bar_h=14, title=f"{m} comprehension vs generation")
        body.append(f"<div class=\"panel cvg\" data-modality=\"{escape(m)}\"><h3>{escape(m)}</h3>{chart}</div>")
    body.append("</div>")
    if ci:
        body.append(_levels_ci_section(ci))
    if d.get("tasks") and isinstance(d["tasks"][0], Mapping) and "modality" in d["tasks"][0]:
        if ci:
            body.append(_fragile_section(d["tasks"]))
        body.append(_tasks_section(d["tasks"]))
    else:
        body.append("<p class=\"note\">Per-task rows are not in this report (score with --tasks to include them).</p>")
    body.append(_provenance(d.get("provenance", {}), mode, d.get("units")))
    return _page(f"General-Level report: {d['model']}", "".join(body))


def _levels_ci_section(ci: Mapping[str, Any]) -> str:
    """--ci: per-modality 95 % intervals and the probability of each Level."""
    probs = ci.get("level_probability", {})
    rows = "".join(f"<tr><td class=\"l\">{escape(m)}</td>" + "".join(
        f"<td>{_ci(v.get(k))}</td>" for k in ("level2", "level3", "level4", "s_c", "s_g")) + "</tr>"
        for m, v in ci.get("modalities", {}).items())
    return ("<h2 id=\"intervals\">How sure the Levels are</h2><p class=\"sub\">95 % intervals from "
            f"{ci.get('resamples')} joint resamples of every task's instances (seed {ci.get('seed')}); "
            f"{ci.get('tasks_resampled')} tasks resampled, {ci.get('tasks_fixed')} held at their value. "
            "Instance sampling only: not prompt or seed variance.</p><div class=\"panel\">"
            "<p>Probability of each Level: " + ", ".join(
                f"Level {k}: {_f(float(probs.get(str(k), 0.0)))}" for k in range(1, 6)) + "</p>"
            "<table><thead><tr><th class=\"l\">Modality</th><th>Level-2</th><th>Level-3</th><th>Level-4</th>"
            f"<th>S_C</th><th>S_G</th></tr></thead><tbody>{rows}</tbody></table></div>")


def _tie_rule() -> str:
    from .boards import TIE_RULE

    return TIE_RULE


def render_leaderboard_html(data: Mapping[str, Any]) -> str:
    """Leaderboards from :func:`generallevel.leaderboard.boards_to_dict`."""
    boards = data.get("boards", [])
    body = ["<h1>General-Level leaderboard</h1>",
            f"<p class=\"sub\">{data.get('models', '?')} models, registry sha256 "
            f"<code>{escape(str(data.get('registry_sha256', '?')))}</code>"
            + (", official-compatible mode" if data.get("mode") == "official" else "") + "</p>"]
    if boards:
        body.append("<nav class=\"panel\">" + " · ".join(
            f"<a href=\"#{escape(b['id'])}\">{escape(b['title'])}</a>" for b in boards) + "</nav>")
    for b in boards:
        keys = [f"level{k}" for k in range(2, b["max_level"] + 1)]
        top = _nice_max([r["score"] for r in b["rows"]] + [r["ci"][1] for r in b["rows"] if r.get("ci")])
        with_ci = any("ci" in r for r in b["rows"])
        body.append(f"<section class=\"board\" id=\"{escape(b['id'])}\"><h2>{escape(b['title'])}</h2>"
                    f"<p class=\"sub\"><code>{escape(b['id'])}</code>, {b['tasks']} tasks. "
                    f"{escape(b['level_rule'])}.</p><table><thead><tr><th>Rank</th><th class=\"l\">Model</th>"
                    "<th>Level</th><th>Score</th><th></th>"
                    + ("<th>95 % CI</th><th>P(Level)</th><th>Tie</th>" if with_ci else "")
                    + "".join(f"<th>S{k[-1]}</th>" for k in keys)
                    + "<th>Supported</th><th>Wins</th></tr></thead><tbody>")
        for r in b["rows"]:
            w = 100 * max(0.0, r["score"]) / top
            bar = (f"<svg width=\"100\" height=\"10\" viewBox=\"0 0 100 10\"><rect x=\"0\" y=\"1\" width=\"{w:.1f}\" "
                   f"height=\"8\" fill=\"{COLORS['level' + str(min(max(r['level'], 2), 5))]}\"/>"
                   + (f"<rect class=\"ci\" x=\"{100 * max(0.0, r['ci'][0]) / top:.1f}\" y=\"8.5\" width=\""
                      f"{max(0.8, 100 * (r['ci'][1] - r['ci'][0]) / top):.1f}\" height=\"1.5\" fill=\"{COLORS['sota']}\"/>"
                      if r.get("ci") else "") + "</svg>")
            ci_cells = ""
            if with_ci:
                ci_cells = (f"<td>{_ci(r.get('ci'))}</td><td>{_f(r.get('p_level'))}</td>"
                            f"<td>{'tied' if r.get('tied') else ''}</td>")
            tied = ' class="tied"' if r.get("tied") else ""
            body.append(f"<tr{tied}><td>{r['rank']}</td><td class=\"l\">{escape(str(r['model']))}</td>"
                        f"<td>{r['level']}</td><td>{_f(r['score'])}</td><td>{bar}</td>{ci_cells}"
                        + "".join(f"<td>{_f(r[k])}</td>" for k in keys)
                        + f"<td>{r['supported']}/{r['tasks']}</td><td>{r['wins']}</td></tr>")
        body.append("</tbody></table>" + (f"<p class=\"note\">{escape(_tie_rule())}</p>" if with_ci else "")
                    + "</section>")
    if data.get("provenance"):
        body.append(_provenance(data["provenance"], str(data.get("mode", "paper"))))
    return _page("General-Level leaderboard", "".join(body))
