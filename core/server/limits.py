"""Fair-use rules as a pure function of a user's past submissions and the time.

Every *accepted* submission counts, whatever became of it (scored or failed); uploads refused at
the door (bad archive, over a limit) never count. Windows are rolling: a submission made at t
stops counting at exactly t + 24 h (resp. t + 7 days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Iterable

from .clock import as_utc, iso
from .config import FairUse
from .db import PENDING


@dataclass(frozen=True)
class Past:
    created_at: datetime
    status: str
    public_id: str


@dataclass(frozen=True)
class Decision:
    allowed: bool
    code: str = "ok"  # ok | pending | daily_limit | weekly_limit
    message: str = ""
    next_allowed_at: datetime | None = None  # None with code 'pending': when that one finishes
    pending_id: str | None = None

    def to_dict(self) -> dict:
        return {"allowed": self.allowed, "code": self.code, "message": self.message,
                "next_allowed_at": iso(self.next_allowed_at), "pending_submission": self.pending_id}


def _window_release(times: list[datetime], now: datetime, span, limit: int) -> datetime | None:
    """When the window (now - span, now] next holds fewer than ``limit`` submissions (None: it does now)."""
    inside = sorted(t for t in times if t > now - span)
    if len(inside) < limit:
        return None
    return inside[len(inside) - limit] + span


def decide(past: Iterable[Past], now: datetime, rules: FairUse) -> Decision:
    """May the user submit at ``now``? If not, why and from when."""
    now = as_utc(now)
    past = list(past)
    times = [as_utc(p.created_at) for p in past]
    pending = [p for p in past if p.status in PENDING]
    day = _window_release(times, now, rules.day, rules.per_day)
    week = _window_release(times, now, rules.week, rules.per_week)
    later = max([t for t in (day, week) if t is not None], default=None)
    if rules.one_pending and pending:
        p = min(pending, key=lambda x: x.created_at)
        doing = "being checked" if p.status == "checking" else p.status
        msg = (f"your previous submission {p.public_id} is still {doing}; you can submit again "
               f"once it has been scored or has failed")
        if later is not None:
            msg += f", and not before {iso(later)}"
        return Decision(False, "pending", msg + ".", later, p.public_id)
    if week is not None and (day is None or week >= day):
        return Decision(False, "weekly_limit",
                        f"fair-use limit: at most {rules.per_week} submissions in 7 days; "
                        f"the next one is allowed at {iso(week)}.", week)
    if day is not None:
        return Decision(False, "daily_limit",
                        f"fair-use limit: at most {rules.per_day} submissions in 24 hours; "
                        f"the next one is allowed at {iso(later)}.", later)
    return Decision(True)
