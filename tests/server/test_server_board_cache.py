"""Boards are built from the stored reports parsed once each: the same boards, reports and notes as
parsing every stored report at every board version, and a new result costs one parse."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import update

from generallevel.server import views
from generallevel.server.db import Submission, write_session
from generallevel.server.demo import prepare_demo
from generallevel.server.state import AppState


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    config, _ = prepare_demo(root=tmp_path_factory.mktemp("board-cache"))
    state = AppState(config)
    yield state
    state.stop()


def _parse_everything(monkeypatch, state) -> dict:
    """The boards as computed before the report cache: every stored report parsed and scrubbed."""
    with monkeypatch.context() as m:
        real = views.latest_scored
        m.setattr(views, "latest_scored", lambda st, with_reports=True: real(st))
        m.setattr(views, "_stored_reports", lambda st, subs: {
            r.public_id: views.scrub_report(json.loads(r.result_json)) for r in subs if r.result_json})
        return views._compute(state)


def _comparable(data: dict) -> dict:
    return {"specs": data["specs"], "boards": data["boards"], "reports": data["reports"], "notes": data["notes"],
            "subs": sorted(data["subs"]), "models": {k: v.public_id for k, v in data["models"].items()}}


class _CountingJson:
    def __init__(self) -> None:
        self.loads_calls = 0

    def loads(self, text):
        self.loads_calls += 1
        return json.loads(text)


def test_cached_reports_give_the_boards_of_parsing_everything(demo, monkeypatch):
    want = _comparable(_parse_everything(monkeypatch, demo))
    assert want["boards"] and len(want["reports"]) >= 3
    demo.reports = {}
    assert _comparable(views._compute(demo)) == want  # cold cache
    assert _comparable(views._compute(demo)) == want  # warm cache


def test_a_new_result_is_the_only_report_parsed(demo, monkeypatch):
    views._compute(demo)
    counting = _CountingJson()
    monkeypatch.setattr(views, "json", counting)
    views._compute(demo)
    assert counting.loads_calls == 0  # nothing new: nothing parsed
    newest = views.latest_scored(demo)[-1]  # rescored now: a new finished_at, so it is read again
    with write_session(demo.sessions) as s:
        s.execute(update(Submission).where(Submission.id == newest.id)
                  .values(finished_at=newest.finished_at + timedelta(days=1)))
    got = views._compute(demo)
    assert counting.loads_calls == 1
    monkeypatch.undo()
    assert _comparable(got) == _comparable(_parse_everything(monkeypatch, demo))
    assert set(demo.reports) == {(s.public_id, s.finished_at) for s in views.latest_scored(demo)}


def _wait(pred, timeout: float = 10.0) -> None:
    import time

    end = time.monotonic() + timeout
    while not pred():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.01)


def test_a_result_from_another_process_is_built_before_it_is_served(demo, monkeypatch):
    import threading

    demo._version_checked = float("-inf")
    before = demo.board_version()
    views._computed(demo)
    gate, building = threading.Event(), threading.Event()
    real_warm = views.warm_boards

    def slow_warm(state, version):
        building.set()
        gate.wait(10)
        real_warm(state, version)

    monkeypatch.setattr(views, "warm_boards", slow_warm)
    sub = views.latest_scored(demo)[0]
    with write_session(demo.sessions) as s:  # as if another process had just scored it again
        s.execute(update(Submission).where(Submission.id == sub.id)
                  .values(finished_at=sub.finished_at + timedelta(days=2)))
    demo._version_checked = float("-inf")
    assert demo.board_version() == before  # seen, but the boards are being built: the old ones are served
    assert building.wait(10)
    assert demo.board_version() == before
    computes = []  # boards computed by a request (this thread): none must be
    real_compute = views._compute

    def compute(state):
        if threading.current_thread() is threading.main_thread():
            computes.append(1)
        return real_compute(state)

    monkeypatch.setattr(views, "_compute", compute)
    old = views._computed(demo)
    assert old["subs"] and not computes
    gate.set()
    _wait(lambda: demo.board_version() != before)
    new = views._computed(demo)
    assert not computes  # built in the background, before the version moved
    assert new["subs"][sub.public_id].finished_at == sub.finished_at + timedelta(days=2)


def test_a_result_landed_in_this_process_is_served_at_once(demo):
    views._computed(demo)
    before = demo.board_version()
    demo.boards_changed()
    assert demo.board_version() != before  # no background step: the next request builds
