"""No submission, whatever its predictions, makes any response quote a closed-set answer.

Every answer field of the demo answer set holds a canary; every family of wrong-shape predictions
is submitted for every task; then every page and JSON route a submitter or the public can reach
is read, and none may contain any canary (nor its prefix, which would catch a truncated quote).
"""

from __future__ import annotations

import json
import zipfile
from urllib.parse import quote

import pytest

from generallevel.server.config import FairUse
from generallevel.server.demo import demo_paths
from serverkit import ANSWER_CANARY, plant_canaries

FAMILIES = {
    "null": None, "true": True, "zero": 0, "negative": -7, "fraction": 0.5, "nan-text": "NaN", "empty-text": "",
    "word": "x", "label-set": "<p>a</p><p>b</p>", "long-text": "word " * 200, "empty-list": [], "texts": ["a", "b"],
    "numbers": [1, 2, 3], "nested": [[1, 2], [3]], "box": [[0, 0, 1]], "object": {"a": 1},
    "boxes": {"boxes": "x"}, "image": {"image": 1, "features": "x"}, "deep": {"a": {"b": [None]}},
}


@pytest.fixture(scope="module")
def canary_answers(tmp_path_factory):
    dest = tmp_path_factory.mktemp("leak") / "answers"
    assert plant_canaries(demo_paths()[0], dest) > 100
    return dest


def _archive(path, answers, value) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for ann in sorted(answers.rglob("annotation.json")):
            ids = [item["id"] for item in json.loads(ann.read_text(encoding="utf-8"))["data"]]
            zf.writestr(f"{ann.parent.relative_to(answers).as_posix()}/prediction.json",
                        json.dumps([{"id": i, "prediction": value} for i in ids]))


def test_no_response_quotes_an_answer(make_site, canary_answers, tmp_path):
    site = make_site(answers_dir=canary_answers, fair_use=FairUse(per_day=100, per_week=100, one_pending=False))
    tok = site.user("prober")
    owner = {"Authorization": f"Bearer {tok}"}
    subs = {}
    for family, value in FAMILIES.items():
        path = tmp_path / f"{family}-scope-a.zip"
        _archive(path, canary_answers, value)
        r = site.upload(tok, path, model=f"probe {family}")
        assert r.status_code == 202, (family, r.text)
        subs[family] = r.json()["id"]
    assert site.score_all() == len(FAMILIES)
    urls = ["/", "/models", "/api/models", "/api/scopes", "/api/submissions"]
    urls += [f"/boards/{s}" for s in "ABCD"] + [f"/api/boards/{s}" for s in "ABCD"]
    problems = 0
    for family, sid in subs.items():
        name = quote(f"probe {family}", safe="")
        urls += [f"/submissions/{sid}", f"/api/submissions/{sid}", f"/models/{name}", f"/api/models/{name}",
                 f"/api/models/{name}/report", f"/models/{name}/report.html"]
        status = site.client.get(f"/api/submissions/{sid}", headers=owner).json()["status"]
        assert status == "scored", (family, status)
        problems += len(site.client.get(f"/api/models/{name}/report").json()["submission"]["problems"])
    assert problems > len(FAMILIES), "the wrong shapes made the metrics complain (what could leak)"
    for url in urls:
        r = site.client.get(url, headers=owner)
        assert r.status_code == 200, (url, r.status_code)
        assert ANSWER_CANARY not in r.text, (url, r.text[r.text.index(ANSWER_CANARY) - 200:][:400])
