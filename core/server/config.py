"""Server settings. One object, built by the CLI or by tests, passed to :func:`create_app`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

from ..errors import InputError
from .clock import Clock, system_clock

MiB = 1024 * 1024
CI_SEED = 0  # the seed of every interval the service computes (scoring and boards): reproducible numbers
# Board intervals redraw each model this many times (the CLI's leaderboard --ci: 400); see board_ci.py
DEFAULT_SERVICE_BOARD_RESAMPLES = 200


@dataclass(frozen=True)
class FairUse:
    """The leaderboard's published fair-use rules (per user; every accepted submission counts)."""

    per_day: int = 2
    day: timedelta = timedelta(hours=24)
    per_week: int = 4
    week: timedelta = timedelta(days=7)
    one_pending: bool = True  # none while the user's previous submission is checked, queued or scoring


@dataclass(frozen=True)
class ContributionRules:
    """Dataset contributions per user (each stores up to two uploads for review)."""

    per_day: int = 2
    per_week: int = 5


Scorer = Callable[..., Any]
"""``scorer(archive_path, answers_dir, *, model, max_member_bytes, max_total_bytes)`` returning an object
with ``to_dict(include_tasks=True)``; default: :func:`generallevel.submission.score_submission`."""


@dataclass
class ServerConfig:
    """Everything the app needs.

    data_dir holds uploads (and, by default, the SQLite file); answers_dir is the closed-set ground
    truth, read only by the worker's scorer and never served. Both must be disjoint directories.
    """

    data_dir: Path
    answers_dir: Path | None = None
    db_url: str | None = None  # default: sqlite:///<data_dir>/leaderboard.sqlite3
    clock: Clock = system_clock
    fair_use: FairUse = field(default_factory=FairUse)
    max_upload_bytes: int = 50 * MiB  # one HTTP request body
    max_member_bytes: int = 200 * MiB  # one file inside a submission archive, uncompressed
    max_total_bytes: int = 1024 * MiB  # all files inside an archive, uncompressed
    scorer: Scorer | None = None
    contribution_checker: Callable[..., Any] | None = None
    contribution_rules: ContributionRules = field(default_factory=ContributionRules)
    start_worker: bool = True  # the embedded scoring worker (off: run `generallevel serve worker`)
    poll_seconds: float = 1.0
    heartbeat_seconds: float = 5.0
    stale_after_seconds: float = 30.0  # the lease: a row without heartbeat this long was interrupted
    max_attempts: int = 3  # interrupted scoring runs before a submission is marked failed
    max_concurrent_checks: int = 2  # archive checks at once in one process (memory: see docs/server.md)
    check_wait_seconds: float = 30.0  # how long an upload waits for a check slot before 503
    board_refresh_seconds: float = 1.0  # how often a process looks for results landed elsewhere
    # Confidence intervals (docs/intervals.md): submissions are scored with ci_resamples resamples of
    # their instances (about 2.5x the scoring time; 0 = off: no intervals scored nor shown), and each
    # model's board intervals are redrawn board_resamples times, once per stored report.
    ci_resamples: int = 1000
    board_resamples: int = DEFAULT_SERVICE_BOARD_RESAMPLES
    title: str = "General-Level Leaderboard"
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir).resolve()
        if self.answers_dir is not None:
            self.answers_dir = Path(self.answers_dir).resolve()
            if not self.answers_dir.is_dir():
                raise InputError(f"--answers {self.answers_dir}: not a directory")
            a, d = self.answers_dir, self.data_dir
            if a == d or a in d.parents or d in a.parents:
                raise InputError("--answers and the data directory must not contain one another")
        if self.max_upload_bytes <= 0:
            raise InputError("the upload limit must be positive")
        if self.stale_after_seconds <= self.heartbeat_seconds:
            raise InputError("stale_after_seconds must exceed heartbeat_seconds")
        if self.max_concurrent_checks < 1:
            raise InputError("max_concurrent_checks must be at least 1")
        if not _whole(self.ci_resamples) or self.ci_resamples < 0 or 0 < self.ci_resamples < 10:
            raise InputError("ci_resamples must be 0 (no intervals) or an integer of at least 10")
        if not _whole(self.board_resamples) or self.board_resamples < 10:
            raise InputError("board_resamples must be an integer of at least 10")

    @property
    def database_url(self) -> str:
        return self.db_url or f"sqlite:///{self.data_dir / 'leaderboard.sqlite3'}"


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
