"""Operator actions behind ``generallevel serve admin``: users, tokens, submissions, datasets.

These talk to the database directly (no HTTP), so they work while the server runs or not.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from ..errors import InputError
from .auth import hash_token, new_token
from .clock import Clock, iso, system_clock
from .contributions import contribution_view, review
from .db import ApiToken, Contribution, Submission, User, init_db, make_engine, read_session, write_session

USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


def open_db(url: str) -> sessionmaker:
    return init_db(make_engine(url))


def add_user(db: sessionmaker, name: str, email: str = "", admin: bool = False,
             clock: Clock = system_clock) -> User:
    if not USER_NAME.match(name):
        raise InputError("user names: 1-80 characters, letters, digits and . _ -")
    with write_session(db) as s:
        if s.execute(select(User).where(User.name == name)).scalar_one_or_none() is not None:
            raise InputError(f"user {name!r} exists already")
        user = User(name=name, email=email, is_admin=admin, created_at=clock())
        s.add(user)
    return user


def _user(s, name: str) -> User:
    user = s.execute(select(User).where(User.name == name)).scalar_one_or_none()
    if user is None:
        raise InputError(f"no user {name!r}")
    return user


def create_token(db: sessionmaker, user_name: str, label: str = "", clock: Clock = system_clock) -> str:
    """A new token for the user; only its hash is stored, so this return value is the only copy."""
    token = new_token()
    with write_session(db) as s:
        user = _user(s, user_name)
        s.add(ApiToken(user_id=user.id, token_hash=hash_token(token), prefix=token[:12], label=label,
                       created_at=clock()))
    return token


def revoke_token(db: sessionmaker, token_or_prefix: str, clock: Clock = system_clock) -> int:
    """Revoke a token given in full, or by the prefix 'tokens' lists (8-12 characters, unambiguous)."""
    key = token_or_prefix.strip()
    with write_session(db) as s:
        active = s.execute(select(ApiToken).where(ApiToken.revoked_at.is_(None))).scalars().all()
        if len(key) > 12:
            hits = [t for t in active if t.token_hash == hash_token(key)]
        elif len(key) >= 8:
            hits = [t for t in active if t.prefix.startswith(key)]
        else:
            raise InputError("give the token or at least its first 8 characters (as 'users' lists them)")
        if len(hits) > 1:
            raise InputError(f"{len(hits)} active tokens start with {key!r}; give more characters")
        for t in hits:
            t.revoked_at = clock()
    return len(hits)


def set_disabled(db: sessionmaker, user_name: str, disabled: bool) -> None:
    with write_session(db) as s:
        _user(s, user_name).disabled = disabled


def list_users(db: sessionmaker) -> list[dict[str, Any]]:
    with read_session(db) as s:
        users = s.execute(select(User).order_by(User.id)).scalars().all()
        tokens = s.execute(select(ApiToken)).scalars().all()
    out = []
    for u in users:
        mine = [t for t in tokens if t.user_id == u.id]
        out.append({"name": u.name, "email": u.email, "admin": u.is_admin, "disabled": u.disabled,
                    "created_at": iso(u.created_at),
                    "tokens": [{"prefix": t.prefix, "label": t.label, "created_at": iso(t.created_at),
                                "revoked": t.revoked_at is not None} for t in mine]})
    return out


def list_submissions(db: sessionmaker, status: str | None = None) -> list[dict[str, Any]]:
    with read_session(db) as s:
        q = select(Submission, User.name).join(User, User.id == Submission.user_id).order_by(Submission.id)
        if status:
            q = q.where(Submission.status == status)
        rows = s.execute(q).all()
    return [{"id": r.public_id, "user": name, "model": r.model_name, "leaderboard_id": r.leaderboard_id,
             "status": r.status, "reason": r.reason, "attempts": r.attempts, "submitted_at": iso(r.created_at),
             "file": r.stored_path, "contact_email": r.contact_email} for r, name in rows]


def requeue(db: sessionmaker, public_id: str) -> None:
    """Put a failed (or stuck) submission back in the queue, e.g. after fixing the answers."""
    with write_session(db) as s:
        sub = s.execute(select(Submission).where(Submission.public_id == public_id)).scalar_one_or_none()
        if sub is None:
            raise InputError(f"no submission {public_id!r}")
        sub.status, sub.reason, sub.attempts, sub.heartbeat = "queued", "requeued by an administrator", 0, 0.0


def list_datasets(db: sessionmaker, status: str | None = None) -> list[dict[str, Any]]:
    with read_session(db) as s:
        q = select(Contribution, User.name).join(User, User.id == Contribution.user_id).order_by(Contribution.id)
        if status:
            q = q.where(Contribution.status == status)
        rows = s.execute(q).all()
    return [{**contribution_view(r, owner=True), "user": name, "stored_dir": r.stored_dir,
             "validation": json.loads(r.validation_json or "{}")} for r, name in rows]


def review_dataset(db: sessionmaker, public_id: str, accept: bool, note: str = "",
                   clock: Clock = system_clock) -> dict[str, Any]:
    with write_session(db) as s:
        row = review(s, public_id, accept, note, clock())
        return contribution_view(row, owner=True)


def queue_archive(state, user_name: str, archive: Path, model_name: str, params: str,
                  description: str = "", contact_email: str = "admin@localhost") -> str:
    """Queue an archive as ``user_name`` outside the fair-use limits (seeding a board, the demo).

    The archive is still checked exactly like an upload.
    """
    from .service import Refusal, SubmissionFields, close_intake, finish, open_intake
    from .storage import save_stream
    from .uploads import StoredFile

    fields = SubmissionFields(model_name, params, description, contact_email)
    with read_session(state.sessions) as s:
        user = _user(s, user_name)
    intake = open_intake(state, user, check_limits=False)
    try:
        dest = intake.scratch.path / "part-1"
        with open(archive, "rb") as fh:
            size, digest = save_stream(fh, dest, 1 << 62)
        sub = finish(state, intake, fields, StoredFile(Path(archive).name, dest, size, digest))
    except Refusal as e:
        raise InputError(f"{Path(archive).name}: {e.message}") from None
    finally:
        close_intake(state, intake)
    return sub.public_id
