"""Parallel uploads from several users against real uvicorn on 127.0.0.1 keep the limits exact.

Bounded: at most 16 requests at a time, 36 in all; every request has a timeout.
"""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from generallevel.server.config import FairUse

pytestmark = pytest.mark.usefixtures("backend")  # SQLite and PostgreSQL


def _burst(srv, tokens: dict[str, str], per_user: int, archive) -> dict[str, Counter]:
    jobs = [(user, tok, i) for user, tok in tokens.items() for i in range(per_user)]
    barrier = threading.Barrier(len(jobs))

    def one(job):
        user, tok, i = job
        path = archive(f"{user}-{i}")
        with httpx.Client(base_url=srv.url, timeout=60) as client:
            barrier.wait(timeout=30)
            r = srv.site.upload(tok, path, model=f"{user}-model", client=client)
        return user, r.status_code, (r.json().get("error") if r.status_code != 202 else "ok")

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = list(pool.map(one, jobs))
    out: dict[str, Counter] = {u: Counter() for u in tokens}
    for user, status, code in results:
        out[user][(status, code)] += 1
    return out


def test_parallel_uploads_respect_daily_and_weekly_limits(live, small_archive):
    srv = live(fair_use=FairUse(one_pending=False))
    tokens = {f"par{i}": srv.site.user(f"par{i}") for i in range(4)}
    day1 = _burst(srv, tokens, 4, small_archive)
    for user, c in day1.items():
        assert c == Counter({(202, "ok"): 2, (429, "daily_limit"): 2}), (user, c)
    srv.site.clock.advance(hours=24)
    day2 = _burst(srv, tokens, 4, small_archive)
    for user, c in day2.items():  # the fourth of the week fills both windows: the later release wins
        assert c == Counter({(202, "ok"): 2, (429, "weekly_limit"): 2}), (user, c)
    srv.site.clock.advance(hours=24)
    day3 = _burst(srv, tokens, 1, small_archive)
    for user, c in day3.items():
        assert c == Counter({(429, "weekly_limit"): 1}), (user, c)
    from generallevel.server.admin import list_submissions

    per_user = Counter(r["user"] for r in list_submissions(srv.site.db))
    assert per_user == Counter({u: 4 for u in tokens})


def test_parallel_uploads_respect_the_pending_rule(live, small_archive):
    srv = live(start_worker=False)  # nothing gets scored: each user's first stays pending
    tokens = {f"pend{i}": srv.site.user(f"pend{i}") for i in range(4)}
    result = _burst(srv, tokens, 4, small_archive)
    for user, c in result.items():
        assert c == Counter({(202, "ok"): 1, (429, "pending"): 3}), (user, c)


def test_one_new_model_name_one_owner_under_concurrency(live, small_archive):
    srv = live(start_worker=False)
    tokens = [srv.site.user(f"race{i}") for i in range(6)]
    barrier = threading.Barrier(len(tokens))

    def one(i):
        with httpx.Client(base_url=srv.url, timeout=60) as client:
            barrier.wait(timeout=30)
            r = srv.site.upload(tokens[i], small_archive(f"race{i}"), model="Contested", client=client)
        return r.status_code, r.json().get("error")

    with ThreadPoolExecutor(max_workers=len(tokens)) as pool:
        results = Counter(pool.map(one, range(len(tokens))))
    assert results == Counter({(202, None): 1, (409, "model_name_taken"): 5})
