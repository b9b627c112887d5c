"""The ``generallevel`` command line: thin wrappers over the public API."""

from __future__ import annotations

import json
import sys

import click

from .errors import GeneralLevelError


class _Group(click.Group):
    """Turns GeneralLevelError into a one-line message and exit code 2 (no traceback)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except GeneralLevelError as e:
            click.echo(f"error: {e}", err=True)
            ctx.exit(2)


@click.group(cls=_Group)
@click.version_option(package_name="generallevel")
def main() -> None:
    """General-Level scoring and the General-Bench metric and task registry."""


@main.command("metrics")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def metrics_cmd(as_json: bool) -> None:
    """List every metric: unit, raw range, direction, normalisation and source plugin."""
    from .plugins import get_registry
    from .reports import format_table

    reg = get_registry()
    if as_json:
        click.echo(json.dumps([m.describe() for m in reg.metrics], indent=2))
        return
    fmt = lambda v: "-inf" if v is None else f"{v:g}"  # noqa: E731
    rows = []
    for m in reg.metrics:
        lo, hi = m.raw_range
        rows.append([m.name, m.unit, f"[{fmt(lo)}, {'inf' if hi is None else fmt(hi)}]",
                     "higher" if m.higher_is_better else "lower", m.shown_formula(), m.plugin])
    click.echo(format_table(["Metric", "Unit", "Raw range", "Better", "Normalisation", "Plugin"], rows))
    click.echo(f"\n{len(rows)} metrics")


@main.group("tasks", invoke_without_command=True)
@click.option("--modality", help="Image, Video, Audio, 3D or NLP.")
@click.option("--paradigm", help="comprehension, generation or none.")
@click.option("--skill", help="A keyword skill cluster (see docs/scopes.md).")
@click.option("--skill-group", help="One of the paper's skill groups, e.g. 'I-C #17' (see docs/scopes.md).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def tasks_cmd(ctx, modality, paradigm, skill, skill_group, as_json) -> None:
    """List General-Bench tasks (or run a tasks subcommand)."""
    if ctx.invoked_subcommand is not None:
        return
    from . import list_tasks
    from .reports import format_table

    tasks = list_tasks(modality=modality, paradigm=paradigm, skill=skill, skill_group=skill_group)
    if as_json:
        click.echo(json.dumps([t.describe() for t in tasks], indent=2, ensure_ascii=False))
        return
    rows = [[t.id, t.modality, t.paradigm, t.metric, f"{t.sota:g}" if t.sota is not None else "-",
             t.sota_unit, t.skill_group, t.skill] for t in tasks]
    head = ["Id", "Modality", "Paradigm", "Metric", "SoTA", "Unit", "Skill group", "Skill"]
    click.echo(format_table(head, rows))
    click.echo(f"\n{len(rows)} tasks")


@main.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def plugins_cmd(as_json: bool) -> None:
    """List loaded plugins: distribution, version, hooks and what each registered."""
    from .plugins import get_registry
    from .reports import format_table

    reg = get_registry()
    infos = [p.describe() for p in reg.plugins.values()]
    if as_json:
        click.echo(json.dumps(infos, indent=2))
        return
    rows = [[p["name"], p["distribution"], p["version"], ",".join(p["hooks"]) or "-",
             f"{len(p['metrics'])} metrics, {p['tasks']} tasks"
             + (f", {len(p['extractors'])} extractors" if p.get("extractors") else ""),
             p["error"] or ("ok; " + "; ".join(p["warnings"]) if p.get("warnings") else "ok")] for p in infos]
    click.echo(format_table(["Plugin", "Distribution", "Version", "Hooks", "Registers", "Status"], rows))


@main.command("score")
@click.argument("results", type=click.Path(dir_okay=False))
@click.option("--model", required=False, help="Model name (the workbook column for .xlsx files).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown", "html"]), default="table")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report to this file.")
@click.option("--tasks", "with_tasks", is_flag=True,
              help="Include the per-task rows in table and markdown output (json always has them).")
@click.option("--compat", type=click.Choice(["paper", "official"]), default="paper",
              help="'official' reproduces the official ranker, errors included.")
@click.option("--assume-percent", is_flag=True, help="Accept percent scores that are all below 1 %.")
@click.option("--unit", "unit_decls", multiple=True, metavar="SHEET[:COLUMN]=UNIT",
              help="Workbooks: the unit (percent or fraction) of a sheet's percent-scale cells, e.g. "
                   "NLP=fraction or '*=percent'; repeatable (docs/scoring.md).")
@click.option("--expect-registry", metavar="SHA256", help="Refuse to score if the registry fingerprint differs.")
def score_cmd(results, model, fmt, output, with_tasks, compat, assume_percent, unit_decls, expect_registry) -> None:
    """Score a model from per-task raw scores (CSV, JSON or an official result workbook)."""
    from .commands._output import emit
    from .reports import render
    from .scoring import score

    report = score(results, model=model, units=list(unit_decls) or None, assume_percent=assume_percent,
                   compat=compat, source=str(results), expect_registry=expect_registry)
    emit(render(report, fmt, include_tasks=with_tasks or fmt == "json"), output)  # leaderboards need the rows


def _add_subcommands() -> None:
    """Add ``command`` (to the top level) and ``tasks_command`` (under ``tasks``) of each module."""
    import importlib
    import importlib.util

    from .commands import COMMAND_MODULES

    for name in COMMAND_MODULES:
        modname = f"{__package__}.commands.{name}"
        if importlib.util.find_spec(modname) is None:
            continue
        module = importlib.import_module(modname)
        if hasattr(module, "command"):
            main.add_command(module.command)
        if hasattr(module, "tasks_command"):
            tasks_cmd.add_command(module.tasks_command)


_add_subcommands()


if __name__ == "__main__":  # pragma: no cover
    main()
