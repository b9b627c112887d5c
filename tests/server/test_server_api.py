"""The JSON API end to end in-process: upload, queue, score, boards, models, status views."""

from __future__ import annotations

import json

import pytest

from generallevel.server import admin
from generallevel.server.db import ApiToken, Submission, read_session

pytestmark = pytest.mark.usefixtures("backend")  # SQLite and PostgreSQL


def test_upload_queue_score_and_board(site, full_archive, small_archive):
    alice, bob = site.user("alice"), site.user("bob")
    r = site.upload(alice, full_archive, model="Omni 7B")
    assert r.status_code == 202, r.text
    sub = r.json()
    assert sub["status"] == "queued" and sub["leaderboard_id"] == "scope-a" and sub["model"] == "Omni 7B"
    assert r.headers["location"] == f"/api/submissions/{sub['id']}"
    assert site.client.get("/api/boards/A").json()["rows"] == []  # not scored yet
    r = site.upload(bob, small_archive("reader"), model="Reader")
    assert r.status_code == 202
    assert site.score_all() == 2

    status = site.client.get(f"/api/submissions/{sub['id']}").json()
    assert status["status"] == "scored" and status["level"] == 5 and status["reason"] == ""
    assert "contact_email" not in status  # private without the owner's token
    own = site.client.get(f"/api/submissions/{sub['id']}", headers={"Authorization": f"Bearer {alice}"}).json()
    assert own["contact_email"] == "x@example.org" and own["sha256"] == sub["sha256"]
    other = site.client.get(f"/api/submissions/{sub['id']}", headers={"Authorization": f"Bearer {bob}"}).json()
    assert "contact_email" not in other

    a = site.client.get("/api/boards/A").json()
    assert a["scope"] == "A" and a["board"]["id"] == "scope-a"
    assert [r["model"] for r in a["rows"]] == ["Omni 7B"]  # Reader was submitted for a Scope-C board only
    row = a["rows"][0]
    assert row["rank"] == 1 and row["level"] == 5 and row["params"] == "7B" and row["submitted_at"]
    assert set(row["modality_scores"]) == {"Image", "Video", "Audio", "3D"}
    assert row["supported"] > 0 and row["wins"] >= 0 and row["url"] == "/models/Omni%207B"

    c = site.client.get("/api/boards/C", params={"board": "scope-c-3d-comprehension"}).json()
    assert {r["model"] for r in c["rows"]} == {"Omni 7B", "Reader"}
    ranks = [(r["rank"], r["level"], r["score"]) for r in c["rows"]]
    assert ranks == sorted(ranks, key=lambda x: (-x[1], -x[2]))
    by_score = site.client.get("/api/boards/C", params={"board": "scope-c-3d-comprehension", "sort": "score"}).json()
    assert [r["score"] for r in by_score["rows"]] == sorted((r["score"] for r in c["rows"]), reverse=True)
    assert by_score["sort"] == "score"

    b = site.client.get("/api/boards/b").json()  # scopes are case-insensitive
    assert b["scope"] == "B" and len(b["boards"]) == 14
    d = site.client.get("/api/boards/D").json()
    assert d["scope"] == "D" and all(x["id"].startswith("scope-d-") for x in d["boards"])

    scopes = site.client.get("/api/scopes").json()["scopes"]
    assert [s["scope"] for s in scopes] == ["A", "B", "C", "D"] and len(scopes[2]["boards"]) == 8

    models = site.client.get("/api/models").json()["models"]
    assert [m["model"] for m in models] == ["Omni 7B", "Reader"]
    assert models[0]["scope_a_rank"] == 1 and models[1]["scope_a_rank"] is None

    m = site.client.get("/api/models/Omni%207B").json()
    assert m["level"] == 5 and set(m["modalities"]) == {"Image", "Video", "Audio", "3D"}
    assert {"comprehension", "generation", "level2", "level3", "level4"} <= set(m["modalities"]["Image"])
    assert m["wins"] and all(t["win"] for t in m["wins"])
    assert any(p["board"] == "scope-a" and p["rank"] == 1 for p in m["boards"])
    assert m["target_board"]["id"] == "scope-a"
    assert site.client.get("/api/models/omni 7b").status_code == 200  # names are case-insensitive

    health = site.client.get("/api/health").json()
    assert health == {"status": "ok", "submissions": {"checking": 0, "queued": 0, "scoring": 0, "scored": 2, "failed": 0}}


def test_my_submissions_me_and_limits(site, small_archive):
    tok = site.user("carol")
    h = {"Authorization": f"Bearer {tok}"}
    assert site.client.get("/api/submissions", headers=h).json() == {"submissions": []}
    me = site.client.get("/api/me", headers=h).json()
    assert me["user"] == "carol" and me["fair_use"]["allowed"] is True
    site.upload(tok, small_archive("c1"))
    mine = site.client.get("/api/submissions", headers=h).json()["submissions"]
    assert len(mine) == 1 and mine[0]["contact_email"] == "x@example.org"
    lim = site.client.get("/api/limits", headers=h).json()
    assert lim["allowed"] is False and lim["code"] == "pending" and lim["pending_submission"] == mine[0]["id"]
    assert lim["rules"] == {"per_24h": 2, "per_7_days": 4, "one_pending": True,
                            "max_upload_bytes": site.config.max_upload_bytes}


def test_newer_submission_replaces_older_on_the_board(site, small_archive, full_archive):
    tok = site.user("dave")
    assert site.upload(tok, small_archive("m1"), model="Same").status_code == 202
    site.score_all()
    site.clock.advance(hours=1)
    assert site.upload(tok, full_archive, model="Same").status_code == 202
    site.score_all()
    rows = site.client.get("/api/boards/C", params={"board": "scope-c-3d-comprehension"}).json()["rows"]
    assert len(rows) == 1 and rows[0]["leaderboard_id"] == "scope-a"
    assert site.client.get("/api/models/Same").json()["leaderboard_id"] == "scope-a"


def test_failed_scoring_reports_reason_without_paths(site, small_archive, answers, monkeypatch):
    tok = site.user("erin")
    sub = site.upload(tok, small_archive("f1")).json()

    def broken(path, answers_dir, **kw):
        raise RuntimeError(f"cannot read {answers_dir}/3d/comprehension/x/annotation.json in {path}")

    monkeypatch.setattr(site.state, "_score", broken)
    site.score_all()
    s = site.client.get(f"/api/submissions/{sub['id']}").json()
    assert s["status"] == "failed"
    assert "<answers>/3d/comprehension/x/annotation.json" in s["reason"] and "f1-scope-c" in s["reason"]
    assert str(answers) not in s["reason"] and "answers-zq" not in s["reason"]
    assert str(site.config.data_dir) not in s["reason"]


def test_tokens_are_stored_as_hashes_only(site):
    tok = site.user("frank")
    with read_session(site.db) as s:
        rows = s.query(ApiToken).all()
    assert len(rows) == 1 and rows[0].token_hash != tok and tok not in json.dumps(
        {"h": rows[0].token_hash, "p": rows[0].prefix, "l": rows[0].label})
    assert len(rows[0].token_hash) == 64


def test_scored_result_has_no_answer_paths(site, full_archive, answers):
    tok = site.user("gina")
    site.upload(tok, full_archive)
    site.score_all()
    with read_session(site.db) as s:
        sub = s.query(Submission).one()
    assert sub.status == "scored"
    assert str(answers) not in sub.result_json and "zq-canary" not in sub.result_json


def test_admin_requeue_and_review_listing(site, small_archive):
    tok = site.user("hank")
    sub = site.upload(tok, small_archive("h1")).json()
    site.state._score = lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom"))
    site.score_all()
    assert admin.list_submissions(site.db, "failed")[0]["id"] == sub["id"]
    admin.requeue(site.db, sub["id"])
    from generallevel.server.state import _default_score

    site.state._score = _default_score
    site.score_all()
    assert site.client.get(f"/api/submissions/{sub['id']}").json()["status"] == "scored"
