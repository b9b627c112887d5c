"""The ``--ci``, ``--resamples N`` and ``--seed`` options, as evaluate, submission score and leaderboard take them."""

from __future__ import annotations

from typing import Any, Callable

import click


def interval_options(ci_help: str, per: str, default: int) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The three options on a command: ``ci_help`` says what --ci adds there; --resamples is counted
    per ``per`` (task, model) with ``default`` when not given; the same seed gives the same intervals."""
    def wrap(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
                               help="With --ci: the seed of the resampling (the same seed gives the same "
                                    "intervals).")(command)
        command = click.option("--resamples", type=click.IntRange(min=10), default=None, metavar="N",
                               help=f"With --ci: resamples per {per} (default {default}).")(command)
        return click.option("--ci", "ci", is_flag=True, help=ci_help)(command)
    return wrap
