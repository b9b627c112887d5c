"""The paper's 145 skills: every non-NLP task's `skill_group` in registry.toml, one Scope-D board each.

The groups are runs of consecutive rows of the official SoTA sheet (one sheet per modality x
paradigm); RUNS below are the run lengths of the conventions file, written out here independently of
scripts/convert_sota_sheet.py so that a slip in either shows.
"""

from __future__ import annotations

import importlib.util
import json
import re
from itertools import groupby
from pathlib import Path

import pytest
from click.testing import CliRunner

import generallevel as gl
from generallevel.cli import main
from generallevel.errors import InputError
from generallevel.leaderboard import board_specs, compute_boards, matrix_from_reports, skill_group_board_id

REPO = Path(__file__).resolve().parents[1]
SHEET = REPO.parent / "shared" / "reference" / "general-level-scorer" / "sota_result.xlsx"

# (modality, paradigm) -> (group id prefix, sheet title, run lengths in sheet row order)
RUNS = {
    ("Image", "comprehension"): ("I-C", "Image-Comprehension", [
        3, 1, 2, 1, 6, 21, 4, 1, 2, 6, 1, 2, 4, 2, 8, 2, 40, 19, 6, 1,
        6, 6, 14, 9, 1, 37, 4, 32, 1, 1, 3, 1, 1, 7, 1, 2, 1, 6, 5, 1]),
    ("Image", "generation"): ("I-G", "Image-Generation", [1, 1, 7, 6, 1, 2, 1, 1, 3, 1, 1, 4, 1, 4, 11]),
    ("Video", "comprehension"): ("V-C", "Video-Comprehension", [
        17, 17, 16, 9, 4, 4, 3, 3, 2, 2, 5, 3, 4, 8, 7, 5, 5, 5, 3, 4]),
    ("Video", "generation"): ("V-G", "Video-Generation", [13, 3, 5, 11, 9, 5]),
    ("Audio", "comprehension"): ("A-C", "Audio-Comprehension", [4, 3, 1, 4, 3, 2, 2, 2, 3]),
    ("Audio", "generation"): ("A-G", "Audio-Generation", [1, 1, 2, 2, 2, 1, 1, 1, 3, 4, 2]),
    ("3D", "comprehension"): ("3D-C", "3D-Comprehension", [5, 2, 2, 1, 1, 1, 1, 6, 1, 1, 1, 7, 1]),
    ("3D", "generation"): ("3D-G", "3D-Generation", [1, 2, 4, 4, 4, 4, 1, 1, 1]),
}
PAPER_COUNTS = {("Image", "comprehension"): 40, ("Image", "generation"): 15, ("Video", "comprehension"): 20,
                ("Video", "generation"): 6, ("Audio", "comprehension"): 9, ("Audio", "generation"): 11,
                ("3D", "comprehension"): 13, ("3D", "generation"): 9}  # + NLP 22 = 145


def _builtin() -> list:
    """The built-in tasks in registry.toml order (= the sheet's row order within each sheet)."""
    tasks = [t for t in gl.list_tasks() if t.plugin == "builtin_tasks"]
    assert len(tasks) == 699
    return tasks


def _script():
    spec = importlib.util.spec_from_file_location("convert_sota_sheet", REPO / "scripts" / "convert_sota_sheet.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_group_counts_are_the_papers():
    tasks = _builtin()
    for (m, p), want in PAPER_COUNTS.items():
        groups = {t.skill_group for t in tasks if (t.modality, t.paradigm) == (m, p)}
        assert len(groups) == want, (m, p)
        assert len(RUNS[(m, p)][2]) == want
    assert sum(PAPER_COUNTS.values()) + 22 == 145


def test_every_non_nlp_task_has_a_well_formed_group():
    for t in _builtin():
        if t.modality == "NLP":
            assert t.skill_group == f"NLP: {t.skill}", t.id  # the keyword cluster, not the paper's grouping
            assert "not the paper's grouping" in t.skill_group_name
            continue
        prefix, sheet, runs = RUNS[(t.modality, t.paradigm)]
        m = re.fullmatch(rf"{re.escape(prefix)} #(\d+)", t.skill_group)
        assert m and 1 <= int(m[1]) <= len(runs), (t.id, t.skill_group)
        assert t.skill_group_name and t.sheet == sheet, t.id


def test_groups_are_runs_of_consecutive_rows_of_the_given_lengths():
    tasks = _builtin()
    for (m, p), (prefix, _, runs) in RUNS.items():
        rows = [t for t in tasks if (t.modality, t.paradigm) == (m, p)]
        runs_seen = [(g, len(list(members))) for g, members in groupby(rows, key=lambda t: t.skill_group)]
        # each group appears as one run (never split), numbered 1..N in row order, with the paper's sizes
        assert [g for g, _ in runs_seen] == [f"{prefix} #{k}" for k in range(1, len(runs) + 1)], (m, p)
        assert [n for _, n in runs_seen] == runs, (m, p)
        for g, members in groupby(rows, key=lambda t: t.skill_group):
            assert len({t.skill_group_name for t in members}) == 1, g  # one name per group


def test_groups_recomputed_from_the_sheet_equal_the_registry():
    """Independent of the script: cut each xlsx sheet by the run lengths and compare task by task."""
    openpyxl = pytest.importorskip("openpyxl")
    if not SHEET.is_file():
        pytest.skip(f"{SHEET} not available (the official sheet is never committed)")
    wb = openpyxl.load_workbook(SHEET, read_only=True, data_only=True)
    tasks = _builtin()
    checked = 0
    for (m, p), (prefix, title, runs) in RUNS.items():
        ws = wb[title]
        header = [str(h).strip() for h in next(ws.iter_rows(values_only=True))]
        col = header.index("Task Name")
        names = [" ".join(str(r[col]).split()) for r in ws.iter_rows(min_row=2, values_only=True) if r[col]]
        assert sum(runs) == len(names), title
        expected = [f"{prefix} #{k}" for k, n in enumerate(runs, start=1) for _ in range(n)]
        registry = [t for t in tasks if t.sheet == title]
        assert [t.name for t in registry] == names, title
        assert [t.skill_group for t in registry] == expected, title
        checked += len(names)
    assert checked == 699 - 115
    wb.close()


def test_script_runs_match_and_fail_loudly():
    mod = _script()
    for (m, p), (prefix, title, runs) in RUNS.items():
        assert list(mod.PAPER_SKILL_RUNS[title]) == runs
        got = mod.paper_skill_groups(title, m, p, sum(runs))
        assert [g for g, _ in got] == [f"{prefix} #{k}" for k, n in enumerate(runs, 1) for _ in range(n)]
    with pytest.raises(SystemExit, match="cover 271 tasks, the sheet has 272"):
        mod.paper_skill_groups("Image-Comprehension", "Image", "comprehension", 272)
    with pytest.raises(SystemExit, match="no paper skill runs"):
        mod.paper_skill_groups("Smell-Comprehension", "Smell", "comprehension", 3)
    with pytest.raises(ValueError, match="NLP"):
        mod.paper_skill_groups("NLP", "NLP", "none", 115)
    assert mod.SKILL_GROUP_NAMES.keys() <= {f"{prefix} #{k}" for prefix, _, runs in RUNS.values()
                                            for k in range(1, len(runs) + 1)}


def test_scope_d_has_one_board_per_group():
    tasks = gl.list_tasks()
    specs = board_specs([(t.modality, t.paradigm, t.skill, t.skill_group, t.skill_group_name) for t in tasks], "D")
    groups = {(t.modality, t.paradigm, t.skill_group) for t in tasks if t.modality != "NLP"}
    assert {(b.modalities[0], b.paradigm, b.skill_group) for b in specs} == groups and len(specs) == 123
    assert specs[0].id == "scope-d-image-comprehension-1" and specs[-1].id == "scope-d-3d-generation-9"
    assert [b.skill_group for b in specs[:11]] == [f"I-C #{k}" for k in range(1, 12)]  # numeric order
    ic17 = next(b for b in specs if b.skill_group == "I-C #17")
    assert ic17.id == "scope-d-image-comprehension-17" and "Visual question answering" in ic17.title
    assert ic17.describe()["skill_group_name"] == ic17.skill_group_name

    report = gl.score({}, model="nothing").to_dict(include_tasks=True)
    assert {"skill_group", "skill_group_name"} <= set(report["tasks"][0])
    boards = compute_boards(matrix_from_reports([report]), "D")
    sizes = {b.spec.skill_group: b.n_tasks for b in boards}
    for (m, p), (prefix, _, runs) in RUNS.items():
        assert [sizes[f"{prefix} #{k}"] for k in range(1, len(runs) + 1)] == runs


def test_plugin_groups_and_board_ids():
    rows = [("Image", "comprehension", "detection", "I-C #26", "Object detection"),
            ("Image", "comprehension", "recognition", "Sketch skills", ""),  # a plugin's own group
            ("NLP", "none", "reasoning", "NLP: reasoning", "")]
    specs = board_specs(rows, "D")
    assert [b.id for b in specs] == ["scope-d-image-comprehension-26", "scope-d-image-comprehension-sketch-skills"]
    assert specs[1].title == "Scope-D: Image comprehension / Sketch skills"
    assert skill_group_board_id("3D", "generation", "3D-G #4") == "scope-d-3d-generation-4"
    assert board_specs([r[:3] for r in rows], "D") == []  # rows without groups: no paper boards
    with pytest.raises(InputError, match="share the id"):
        board_specs([("Image", "comprehension", "x", "I-C #5", ""), ("Image", "comprehension", "x", "5", "")])


def test_registry_cache_picks_up_the_new_fields(tmp_path, monkeypatch):
    from generallevel.tasks import load_registry_toml

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    entry = ('[[task]]\nid = "t"\nname = "T"\nmodality = "Image"\nparadigm = "comprehension"\nmetric = "Acc"\n'
             'sota = 50.0\nsota_unit = "percent"\nskill = "recognition"\n')
    path = tmp_path / "registry.toml"
    path.write_text(entry, encoding="utf-8")
    assert load_registry_toml(path)[0].skill_group == ""
    path.write_text(entry + 'skill_group = "I-C #28"\nskill_group_name = "Image recognition"\n', encoding="utf-8")
    for _ in range(2):  # parsed, then from the JSON cache
        t = load_registry_toml(path)[0]
        assert (t.skill_group, t.skill_group_name) == ("I-C #28", "Image recognition")
        assert t.describe()["skill_group"] == "I-C #28"
    assert len(list((tmp_path / "cache" / "generallevel").glob("registry-*.json"))) == 2


def test_fingerprint_covers_skill_group():
    from generallevel.tasks import Task, TaskCatalog

    def fp(group):
        cat = TaskCatalog()
        cat.add(Task("t", "T", "Image", "comprehension", "Acc", 50.0, "percent", skill_group=group))
        return cat.fingerprint({})

    assert fp("I-C #1") != fp("I-C #2")


def test_cli_lists_a_group_and_ranks_by_keyword_facet(tmp_path):
    run = lambda *a: CliRunner().invoke(main, list(map(str, a)), catch_exceptions=False)  # noqa: E731
    r = run("tasks", "--skill-group", "I-C #24", "--json")
    assert r.exit_code == 0 and {t["name"] for t in json.loads(r.output)} >= {"Crowd Counting", "Pipe Counting"}
    assert len(json.loads(r.output)) == 9
    path = tmp_path / "m.json"
    path.write_text(json.dumps(gl.score({"crowd-counting": 3.0}, model="m").to_dict(include_tasks=True)),
                    encoding="utf-8")
    r = run("leaderboard", path, "--scope", "D", "--format", "json")
    ids = [b["id"] for b in json.loads(r.output)["boards"]]
    assert r.exit_code == 0 and len(ids) == 123 and "scope-d-image-comprehension-24" in ids
    r = run("leaderboard", path, "--scope", "D", "--facet", "keyword", "--format", "json")
    ids = [b["id"] for b in json.loads(r.output)["boards"]]
    assert r.exit_code == 0 and "scope-d-image-comprehension-counting" in ids and len(ids) < 123
    r = run("leaderboard", path, "--scope", "D", "--board", "scope-d-image-comprehension-counting", "--format", "json")
    assert r.exit_code == 0 and json.loads(r.output)["boards"][0]["skill"] == "counting"


def test_docs_list_every_group_with_its_name_and_size():
    doc = (REPO / "docs" / "scopes.md").read_text(encoding="utf-8")
    tasks = _builtin()
    for (m, p), (prefix, _, runs) in RUNS.items():
        row = re.search(rf"^\| {m} {p} \| {re.escape(prefix)} \| (.+) \|$", doc, flags=re.M)
        assert row, (m, p)
        shown = re.findall(r"#(\d+) (.+?) \((\d+)\)(?:; |$)", row[1])
        names = {t.skill_group: t.skill_group_name for t in tasks if (t.modality, t.paradigm) == (m, p)}
        want = [(str(k), "*unnamed*" if names[f"{prefix} #{k}"].endswith(f"skill #{k}") else names[f"{prefix} #{k}"],
                 str(n)) for k, n in enumerate(runs, start=1)]
        assert shown == want, (m, p)
        assert " ".join(map(str, runs)) in doc  # the run lengths are printed too
