"""``generallevel submission check|score|boards``: validate and score closed-set leaderboard archives."""

from __future__ import annotations

import json
import sys

import click

from ._interval_options import interval_options

_LIMITS = [
    click.option("--max-member-bytes", type=click.IntRange(min=1), default=None,
                 help="Largest uncompressed prediction file accepted (default 200 MiB)."),
    click.option("--max-total-bytes", type=click.IntRange(min=1), default=None,
                 help="Largest total uncompressed size accepted (default 1 GiB)."),
]


def _limits(fn):
    for opt in reversed(_LIMITS):
        fn = opt(fn)
    return fn


def _kwargs(max_member_bytes, max_total_bytes) -> dict:
    out = {}
    if max_member_bytes is not None:
        out["max_member_bytes"] = max_member_bytes
    if max_total_bytes is not None:
        out["max_total_bytes"] = max_total_bytes
    return out


@click.group("submission")
def command() -> None:
    """Check or score a [model]-[leaderboard-id].zip submission archive (docs/leaderboard.md)."""


@command.command("check")
@click.argument("archive", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print what the archive holds as JSON.")
@_limits
def check_cmd(archive: str, as_json: bool, max_member_bytes, max_total_bytes) -> None:
    """Validate ARCHIVE without scoring it: name, member paths, sizes, JSON and ids."""
    from ..submission import check_submission

    info = check_submission(archive, **_kwargs(max_member_bytes, max_total_bytes))
    if as_json:
        click.echo(json.dumps(info.describe(), indent=2, ensure_ascii=False))
        return
    n = sum(m.predictions for m in info.members)
    click.echo(f"ok: {info.model!r} for board {info.leaderboard_id} ({info.board.title}): "
               f"{len(info.members)} prediction file(s), {n} predictions"
               + (f", {len(info.media)} media file(s) ({sum(m.size for m in info.media):,} bytes)" if info.media else "")
               + f", {info.total_bytes:,} bytes")
    for note in info.notes:
        click.echo(f"note: {note}", err=True)


@command.command("score")
@click.argument("archive", type=click.Path(dir_okay=False))
@click.option("--answers", required=True, type=click.Path(file_okay=False),
              help="The General-Bench tree with annotation.json files (the closed-set answers).")
@click.option("--model", help="Model name in the report (default: the one in the archive name).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown", "html"]), default="table",
              show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report to this file.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes.")
@click.option("--strict", is_flag=True, help="Fail if any task fails or any problem is found.")
@click.option("--expect-registry", metavar="SHA256", help="Refuse to score if the registry fingerprint differs.")
@interval_options("95 % confidence intervals for task scores, wins and Levels, as evaluate --ci (the service "
                  "scores submissions this way; docs/intervals.md).", "task", 1000)
@_limits
def score_cmd(archive, answers, model, fmt, output, jobs, strict, expect_registry, ci, resamples, seed,
              max_member_bytes, max_total_bytes) -> None:
    """Check ARCHIVE, then evaluate its predictions against the answers tree."""
    from ..reports import render
    from ..submission import score_submission
    from .evaluate import interval_lines

    if resamples is not None and not ci:
        raise click.UsageError("--resamples needs --ci")
    result = score_submission(archive, answers, model, jobs=jobs, strict=strict, expect_registry=expect_registry,
                              ci=ci, resamples=resamples, seed=seed, **_kwargs(max_member_bytes, max_total_bytes))
    if fmt == "json":
        text = json.dumps(result.to_dict(include_tasks=True), indent=2, ensure_ascii=False) + "\n"
    elif fmt == "html" and ci:
        from ..reports.html import render_html

        text = render_html(result.evaluation)  # the interval bars, Level probabilities and fragile wins
    else:
        text = render(result.report, fmt, include_tasks=True)
        if ci and fmt in ("table", "markdown"):
            text += "\n" + "\n".join(interval_lines(result.evaluation)) + "\n"
        if fmt in ("table", "markdown"):
            b = result.board
            text += (f"\nBoard {b['id']} ({b['title']}): Level {b['level']}, score {b['score']:.2f}, "
                     f"{b['supported']}/{b['tasks']} tasks supported, {b['wins']} wins\n")
    from ._output import emit

    emit(text, output)
    problems = result.to_dict()["submission"]["problems"]
    for p in problems:
        click.echo(f"problem: {p}", err=True)


@command.command("boards")
def boards_cmd() -> None:
    """List the leaderboard ids an archive name may use."""
    from ..reports import format_table
    from ..submission import known_leaderboards

    rows = [[b.id, b.scope, b.title] for b in known_leaderboards().values()]
    click.echo(format_table(["Leaderboard id", "Scope", "Board"], rows))
