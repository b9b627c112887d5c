"""Real processes sharing one database: two web processes (`generallevel serve --no-worker`) and
three scoring workers (`generallevel serve worker`), on SQLite and on PostgreSQL.

Bounded: 20 + 50 uploads, at most 10 at a time, every request with a timeout; the processes are
stopped at the end of each test.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from generallevel.server import admin
from serverkit import free_port, wait_for

pytestmark = pytest.mark.usefixtures("backend")  # SQLite and PostgreSQL
CLI = [sys.executable, "-m", "generallevel.cli", "serve"]


class Cluster:
    def __init__(self, tmp_path: Path, answers: Path, url: str | None) -> None:
        self.data = tmp_path / "data"
        self.data.mkdir()
        self.url = url or f"sqlite:///{self.data / 'leaderboard.sqlite3'}"
        self.db = admin.open_db(self.url)
        self.logs = tmp_path / "logs"
        self.logs.mkdir()
        self.procs: list[subprocess.Popen] = []
        self.ports = [free_port(), free_port()]
        common = ["--data-dir", str(self.data), "--db", self.url]
        for i, port in enumerate(self.ports):
            self._spawn(f"web{i}", CLI + common + ["--no-worker", "--port", str(port)])
        for i in range(3):
            self._spawn(f"worker{i}", CLI + ["worker"] + common + ["--answers", str(answers), "--poll", "0.1",
                                                                    "--stale-after", "10"])
        for port in self.ports:
            wait_for(lambda p=port: self._up(p), timeout=90, interval=0.2)

    def _spawn(self, name: str, args: list[str]) -> None:
        log = open(self.logs / f"{name}.log", "wb")
        self.procs.append(subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT))

    def _up(self, port: int) -> bool:
        for p in self.procs:
            if p.poll() is not None:
                raise AssertionError(f"a process exited: {self.log_text()[-3000:]}")
        try:
            return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def log_text(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.logs.iterdir()))

    def finished(self) -> Counter:
        """Submission id -> how many times a worker finished scoring it (from the workers' logs)."""
        return Counter(re.findall(r"finished submission (\S+): scored", self.log_text()))

    def upload(self, i: int, token: str, archive: Path, model: str) -> httpx.Response:
        with open(archive, "rb") as fh, httpx.Client(timeout=120) as client:
            return client.post(f"http://127.0.0.1:{self.ports[i % 2]}/api/submissions",
                               headers={"Authorization": f"Bearer {token}"},
                               data={"model_name": model, "params": "1B", "contact_email": "w@example.org"},
                               files={"archive": (archive.name, fh, "application/zip")})

    def counts(self) -> dict[str, int]:
        return httpx.get(f"http://127.0.0.1:{self.ports[0]}/api/health", timeout=10).json()["submissions"]

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)


@pytest.fixture
def cluster(tmp_path, answers, db_url):
    c = Cluster(tmp_path, answers, db_url())
    yield c
    c.stop()


def test_fair_use_race_across_processes(cluster, small_archive):
    """20 simultaneous uploads of one user through two web processes: exactly one is accepted."""
    token = admin.create_token(cluster.db, admin.add_user(cluster.db, "racer").name)
    archive = small_archive("racer")
    barrier = threading.Barrier(10)

    def one(i: int):
        if i < 10:
            barrier.wait(timeout=30)
        r = cluster.upload(i, token, archive, "Racer")
        return r.status_code, r.json().get("error"), r.json().get("id")

    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(one, range(20)))
    assert Counter((s, e) for s, e, _ in results) == Counter({(202, None): 1, (429, "pending"): 19}), results
    sid = next(i for s, _, i in results if s == 202)
    wait_for(lambda: cluster.counts()["scored"] == 1, timeout=120, interval=0.2)
    row = next(r for r in admin.list_submissions(cluster.db) if r["id"] == sid)
    assert row["status"] == "scored" and row["attempts"] == 1
    assert cluster.finished() == Counter({sid: 1})


def test_soak_every_submission_scored_exactly_once(cluster, small_archive):
    tokens = [admin.create_token(cluster.db, admin.add_user(cluster.db, f"soak{i}").name) for i in range(50)]
    archive = small_archive("soak")
    with ThreadPoolExecutor(10) as pool:
        results = list(pool.map(lambda i: cluster.upload(i, tokens[i], archive, f"Soak {i}"), range(50)))
    assert [r.status_code for r in results] == [202] * 50, [r.text for r in results if r.status_code != 202][:3]
    wait_for(lambda: cluster.counts()["scored"] == 50, timeout=300, interval=0.5)
    rows = admin.list_submissions(cluster.db)
    assert len(rows) == 50 and {(r["status"], r["attempts"]) for r in rows} == {("scored", 1)}
    finished = cluster.finished()
    assert set(finished) == {r["id"] for r in rows} and set(finished.values()) == {1}
    workers = set(re.findall(r"worker (w-\w+) finished", cluster.log_text()))
    assert len(workers) >= 2, "the queue was shared by the workers"
