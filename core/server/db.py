"""Tables and sessions. SQLite by default; PostgreSQL (``postgresql+psycopg://...``) for several
web processes and scoring workers on several machines.

Writes that must be atomic (the fair-use check plus the insert, claiming a queued submission) go
through :func:`write_session`: on SQLite it starts the transaction with ``BEGIN IMMEDIATE`` (one
writer at a time, waiting up to ``busy_timeout``); on PostgreSQL the caller locks rows with
``SELECT ... FOR UPDATE`` (the user's row for fair use; ``FOR UPDATE SKIP LOCKED`` for a worker's
claim, so workers never wait on one another). Times are stored as naive UTC.

A submission's status: ``checking`` (an upload holds a reservation while its archive is checked;
it counts for fair use and disappears if the check refuses it), ``queued``, ``scoring``,
``scored``, ``failed``.
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime
from typing import Iterator

from sqlalchemy import (
    Boolean, DateTime, Float, ForeignKey, Integer, String, Text, create_engine, event, text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from .clock import as_utc

PENDING = ("checking", "queued", "scoring")
STATUSES = ("checking", "queued", "scoring", "scored", "failed")


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in Python, naive UTC in the database (SQLite has no time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else as_utc(value).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    email: Mapped[str] = mapped_column(String(200), default="")
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lock_counter: Mapped[int] = mapped_column(Integer, default=0)  # bumped to lock the row


class ApiToken(Base):
    """Only the sha256 of a token is stored; the token itself is shown once, at creation."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))  # first characters, to tell tokens apart
    label: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Submission(Base):
    __tablename__ = "submissions"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    model_name: Mapped[str] = mapped_column(String(80), index=True)
    archive_model: Mapped[str] = mapped_column(String(200), default="")
    leaderboard_id: Mapped[str] = mapped_column(String(80))
    params: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text, default="")
    contact_email: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(255))
    stored_path: Mapped[str] = mapped_column(String(500))  # relative to the data directory
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True, default="checking")
    reason: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str] = mapped_column(String(64), default="")
    heartbeat: Mapped[float] = mapped_column(Float, default=0.0)  # wall-clock epoch seconds
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    result_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    level: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ModelName(Base):
    """Who owns a model name (case-insensitively): a unique key, so concurrent claims cannot both win."""

    __tablename__ = "model_names"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)  # lower-cased name
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)


class Contribution(Base):
    """A dataset offered for General-Bench, stored for maintainers to review."""

    __tablename__ = "contributions"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    open_instances: Mapped[int] = mapped_column(Integer)
    closed_instances: Mapped[int] = mapped_column(Integer)
    modality: Mapped[str] = mapped_column(String(16))
    paradigm: Mapped[str] = mapped_column(String(16))
    domain: Mapped[str] = mapped_column(String(120))
    capabilities: Mapped[str] = mapped_column(Text)  # JSON list
    evaluation_method: Mapped[str] = mapped_column(Text)
    data_filename: Mapped[str] = mapped_column(String(255))
    instruction_filename: Mapped[str] = mapped_column(String(255))
    stored_dir: Mapped[str] = mapped_column(String(500))
    validation_json: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(16), default="pending_review")
    review_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


_IMMEDIATE = "generallevel_immediate"


def make_engine(url: str) -> Engine:
    """An engine; for SQLite: WAL, full fsync, a busy timeout, and explicit BEGIN control."""
    if not url.startswith("sqlite"):
        for plain in ("postgresql://", "postgres://"):  # the driver the server extra installs (psycopg 3)
            if url.startswith(plain):
                url = "postgresql+psycopg://" + url[len(plain):]
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _on_begin)
        cur = dbapi_conn.cursor()
        if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get(_IMMEDIATE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def init_db(engine: Engine) -> sessionmaker:
    Base.metadata.create_all(engine)
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def write_session(factory: sessionmaker) -> Iterator[Session]:
    """A session whose transaction holds the database write lock (SQLite) from its first statement.

    Commits on success, rolls back on any exception.
    """
    with factory() as session:
        session.connection(execution_options={_IMMEDIATE: True})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def read_session(factory: sessionmaker) -> Iterator[Session]:
    with factory() as session:
        yield session


def ping(factory: sessionmaker) -> bool:
    with factory() as session:
        return session.execute(text("SELECT 1")).scalar() == 1
