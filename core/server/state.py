"""What the routes and the worker share: settings, database sessions, the archive checker/scorer
(from :mod:`generallevel.submission` unless injected), bounded check slots, reservation leases,
the board cache and its version, and the embedded worker."""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any, Callable, Iterator

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import sessionmaker

from ..errors import GeneralLevelError
from .config import ServerConfig
from .db import Submission, init_db, make_engine, read_session, write_session
from .service import Refusal, scrub
from .storage import sweep

log = logging.getLogger("generallevel.server")


def _default_check(path: Path, **limits: Any):
    from ..submission import check_submission

    return check_submission(path, **limits)


def _default_score(path: Path, answers_dir: Path, **options: Any):
    from ..submission import score_submission

    return score_submission(path, answers_dir, **options)


class Leases:
    """Rows whose ``heartbeat`` this process keeps fresh (upload reservations); one thread for all.

    Every ``stale_after_seconds`` the same thread also runs :meth:`AppState.housekeeping`.
    """

    def __init__(self, state: "AppState") -> None:
        self.state = state
        self._ids: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def hold(self, row_id: int) -> None:
        with self._lock:
            self._ids.add(row_id)
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(target=self._run, name="generallevel-leases", daemon=True)
                self._thread.start()

    def drop(self, row_id: int) -> None:
        with self._lock:
            self._ids.discard(row_id)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _run(self) -> None:
        cfg = self.state.config
        last_sweep = time.monotonic()
        while not self._stop.wait(cfg.heartbeat_seconds):
            with self._lock:
                ids = list(self._ids)
            try:
                if ids:
                    with write_session(self.state.sessions) as s:
                        s.execute(update(Submission).where(Submission.id.in_(ids), Submission.status == "checking")
                                  .values(heartbeat=time.time()))
                if time.monotonic() - last_sweep > cfg.stale_after_seconds:
                    last_sweep = time.monotonic()
                    self.state.housekeeping()
            except Exception:  # the database may be briefly away; the next beat retries
                log.exception("lease refresh failed")


class AppState:
    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        config.data_dir.mkdir(parents=True, exist_ok=True)
        self.instance_id = f"p{os.getpid()}-{secrets.token_hex(4)}"
        self.engine = make_engine(config.database_url)
        self.sessions: sessionmaker = init_db(self.engine)
        self._check = _default_check
        self._score = config.scorer or _default_score
        self._slots = threading.BoundedSemaphore(config.max_concurrent_checks)
        self.leases = Leases(self)
        self._cache: dict[Any, Any] = {}
        self._cache_lock = threading.Lock()
        self._build_lock = threading.Lock()
        # parsed, scrubbed stored reports by (public id, finished at), kept across board versions
        # (generallevel.server.views: a new result costs one parse, not one per model)
        self.reports: dict[Any, Any] = {}
        # board intervals per stored report, under the same lock (generallevel.server.board_ci)
        self.intervals: dict[Any, Any] = {}
        self.reports_lock = threading.Lock()
        self._local_version = 0
        self._db_version: tuple = ()
        self._version_checked = float("-inf")
        self._version_lock = threading.Lock()
        self._sync_check = True  # the next database check updates the version at once (see board_version)
        self._refresh_target: tuple | None = None  # a newer database version being built in the background
        self._refresh_lock = threading.Lock()
        from .worker import Worker

        self.worker = Worker(self)

    # -- archive checks and scoring ---------------------------------------------------------
    def check_submission(self, path: Path, **limits: Any):
        return self._check(path, **limits)

    @contextlib.contextmanager
    def check_slot(self) -> Iterator[None]:
        """One of ``max_concurrent_checks`` slots (memory of checks is bounded per slot), or 503."""
        cfg = self.config
        if not self._slots.acquire(timeout=cfg.check_wait_seconds):
            raise Refusal(503, "busy", f"the server is checking {cfg.max_concurrent_checks} other uploads; "
                                       f"try again in a minute", retry_after=60)
        try:
            yield
        finally:
            self._slots.release()

    def score_submission(self, path: Path, answers_dir: Path, **extra: Any):
        """Score an archive with the service's limits, answer redaction and (``ci_resamples`` > 0)
        intervals: the stored report then carries what the boards redraw their intervals from."""
        from .config import CI_SEED

        cfg = self.config
        ci = {"ci": True, "resamples": cfg.ci_resamples, "seed": CI_SEED} if cfg.ci_resamples else {}
        return self._score(path, answers_dir, max_member_bytes=cfg.max_member_bytes,
                           max_total_bytes=cfg.max_total_bytes, redact_answers=True, **ci, **extra)

    def scrub_paths(self, text: str, archive: Path) -> str:
        """``text`` with the answers' and the server's paths replaced by neutral labels."""
        reps = {str(archive): archive.name, str(archive.parent): "submission", str(self.config.data_dir): "<data>"}
        if self.config.answers_dir is not None:
            a = self.config.answers_dir
            for form in {str(a), os.path.realpath(a)}:
                reps[form] = "<answers>"
        return scrub(text, reps)

    def safe_reason(self, exc: BaseException, archive: Path) -> str:
        """A failure message for the user: no answer paths, no server paths, bounded length."""
        from ..answer_redaction import mask_reference_values

        text = str(exc) if isinstance(exc, GeneralLevelError) else f"{type(exc).__name__}: {exc}"
        text = mask_reference_values(self.scrub_paths(text, archive)) or ""
        return text if len(text) <= 2000 else text[:2000] + " …"

    # -- housekeeping -----------------------------------------------------------------------
    def housekeeping(self) -> tuple[int, int]:
        """Delete reservations whose process stopped renewing them and scratch folders whose
        process is gone (see :mod:`.storage`); returns (rows, folders) removed."""
        cutoff = time.time() - self.config.stale_after_seconds
        with write_session(self.sessions) as s:
            rows = s.execute(delete(Submission).where(Submission.status == "checking",
                                                      Submission.heartbeat < cutoff)).rowcount
        folders = sweep(self.config.data_dir)
        if rows or folders:
            log.warning("housekeeping: %d lapsed reservation(s), %d abandoned scratch folder(s) removed",
                        rows, len(folders))
        return rows, len(folders)

    # -- worker and board cache -------------------------------------------------------------
    def wake_worker(self) -> None:
        self.worker.wake()

    def boards_changed(self) -> None:
        """A result landed in this process: every board cache is stale now."""
        with self._cache_lock:
            self._cache.clear()
            self._local_version += 1
            self._version_checked = float("-inf")
            self._sync_check = True  # a result landed here is shown by the very next request

    def version_is_fresh(self) -> bool:
        return time.monotonic() - self._version_checked < self.config.board_refresh_seconds

    def board_version(self) -> tuple:
        """What the boards depend on: results landed here, plus the database's scored rows, read at
        most every ``board_refresh_seconds`` (other processes' results show up within that time).

        A result landed in this process changes the version at once. One seen in the database (another
        process scored it) is first built into the board cache by a background thread while requests
        keep getting the boards they had; the version moves once those are ready, so no request
        waits for the rebuild (the site is never more than one rebuild behind the database)."""
        if time.monotonic() - self._version_checked >= self.config.board_refresh_seconds:
            if self._version_lock.acquire(blocking=False):
                try:
                    with read_session(self.sessions) as s:
                        seen = tuple(s.execute(
                            select(func.count(), func.max(Submission.finished_at), func.max(Submission.id))
                            .where(Submission.status == "scored")).one())
                    self._version_checked = time.monotonic()
                    if seen != self._db_version:
                        if self._sync_check or not self._cache:
                            self._db_version = seen
                        else:
                            self._refresh_in_background(seen)
                    self._sync_check = False
                finally:
                    self._version_lock.release()
        return (self._local_version, self._db_version)

    def _refresh_in_background(self, seen: tuple) -> None:
        with self._refresh_lock:
            running = self._refresh_target is not None
            self._refresh_target = seen
        if not running:
            threading.Thread(target=self._refresh, name="generallevel-boards", daemon=True).start()

    def _refresh(self) -> None:
        """Build the boards of the newest database version seen, then make it the served version."""
        from .views import warm_boards

        while True:
            with self._refresh_lock:
                target, served = self._refresh_target, self._db_version
            try:
                warm_boards(self, (self._local_version, target))
            except Exception:  # noqa: BLE001 - the next request builds them instead
                log.exception("building the boards in the background failed")
            with self._refresh_lock:
                if self._db_version == served:  # else a local result moved it meanwhile: keep that
                    self._db_version = target
                if self._refresh_target == target:
                    self._refresh_target = None
                    return

    def cached(self, key: Any, build: Callable[[], Any]) -> Any:
        """``build()`` once per ``key`` (concurrent callers wait for one build); the newest two keys are kept."""
        with self._cache_lock:
            if key in self._cache:
                return self._cache[key]
        with self._build_lock:
            with self._cache_lock:
                if key in self._cache:
                    return self._cache[key]
            value = build()
            with self._cache_lock:  # the newest two: requests still on the previous version keep theirs
                self._cache = {**dict(list(self._cache.items())[-1:]), key: value}
        return value

    def start(self) -> None:
        """Sweep what dead processes left, then start the scoring worker, unless told not to or there
        are no answers to score against (then uploads wait in the queue for a worker with answers)."""
        try:
            self.housekeeping()
        except Exception:
            log.exception("housekeeping at start failed")
        if self.config.start_worker and self.config.answers_dir is not None:
            self.worker.start()

    def stop(self) -> None:
        self.worker.stop()
        self.leases.stop()
        self.engine.dispose()
