"""``generallevel tasks validate FILE.toml|DIR``: check task entries or a dataset folder."""

from __future__ import annotations

import click

_NOTES = 10


@click.command("validate")
@click.argument("path", type=click.Path(exists=False))
@click.option("--sample", default=20, show_default=True, type=click.IntRange(min=0),
              help="Annotation items per task mapped through the task's adapter.")
@click.option("--standalone", is_flag=True,
              help="Do not check ids/names against the tasks already registered (e.g. an edited catalogue).")
@click.option("--predictions", "-p", type=click.Path(exists=False), default=None,
              help="Also check the media files named by these predictions (a prediction file or tree).")
@click.option("--quiet", "-q", is_flag=True, help="Print problems only (no notes or summary).")
def tasks_command(path: str, sample: int, standalone: bool, quiet: bool, predictions: str | None) -> None:
    """Check task entries (a [[task]] TOML file) or a dataset folder (annotation.json per task).

    Media files that annotations (and, with --predictions, predictions) name must exist inside
    their tree and have a readable header.

    Prints every problem with its location and exits with status 1 if there are any.
    """
    from ..validate import validate

    report = validate(path, sample=sample, standalone=standalone, predictions=predictions)
    for problem in report.problems:
        click.echo(str(problem))
    if not quiet:
        for note in report.notes[:_NOTES]:
            click.echo(f"note: {note}", err=True)
        if len(report.notes) > _NOTES:
            click.echo(f"note: ... and {len(report.notes) - _NOTES} more notes", err=True)
        what = f"{report.entries} task entr{'y' if report.entries == 1 else 'ies'}, " \
               f"{report.folders} task folder{'' if report.folders == 1 else 's'}"
        if report.ok:
            click.echo(f"OK: {what} checked, no problems")
        else:
            click.echo(f"{len(report.problems)} problem(s) in {what}", err=True)
    if not report.ok:
        click.get_current_context().exit(1)
