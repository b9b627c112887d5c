"""Every refusal of the upload route: authentication, fields, archive, size, limits, pending, names."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest

from generallevel.server import admin
from generallevel.server.config import FairUse

pytestmark = pytest.mark.usefixtures("backend")  # SQLite and PostgreSQL


def _err(r, status, code):
    assert r.status_code == status, r.text
    body = r.json()
    assert body["error"] == code, body
    return body


def test_no_token(site, small_archive):
    body = _err(site.upload(None, small_archive()), 401, "unauthorized")
    assert "Authorization: Bearer" in body["detail"]


def test_wrong_malformed_revoked_tokens_and_disabled_user(site, small_archive):
    tok = site.user("u1")
    wrong = "glt_" + "A" * 43
    _err(site.upload(wrong, small_archive()), 401, "unauthorized")
    _err(site.upload("not-a-token", small_archive()), 401, "unauthorized")
    r = site.client.post("/api/submissions", headers={"Authorization": f"Basic {tok}"})
    _err(r, 401, "unauthorized")
    assert r.headers["www-authenticate"] == "Bearer"
    admin.set_disabled(site.db, "u1", True)
    _err(site.upload(tok, small_archive()), 401, "unauthorized")
    admin.set_disabled(site.db, "u1", False)
    assert admin.revoke_token(site.db, tok[:10]) == 1
    body = _err(site.upload(tok, small_archive()), 401, "unauthorized")
    assert tok not in body["detail"]
    assert site.client.get("/api/me", headers={"Authorization": f"Bearer {wrong}"}).status_code == 401
    assert site.client.get("/api/submissions").status_code == 401
    assert site.client.get("/api/limits").status_code == 401


def test_missing_file_and_not_multipart(site, small_archive):
    tok = site.user("u2")
    h = {"Authorization": f"Bearer {tok}"}
    r = site.client.post("/api/submissions", headers=h, data={"model_name": "x", "params": "7B",
                                                              "contact_email": "a@b.org"})
    _err(r, 415, "unsupported_media_type")  # a form without a file is urlencoded
    r = site.client.post("/api/submissions", headers=h, files={"other": ("a.txt", b"x")},
                         data={"model_name": "x", "params": "7B", "contact_email": "a@b.org"})
    _err(r, 400, "missing_file")
    r = site.client.post("/api/submissions", headers={**h, "content-type": "application/json"}, content=b"{}")
    _err(r, 415, "unsupported_media_type")


@pytest.mark.parametrize("field,value", [("model_name", ""), ("model_name", "a/b"), ("params", "huge"),
                                         ("contact_email", "nobody"), ("description", "x" * 5001)])
def test_invalid_fields(site, small_archive, field, value):
    tok = site.user("u3")
    body = _err(site.upload(tok, small_archive(), **{field: value}), 422, "invalid_fields")
    assert body["detail"].startswith(field)


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _post(site, tok, name: str, data: bytes):
    return site.client.post("/api/submissions", headers={"Authorization": f"Bearer {tok}"},
                            data={"model_name": "m", "params": "1B", "contact_email": "a@b.org"},
                            files={"archive": (name, data, "application/zip")})


GOOD = b'[{"id": "x", "prediction": "a"}]'


@pytest.mark.parametrize("name,data,needle", [
    ("m-scope-a.zip", b"not a zip at all", "not a readable zip"),
    ("m-scope-a.zip", _zip({"../evil/prediction.json": GOOD}), "inside the archive root"),
    ("m-scope-a.zip", _zip({"/abs/prediction.json": GOOD}), "absolute path"),
    ("m-scope-a.zip", _zip({"image/comprehension/Foo/prediction.json": b"{broken"}), "prediction.json"),
    ("m-scope-a.zip", _zip({"readme.txt": b"hi"}), "layout"),
    ("m.zip", _zip({"nlp/X/prediction.json": GOOD}), "leaderboard id"),
    ("m-scope-a.tar", b"x", ".zip"),
    ("../../m-scope-a.zip", b"x", "zip"),
])
def test_bad_archives(site, name, data, needle):
    tok = site.user("u4")
    body = _err(_post(site, tok, name, data), 400, "bad_archive")
    assert needle in body["detail"]
    assert str(site.config.data_dir) not in body["detail"]


def test_unknown_leaderboard_id(site):
    tok = site.user("u5")
    body = _err(_post(site, tok, "m-scope-z.zip", _zip({"nlp/X/prediction.json": GOOD})), 400, "bad_archive")
    assert "unknown leaderboard id 'scope-z'" in body["detail"]


def test_refused_uploads_do_not_count_or_linger(site, small_archive):
    tok = site.user("u6")
    for _ in range(3):
        _post(site, tok, "m-scope-a.zip", b"junk")
    assert site.upload(tok, small_archive()).status_code == 202
    incoming = site.config.data_dir / "incoming"
    assert not incoming.exists() or not any(incoming.iterdir())


def test_too_large_declared_and_streamed(make_site, small_archive):
    site = make_site(max_upload_bytes=2048)
    tok = site.user("u7")
    big = b"x" * 400_000
    r = _post(site, tok, "m-scope-a.zip", big)
    body = _err(r, 413, "too_large")
    assert "2048" in body["detail"]

    def chunks():  # no Content-Length: the cap applies while streaming
        for _ in range(100):
            yield b"y" * 8192

    r = site.client.post("/api/submissions", headers={"Authorization": f"Bearer {tok}",
                                                      "content-type": "multipart/form-data; boundary=zzz"},
                         content=chunks())
    _err(r, 413, "too_large")
    # the file itself over the limit while the request (with overhead allowance) is not
    site2 = make_site(max_upload_bytes=4096)
    tok2 = site2.user("u7b")
    _err(_post(site2, tok2, "m-scope-a.zip", b"z" * 6000), 413, "too_large")
    assert small_archive().stat().st_size < 4096
    assert site2.upload(tok2, small_archive()).status_code == 202


def test_member_size_limits_apply(make_site):
    site = make_site(max_member_bytes=100)
    tok = site.user("u8")
    data = _zip({"nlp/Commonsense_Reasoning/prediction.json": b'[{"id": "1", "prediction": "' + b"a" * 500 + b'"}]'})
    body = _err(_post(site, tok, "m-scope-a.zip", data), 400, "bad_archive")
    assert "100" in body["detail"]


def test_pending_refusal(site, small_archive):
    tok = site.user("u9")
    first = site.upload(tok, small_archive("p1")).json()
    body = _err(site.upload(tok, small_archive("p2")), 429, "pending")
    assert body["pending_submission"] == first["id"] and "still queued" in body["detail"]
    site.state.worker.claim()  # now 'scoring': still pending
    body = _err(site.upload(tok, small_archive("p2")), 429, "pending")
    assert "still scoring" in body["detail"]


def test_daily_and_weekly_limits_with_exact_next_time(site, small_archive):
    tok = site.user("u10")
    t0 = site.clock()

    def submit(tag):
        r = site.upload(tok, small_archive(f"lim{tag}"))
        if r.status_code == 202:
            site.score_all()
        return r

    assert submit(1).status_code == 202
    site.clock.advance(hours=1)
    assert submit(2).status_code == 202
    site.clock.advance(hours=1)
    r = submit(3)
    body = _err(r, 429, "daily_limit")
    expected = (t0 + timedelta(hours=24)).isoformat().replace("+00:00", "Z")
    assert body["next_allowed_at"] == expected and expected in body["detail"]
    assert r.headers["retry-after"] == str(22 * 3600)
    site.clock.set(t0 + timedelta(hours=24) - timedelta(seconds=1))
    _err(submit(3), 429, "daily_limit")
    site.clock.set(t0 + timedelta(hours=24))
    assert submit(3).status_code == 202
    site.clock.advance(hours=1)
    assert submit(4).status_code == 202  # the second of day two: four in the week now
    site.clock.set(t0 + timedelta(days=3))
    body = _err(submit(5), 429, "weekly_limit")
    assert body["next_allowed_at"] == (t0 + timedelta(days=7)).isoformat().replace("+00:00", "Z")
    site.clock.set(t0 + timedelta(days=7))
    assert submit(5).status_code == 202


def test_limits_are_per_user(site, small_archive):
    a, b = site.user("ua"), site.user("ub")
    assert site.upload(a, small_archive("pa")).status_code == 202
    assert site.upload(b, small_archive("pb")).status_code == 202


def test_model_name_belongs_to_its_first_user(site, small_archive):
    a, b = site.user("owner"), site.user("intruder")
    assert site.upload(a, small_archive("n1"), model="Famous").status_code == 202
    _err(site.upload(b, small_archive("n2"), model="famous"), 409, "model_name_taken")


def test_custom_rules(make_site, small_archive):
    site = make_site(fair_use=FairUse(per_day=1, one_pending=False))
    tok = site.user("u11")
    assert site.upload(tok, small_archive("q1")).status_code == 202
    _err(site.upload(tok, small_archive("q2")), 429, "daily_limit")
