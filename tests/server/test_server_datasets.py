"""Dataset contributions: fields, names, archive safety, `tasks validate`, storage for review."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from generallevel.server import admin
from generallevel.server.demo import demo_paths

pytestmark = pytest.mark.usefixtures("backend")  # SQLite and PostgreSQL

TASK = "3d/comprehension/3D_Accessory_Classification/annotation.json"


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def good_data() -> bytes:
    bench, _ = demo_paths()
    return _zip({TASK: (bench / TASK).read_bytes()})


def instances() -> int:
    bench, _ = demo_paths()
    return len(json.loads((bench / TASK).read_text())["data"])


FIELDS = {"name": "AccessorySet", "open_instances": "2", "closed_instances": "1", "modality": "3D",
          "paradigm": "comprehension", "domain": "household objects", "capabilities": "recognition, 3D shape",
          "evaluation_method": "Acc: top-1 accuracy over the closed set"}


def post(site, token, data=None, instr=None, names=("AccessorySet.zip", "AccessorySet-eval-instruction.zip"),
         **fields):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return site.client.post("/api/datasets", headers=headers, data={**FIELDS, **fields},
                            files={"data": (names[0], data if data is not None else good_data(), "application/zip"),
                                   "instruction": (names[1], instr if instr is not None else
                                                   _zip({"README.md": b"run generallevel evaluate"}),
                                                   "application/zip")})


def test_accepted_and_stored_for_review(site):
    tok = site.user("curator")
    n = instances()
    r = post(site, tok, open_instances=str(n - 1), closed_instances="1")
    assert r.status_code == 202, r.text
    d = r.json()
    assert d["status"] == "pending_review" and d["modality"] == "3D" and d["capabilities"] == ["recognition", "3D shape"]
    assert d["warnings"] == [] and d["files"] == ["AccessorySet.zip", "AccessorySet-eval-instruction.zip"]
    stored = site.config.data_dir / "contributions" / d["id"]
    assert sorted(p.name for p in stored.iterdir()) == ["AccessorySet-eval-instruction.zip", "AccessorySet.zip",
                                                      "fields.json"]
    h = {"Authorization": f"Bearer {tok}"}
    assert site.client.get("/api/datasets", headers=h).json()["datasets"][0]["id"] == d["id"]
    assert site.client.get(f"/api/datasets/{d['id']}", headers=h).json()["name"] == "AccessorySet"
    other = site.user("other")
    assert site.client.get(f"/api/datasets/{d['id']}", headers={"Authorization": f"Bearer {other}"}).status_code == 404
    listed = admin.list_datasets(site.db, "pending_review")
    assert listed[0]["validation"]["validator"] == "generallevel tasks validate"
    assert admin.review_dataset(site.db, d["id"], True, "welcome")["status"] == "accepted"
    assert site.client.get(f"/api/datasets/{d['id']}", headers=h).json()["review_note"] == "welcome"


def test_count_mismatch_is_a_warning(site):
    tok = site.user("counter")
    r = post(site, tok, open_instances="100", closed_instances="50")
    assert r.status_code == 202
    assert "the form says 150" in r.json()["warnings"][0]


def test_refusals(site):
    tok = site.user("refused")
    assert post(site, None).status_code == 401
    assert post(site, "glt_" + "x" * 43).status_code == 401
    r = post(site, tok, modality="Smell", open_instances="-1", capabilities="")
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert "modality" in detail and "open_instances" in detail and "capabilities" in detail
    assert post(site, tok, modality="NLP", paradigm="generation").status_code == 422
    assert post(site, tok, closed_instances="0").status_code == 422
    r = post(site, tok, names=("Other.zip", "AccessorySet-eval.zip"))
    assert r.status_code == 400 and "AccessorySet.zip" in r.json()["detail"]
    r = post(site, tok, names=("AccessorySet.zip", "Instructions.zip"))
    assert r.status_code == 400 and "[eval-instruction]" in r.json()["detail"]
    r = post(site, tok, data=b"not a zip")
    assert r.status_code == 400 and "not a readable zip" in r.json()["detail"]
    r = post(site, tok, data=_zip({"../evil/annotation.json": b"{}"}))
    assert r.status_code == 400 and "outside the archive root" in r.json()["detail"]
    r = post(site, tok, instr=_zip({"/etc/cron.d/x": b"x"}))
    assert r.status_code == 400 and "outside the archive root" in r.json()["detail"]
    r = post(site, tok, data=_zip({TASK: b"{not json"}))
    assert r.status_code == 400 and r.json()["error"] == "invalid_dataset"
    assert "malformed JSON" in r.json()["detail"]
    assert str(site.config.data_dir) not in r.json()["detail"]
    r = post(site, tok, data=_zip({"readme.txt": b"x"}))
    assert r.status_code == 400 and "annotation.json" in r.json()["detail"]
    dup = json.dumps({"task": "3D Accessory Classification", "data": [
        {"id": "a", "input": {}, "output": {"label": "x"}}, {"id": "a", "input": {}, "output": {"label": "y"}}]})
    r = post(site, tok, data=_zip({TASK: dup.encode()}))
    assert r.status_code == 400 and "duplicate id" in r.json()["detail"]
    assert admin.list_datasets(site.db) == []


def test_too_large(make_site):
    site = make_site(max_upload_bytes=1000)
    tok = site.user("big")
    r = post(site, tok, data=b"x" * 5000)
    assert r.status_code == 413 and r.json()["error"] == "too_large"


@pytest.mark.parametrize("path", ["/api/datasets", "/api/datasets/nope"])
def test_listing_needs_a_token(site, path):
    assert site.client.get(path).status_code == 401
