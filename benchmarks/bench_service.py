"""Section 5: the leaderboard service under load, as real processes on this machine (loopback only).

* boards: ``generallevel serve --no-worker --workers 2`` on the demo board (SQLite) while a
  ``generallevel serve worker`` process scores queued full demo submissions; 200 keep-alive
  connections each send one GET at the same moment (half ``/``, half ``/api/boards/A``), for
  several rounds; latency is measured from the send to the last body byte. Goal: p99 < 100 ms,
  no errors.
* memory: one web process (2 check slots, the default); 8 users upload at the same moment an
  archive of ~190 KB that expands to 190 MiB of valid predictions (190 items of 1 MiB each). The
  server's resident memory is sampled every 10 ms (and its kernel high-water mark read); growth
  over the idle server must stay under 400 MB.

Every request loop is bounded (count and time); every process is stopped at the end.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

from _common import Row, failed_row

P99_GOAL_MS = 100.0
RSS_GOAL_MB = 400.0
CLI = [sys.executable, "-m", "generallevel.cli", "serve"]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_up(port: int, procs: list[subprocess.Popen], timeout: float = 90) -> None:
    import urllib.request

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            raise RuntimeError("a server process exited while starting")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not start")


def _health(port: int) -> dict:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=10) as r:
        return json.loads(r.read())["submissions"]


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            p.kill()


async def _get(reader, writer, path: str) -> tuple[int, float]:
    t0 = time.perf_counter()
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    await reader.readexactly(length)
    return status, time.perf_counter() - t0


async def _burst(port: int, clients: int, rounds: int) -> tuple[list[float], int]:
    conns = [await asyncio.open_connection("127.0.0.1", port) for _ in range(clients)]
    paths = ["/" if i % 2 == 0 else "/api/boards/A" for i in range(clients)]
    latencies: list[float] = []
    errors = 0
    try:
        for r in range(rounds + 1):  # round 0 warms the caches of both web processes
            results = await asyncio.wait_for(asyncio.gather(
                *(_get(rd, wr, p) for (rd, wr), p in zip(conns, paths)), return_exceptions=True), 60)
            if r == 0:
                continue
            for res in results:
                if isinstance(res, BaseException) or res[0] != 200:
                    errors += 1
                else:
                    latencies.append(res[1])
            await asyncio.sleep(0.2)
    finally:
        for _, wr in conns:
            wr.close()
    return latencies, errors


def _percentile(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else float("nan")


def boards_under_load(quick: bool) -> list[Row]:
    from generallevel.server import admin
    from generallevel.server.demo import build_archive, demo_paths, prepare_demo
    from generallevel.server.state import AppState

    clients, rounds, queued = (50, 2, 3) if quick else (200, 10, 12)
    root = Path(tempfile.mkdtemp(prefix="generallevel-bench-service-"))
    config, _ = prepare_demo(root=root)
    answers, _ = demo_paths()
    state = AppState(config)
    archive = build_archive(root / "load", "load-model", "scope-a", ("image", "video", "audio", "3d", "nlp"))
    for i in range(queued):  # keep the worker busy scoring for the whole measurement
        admin.queue_archive(state, "demo-lab", archive, f"Load {i}", "7B", contact_email="lab@example.org")
    state.stop()
    port = _free_port()
    common = ["--data-dir", str(config.data_dir)]
    procs = [subprocess.Popen(CLI + common + ["--no-worker", "--workers", "2", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        _wait_up(port, procs)
        procs.append(subprocess.Popen(CLI + ["worker"] + common + ["--answers", str(answers), "--poll", "0.2"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        deadline = time.monotonic() + 60
        while _health(port)["scoring"] == 0 and time.monotonic() < deadline:
            time.sleep(0.1)
        scoring_before = _health(port)["scoring"]
        latencies, errors = asyncio.run(_burst(port, clients, rounds))
        scoring_after = _health(port)
    finally:
        _stop(procs)
    p50, p99 = _percentile(latencies, 0.5) * 1000, _percentile(latencies, 0.99) * 1000
    busy = scoring_before == 1 and (scoring_after["scoring"] == 1 or scoring_after["scored"] > 5)
    note = (f"{clients} concurrent GETs x {rounds} rounds ({len(latencies)} ok, {errors} errors), half / half "
            f"/api/boards/A; 2 web processes + 1 worker (`serve worker`, its default --nice 10) "
            f"{'scoring throughout' if busy else 'NOT scoring (queue ran dry)'}"
            f"; {_cpus()} CPU(s)")
    data = {"p50_ms": p50, "p99_ms": p99, "errors": errors, "requests": len(latencies) + errors,
            "worker_busy": busy}
    return [Row("service", f"boards: {clients} concurrent GETs, p99 (worker scoring)", f"{p99:.1f} ms",
                f"< {P99_GOAL_MS:.0f} ms, 0 errors", p99 < P99_GOAL_MS and errors == 0 and busy, note, data),
            Row("service", f"boards: {clients} concurrent GETs, p50", f"{p50:.1f} ms", "-", None,
                "same run", {"p50_ms": p50})]


def _rss(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) in bytes."""
    fields = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith(("VmRSS:", "VmHWM:")):
                k, v = line.split(":", 1)
                fields[k] = int(v.split()[0]) * 1024
    return fields["VmRSS"], fields["VmHWM"]


def _bomb_like(path: Path, items: int) -> None:
    """Valid predictions that compress ~1000:1: ``items`` predictions of 1 MiB each."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("nlp/Commonsense_Reasoning/prediction.json", "w") as fh:
            fh.write(b"[")
            for i in range(items):
                fh.write(json.dumps({"id": i, "prediction": "a" * (1 << 20)}).encode() + (b"," if i < items - 1 else b"]"))


def memory_under_uploads(quick: bool) -> list[Row]:
    import urllib.request

    from generallevel.server import admin

    uploads, items = (2, 16) if quick else (8, 190)
    root = Path(tempfile.mkdtemp(prefix="generallevel-bench-memory-"))
    data = root / "data"
    data.mkdir()
    db = admin.open_db(f"sqlite:///{data / 'leaderboard.sqlite3'}")
    tokens = [admin.create_token(db, admin.add_user(db, f"heavy{i}").name) for i in range(uploads)]
    archives = []
    for i in range(uploads):
        archives.append(root / f"heavy{i}-scope-a.zip")
        if i == 0:
            _bomb_like(archives[0], items)
        else:
            archives[i].write_bytes(archives[0].read_bytes())
    port = _free_port()
    proc = subprocess.Popen(CLI + ["--data-dir", str(data), "--no-worker", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples: list[int] = []
    statuses: list[int] = []
    try:
        _wait_up(port, [proc])
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30).read()  # warm: templates, registry
        base, _ = _rss(proc.pid)
        with open(f"/proc/{proc.pid}/clear_refs", "w") as fh:
            fh.write("5")  # reset the high-water mark
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                samples.append(_rss(proc.pid)[0])
                time.sleep(0.01)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        t0 = time.perf_counter()

        def upload(i: int) -> None:
            import httpx

            with open(archives[i], "rb") as fh:
                r = httpx.post(f"http://127.0.0.1:{port}/api/submissions", timeout=600,
                               headers={"Authorization": f"Bearer {tokens[i]}"},
                               data={"model_name": f"Heavy {i}", "params": "7B", "contact_email": "h@example.org"},
                               files={"archive": (archives[i].name, fh, "application/zip")})
            statuses.append(r.status_code)

        threads = [threading.Thread(target=upload, args=(i,)) for i in range(uploads)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(900)
        wall = time.perf_counter() - t0
        stop.set()
        sampler.join()
        peak = max(max(samples, default=base), _rss(proc.pid)[1])
    finally:
        _stop([proc])
    growth = (peak - base) / 2**20
    size_kb = archives[0].stat().st_size / 1024
    note = (f"{uploads} users at once, each a {size_kb:.0f} KB archive expanding to {items} MiB of valid JSON; "
            f"responses {sorted(statuses)} in {wall:.1f} s (202: checked in full; 503: no check slot within "
            f"30 s, a loaded machine); idle RSS {base / 2**20:.0f} MB; 2 check slots")
    return [Row("service", f"RSS growth: {uploads} concurrent uploads expanding to {items} MiB", f"{growth:.0f} MB",
                f"< {RSS_GOAL_MB:.0f} MB", growth < RSS_GOAL_MB and statuses.count(202) >= 2, note,
                {"growth_mb": growth, "idle_mb": base / 2**20, "statuses": statuses, "seconds": wall})]


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def run(quick: bool = False) -> list[Row]:
    rows: list[Row] = []
    for name, fn in (("boards under load", boards_under_load), ("memory under uploads", memory_under_uploads)):
        try:
            rows += fn(quick)
        except Exception as e:  # noqa: BLE001 - a broken measurement is a row, not a lost table
            rows.append(failed_row("service", name, "-", e))
    return rows
