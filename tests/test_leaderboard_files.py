"""Leaderboards from many result files: folders, --from-list, worker processes, the typed fast path.

Every route must give the matrix (and the first error) that reading the files one by one into
``matrix_from_reports`` gives; boards computed in model chunks must equal boards computed at once.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import generallevel as gl
from generallevel import leaderboard as lb
from generallevel import result_files
from generallevel.cli import main
from generallevel.errors import InputError
from generallevel.leaderboard import compute_boards, matrix_from_reports
from generallevel.result_files import load_files, result_paths


def _report(model: str, seed: int) -> dict:
    rng = random.Random(seed)
    scores = {}
    for t in gl.list_tasks():
        if rng.random() < 0.4:
            high = gl.get_metric(t.metric).higher_is_better
            scores[t.id] = t.sota_metric_unit * (1.0 if rng.random() < 0.5 else (0.5 if high else 1.5)) + (
                0.0 if high else 0.1)
    return gl.score(scores, model=model, assume_percent=True).to_dict(include_tasks=True)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """150 result files (several worker batches): score reports, one with shuffled rows, one with an
    int score and missing win/raw keys (the generic path), evaluate reports."""
    from generallevel.evaluate import evaluate_demo

    d = tmp_path_factory.mktemp("results")
    base = [_report(f"m{i}", i) for i in range(6)]
    for i in range(150):
        rep = json.loads(json.dumps(base[i % 6]))
        rep["model"] = f"model-{i:03d}"
        if i == 40:
            random.Random(0).shuffle(rep["tasks"])
        if i == 41:
            rep["tasks"][0]["score"] = 0
            for t in rep["tasks"]:
                t.pop("win"), t.pop("raw")
        (d / f"r{i:03d}.json").write_text(json.dumps(rep, indent=1 if i % 2 else None), encoding="utf-8")
    ev = evaluate_demo(jobs=1).to_dict()
    for i in (150, 151):
        (d / f"r{i:03d}.json").write_text(json.dumps({**ev, "model": f"evaluated-{i}"}), encoding="utf-8")
    (d / "notes.txt").write_text("not a result file", encoding="utf-8")
    return d


def _same(a, b):
    assert a.models == b.models and a.task_ids == b.task_ids and a.sources == b.sources
    np.testing.assert_array_equal(a.sigma, b.sigma)
    np.testing.assert_array_equal(a.sota, b.sota)
    np.testing.assert_array_equal(a.wins, b.wins)
    assert a.provenance == b.provenance and a.mode == b.mode


def test_every_route_gives_the_in_memory_matrix(folder, monkeypatch):
    paths = sorted(folder.glob("*.json"))
    want = matrix_from_reports([json.loads(p.read_text(encoding="utf-8")) for p in paths], [str(p) for p in paths])
    assert len(want.models) == 152 and want.wins is not None
    _same(load_files(result_paths([folder])), want)
    _same(load_files(result_paths([folder]), jobs=2), want)
    monkeypatch.setattr(result_files, "_typed_decoder", lambda: False)  # no msgspec: the generic path only
    _same(load_files(result_paths([folder]), jobs=2), want)


def test_typed_path_equals_generic_reduction(folder):
    from generallevel.results_matrix import reduce_report

    paths = sorted(folder.glob("*.json"))
    ref = reduce_report(json.loads(paths[0].read_text(encoding="utf-8")), "ref", None).reference
    fast = 0
    for p in paths:
        generic = reduce_report(result_files.read_report(p), str(p), ref)
        got = result_files.reduce_file(p, ref)
        fast += result_files._fast_reduce(p.read_bytes(), str(p), ref) is not None
        assert (got.model, got.sha, got.mode, got.setup) == (generic.model, generic.sha, generic.mode, generic.setup)
        assert (got.sigma is None) == (generic.sigma is None)
        if got.sigma is not None:
            np.testing.assert_array_equal(got.sigma, generic.sigma)
            np.testing.assert_array_equal(got.flags, generic.flags)
    assert fast >= 140  # score reports in registry order take the typed path


def test_the_first_error_is_the_same_with_workers(tmp_path, folder):
    paths = sorted(folder.glob("*.json"))[:140]
    bad = tmp_path / "bad"
    bad.mkdir()
    for i, p in enumerate(paths):
        rep = json.loads(p.read_text(encoding="utf-8"))
        if i == 100:
            rep["tasks"][5]["score"] = 130  # an int: the message shows it as written
        if i == 120:
            rep["tasks"][7]["score"] = "12"
        (bad / p.name).write_text(json.dumps(rep), encoding="utf-8")
    for jobs in (1, 2):
        with pytest.raises(InputError, match=r"r100\.json: task .*: score must be a finite number in 0\.\.100 "
                                             r"or null, got 130$"):
            load_files(result_paths([bad]), jobs=jobs)
    (bad / "r090.json").write_text("{nope", encoding="utf-8")
    for jobs in (1, 2):
        with pytest.raises(InputError, match=r"r090\.json: malformed JSON"):
            load_files(result_paths([bad]), jobs=jobs)
    (bad / "r090.json").write_text(json.dumps({**json.loads(paths[0].read_text(encoding="utf-8")),
                                               "model": "model-003"}), encoding="utf-8")
    for jobs in (1, 2):  # a set-level problem is reported before any one file's content error
        with pytest.raises(InputError, match="duplicate model name 'model-003'"):
            load_files(result_paths([bad]), jobs=jobs)


def test_paths_from_folders_and_lists(tmp_path, folder, monkeypatch):
    listed = tmp_path / "list.txt"
    names = sorted(folder.glob("*.json"))
    listed.write_text("# results\n\n" + "\n".join(str(p) for p in names[:5]) + "\n", encoding="utf-8")
    assert result_paths([], listed) == names[:5]
    assert result_paths([folder], listed) == names + names[:5]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no result files"):
        result_paths([empty])
    with pytest.raises(InputError, match="cannot read the list"):
        result_paths([], tmp_path / "missing.txt")


def test_cli_folder_list_and_stdin_agree(tmp_path, folder):
    run = lambda *a, **k: CliRunner().invoke(main, ["leaderboard", *map(str, a)], catch_exceptions=False, **k)  # noqa: E731
    files = sorted(folder.glob("*.json"))
    listed = tmp_path / "list.txt"
    listed.write_text("\n".join(map(str, files)), encoding="utf-8")
    by_files = run(*files, "--format", "json")
    assert by_files.exit_code == 0, by_files.output
    for args, kw in (((folder,), {}), ((folder, "--jobs", "2"), {}), (("--from-list", listed), {}),
                     (("--from-list", "-"), {"input": listed.read_text(encoding="utf-8")})):
        r = run(*args, "--format", "json", **kw)
        assert r.exit_code == 0, r.output
        assert json.loads(r.output) == json.loads(by_files.output), args
    r = run("--scope", "A")
    assert r.exit_code == 2 and "--from-list" in r.output


def test_a_models_numbers_never_depend_on_the_other_models(folder, monkeypatch):
    """Boards are computed CHUNK models at a time, every chunk padded to the same size: a model's row
    is the same bits on a board of 152 models (22 chunks of 7) and of 40 (6 chunks), and identical
    reports tie exactly."""
    m = load_files(result_paths([folder]))
    monkeypatch.setattr(lb, "CHUNK", 7)
    full = {b.spec.id: {r["model"]: r for r in b.rows()} for b in compute_boards(m)}
    keep = list(range(3, 152, 4))[:40]
    sub = lb.ResultMatrix([m.models[i] for i in keep], [m.sources[i] for i in keep], m.task_ids, m.modality,
                          m.paradigm, m.skill, m.sigma[keep], m.sota, m.registry_sha256, m.mode, m.provenance,
                          m.skill_group, m.skill_group_name, m.wins[keep])
    for b in compute_boards(sub):
        for r in b.rows():
            want = dict(full[b.spec.id][r["model"]])
            assert {k: v for k, v in r.items() if k != "rank"} == {k: v for k, v in want.items() if k != "rank"}
    a = {r["model"]: r for r in compute_boards(m, "A")[0].rows()}
    assert a["model-000"]["rank"] == a["model-006"]["rank"] == a["model-144"]["rank"]  # the same report


def test_wins_in_row_chunks_equal_wins_at_once(folder):
    from generallevel.result_builder import _wins

    m = load_files(result_paths([folder]))
    rng = np.random.default_rng(0)
    flags = rng.integers(-1, 2, m.sigma.shape).astype(np.int8)
    sigma = m.sigma.copy()
    sigma[:, :50] = m.sota[:50]  # ties, where the flags decide
    np.testing.assert_array_equal(_wins(sigma, m.sota, flags), _wins(sigma, m.sota, flags, chunk=3))


@pytest.mark.parametrize("provenance", [
    None, [1, 2], "text", {"registry_sha256": 7},
    {"generallevel": "9.9", "plugins": {"x": {"version": "1"}}},  # another setup: its own key
    {"generallevel": "0.1.0", "plugins": {}, "note": float("nan")},  # NaN: only json reads it
])
def test_typed_path_reads_provenance_as_the_generic_path(tmp_path, folder, provenance):
    """The typed path keeps the provenance as JSON text and decodes each distinct text once: every
    provenance, good or bad, gives what the generic path gives (the same setup key or the same error)."""
    from generallevel.results_matrix import reduce_report

    paths = sorted(folder.glob("*.json"))
    ref = reduce_report(json.loads(paths[0].read_text(encoding="utf-8")), "ref", None).reference
    rep = json.loads(paths[1].read_text(encoding="utf-8"))
    sha = rep["provenance"]["registry_sha256"]
    rep["provenance"] = {**provenance, "registry_sha256": sha} if isinstance(provenance, dict) and \
        "registry_sha256" not in provenance else provenance
    for k in range(2):  # the second read of the same text comes from the cache
        p = tmp_path / f"p{k}.json"
        p.write_text(json.dumps(rep), encoding="utf-8")
        try:
            want = reduce_report(result_files.read_report(p), str(p), ref)
        except InputError as e:
            with pytest.raises(InputError, match=re.escape(str(e))):
                result_files.reduce_file(p, ref)
            continue
        got = result_files.reduce_file(str(p), ref)
        assert (got.model, got.sha, got.setup) == (want.model, want.sha, want.setup)
        assert json.dumps(got.provenance, sort_keys=True) == json.dumps(want.provenance, sort_keys=True)
        np.testing.assert_array_equal(got.sigma, want.sigma)
