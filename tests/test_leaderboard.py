"""Leaderboards: every scope agrees with the per-model reports, ranking rules, refusals, speed, CLI."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import generallevel as gl
from generallevel.cli import main
from generallevel.errors import InputError
from generallevel.leaderboard import (
    board_specs, compute_boards, load_results, matrix_from_reports, modality_combinations, render_boards,
)

MODS = ("Image", "Video", "Audio", "3D")


def _raw(task, how: str) -> float:
    """A raw value relative to the task's SoTA: 'win' (= SoTA) or 'lose' (clearly worse)."""
    sota = task.sota_metric_unit
    if how == "win":
        return sota
    better_high = gl.get_metric(task.metric).higher_is_better
    return sota * 0.5 if better_high else sota * 1.5 + 0.1


def _report(model: str, seed: int, frac: float = 0.4, only=None, how=("win", "lose")) -> dict:
    rng = random.Random(seed)
    scores = {t.id: _raw(t, rng.choice(how)) for t in gl.list_tasks()
              if rng.random() < frac and (only is None or only(t))}
    return gl.score(scores, model=model, assume_percent=True).to_dict(include_tasks=True)


@pytest.fixture(scope="module")
def reports() -> list[dict]:
    out = [_report(f"model-{i}", i) for i in range(4)]
    out.append(_report("image-only", 10, frac=0.8, only=lambda t: t.modality == "Image"))
    out.append(_report("comprehension-only", 11, frac=0.5, only=lambda t: t.paradigm == "comprehension"))
    out.append(_report("never-wins", 12, frac=0.5, how=("lose",)))
    out.append(gl.score({}, model="nothing").to_dict(include_tasks=True))
    return out


def _by_model(board) -> dict[str, dict]:
    return {r["model"]: r for r in board.rows()}


def _board(boards, bid):
    return next(b for b in boards if b.spec.id == bid)


def test_board_catalogue():
    specs = board_specs((t.modality, t.paradigm, t.skill, t.skill_group, t.skill_group_name)
                        for t in gl.list_tasks())
    by_scope = {s: [b for b in specs if b.scope == s] for s in "ABCD"}
    assert [b.id for b in by_scope["A"]] == ["scope-a"]
    assert len(by_scope["B"]) == 4 + 6 + 4 == len(modality_combinations())
    assert {"scope-b-image", "scope-b-3d", "scope-b-image-video", "scope-b-video-audio-3d"} <= {b.id for b in by_scope["B"]}
    assert len(by_scope["C"]) == 8 and "scope-c-3d-generation" in {b.id for b in by_scope["C"]}
    groups = {(t.modality, t.paradigm, t.skill_group) for t in gl.list_tasks() if t.modality != "NLP"}
    assert len(by_scope["D"]) == len(groups) == 123  # the paper's 145 skills less its 22 NLP ones
    assert "scope-d-image-comprehension-17" in {b.id for b in by_scope["D"]}
    assert len({b.id for b in specs}) == len(specs)
    keyword = board_specs(((t.modality, t.paradigm, t.skill) for t in gl.list_tasks()), "D", facet="keyword")
    assert len(keyword) == len({(t.modality, t.paradigm, t.skill) for t in gl.list_tasks() if t.modality != "NLP"})
    assert "scope-d-image-comprehension-question-answering" in {b.id for b in keyword}
    with pytest.raises(InputError, match="facet"):
        board_specs([], facet="topic")


def test_registry_skills_follow_the_documented_rules():
    """docs/scopes.md documents SKILL_RULES of scripts/convert_sota_sheet.py; the registry must match them."""
    import importlib.util

    script = Path(__file__).resolve().parents[1] / "scripts" / "convert_sota_sheet.py"
    spec = importlib.util.spec_from_file_location("convert_sota_sheet", script)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    builtin = [t for t in gl.list_tasks() if t.plugin == "builtin_tasks"]
    assert len(builtin) == 699
    assert [t.id for t in builtin if mod.skill_for(t.name, t.paradigm) != t.skill] == []
    doc = (script.parents[1] / "docs" / "scopes.md").read_text(encoding="utf-8")
    for skill, _ in mod.SKILL_RULES:
        assert f"`{skill}`" in doc


def test_scope_a_and_b_agree_with_the_reports(reports):
    m = matrix_from_reports(reports)
    boards = compute_boards(m)
    a = _by_model(_board(boards, "scope-a"))
    for rep in reports:
        row = a[rep["model"]]
        assert row["level"] == rep["level"]
        for k in ("level2", "level3", "level4", "level5"):
            assert row[k] == pytest.approx(rep["levels"][k], abs=1e-9)
        assert row["score"] == pytest.approx(rep["levels"][f"level{rep['level']}"] if rep["level"] > 1 else 0.0)
        assert row["supported"] == sum(t["score"] is not None for t in rep["tasks"])
        assert row["wins"] == sum(t["win"] for t in rep["tasks"]) and row["tasks"] == 699
    for combo in modality_combinations():
        board = _by_model(_board(boards, "scope-b-" + "-".join(c.lower() for c in combo)))
        for rep in reports:
            row = board[rep["model"]]
            for k in ("level2", "level3", "level4"):
                want = np.mean([rep["modalities"][c][k] for c in combo])
                assert row[k] == pytest.approx(want, abs=1e-9)
            assert row["level5"] == pytest.approx(row["level4"] * rep["nlp"]["w_l"], abs=1e-12)
            assert row["tasks"] == sum(rep["modalities"][c]["tasks"] for c in combo) + rep["nlp"]["tasks"]
            assert row["wins"] == sum(rep["modalities"][c]["wins"] for c in combo) + rep["nlp"]["wins"]
    image = _by_model(_board(boards, "scope-b-image"))
    assert image["image-only"]["level"] >= 4 and a["image-only"]["level"] >= 4
    assert _by_model(_board(boards, "scope-b-video"))["image-only"]["level"] == 1


def test_scope_c_and_d_single_paradigm(reports):
    m = matrix_from_reports(reports)
    boards = compute_boards(m, "C")
    assert len(boards) == 8 and all(b.spec.max_level == 3 for b in boards)
    for b in boards:
        mod, par = b.spec.modalities[0], b.spec.paradigm
        rows = _by_model(b)
        for rep in reports:
            row, mrep = rows[rep["model"]], rep["modalities"][mod]
            assert row["level2"] == pytest.approx(mrep[par])  # plain mean
            assert row["level3"] == pytest.approx(mrep["s_c" if par == "comprehension" else "s_g"])
            assert "level4" not in row and row["level"] <= 3
            want = 3 if row["level3"] > 0 else 2 if row["level2"] > 0 else 1
            assert row["level"] == want and row["score"] == (row[f"level{want}"] if want > 1 else 0.0)
    assert _by_model(_board(boards, "scope-c-image-generation"))["comprehension-only"]["level"] == 1
    assert _by_model(_board(boards, "scope-c-audio-comprehension"))["never-wins"]["level"] == 2

    for facet, col in (("group", 3), ("keyword", 2)):  # paper skill groups; keyword skill clusters
        d = compute_boards(m, "D", facet=facet)
        covered = {}
        for b in d:
            key = (b.spec.modalities[0], b.spec.paradigm, b.spec.skill_group if col == 3 else b.spec.skill)
            tasks = [i for i, g in enumerate(m.groups()) if (g[0], g[1], g[col]) == key]
            assert b.n_tasks == len(tasks) > 0
            for i in tasks:
                assert i not in covered
                covered[i] = b.spec.id
            rep = reports[0]
            row = _by_model(b)[rep["model"]]
            s = [rep["tasks"][i]["score"] or 0.0 for i in tasks]
            won = [x if rep["tasks"][i]["win"] else 0.0 for x, i in zip(s, tasks)]
            assert row["level2"] == pytest.approx(np.mean(s)) and row["level3"] == pytest.approx(np.mean(won))
            assert row["supported"] == sum(rep["tasks"][i]["score"] is not None for i in tasks)
        assert len(covered) == sum(g[0] != "NLP" for g in m.groups())  # a partition of the non-NLP tasks


def test_ranking_level_first_then_score_and_ties():
    base = gl.score({}, model="x").to_dict(include_tasks=True)
    ids = [t["id"] for t in base["tasks"]]
    img_c = [i for i, t in enumerate(base["tasks"]) if (t["modality"], t["paradigm"]) == ("Image", "comprehension")]

    def rep(name, values):
        d = json.loads(json.dumps(base))
        d["model"] = name
        for i, v in values.items():
            d["tasks"][i]["score"] = v
        return d

    sota = {i: base["tasks"][i]["sota_score"] for i in img_c[:2]}
    reps = [rep("high-but-no-win", {i: s - 0.01 for i, s in sota.items()}),  # Level 2, big plain mean
            rep("small-win", {img_c[0]: sota[img_c[0]]}),  # Level 3
            rep("tie-b", {img_c[0]: sota[img_c[0]]}), rep("Tie-a", {img_c[0]: sota[img_c[0]]}),
            rep("none", {})]
    b = compute_boards(matrix_from_reports(reps), board_ids=["scope-c-image-comprehension"])[0]
    rows = b.rows()
    assert [r["model"] for r in rows] == ["small-win", "Tie-a", "tie-b", "high-but-no-win", "none"]
    assert [r["rank"] for r in rows] == [1, 1, 1, 4, 5]
    assert [r["level"] for r in rows] == [3, 3, 3, 2, 1]
    assert rows[3]["score"] > rows[0]["score"]  # a higher score does not beat a higher Level
    assert rows[-1]["score"] == 0.0 and len(ids) == 699


def test_refusals(reports, tmp_path):
    other = json.loads(json.dumps(reports[1]))
    other["provenance"]["registry_sha256"] = "0" * 64
    with pytest.raises(InputError, match="different task registries"):
        matrix_from_reports([reports[0], other], ["a.json", "b.json"])
    dup = json.loads(json.dumps(reports[1]))
    dup["model"] = reports[0]["model"].upper()
    with pytest.raises(InputError, match=r"duplicate model name .* in a\.json and b\.json"):
        matrix_from_reports([reports[0], dup], ["a.json", "b.json"])
    no_tasks = {k: v for k, v in reports[0].items() if k != "tasks"}
    with pytest.raises(InputError, match="--tasks"):
        matrix_from_reports([no_tasks])
    bad = json.loads(json.dumps(reports[1]))
    bad["tasks"][3]["score"] = 130.0
    with pytest.raises(InputError, match=r"b\.json: task .*: score must be a finite number in 0\.\.100"):
        matrix_from_reports([reports[0], bad], ["a.json", "b.json"])
    bad["tasks"][3]["score"] = "12"
    with pytest.raises(InputError, match="is not a number"):
        matrix_from_reports([bad])
    official = json.loads(json.dumps(reports[1]))
    official["mode"] = "official"
    with pytest.raises(InputError, match="mix scoring modes"):
        matrix_from_reports([reports[0], official])
    with pytest.raises(InputError, match="no result files"):
        matrix_from_reports([])
    (tmp_path / "broken.json").write_text("{nope", encoding="utf-8")
    with pytest.raises(InputError, match="broken.json: malformed JSON"):
        load_results([tmp_path / "broken.json"])
    with pytest.raises(InputError, match="unknown board"):
        compute_boards(matrix_from_reports(reports[:1]), board_ids=["scope-z"])


def test_official_mode_reports():
    from generallevel.readers import read_results

    entries, units = read_results(Path(gl.__file__).parent / "examples" / "example-model-scores.csv")
    reps = [gl.score(entries, model=f"m{i}", units=units, compat="official").to_dict(include_tasks=True)
            for i in range(2)]
    assert any(t["score"] is not None and t["score"] < 0 for t in reps[0]["tasks"])  # the official errors
    m = matrix_from_reports(reps)
    assert m.mode == "official"
    row = compute_boards(m, "A")[0].rows()[0]
    assert row["level"] == reps[0]["level"] and row["level4"] == pytest.approx(reps[0]["levels"]["level4"])


def test_reordered_task_rows_are_aligned(reports):
    shuffled = json.loads(json.dumps(reports[1]))
    random.Random(0).shuffle(shuffled["tasks"])
    a = compute_boards(matrix_from_reports([reports[0], reports[1]]), "A")[0]
    b = compute_boards(matrix_from_reports([reports[0], shuffled]), "A")[0]
    assert a.rows() == b.rows()


def test_thousand_models_all_scopes(reports):
    """1,000 models on every board (its speed is measured in benchmarks/, not asserted here)."""
    m = matrix_from_reports(reports[:1])
    rng = np.random.default_rng(0)
    n = 1000
    sigma = np.where(rng.random((n, len(m.task_ids))) < 0.5, np.nan, rng.random((n, len(m.task_ids))) * 100)
    m.sigma, m.models, m.sources = sigma, [f"m{i}" for i in range(n)], [f"f{i}" for i in range(n)]
    boards = compute_boards(m)
    assert len(boards) == 1 + 14 + 8 + len(board_specs(m.groups(), "D"))
    assert all(len(b.order) == n for b in boards)


def test_evaluate_reports_are_accepted():
    from generallevel.evaluate import evaluate_demo

    ev = evaluate_demo(jobs=1)
    copy = ev.report.to_dict(include_tasks=True)
    copy["model"] = "copy"
    rows = {r["model"]: r for r in compute_boards(matrix_from_reports([ev.to_dict(), copy]), "A")[0].rows()}
    assert rows["demo-omni"]["level"] == ev.report.level
    assert rows["demo-omni"]["level2"] == pytest.approx(ev.report.levels["level2"])
    assert rows["demo-omni"]["rank"] == rows["copy"]["rank"] == 1  # identical scores tie
    stale = ev.to_dict()
    stale["provenance"]["registry_sha256"] = "f" * 64
    with pytest.raises(InputError, match="another task registry"):
        matrix_from_reports([stale])


def test_cli(reports, tmp_path):
    paths = []
    for rep in reports:
        p = tmp_path / f"{rep['model']}.json"
        p.write_text(json.dumps(rep), encoding="utf-8")
        paths.append(str(p))
    run = lambda *a: CliRunner().invoke(main, ["leaderboard", *map(str, a)], catch_exceptions=False)  # noqa: E731
    r = run(*paths, "--scope", "b", "--format", "json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.output)
    assert len(data["boards"]) == 14 and data["models"] == len(reports)
    assert data["registry_sha256"] == reports[0]["provenance"]["registry_sha256"]
    r = run(*paths, "--scope", "C", "--board", "scope-c-image-comprehension")
    assert r.exit_code == 0 and "Scope-C: Image comprehension" in r.output and "Scope-C: Video" not in r.output
    assert "S3" in r.output and "S4" not in r.output
    r = run(*paths, "--scope", "D", "--format", "markdown")
    assert r.exit_code == 0 and r.output.count("### Scope-D") == len(board_specs(
        matrix_from_reports(reports).groups(), "D"))
    out = tmp_path / "board.html"
    r = run(*paths, "--format", "html", "--output", out)
    assert r.exit_code == 0 and out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    r = run(paths[0], paths[0])
    assert r.exit_code == 2 and "duplicate model name" in r.output
    r = run(*paths, "--board", "scope-q")
    assert r.exit_code == 2 and "unknown board" in r.output


def test_render_formats(reports):
    m = matrix_from_reports(reports)
    boards = compute_boards(m, "A")
    table = render_boards(boards, "table", m)
    assert table.splitlines()[1].split()[:6] == ["Rank", "Model", "Level", "Score", "S2", "S3"]
    assert "Scope-A Level and score:" in table
    with pytest.raises(InputError, match="unknown format"):
        render_boards(boards, "xml")


def test_boards_record_full_provenance(reports):
    """A leaderboard, like a score report, names the generallevel version, the plugin versions and the
    registry fingerprint, in every format."""
    from generallevel._version import version

    m = matrix_from_reports(reports)
    boards = compute_boards(m, "A")
    prov = reports[0]["provenance"]
    data = json.loads(render_boards(boards, "json", m))
    assert data["provenance"]["generallevel"] == version()
    assert data["provenance"]["registry_sha256"] == prov["registry_sha256"]
    assert data["provenance"]["plugins"] == prov["plugins"]
    assert data["provenance"]["scored_with"] == [{"generallevel": prov["generallevel"], "plugins": prov["plugins"],
                                                  "models": len(reports)}]
    for fmt in ("table", "markdown"):
        text = render_boards(boards, fmt, m)
        assert f"generallevel {version()}" in text and "builtin_text 0.1.0" in text, fmt
        assert prov["registry_sha256"] in text, fmt
    html = render_boards(boards, "html", m)
    assert "Provenance" in html and f"<dd>{version()}</dd>" in html and "builtin_text: generallevel 0.1.0" in html
    assert prov["registry_sha256"] in html

    older = json.loads(json.dumps(reports[1]))
    older["provenance"]["plugins"]["builtin_text"]["version"] = "0.0.9"
    data = json.loads(render_boards(compute_boards(matrix_from_reports([reports[0], older]), "A"), "json",
                                    matrix_from_reports([reports[0], older])))
    assert data["provenance"]["plugins"]["builtin_text"]["version"] == "0.0.9, 0.1.0"
    assert [s["models"] for s in data["provenance"]["scored_with"]] == [1, 1]


def test_evaluate_reports_keep_their_own_provenance():
    from generallevel.evaluate import evaluate_demo

    d = evaluate_demo(jobs=1).to_dict()
    d["provenance"]["plugins"]["builtin_text"]["version"] = "9.9"  # what the evaluating installation had
    m = matrix_from_reports([d])
    assert m.provenance["plugins"]["builtin_text"]["version"] == "9.9"


def test_expect_registry(reports, tmp_path):
    sha = reports[0]["provenance"]["registry_sha256"]
    assert matrix_from_reports(reports, expect_registry=sha).registry_sha256 == sha
    with pytest.raises(InputError, match="expected registry"):
        matrix_from_reports(reports, expect_registry="0" * 64)
    p = tmp_path / "r.json"
    p.write_text(json.dumps(reports[0]), encoding="utf-8")
    with pytest.raises(InputError, match="expected registry"):
        load_results([p], expect_registry="0" * 64)


def test_unreadable_result_file_is_a_clean_error(tmp_path, monkeypatch):
    p = tmp_path / "r.json"
    p.write_text("{}", encoding="utf-8")

    def denied(self, *a, **k):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_text", denied)
    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(InputError, match="r.json: cannot read.*Permission denied"):
        load_results([p])


def test_thousand_evaluate_reports_are_ranked_without_per_model_scoring():
    """`evaluate --format json` files carry raw values only; rebuilding them must be one vectorised pass,
    not a full score report per model (which took ~6 s for 1,000 models)."""
    from generallevel.evaluate import evaluate_demo

    ev = evaluate_demo(jobs=1)
    d = json.loads(json.dumps(ev.to_dict()))
    direct = matrix_from_reports([ev.report])
    m1 = matrix_from_reports([d])
    assert m1.task_ids == direct.task_ids
    np.testing.assert_array_equal(m1.sigma, direct.sigma)
    np.testing.assert_array_equal(m1.sota, direct.sota)
    mixed = matrix_from_reports([{**ev.report.to_dict(include_tasks=True), "model": "s"}, d])
    np.testing.assert_array_equal(mixed.sigma[0], mixed.sigma[1])

    reps = [{**d, "model": f"m{i}"} for i in range(1000)]
    m = matrix_from_reports(reps)
    assert m.sigma.shape == (1000, len(direct.task_ids))
    np.testing.assert_array_equal(m.sigma[-1], direct.sigma[0])


def test_official_mode_evaluate_reports_align_like_score_reports():
    from generallevel.evaluate import evaluate_demo

    ev = evaluate_demo(jobs=1, compat="official")
    a = matrix_from_reports([ev.report])
    b = matrix_from_reports([json.loads(json.dumps(ev.to_dict()))])
    assert a.mode == b.mode == "official"
    np.testing.assert_array_equal(a.sigma, b.sigma)
    np.testing.assert_array_equal(a.sota, b.sota)
