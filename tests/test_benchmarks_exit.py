"""benchmarks/run.py fails only on a wrong result, never on a slow one; --readme rewrites only its table."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def run(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import run as bench_run

    return bench_run


def _fake(rows):
    def section(name, args, deadline):
        return rows.get(name, [])
    return section


def test_a_slow_figure_passes_a_wrong_result_fails(run, monkeypatch, capsys):
    from _common import Row

    slow = Row("metrics", "AP", "9.00x", "<= 0.5x", False, "", {"wrong": False})
    monkeypatch.setattr(run, "_section", _fake({"metrics": [slow]}))
    assert run.main(["--only", "metrics"]) == 0
    assert "every compared result is right" in capsys.readouterr().out
    wrong = Row("metrics", "CD", "0.90x", "<= 1x", False, "", {"wrong": True})
    monkeypatch.setattr(run, "_section", _fake({"metrics": [slow, wrong]}))
    assert run.main(["--only", "metrics"]) == 1
    out = capsys.readouterr().out
    assert "WRONG RESULTS in 1 row(s): CD" in out and "load average" in out


def test_readme_table_is_replaced_between_its_markers(run, monkeypatch, tmp_path):
    from _common import Row

    readme = tmp_path / "README.md"
    readme.write_text(f"# prose\n{run.MARKERS[0]}\nold table\n{run.MARKERS[1]}\nmore prose\n", encoding="utf-8")
    monkeypatch.setattr(run, "README", readme)
    monkeypatch.setattr(run, "_section", _fake({"startup": [Row("startup", "import", "0.2 s", "< 0.3 s", True)]}))
    assert run.main(["--only", "startup", "--readme"]) == 0
    text = readme.read_text(encoding="utf-8")
    assert "old table" not in text and text.startswith("# prose\n") and text.endswith("more prose\n")
    assert "import" in text and "goals met: 1/1" in text
