"""``generallevel leaderboard RESULTS... --scope A|B|C|D``: rank models from their result JSON files."""

from __future__ import annotations

import click


@click.command("leaderboard")
@click.argument("results", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--scope", type=click.Choice(["A", "B", "C", "D"], case_sensitive=False), default="A",
              show_default=True, help="A: all modalities; B: per modality and combinations; "
                                      "C: modality x paradigm; D: the paper's skill groups (docs/scopes.md).")
@click.option("--facet", type=click.Choice(["group", "keyword"]), default="group", show_default=True,
              help="Scope-D boards: one per paper skill group (group), or one per keyword skill cluster (keyword).")
@click.option("--board", "boards", multiple=True, metavar="ID",
              help="Only this board (e.g. scope-b-image); repeatable.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown", "html"]), default="table",
              show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file instead of standard output.")
@click.option("--expect-registry", metavar="SHA256", help="Refuse result files scored against another registry.")
def command(results: tuple[str, ...], scope: str, facet: str, boards: tuple[str, ...], fmt: str,
            output: str | None, expect_registry: str | None) -> None:
    """Rank models on the boards of one scope.

    RESULTS are report JSON files, one per model, from `generallevel score --format json --tasks`
    (or `submission score` / `evaluate --format json`), all scored with the same task registry.
    Ranked by assigned Level, then the score at that Level (docs/leaderboard.md).
    """
    from ..leaderboard import compute_boards, load_results, render_boards

    matrix = load_results(results, expect_registry=expect_registry)
    text = render_boards(compute_boards(matrix, scope, boards or None, facet), fmt, matrix)
    from ._output import emit

    emit(text, output)
