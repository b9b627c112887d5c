"""The scoring worker: takes queued submissions one at a time, in a thread of the web process (the
embedded worker of ``generallevel serve``) or in processes of its own (``generallevel serve
worker``, any number, on any machine that reaches the database and the data directory).

Durability: a submission is a database row plus a fsynced archive before the upload is answered.
A worker claims a row (queued -> scoring) in one transaction — ``SELECT ... FOR UPDATE SKIP
LOCKED`` on PostgreSQL, so concurrent workers each get a different row without waiting; on SQLite
the transaction holds the single write lock — and refreshes the row's ``heartbeat`` from a second
thread while scoring: that is its lease. A 'scoring' row whose heartbeat is older than
``stale_after_seconds`` belonged to a worker that died (killed, crashed, machine lost): it goes
back to the queue, or, after ``max_attempts`` interrupted runs, is marked failed with that
reason. So an accepted submission is always eventually scored or failed with a reason, and scored
by one worker at a time. The archive is extracted into a scratch folder under the data directory
(swept if the worker dies), never the system's temporary folder.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from typing import Any

from sqlalchemy import select, update

from .db import Submission, write_session
from .storage import Scratch

log = logging.getLogger("generallevel.server.worker")


class Worker:
    def __init__(self, state) -> None:
        self.state = state
        self.cfg = state.config
        self.id = f"w-{secrets.token_hex(6)}"
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.current: str | None = None

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        self.recover()
        self._thread = threading.Thread(target=self._run, name="generallevel-scorer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop taking work; a run still scoring after ``timeout`` goes back to the queue at once
        (not counted as an attempt), so a restart need not wait for its heartbeat to go stale."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive() and self.current is not None:
                try:
                    with write_session(self.state.sessions) as s:
                        s.execute(update(Submission).where(Submission.public_id == self.current,
                                                           Submission.claimed_by == self.id,
                                                           Submission.status == "scoring")
                                  .values(status="queued", attempts=Submission.attempts - 1, claimed_by="",
                                          reason="requeued: the server stopped while scoring"))
                except Exception:  # the database may already be gone; the heartbeat rule covers it
                    log.exception("could not requeue %s on shutdown", self.current)

    def wake(self) -> None:
        self._wake.set()

    def _run(self) -> None:
        last_sweep = time.monotonic()
        while not self._stop.is_set():
            try:
                if self.step():
                    continue
                self.recover()
                if time.monotonic() - last_sweep > self.cfg.stale_after_seconds:
                    last_sweep = time.monotonic()
                    self.state.housekeeping()
            except Exception:  # never let the loop die (e.g. a database hiccup)
                log.exception("scoring worker error")
            self._wake.wait(self.cfg.poll_seconds)
            self._wake.clear()

    def run_forever(self) -> None:
        """The loop in the calling thread (``generallevel serve worker``); returns once stopped."""
        self.recover()
        self._run()

    # -- one unit of work -----------------------------------------------------------------
    def recover(self) -> int:
        """Requeue (or fail) submissions whose scorer stopped heartbeating; returns how many."""
        cutoff = time.time() - self.cfg.stale_after_seconds
        n = 0
        with write_session(self.state.sessions) as s:
            rows = s.execute(select(Submission).where(Submission.status == "scoring")
                             .where(Submission.heartbeat < cutoff)).scalars().all()
            for sub in rows:
                n += 1
                if sub.attempts >= self.cfg.max_attempts:
                    sub.status = "failed"
                    sub.finished_at = self.cfg.clock()
                    sub.reason = (f"scoring was interrupted {sub.attempts} times (the server stopped while "
                                  f"scoring); the maintainers have been told, please contact them")
                    log.warning("submission %s failed after %d interrupted runs", sub.public_id, sub.attempts)
                else:
                    sub.status = "queued"
                    sub.reason = f"requeued after an interrupted scoring run (attempt {sub.attempts})"
                    log.warning("submission %s requeued after an interrupted run", sub.public_id)
        return n

    def claim(self) -> Submission | None:
        with write_session(self.state.sessions) as s:
            sub = s.execute(select(Submission).where(Submission.status == "queued")
                            .order_by(Submission.created_at, Submission.id).limit(1)
                            .with_for_update(skip_locked=True)).scalar_one_or_none()
            if sub is None:
                return None
            got = s.execute(
                update(Submission).where(Submission.id == sub.id, Submission.status == "queued")
                .values(status="scoring", attempts=Submission.attempts + 1, claimed_by=self.id,
                        heartbeat=time.time(), started_at=self.cfg.clock())
            ).rowcount
            if got != 1:
                return None
        return sub

    def step(self) -> bool:
        """Score the oldest queued submission, if any; True if one was processed."""
        sub = self.claim()
        if sub is None:
            return False
        self.current = sub.public_id
        beat_stop = threading.Event()
        beat = threading.Thread(target=self._heartbeat, args=(sub.id, beat_stop), daemon=True)
        beat.start()
        try:
            status, reason, result, level = self._score(sub)
        finally:
            beat_stop.set()
            beat.join()
            self.current = None
        with write_session(self.state.sessions) as s:
            got = s.execute(update(Submission).where(Submission.id == sub.id, Submission.claimed_by == self.id,
                                                     Submission.status == "scoring")
                            .values(status=status, reason=reason, result_json=result, level=level,
                                    finished_at=self.cfg.clock())).rowcount
        log.info("worker %s finished submission %s: %s%s", self.id, sub.public_id, status,
                 "" if got else " (not recorded: the lease was lost)")
        self.state.boards_changed()
        return True

    def _heartbeat(self, sub_id: int, stop: threading.Event) -> None:
        while not stop.wait(self.cfg.heartbeat_seconds):
            try:
                with write_session(self.state.sessions) as s:
                    s.execute(update(Submission).where(Submission.id == sub_id, Submission.claimed_by == self.id)
                              .values(heartbeat=time.time()))
            except Exception:
                log.exception("heartbeat failed")

    def _score(self, sub: Submission) -> tuple[str, str, str | None, int | None]:
        from .views import scrub_report

        path = self.cfg.data_dir / sub.stored_path
        try:
            if self.cfg.answers_dir is None:
                raise RuntimeError("the server was started without --answers; nothing to score against")
            with Scratch(self.cfg.data_dir, "work") as work:
                report: Any = self.state.score_submission(path, self.cfg.answers_dir, model=sub.model_name,
                                                          tmp_dir=work.path)
            data = report.to_dict(include_tasks=True) if hasattr(report, "to_dict") else dict(report)
            data["model"] = sub.model_name
            text = self.state.scrub_paths(json.dumps(scrub_report(data), ensure_ascii=False), path)
            return "scored", "", text, int(data.get("level", 0) or 0)
        except Exception as e:  # any failure is a reason the user sees, minus server paths and answers
            log.info("submission %s failed: %s: %s", sub.public_id, type(e).__name__, e)
            return "failed", self.state.safe_reason(e, path), None, None
