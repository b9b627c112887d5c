"""An accepted submission is never lost: kill -9 the server while it scores, restart it (the real
CLI), and the submission is scored; interrupted too often, it is failed with a reason."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from generallevel.server import admin
from generallevel.server.db import Submission, read_session, write_session
from serverkit import free_port, wait_for

pytestmark = pytest.mark.usefixtures("backend")  # SQLite and PostgreSQL

HERE = Path(__file__).resolve().parent


def _start(args: list[str], port: int, tmpdir: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", **({"TMPDIR": str(tmpdir)} if tmpdir else {})}
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=HERE, env=env)

    def up():
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    wait_for(up, timeout=60, interval=0.1)
    return proc


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def test_killed_while_scoring_then_scored_after_restart(tmp_path, answers, small_archive, db_url):
    """kill -9 mid-scoring: nothing lost, the extraction folder swept, nothing in the system TMPDIR."""
    archive = small_archive("survivor")
    data = tmp_path / "data"
    data.mkdir()
    url = db_url() or f"sqlite:///{data / 'leaderboard.sqlite3'}"
    db = admin.open_db(url)
    admin.add_user(db, "dura", "d@example.org")
    token = admin.create_token(db, "dura")
    marker = tmp_path / "scoring.marker"
    sys_tmp = tmp_path / "system-tmp"
    sys_tmp.mkdir()
    port = free_port()
    first = _start([sys.executable, str(HERE / "slow_server.py"), str(data), str(answers), str(port), str(marker),
                    url], port, sys_tmp)
    second = None
    try:
        with open(archive, "rb") as fh:
            r = httpx.post(f"http://127.0.0.1:{port}/api/submissions", headers={"Authorization": f"Bearer {token}"},
                           data={"model_name": "Survivor", "params": "7B", "contact_email": "d@example.org"},
                           files={"archive": (archive.name, fh, "application/zip")}, timeout=30)
        assert r.status_code == 202, r.text
        sid = r.json()["id"]
        wait_for(marker.exists, timeout=30)
        assert any((data / "work").iterdir()), "the scorer works in a scratch folder of the data directory"
        first.kill()  # SIGKILL: no shutdown handler runs
        first.wait(10)
        with read_session(db) as s:
            row = s.query(Submission).filter_by(public_id=sid).one()
        assert row.status == "scoring" and row.attempts == 1

        port2 = free_port()
        second = _start([sys.executable, "-m", "generallevel.cli", "serve", "--data-dir", str(data), "--db", url,
                         "--answers", str(answers), "--port", str(port2), "--stale-after", "1"], port2, sys_tmp)

        def done():
            s = httpx.get(f"http://127.0.0.1:{port2}/api/submissions/{sid}", timeout=5).json()
            return s if s["status"] in ("scored", "failed") else None

        status = wait_for(done, timeout=60, interval=0.2)
        assert status["status"] == "scored", status
        assert status["attempts"] == 2 and status["level"] >= 2
        board = httpx.get(f"http://127.0.0.1:{port2}/api/boards/C", params={"board": "scope-c-3d-comprehension"},
                          timeout=5).json()
        assert [r["model"] for r in board["rows"]] == ["Survivor"]
        assert not any((data / "work").iterdir()) and not any((data / "incoming").iterdir())  # swept
        assert list(sys_tmp.iterdir()) == []  # nothing ever went to the system's temporary folder
    finally:
        _stop(first)
        if second is not None:
            _stop(second)


def test_interrupted_too_often_is_failed_with_a_reason(site, small_archive):
    tok = site.user("flaky")
    sid = site.upload(tok, small_archive("fl")).json()["id"]
    for attempt in range(1, site.config.max_attempts + 1):
        assert site.state.worker.claim() is not None  # a worker takes it ... and dies
        with write_session(site.db) as s:
            s.query(Submission).filter_by(public_id=sid).update({"heartbeat": time.time() - 3600})
        assert site.state.worker.recover() == 1
        status = site.client.get(f"/api/submissions/{sid}").json()
        if attempt < site.config.max_attempts:
            assert status["status"] == "queued" and "interrupted" in status["reason"]
    assert status["status"] == "failed"
    assert f"interrupted {site.config.max_attempts} times" in status["reason"]
    assert site.score_all() == 0  # nothing left in the queue
    # the user may submit again: a failed submission is no longer pending
    assert site.upload(tok, small_archive("fl2")).status_code == 202


def test_live_heartbeat_is_not_recovered(site, small_archive):
    tok = site.user("alive")
    site.upload(tok, small_archive("al"))
    assert site.state.worker.claim() is not None
    assert site.state.worker.recover() == 0  # fresh heartbeat: another worker is on it


def test_a_crash_while_accepting_leaves_no_row_and_no_file(site, small_archive):
    tok = site.user("orphan")

    def boom(*a, **k):
        raise RuntimeError("checker crashed")

    original = site.state.check_submission
    site.state.check_submission = boom
    try:
        with pytest.raises(RuntimeError):
            site.upload(tok, small_archive("or"))
    finally:
        site.state.check_submission = original
    assert admin.list_submissions(site.db) == []
    assert not any((site.config.data_dir / "incoming").iterdir())


def test_graceful_stop_requeues_the_running_submission(make_site, small_archive):
    import threading

    release = threading.Event()

    def blocking(path, answers_dir, **kw):
        release.wait(30)
        raise RuntimeError("released")

    site = make_site(scorer=blocking)
    tok = site.user("graceful")
    sid = site.upload(tok, small_archive("gr")).json()["id"]
    site.state.start()
    try:
        wait_for(lambda: site.client.get(f"/api/submissions/{sid}").json()["status"] == "scoring", timeout=10)
        site.state.worker.stop(timeout=0.2)
        s = site.client.get(f"/api/submissions/{sid}").json()
        assert s["status"] == "queued" and s["attempts"] == 0 and "server stopped" in s["reason"]
    finally:
        release.set()
    time.sleep(0.2)  # the released run's late result must not overwrite the requeued row
    assert site.client.get(f"/api/submissions/{sid}").json()["status"] == "queued"


def test_without_answers_no_worker_runs(tmp_path):
    from generallevel.server.app import create_app
    from generallevel.server.config import ServerConfig

    app = create_app(ServerConfig(data_dir=tmp_path / "noanswers"))
    state = app.state.gl
    state.start()
    try:
        assert state.worker._thread is None  # nothing to score against: no worker
    finally:
        state.stop()
