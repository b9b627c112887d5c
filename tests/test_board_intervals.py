"""leaderboard --ci: board intervals redrawn from the reports' task quantiles, checked against scoring
each redrawn resample from scratch with ``score``; the tie rule; the CLI and renderings."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner

import generallevel as gl
from generallevel.board_intervals import add_board_intervals, pseudo_matrix, task_quantiles
from generallevel.cli import main
from generallevel.errors import InputError
from generallevel.evaluate import evaluate_demo
from generallevel.intervals import QUANTILES, IntervalSpec
from generallevel.leaderboard import compute_boards
from generallevel.result_files import load_files


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    folder = tmp_path_factory.mktemp("ci-reports")
    for name, seed in (("alpha", 1), ("beta", 2)):
        doc = evaluate_demo(jobs=1, ci=True, resamples=100, seed=seed, model=name).to_dict()
        (folder / f"{name}.json").write_text(json.dumps(doc), encoding="utf-8")
    (folder / "plain.json").write_text(json.dumps(evaluate_demo(jobs=1, model="plain").to_dict()), encoding="utf-8")
    return folder


def test_scope_a_resamples_equal_scoring_the_redrawn_raw_values(reports):
    matrix = load_files([str(p) for p in sorted(reports.glob("*.json"))])
    row = matrix.models.index("alpha")
    per_task = task_quantiles(matrix.sources[row])
    spec = IntervalSpec(resamples=30, seed=0)
    pseudo = pseudo_matrix(matrix, row, per_task, spec)
    board = compute_boards(pseudo, board_ids=["scope-a"])[0]
    rng = spec.rng("board:alpha")
    drawn = {tid: np.interp(rng.random(30), QUANTILES, per_task[tid][1])
             for tid in matrix.task_ids if tid in per_task}
    doc = json.loads(matrix.sources[row] and open(matrix.sources[row], encoding="utf-8").read())
    measured = {t["id"]: t["raw"] for t in doc["tasks"] if t["status"] == "scored"}
    for b in range(30):
        values = {**measured, **{tid: float(v[b]) for tid, v in drawn.items()}}
        rep = gl.score(values, model="x", measured=True)
        assert board.level[b] == rep.level
        assert board.scores[f"level{rep.level}"][b] == pytest.approx(rep.levels[f"level{rep.level}"], abs=1e-12)


def test_rows_carry_intervals_only_for_ci_reports_and_ties_follow_the_rule(reports):
    matrix = load_files([str(p) for p in sorted(reports.glob("*.json"))])
    boards = compute_boards(matrix, "C")
    assert add_board_intervals(boards, matrix, resamples=50) == 2
    for board in boards:
        rows = {r["model"]: r for r in board.rows()}
        assert "ci" not in rows["plain"]
        for name in ("alpha", "beta"):
            lo, hi = rows[name]["ci"]
            assert lo <= hi and 0.0 <= rows[name]["p_level"] <= 1.0
        a, b = rows["alpha"], rows["beta"]
        overlap = a["ci"][0] <= b["ci"][1] and b["ci"][0] <= a["ci"][1]
        neighbours = abs(board.order.tolist().index(0) - board.order.tolist().index(1)) == 1
        expected = overlap and a["level"] == b["level"] and neighbours
        assert a["tied"] == b["tied"] == expected


def test_tie_rule_on_hand_made_intervals(reports):
    from generallevel.board_intervals import _mark_ties

    matrix = load_files([str(p) for p in sorted(reports.glob("*.json"))])
    board = compute_boards(matrix, board_ids=["scope-a"])[0]
    i, j, k = board.order.tolist()
    board.intervals = {i: {"ci": [1.0, 2.0]}, j: {"ci": [1.5, 3.0]}, k: {"ci": [4.0, 5.0]}}
    _mark_ties(board)
    assert board.intervals[i].get("tied") and board.intervals[j].get("tied") and not board.intervals[k].get("tied")
    board.intervals = {i: {"ci": [1.0, 2.0]}, j: {"ci": [2.5, 3.0]}}
    _mark_ties(board)
    assert not board.intervals[i].get("tied") and not board.intervals[j].get("tied")


def test_bad_quantiles_name_the_file(tmp_path, reports):
    doc = json.loads((reports / "alpha.json").read_text(encoding="utf-8"))
    task = next(t for t in doc["tasks"] if "interval" in t)
    task["interval"]["quantiles"] = task["interval"]["quantiles"][::-1] if task["interval"]["quantiles"][0] != \
        task["interval"]["quantiles"][-1] else [float("nan")] * 41
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError, match="bad.json"):
        task_quantiles(str(bad))


def test_cli(reports, tmp_path):
    runner = CliRunner()
    res = runner.invoke(main, ["leaderboard", str(reports), "--resamples", "50"])
    assert res.exit_code != 0 and "--ci" in res.output
    res = runner.invoke(main, ["leaderboard", str(reports), "--ci", "--resamples", "50", "--format", "json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)["boards"][0]["rows"]
    assert {r["model"] for r in rows if "ci" in r} == {"alpha", "beta"}
    res = runner.invoke(main, ["leaderboard", str(reports), "--ci", "--resamples", "50"])
    assert "95 % CI" in res.output and "P(Level)" in res.output
    res = runner.invoke(main, ["leaderboard", str(reports), "--ci", "--resamples", "50", "--format", "html"])
    assert "95 % CI" in res.output and 'class="ci"' in res.output


def test_vectorised_draw_is_np_interp_bit_for_bit():
    from generallevel.board_intervals import _draw

    rng = np.random.default_rng(1)
    q = np.sort(rng.normal(50, 10, (200, 41)), axis=1)
    q[:3] = q[:3, :1]  # constant tasks
    q[3:6, 4:9] = q[3:6, 4:5]  # flat stretches
    u = rng.random((200, 500))
    u[:, :40] = QUANTILES[:-1]  # on the grid, and one ulp either side of it
    u[:, 40:80] = np.nextafter(QUANTILES[1:], 0)
    u[:, 80:120] = np.nextafter(QUANTILES[:-1], 1)
    want = np.stack([np.interp(u[i], QUANTILES, q[i]) for i in range(len(q))])
    assert np.array_equal(_draw(q, u), want)


def test_report_documents_give_the_intervals_of_report_files(reports):
    from generallevel.board_intervals import report_intervals, report_quantiles

    matrix = load_files([str(p) for p in sorted(reports.glob("*.json"))])
    docs = {row: json.loads(open(src, encoding="utf-8").read()) for row, src in enumerate(matrix.sources)}
    for row, doc in docs.items():
        from_doc, from_file = report_quantiles(doc, "doc"), task_quantiles(matrix.sources[row])
        assert from_doc.keys() == from_file.keys()
        assert all(from_doc[k][0] == from_file[k][0] and np.array_equal(from_doc[k][1], from_file[k][1])
                   for k in from_doc)
    boards = compute_boards(matrix, "C")
    add_board_intervals(boards, matrix, resamples=50, seed=3)
    found = report_intervals(boards, matrix, docs, resamples=50, seed=3)
    assert sorted(found) == sorted(next(iter(boards)).intervals)
    for board in boards:
        for row, iv in board.intervals.items():
            assert found[row][board.spec.id] == {"ci": iv["ci"], "p_level": iv["p_level"]}


def test_a_rows_intervals_do_not_depend_on_the_rows_drawn_with_it(reports):
    """What lets the service compute a model's intervals once per report and cache them."""
    from generallevel.board_intervals import row_intervals

    matrix = load_files([str(p) for p in sorted(reports.glob("*.json"))])
    boards = compute_boards(matrix)
    per_task = {row: task_quantiles(src) for row, src in enumerate(matrix.sources)}
    spec = IntervalSpec(resamples=40, seed=0)
    together = row_intervals(boards, matrix, per_task, spec)
    assert len(together) == 2
    for row in together:
        assert row_intervals(boards, matrix, {row: per_task[row]}, spec) == {row: together[row]}


def test_a_malformed_report_document_is_skipped_when_asked(reports):
    from generallevel.board_intervals import report_intervals

    matrix = load_files([str(p) for p in sorted(reports.glob("*.json"))])
    docs = {row: json.loads(open(src, encoding="utf-8").read()) for row, src in enumerate(matrix.sources)}
    bad_row = matrix.models.index("alpha")
    next(t for t in docs[bad_row]["tasks"] if "interval" in t)["interval"]["quantiles"][0] = "x"
    boards = compute_boards(matrix, "A")
    with pytest.raises(InputError, match="ascending"):
        report_intervals(boards, matrix, docs, resamples=20)
    skipped = []
    found = report_intervals(boards, matrix, docs, resamples=20, on_bad=lambda row, e: skipped.append(row))
    assert skipped == [bad_row] and sorted(found) == [matrix.models.index("beta")]
