"""``generallevel new-plugin NAME [--kind metric|task]``: scaffold a plugin distribution."""

from __future__ import annotations

import click


@click.command("new-plugin")
@click.argument("name")
@click.option("--kind", type=click.Choice(["metric", "task"]), default="metric", show_default=True,
              help="metric: register a metric called NAME; task: register a task called NAME with an adapter.")
@click.option("--directory", "-d", type=click.Path(file_okay=False), default=".", show_default=True,
              help="Where to create the generallevel-NAME folder.")
@click.option("--metric", default="Acc", show_default=True, help="(--kind task) The metric that scores the task.")
@click.option("--modality", default="Image", show_default=True, help="(--kind task) Image, Video, Audio, 3D or NLP.")
@click.option("--paradigm", type=click.Choice(["comprehension", "generation", "none"]),
              help="(--kind task) Default: none for NLP, comprehension otherwise.")
@click.option("--metric-name", help="(--kind metric) The metric's name (default: NAME, which names the distribution).")
@click.option("--sota", type=float, help="(--kind task) The SoTA specialist's score, in --unit (default: none, "
                                         "the task cannot be won until you set it).")
@click.option("--unit", type=click.Choice(["percent", "fraction", "dB", "mos", "value"]),
              help="(--kind task) The unit --sota is written in (default: the metric's unit).")
@click.option("--skill", default="", help="(--kind task) A keyword skill cluster (see docs/scopes.md).")
@click.option("--short-name", default="", help="(--kind task) A short display name.")
def command(name: str, kind: str, directory: str, metric: str, modality: str, paradigm: str | None,
            metric_name: str | None, sota: float | None, unit: str | None, skill: str, short_name: str) -> None:
    """Scaffold a plugin distribution: pyproject (entry point), hook module, a test, README.

    NAME names the distribution (generallevel-NAME) and, unless --metric-name is given, the metric
    (--kind metric) or the task (--kind task).
    """
    from ..scaffold import scaffold

    root = scaffold(name, kind, directory, metric=metric, modality=modality, paradigm=paradigm,
                    metric_name=metric_name, sota=sota, unit=unit, skill=skill, short_name=short_name)
    click.echo(f"Created {root}:")
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        click.echo(f"  {path.relative_to(root)}")
    click.echo(f"\nNext:\n  cd {root}\n  pip install -e '.[test]'\n  pytest\n  generallevel plugins")
