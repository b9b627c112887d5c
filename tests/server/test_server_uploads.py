"""Uploads cost what fair use allows and no more: a reservation before the body is read, a bounded
number of concurrent checks, and nothing written to the system's temporary folder."""

from __future__ import annotations

import os
import tempfile
import threading
import zipfile
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from serverkit import wait_for

pytestmark = pytest.mark.usefixtures("backend")  # SQLite and PostgreSQL


class GatedChecker:
    """Wraps the real archive check: each call waits at the gate; counts calls and the peak at once."""

    def __init__(self, state) -> None:
        self.real, self.gate = state._check, threading.Event()
        self.calls = self.inside = self.peak = 0
        self.lock = threading.Lock()
        state._check = self

    def __call__(self, path, **limits):
        with self.lock:
            self.calls += 1
            self.inside += 1
            self.peak = max(self.peak, self.inside)
        try:
            self.gate.wait(20)
            return self.real(path, **limits)
        finally:
            with self.lock:
                self.inside -= 1


def _post(srv, token, archive, model):
    with httpx.Client(base_url=srv.url, timeout=60) as client:
        return srv.site.upload(token, archive, model=model, client=client)


def test_a_second_upload_is_refused_before_anything_is_expanded(live, small_archive):
    srv = live(start_worker=False)
    gated = GatedChecker(srv.site.state)
    tok = srv.site.user("eager")
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(_post, srv, tok, small_archive("e1"), "Eager")
        wait_for(lambda: gated.calls == 1, timeout=20)
        second = _post(srv, tok, small_archive("e2"), "Eager")
        assert second.status_code == 429, second.text
        assert second.json()["error"] == "pending" and "being checked" in second.json()["detail"]
        assert gated.calls == 1, "the refused upload's archive was never checked"
        assert len(list((srv.site.config.data_dir / "incoming").iterdir())) == 1  # only the first's
        gated.gate.set()
        assert first.result().status_code == 202
    status = srv.site.client.get("/api/limits", headers={"Authorization": f"Bearer {tok}"}).json()
    assert status["code"] == "pending" and status["pending_submission"] == first.result().json()["id"]


def test_concurrent_checks_are_bounded(live, small_archive):
    srv = live(start_worker=False, max_concurrent_checks=2, check_wait_seconds=0.5)
    gated = GatedChecker(srv.site.state)
    tokens = [srv.site.user(f"crowd{i}") for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(_post, srv, t, small_archive(f"c{i}"), f"Crowd {i}") for i, t in enumerate(tokens)]
        wait_for(lambda: gated.calls == 2, timeout=20)
        wait_for(lambda: sum(f.done() for f in futures) == 2, timeout=20)  # the two that found no slot
        gated.gate.set()
        results = [f.result() for f in futures]
    codes = sorted(r.status_code for r in results)
    assert codes == [202, 202, 503, 503], codes
    assert gated.peak == 2 and gated.calls == 2
    busy = next(r for r in results if r.status_code == 503)
    assert busy.json()["error"] == "busy" and busy.headers["retry-after"] == "60"
    from generallevel.server.admin import list_submissions

    assert len(list_submissions(srv.site.db)) == 2  # the refused ones left no row behind


def test_uploads_and_scoring_never_use_the_system_temp_folder(make_site, tmp_path, monkeypatch):
    site = make_site()
    tok = site.user("tidy")
    archive = tmp_path / "tidy-scope-c-3d-comprehension.zip"
    ann = site.config.answers_dir / "3d/comprehension/3D_Accessory_Classification/annotation.json"
    import json

    ids = [it["id"] for it in json.loads(ann.read_text())["data"]]
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zf:  # > 1 MB: would spool to disk
        zf.writestr("3d/comprehension/3D_Accessory_Classification/prediction.json",
                    json.dumps([{"id": i, "prediction": os.urandom(400_000).hex()} for i in ids]))
    assert archive.stat().st_size > 2 << 20
    asked = []
    real = tempfile.gettempdir
    monkeypatch.setattr(tempfile, "gettempdir", lambda: asked.append(1) or real())
    r = site.upload(tok, archive)
    assert r.status_code == 202, r.text
    assert site.score_all() == 1
    assert asked == [], "the system's temporary folder was used"
    assert site.client.get(f"/api/submissions/{r.json()['id']}").json()["status"] == "scored"
    for scratch in ("incoming", "work"):
        assert not any((site.config.data_dir / scratch).iterdir())
