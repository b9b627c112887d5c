"""Confidence intervals on the service's boards: submissions scored with intervals show each board's
95 % interval, P(Level) and ties on the board page and in the JSON API; the numbers equal
``leaderboard --ci`` run on the same stored reports written to files (an independent path: files,
the CLI, its own ranking and tie marks); models scored without intervals show none; ``ci_resamples=0``
turns the whole feature off."""

from __future__ import annotations

import dataclasses
import json
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import select

from generallevel.cli import main
from generallevel.reports import interval_text
from generallevel.reports.boards import TIE_RULE
from generallevel.server import board_ci, views
from generallevel.server.app import create_app
from generallevel.server.db import Submission, read_session

RESAMPLES = 100  # scoring (small: the tests check the path, tests/test_intervals.py the statistics)
BOARD_RESAMPLES = 40
READER_BOARD = "scope-c-3d-comprehension"  # every model of the test covers it


def _restart(site, **changes):
    """The same data directory and database served by a new app with other settings (an operator's restart)."""
    app = create_app(dataclasses.replace(site.config, **changes))
    return app, TestClient(app)


def _stored_reports(state) -> dict[str, dict]:
    with read_session(state.sessions) as s:
        rows = s.execute(select(Submission).where(Submission.status == "scored")).scalars().all()
    return {r.model_name: json.loads(r.result_json) for r in rows}


@pytest.fixture
def boards(make_site, full_archive, small_archive):
    """Plain (scored while intervals were off), then Omni, Omni twin (the same predictions) and
    Reader (one 3D task board) scored with intervals; returns (site, client of the ci settings)."""
    site = make_site(ci_resamples=0)
    site.upload(site.user("p0"), full_archive, model="Plain")
    assert site.score_all() == 1
    app, client = _restart(site, ci_resamples=RESAMPLES, board_resamples=BOARD_RESAMPLES)
    state = app.state.gl
    for user, archive, model in (("p1", full_archive, "Omni"), ("p2", full_archive, "Omni twin"),
                                 ("p3", small_archive("reader"), "Reader")):
        token = site.user(user)
        r = site.upload(token, archive, model=model, client=client)
        assert r.status_code == 202, r.text
    while state.worker.step():
        pass
    yield site, app, client
    state.stop()


def _cli_rows(reports: dict[str, dict], folder, scope: str) -> dict[str, dict[str, dict]]:
    """board id -> model -> row (in the CLI's rank order), from ``generallevel leaderboard FOLDER --ci``
    on the reports as files."""
    for model, doc in reports.items():
        (folder / f"{model.replace(' ', '_')}.json").write_text(json.dumps(doc), encoding="utf-8")
    res = CliRunner().invoke(main, ["leaderboard", str(folder), "--ci", "--resamples", str(BOARD_RESAMPLES),
                                    "--scope", scope, "--format", "json"])
    assert res.exit_code == 0, res.output
    return {b["id"]: {r["model"]: r for r in b["rows"]} for b in json.loads(res.output)["boards"]}


def test_board_intervals_equal_leaderboard_ci_on_the_stored_reports(boards, tmp_path):
    site, app, client = boards
    reports = _stored_reports(app.state.gl)
    assert "interval" not in json.dumps(reports["Plain"]["tasks"])
    assert all(any("quantiles" in t.get("interval", {}) for t in reports[m]["tasks"])
               for m in ("Omni", "Omni twin", "Reader"))
    compared = 0
    for scope in "ABCD":
        cli = _cli_rows(reports, tmp_path, scope)
        for spec in views.scopes(app.state.gl)["ABCD".index(scope)]["boards"]:
            rows = client.get(f"/api/boards/{scope}", params={"board": spec["id"]}).json()["rows"]
            for row in rows:
                want = cli[spec["id"]][row["model"]]
                assert (row["level"], row["score"]) == (want["level"], want["score"])
                if row["model"] == "Plain":
                    assert not {"ci", "p_level", "tied"} & set(row), "scored without intervals: none shown"
                    continue
                assert row["ci"] == pytest.approx(want["ci"], rel=1e-12, abs=1e-12), (spec["id"], row["model"])
                assert row["p_level"] == want["p_level"]
                compared += 1
    assert compared >= 3 * 2  # every model with intervals on its boards
    # on the board every model stands on, the ranking is the CLI's, and so are the tie marks
    rows = client.get("/api/boards/C", params={"board": READER_BOARD}).json()["rows"]
    cli = _cli_rows(reports, tmp_path, "C")[READER_BOARD]
    assert [r["model"] for r in rows] == list(cli)
    assert {r["model"]: r.get("tied") for r in rows} == {m: r.get("tied") for m, r in cli.items()}
    twins = [r for r in rows if r["model"].startswith("Omni")]
    assert all(r["tied"] for r in twins), "the same predictions under two names: overlapping intervals"


def test_board_page_shows_intervals_p_level_and_ties(boards):
    site, app, client = boards
    api = client.get("/api/boards/C", params={"board": READER_BOARD}).json()["rows"]
    page = client.get("/boards/C", params={"board": READER_BOARD}).text
    assert "<th>95 % CI</th><th>P(Level)</th><th>Tie</th>" in page and escape(TIE_RULE) in page
    for row in api:
        cells = page[page.index(f'data-model="{row["model"]}"'):].split("</tr>", 1)[0]
        if "ci" in row:
            assert interval_text(row["ci"]) in cells and f"{row['p_level']:.2f}" in cells
            assert ('class="tied"' in cells) == row["tied"] and ("tied</td>" in cells) == row["tied"]
        else:
            assert '<td class="num ci">-</td>' in cells and "tied" not in cells
    assert any(r.get("tied") for r in api)
    by_score = client.get("/api/boards/C", params={"board": READER_BOARD, "sort": "score"}).json()["rows"]
    assert {r["model"]: r.get("ci") for r in by_score} == {r["model"]: r.get("ci") for r in api}


def test_model_pages_show_the_interval_on_every_board(boards):
    site, app, client = boards
    for model in ("Omni", "Plain"):
        placements = client.get(f"/api/models/{model.replace(' ', '%20')}").json()["boards"]
        page = client.get(f"/models/{model}").text
        assert placements
        for p in placements:
            row = next(r for r in client.get(f"/api/boards/{p['scope']}", params={"board": p["board"]}).json()["rows"]
                       if r["model"] == model)
            keys = ("ci", "p_level", "tied")
            assert {k: p.get(k) for k in keys} == {k: row.get(k) for k in keys}
        assert ("<th>95 % CI</th>" in page) == (model == "Omni")
        if model == "Omni":
            assert all(interval_text(p["ci"]) in page for p in placements)


def test_stored_reports_keep_their_intervals_through_scrubbing(boards):
    site, app, client = boards
    stored = _stored_reports(app.state.gl)["Omni"]
    served = client.get("/api/models/Omni/report").json()
    assert served["intervals"] == stored["intervals"] and served["intervals"]["levels"]
    want = {t["id"]: t["interval"] for t in stored["tasks"] if "interval" in t}
    assert want and {t["id"]: t["interval"] for t in served["tasks"] if "interval" in t} == want
    assert all(len(iv["quantiles"]) == 41 for iv in want.values())
    assert "95 % CI" in client.get("/models/Omni/report.html").text


def test_intervals_off_shows_none_and_scores_without(boards, small_archive):
    site, app, client = boards
    off_app, off = _restart(site, ci_resamples=0)
    try:
        for scope in "ABCD":
            for spec in views.scopes(off_app.state.gl)["ABCD".index(scope)]["boards"]:
                rows = off.get(f"/api/boards/{scope}", params={"board": spec["id"]}).json()["rows"]
                assert rows and not any("ci" in r or "tied" in r for r in rows), spec["id"]
        assert "95 % CI" not in off.get("/boards/C", params={"board": READER_BOARD}).text
        r = site.upload(site.user("p4"), small_archive("later"), model="Later", client=off)
        assert r.status_code == 202, r.text
        assert off_app.state.gl.worker.step()
        assert "interval" not in json.dumps(_stored_reports(off_app.state.gl)["Later"])
    finally:
        off_app.state.gl.stop()


def test_a_new_result_redraws_only_its_own_intervals(boards, small_archive, monkeypatch):
    site, app, client = boards
    state = app.state.gl
    before = {r["model"]: r["ci"] for r in client.get("/api/boards/C", params={"board": READER_BOARD}).json()["rows"]
              if "ci" in r}
    drawn: list[list[int]] = []
    real = board_ci.report_intervals

    def counting(boards_, matrix, reports, *args, **kwargs):
        drawn.append(sorted(reports))
        return real(boards_, matrix, reports, *args, **kwargs)

    monkeypatch.setattr(board_ci, "report_intervals", counting)
    assert site.upload(site.user("p5"), small_archive("newcomer"), model="Newcomer", client=client).status_code == 202
    assert state.worker.step()
    rows = client.get("/api/boards/C", params={"board": READER_BOARD}).json()["rows"]
    assert drawn and all(len(d) == 1 for d in drawn), "only the new result is redrawn"
    assert {r["model"]: r["ci"] for r in rows if "ci" in r and r["model"] in before} == before
    assert "ci" in next(r for r in rows if r["model"] == "Newcomer")


def test_failing_intervals_never_cost_the_boards(boards, monkeypatch):
    site, app, client = boards
    want = [(r["model"], r["score"]) for r in client.get("/api/boards/A").json()["rows"]]

    def broken(*args, **kwargs):
        raise ValueError("/secret/path broke")

    monkeypatch.setattr(board_ci, "report_intervals", broken)
    app.state.gl.intervals = {}
    app.state.gl.boards_changed()
    got = client.get("/api/boards/A").json()
    assert [(r["model"], r["score"]) for r in got["rows"]] == want and not any("ci" in r for r in got["rows"])
    assert "confidence intervals unavailable: an internal error (logged)" in got["notes"]
    assert "secret" not in json.dumps(got)


def test_config_settings(tmp_path):
    from generallevel.errors import InputError
    from generallevel.server.app import config_to_env
    from generallevel.server.config import ServerConfig

    for bad in ({"ci_resamples": 5}, {"ci_resamples": -1}, {"board_resamples": 0}, {"ci_resamples": True}):
        with pytest.raises(InputError, match="resamples"):
            ServerConfig(data_dir=tmp_path, **bad)
    assert ServerConfig(data_dir=tmp_path, ci_resamples=0).ci_resamples == 0
    cfg = ServerConfig(data_dir=tmp_path, ci_resamples=300, board_resamples=50)
    again = ServerConfig(**json.loads(config_to_env(cfg)))  # what `serve --workers N` hands each web process
    assert (again.ci_resamples, again.board_resamples) == (300, 50)


@pytest.mark.parametrize("args, want", [([], (1000, 200)),
                                        (["--ci-resamples", "0", "--board-resamples", "30"], (0, 30))])
def test_serve_options_reach_the_config(tmp_path, monkeypatch, args, want):
    import uvicorn

    apps = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: apps.append(app))
    r = CliRunner().invoke(main, ["serve", "--data-dir", str(tmp_path), "--no-worker", *args])
    assert r.exit_code == 0, r.output
    for app in apps:
        app.state.gl.stop()
    assert [(a.state.gl.config.ci_resamples, a.state.gl.config.board_resamples) for a in apps] == [want]
