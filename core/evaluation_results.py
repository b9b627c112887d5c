"""What ``evaluate`` reports: per task folder (:class:`TaskResult`) and for the whole tree.

Plain data with its JSON form; kept apart from the evaluation loop so the loop stays readable and
reports can be built or read without it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .scoring import ScoreReport

FIRST = 5  # how many ids a problem report lists


@dataclass
class IdProblem:
    """How many ids had one kind of problem, and the first few of them (file order)."""

    count: int = 0
    first: list[str] = field(default_factory=list)

    def add(self, ident: str) -> None:
        self.count += 1
        if len(self.first) < FIRST:
            self.first.append(ident)

    def describe(self) -> dict[str, Any]:
        return {"count": self.count, "first": list(self.first)}

    def text(self) -> str:
        more = ", ..." if self.count > len(self.first) else ""
        return f"{self.count} ({', '.join(repr(i) for i in self.first)}{more})"


@dataclass
class TaskResult:
    """The outcome of one task folder: ``status`` is scored, unsupported or failed."""

    folder: str
    status: str
    task_id: str | None = None
    name: str | None = None
    group: str = ""
    metric: str | None = None
    raw: float | None = None
    score: float | None = None
    sota_raw: float | None = None
    sota_score: float | None = None
    win: bool = False
    annotated: int = 0
    predicted: int = 0
    scored: int = 0
    missing: IdProblem = field(default_factory=IdProblem)
    unknown: IdProblem = field(default_factory=IdProblem)
    duplicates: IdProblem = field(default_factory=IdProblem)
    error: str | None = None
    problems: list[str] = field(default_factory=list)
    annotation_type: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # how it was scored, where that is not the obvious way
    interval: Any = field(default=None, repr=False)  # --ci: the TaskInterval (resampled raw values)
    interval_info: dict[str, Any] | None = None  # --ci: its report form (bounds and probability of a win)

    def describe(self) -> dict[str, Any]:
        return {
            "folder": self.folder, "status": self.status, "id": self.task_id, "name": self.name,
            "group": self.group, "metric": self.metric, "raw": self.raw, "score": self.score,
            "sota_raw": self.sota_raw, "sota_score": self.sota_score, "win": self.win,
            "instances": {"annotated": self.annotated, "predicted": self.predicted, "scored": self.scored},
            "missing_ids": self.missing.describe(), "unknown_ids": self.unknown.describe(),
            "duplicate_ids": self.duplicates.describe(), "error": self.error, "problems": list(self.problems),
            "annotation_type": self.annotation_type, "metric_options": _jsonable(self.options),
            "notes": list(self.notes),
            **({"interval": self.interval_info} if self.interval_info is not None else {}),
        }


@dataclass
class EvaluationResult:
    """A Level report plus what happened to every task folder, and layout problems."""

    report: ScoreReport
    tasks: list[TaskResult]
    problems: list[str]
    dataset: str
    predictions: str
    notes: list[str] = field(default_factory=list)
    intervals: dict[str, Any] | None = None  # --ci: Level intervals and the probability of each Level

    @property
    def failed(self) -> list[TaskResult]:
        return [t for t in self.tasks if t.status == "failed"]

    def all_problems(self) -> list[str]:
        """Layout problems, then each task's problems and failure, prefixed by its folder."""
        out = list(self.problems)
        for t in self.tasks:
            out += [f"{t.folder}: {p}" for p in t.problems]
            if t.error:
                out.append(f"{t.folder}: failed: {t.error}")
        return out

    def task_notes(self) -> list[str]:
        """How tasks were scored where that is not the obvious way, prefixed by the task folder."""
        return [f"{t.folder}: {n}" for t in self.tasks for n in t.notes]

    def to_dict(self) -> dict[str, Any]:
        out = self.report.to_dict()
        counts = {s: sum(t.status == s for t in self.tasks) for s in ("scored", "unsupported", "failed")}
        out["evaluation"] = {"dataset": self.dataset, "predictions": self.predictions,
                             "task_folders": len(self.tasks), **counts}
        out["tasks"] = [t.describe() for t in self.tasks]
        out["problems"] = self.all_problems()
        if self.intervals is not None:
            out["intervals"] = self.intervals
        return out

    def report_dict(self, include_tasks: bool = True) -> dict[str, Any]:
        """The Level report as a dict (``docs/report-schema.json``) with, after --ci, the Level
        intervals and each task row's ``interval``: the form a leaderboard reads intervals from
        (:mod:`generallevel.board_intervals`), so a submission's stored report carries them."""
        out = self.report.to_dict(include_tasks=include_tasks)
        if self.intervals is not None:
            out["intervals"] = self.intervals
            by_id = {t.task_id: t.interval_info for t in self.tasks if t.interval_info is not None}
            for t in out.get("tasks", []):
                if t["id"] in by_id:
                    t["interval"] = by_id[t["id"]]
        return out

    def fragile_wins(self, below: float | None = None) -> list[TaskResult]:
        """--ci: the won tasks whose probability of a win is below ``below`` (default 0.9)."""
        from .intervals import FRAGILE

        limit = FRAGILE if below is None else below
        return [t for t in self.tasks if t.win and t.interval_info and t.interval_info.get("p_win") is not None
                and t.interval_info["p_win"] < limit]


def _jsonable(options: dict[str, Any]) -> dict[str, Any]:
    """Metric options as the report can hold them (a callable option is named, not serialised)."""
    return {k: v if isinstance(v, (str, int, float, bool, list, type(None))) else repr(v) for k, v in options.items()}
