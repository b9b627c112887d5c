"""`generallevel serve worker --nice N` lowers its own CPU priority (pages first, scoring after)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.skipif(not hasattr(os, "getpriority"), reason="Unix process priorities")
CLI = [sys.executable, "-m", "generallevel.cli", "serve", "worker"]


@pytest.mark.parametrize("nice", [None, 0, 7])
def test_the_worker_process_runs_at_a_lower_priority(tmp_path, nice):
    pytest.importorskip("sqlalchemy")
    answers = tmp_path / "answers"
    answers.mkdir()
    log = tmp_path / "worker.log"
    args = CLI + ["--data-dir", str(tmp_path / "data"), "--answers", str(answers), "--poll", "0.1"]
    args += [] if nice is None else ["--nice", str(nice)]
    base = os.getpriority(os.PRIO_PROCESS, 0)
    with open(log, "wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while b"scoring worker" not in log.read_bytes():
            assert proc.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        want = min(19, base + (10 if nice is None else nice))
        assert os.getpriority(os.PRIO_PROCESS, proc.pid) == want
    finally:
        proc.terminate()
        proc.wait(30)
