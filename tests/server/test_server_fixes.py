"""Problems found by attacking the service: each fixed, each with the check that failed before."""

from __future__ import annotations

import io
import json
import struct
import zipfile

from sqlalchemy import update

from generallevel.server.cache import ResponseCache
from generallevel.server.config import ContributionRules, FairUse
from generallevel.server.db import Submission, write_session
from generallevel.server.state import AppState
from serverkit import wait_for
from test_server_datasets import FIELDS, TASK, _zip, good_data, post


def test_model_page_lists_the_problems_found_while_scoring(site, small_archive, tmp_path):
    tok = site.user("partial")
    ann = site.config.answers_dir / "3d/comprehension/3D_Accessory_Classification/annotation.json"
    ids = [it["id"] for it in json.loads(ann.read_text())["data"]]
    path = tmp_path / "half-scope-c-3d-comprehension.zip"
    with zipfile.ZipFile(path, "w") as zf:  # half the ids: "annotation id(s) without a prediction"
        zf.writestr("3d/comprehension/3D_Accessory_Classification/prediction.json",
                    json.dumps([{"id": i, "prediction": "x"} for i in ids[: len(ids) // 2]]))
    assert site.upload(tok, path).status_code == 202 and site.score_all() == 1
    problems = site.client.get("/api/models/half").json()["problems"]
    assert problems and "without a prediction" in problems[0]
    assert 'id="problems"' in site.client.get("/models/half").text


def test_control_and_bidi_characters(site, small_archive):
    tok = site.user("trickster")
    for bad in ("evil\u202etxt.exe", "nul\x00here", "zero\u200bwidth"):
        r = site.upload(tok, small_archive("tr"), description=bad)
        assert r.status_code == 422 and "description: contains the invisible or control character" in r.json()["detail"]
    assert site.upload(tok, small_archive("tr"), description="fine\nwith newlines\tand tabs").status_code == 202
    site.score_all()
    with write_session(site.db) as s:  # a row stored before this check existed
        s.execute(update(Submission).values(description="a\u202eb\x00c"))
    site.state.boards_changed()
    html = site.client.get("/models/tr").text
    assert "\u202e" not in html and "\x00" not in html and "a\\u202eb\\u0000c" in html


def test_contribution_archives_that_cannot_be_read_are_refused_not_500(site):
    tok = site.user("zipper")
    data = bytearray(good_data())
    for sig, offset in ((b"PK\x01\x02", 8), (b"PK\x03\x04", 6)):  # the "encrypted" flag
        at = data.find(sig)
        data[at + offset] |= 0x1
    r = post(site, tok, data=bytes(data))
    assert r.status_code == 400 and "encrypted" in r.json()["detail"]
    data = bytearray(good_data())
    for sig, offset in ((b"PK\x01\x02", 10), (b"PK\x03\x04", 8)):  # compression method 9: deflate64
        at = data.find(sig)
        data[at + offset:at + offset + 2] = struct.pack("<H", 9)
    r = post(site, tok, data=bytes(data))
    assert r.status_code == 400 and "compression method 9" in r.json()["detail"]


def test_contribution_member_count_refused_from_the_directory(site):
    tok = site.user("many")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(20_001):
            zf.writestr(f"AccessorySet/f{i}", b"")
    r = post(site, tok, data=buf.getvalue())  # refused from the central directory: nothing is extracted
    assert r.status_code == 400 and "20,001 members; at most 20,000" in r.json()["detail"]


def test_contributions_have_a_fair_use_limit(make_site):
    site = make_site(contribution_rules=ContributionRules(per_day=2, per_week=3))
    tok = site.user("prolific")
    assert post(site, tok).status_code == 202
    assert post(site, tok).status_code == 202
    r = post(site, tok)
    assert r.status_code == 429 and r.json()["error"] == "daily_limit"
    assert post(site, tok, data=_zip({TASK: b"{broken"})).status_code == 429  # refused before any check
    site.clock.advance(hours=24)
    assert post(site, tok).status_code == 202
    site.clock.advance(hours=24)
    assert post(site, tok).json()["error"] == "weekly_limit"
    other = site.user("newcomer")
    assert post(site, other, **FIELDS).status_code == 202


def _cache(app) -> ResponseCache:
    layer = app.middleware_stack
    while not isinstance(layer, ResponseCache):
        layer = layer.app
    return layer


def test_boards_are_served_from_cache_and_refreshed_when_a_result_lands(make_site, small_archive):
    site = make_site(board_refresh_seconds=0.2, fair_use=FairUse(one_pending=False))
    tok = site.user("cached")
    site.upload(tok, small_archive("k1"), model="First")
    site.score_all()
    first = site.client.get("/api/boards/C", params={"board": "scope-c-3d-comprehension"})
    cache = _cache(site.app)
    hits = cache.hits
    again = site.client.get("/api/boards/C", params={"board": "scope-c-3d-comprehension"})
    assert again.content == first.content and cache.hits == hits + 1
    assert again.headers["x-content-type-options"] == "nosniff"
    # another process (a separate worker) scores a submission: seen here within board_refresh_seconds
    site.upload(tok, small_archive("k2"), model="Second")
    other = AppState(site.config)
    try:
        assert other.worker.step()
    finally:
        other.stop()

    def shows_second():
        rows = site.client.get("/api/boards/C", params={"board": "scope-c-3d-comprehension"}).json()["rows"]
        return {r["model"] for r in rows} == {"First", "Second"}

    wait_for(shows_second, timeout=10)
