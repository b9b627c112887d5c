"""``generallevel leaderboard RESULTS... --scope A|B|C|D``: rank models from their result JSON files.

RESULTS may name folders (their ``*.json`` files) and ``--from-list`` a file of paths, so the number
of models is not bounded by the command line's length.
"""

from __future__ import annotations

import click

from ._interval_options import interval_options


@click.command("leaderboard")
@click.argument("results", nargs=-1, type=click.Path(exists=False))
@click.option("--from-list", "from_list", metavar="FILE",
              help="Also rank the result files listed in FILE, one path per line ('-': standard input).")
@click.option("--jobs", "-j", type=int, default=1, show_default=True,
              help="Processes that parse result files (worth it from a few thousand files).")
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
@interval_options("95 % intervals of each board score, the probability of each model's Level and statistical ties, "
                  "for models whose reports come from `evaluate --ci` (docs/intervals.md).", "model", 400)
def command(results: tuple[str, ...], from_list: str | None, jobs: int, scope: str, facet: str,
            boards: tuple[str, ...], fmt: str, output: str | None, expect_registry: str | None,
            ci: bool, resamples: int | None, seed: int) -> None:
    """Rank models on the boards of one scope.

    RESULTS are report JSON files, one per model, from `generallevel score --format json --tasks`
    (or `submission score` / `evaluate --format json`), all scored with the same task registry, or
    folders holding them (every *.json file directly inside). Ranked by assigned Level, then the
    score at that Level (docs/leaderboard.md).
    """
    from ..errors import InputError
    from ..leaderboard import compute_boards, render_boards
    from ..result_files import load_files, result_paths

    if not results and from_list is None:
        raise InputError("name result files or folders, or --from-list FILE")
    matrix = load_files(result_paths(results, from_list), expect_registry=expect_registry, jobs=jobs)
    computed = compute_boards(matrix, scope, boards or None, facet)
    if resamples is not None and not ci:
        raise InputError("--resamples only applies with --ci")
    if ci:
        from ..board_intervals import DEFAULT_BOARD_RESAMPLES, add_board_intervals

        if not add_board_intervals(computed, matrix, resamples or DEFAULT_BOARD_RESAMPLES, seed):
            click.echo("note: --ci: no result file has task intervals (score models with evaluate --ci)", err=True)
    text = render_boards(computed, fmt, matrix)
    from ._output import emit

    emit(text, output)
