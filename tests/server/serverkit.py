"""Helpers shared by the server tests (imported by conftest and the test modules)."""

from __future__ import annotations

import itertools
import json
import shutil
import socket
import threading
import time
from pathlib import Path

CANARY = "zq-canary-4c1d9e"  # in the answers' path and content: must never appear in a response
ANSWER_CANARY = "zqans"  # the prefix of every value plant_canaries writes


def plant_canaries(src: Path, dest: Path) -> int:
    """Copy the answers tree ``src`` to ``dest`` with every answer field (all of an item but its
    ``id`` and ``input``, every leaf) replaced by a distinct ``zqans<n>x`` string; returns how many."""
    shutil.copytree(src, dest)
    n = itertools.count()

    def plant(v):
        if isinstance(v, dict):
            return {k: plant(x) for k, x in v.items()}
        if isinstance(v, list):
            return [plant(x) for x in v]
        return f"{ANSWER_CANARY}{next(n):05d}x"

    for ann in dest.rglob("annotation.json"):
        doc = json.loads(ann.read_text(encoding="utf-8"))
        for item in doc["data"]:
            item.update({k: plant(v) for k, v in item.items() if k not in ("id", "input")})
        ann.write_text(json.dumps(doc), encoding="utf-8")
    return next(n)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """uvicorn serving ``site.app`` on 127.0.0.1 in a thread (the lifespan starts the worker)."""

    def __init__(self, site: Site) -> None:
        import uvicorn

        self.site = site
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(site.app, host="127.0.0.1", port=self.port,
                                                    log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(interval)
