"""Accepting submissions, in an order that refuses before spending anything:

1. authenticate; 2. **reserve**: in one locked transaction apply the fair-use rules and insert a
``checking`` row (so a second upload of the same user is refused at once, in any web process,
before its body is even read); 3. receive the body into a private scratch folder; 4. check the
fields and the archive, the latter in one of a bounded number of check slots (streaming, bounded
memory); 5. **finish**: in one locked transaction claim the model name, move the archive into place
and queue the row. Any refusal or crash after 2 deletes the reservation (refused uploads never
count); a process killed meanwhile leaves a row whose lease lapses and a scratch folder whose lock
is free, both swept by any other process. Used by the JSON API and the HTML form alike.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..errors import GeneralLevelError
from .auth import AuthFailure, authenticate
from .db import ModelName, Submission, User, read_session, write_session
from .limits import Decision, Past, decide
from .storage import Scratch, discard, new_public_id, safe_upload_name
from .uploads import StoredFile

MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._+()-]{0,79}$")
PARAMS = re.compile(r"^(\d+(\.\d+)?\s*[KMBT]?|unknown)$", re.IGNORECASE)
EMAIL = re.compile(r"^[^@\s<>\"']{1,100}@[A-Za-z0-9.-]{1,100}\.[A-Za-z]{2,}$")
# Control characters (tab and newlines aside), zero-width and bidirectional formatting characters:
# they can make text read differently from what it is (an RTL override reverses what follows).
UNSAFE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064"
                         "\u2066-\u2069\ufeff]")


class Refusal(Exception):
    """A request the server declines: HTTP status, a stable code and a message safe to show."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra

    def to_dict(self) -> dict[str, Any]:
        return {"error": self.code, "detail": self.message, **self.extra}


def unsafe_text_problem(name: str, text: str) -> str | None:
    m = UNSAFE_TEXT.search(text)
    if m is None:
        return None
    return (f"{name}: contains the invisible or control character U+{ord(m.group()):04X}; "
            f"remove control, zero-width and bidirectional-override characters")


@dataclass
class SubmissionFields:
    model_name: str = ""
    params: str = ""
    description: str = ""
    contact_email: str = ""
    problems: list[str] = field(default_factory=list)

    def validate(self) -> None:
        self.model_name = " ".join(self.model_name.split())
        self.params, self.contact_email = self.params.strip(), self.contact_email.strip()
        if not MODEL_NAME.match(self.model_name):
            self.problems.append("model_name: 1-80 characters, letters, digits, spaces and . _ - + ( ) only")
        if not PARAMS.match(self.params):
            self.problems.append("params: the parameter size, e.g. '7B', '13.5B', '350M' or 'unknown'")
        if len(self.description) > 5000:
            self.problems.append("description: at most 5000 characters")
        if not EMAIL.match(self.contact_email) or UNSAFE_TEXT.search(self.contact_email):
            self.problems.append("contact_email: a valid e-mail address")
        bad = unsafe_text_problem("description", self.description)
        if bad:
            self.problems.append(bad)
        if self.problems:
            raise Refusal(422, "invalid_fields", "; ".join(self.problems))


def user_for(state, token: str | None) -> User:
    with read_session(state.sessions) as s:
        try:
            return authenticate(s, token)
        except AuthFailure as e:
            raise Refusal(401, "unauthorized", e.message) from None


def past_of(session: Session, user_id: int, since) -> list[Past]:
    rows = session.execute(
        select(Submission.created_at, Submission.status, Submission.public_id)
        .where(Submission.user_id == user_id)
        .where((Submission.created_at > since) | Submission.status.in_(("checking", "queued", "scoring")))
    ).all()
    return [Past(*r) for r in rows]


def limit_decision(state, session: Session, user_id: int) -> Decision:
    now = state.config.clock()
    rules = state.config.fair_use
    return decide(past_of(session, user_id, now - max(rules.day, rules.week)), now, rules)


def refuse_if_limited(decision: Decision) -> None:
    if not decision.allowed:
        extra: dict[str, Any] = {"next_allowed_at": decision.to_dict()["next_allowed_at"]}
        if decision.pending_id:
            extra["pending_submission"] = decision.pending_id
        raise Refusal(429, decision.code, decision.message, **extra)


def scrub(message: str, replacements: dict[str, str]) -> str:
    """Replace server paths in a message with neutral labels (longest first)."""
    for raw, label in sorted(replacements.items(), key=lambda kv: -len(kv[0])):
        if raw:
            message = message.replace(raw, label)
    return message


def lock_user(s: Session, user_id: int) -> None:
    """Serialise this user's fair-use decisions (SQLite: BEGIN IMMEDIATE already serialises writers)."""
    s.execute(update(User).where(User.id == user_id).values(lock_counter=User.lock_counter + 1))
    s.execute(select(User.id).where(User.id == user_id).with_for_update()).one()


@dataclass
class Intake:
    """An upload between its reservation and its outcome."""

    user: User
    scratch: Scratch
    row_id: int
    public_id: str
    done: bool = False


def open_intake(state, user: User, scratch: Scratch | None = None, check_limits: bool = True) -> Intake:
    """Reserve a place (fair use decided now, in a locked transaction) and a scratch folder."""
    cfg = state.config
    scratch = scratch or Scratch(cfg.data_dir)
    try:
        with write_session(state.sessions) as s:
            lock_user(s, user.id)
            if check_limits:
                refuse_if_limited(limit_decision(state, s, user.id))
            row = Submission(public_id=new_public_id(), user_id=user.id, model_name="", leaderboard_id="", params="",
                             contact_email="", filename="", stored_path="", size_bytes=0, sha256="",
                             status="checking", claimed_by=state.instance_id, heartbeat=time.time(),
                             created_at=cfg.clock())
            s.add(row)
            s.flush()
            row_id, public_id = row.id, row.public_id
    except BaseException:
        scratch.discard()
        raise
    state.leases.hold(row_id)
    return Intake(user, scratch, row_id, public_id)


def close_intake(state, intake: Intake) -> None:
    """Release what the intake holds; an unfinished one's reservation is deleted (it never counts)."""
    state.leases.drop(intake.row_id)
    try:
        if not intake.done:
            with write_session(state.sessions) as s:
                s.execute(delete(Submission).where(Submission.id == intake.row_id, Submission.status == "checking"))
    finally:
        intake.scratch.discard()


def finish(state, intake: Intake, fields: SubmissionFields, upload: StoredFile | None) -> Submission:
    """Check the fields and the archive, then queue the reserved row (or raise :class:`Refusal`)."""
    cfg = state.config
    fields.validate()
    if upload is None:
        raise Refusal(400, "missing_file", "attach the submission archive ([model]-[leaderboard-id].zip) as the "
                                           "form file field 'archive'")
    try:
        name = safe_upload_name(upload.filename)
    except GeneralLevelError as e:
        raise Refusal(400, "bad_archive", str(e)) from None
    with read_session(state.sessions) as s:  # cheap refusal before checking the archive
        owner = s.get(ModelName, fields.model_name.lower())
        if owner is not None and owner.user_id != intake.user.id:
            raise _name_taken(fields.model_name)
    path = intake.scratch.path / name
    upload.path.replace(path)
    try:
        with state.check_slot():
            info = state.check_submission(path, max_member_bytes=cfg.max_member_bytes,
                                          max_total_bytes=cfg.max_total_bytes)
    except GeneralLevelError as e:
        raise Refusal(400, "bad_archive", scrub(str(e), {str(path): name, str(intake.scratch.path): "upload"})) from None
    sub = _queue(state, intake, fields, name, upload, info.leaderboard_id, info.model)
    state.wake_worker()
    return sub


def accept_submission(state, token: str | None, fields: SubmissionFields, upload: StoredFile | None,
                      scratch: Scratch | None = None) -> Submission:
    """Authenticate, reserve, check and queue in one call (the HTML form; ``upload`` already stored)."""
    try:
        user = user_for(state, token)
        intake = open_intake(state, user, scratch)
    except BaseException:
        if scratch is not None:
            scratch.discard()
        raise
    try:
        return finish(state, intake, fields, upload)
    finally:
        close_intake(state, intake)


def _queue(state, intake: Intake, fields: SubmissionFields, name: str, upload: StoredFile, board: str,
           archive_model: str) -> Submission:
    cfg = state.config
    moved: Path | None = None
    try:
        with write_session(state.sessions) as s:
            lock_user(s, intake.user.id)
            _claim_model_name(s, fields.model_name, intake.user.id)
            moved = intake.scratch.keep_as(cfg.data_dir, "submissions", intake.public_id)
            values = dict(model_name=fields.model_name, archive_model=archive_model, leaderboard_id=board,
                          params=fields.params, description=fields.description, contact_email=fields.contact_email,
                          filename=name, stored_path=str((moved / name).relative_to(cfg.data_dir)),
                          size_bytes=upload.size, sha256=upload.sha256, status="queued", claimed_by="",
                          heartbeat=0.0)
            got = s.execute(update(Submission).where(Submission.id == intake.row_id,
                                                     Submission.status == "checking").values(**values)).rowcount
            if got != 1:
                raise Refusal(409, "expired", "the upload's reservation lapsed while it was checked; upload it again")
            intake.done = True
        with read_session(state.sessions) as s:
            return s.get(Submission, intake.row_id)
    except IntegrityError:  # another user claimed the same new model name at the same moment
        intake.done = False
        discard(moved)
        raise _name_taken(fields.model_name) from None
    except BaseException:
        intake.done = False
        discard(moved)
        raise


def _name_taken(name: str) -> Refusal:
    return Refusal(409, "model_name_taken", f"the model name {name!r} belongs to another user; choose another")


def _claim_model_name(s: Session, name: str, user_id: int) -> None:
    row = s.get(ModelName, name.lower())
    if row is None:
        s.add(ModelName(key=name.lower(), user_id=user_id))
        s.flush()
    elif row.user_id != user_id:
        raise _name_taken(name)
