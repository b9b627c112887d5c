"""Every Python package in core/ and plugins/ is listed in pyproject (a wheel must not lose one)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def test_every_package_is_listed():
    cfg = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(cfg["packages"])
    found = set()
    for root, name in ((REPO / "core", "generallevel"), (REPO / "plugins" / "generallevel_builtin", "generallevel_builtin")):
        for init in root.rglob("__init__.py"):
            rel = init.parent.relative_to(root).parts
            found.add(".".join((name, *rel)))
    assert found == listed, f"missing: {sorted(found - listed)}, stale: {sorted(listed - found)}"


def test_wheel_carries_registry_demo_templates_and_entry_points(tmp_path):
    import shutil
    import subprocess
    import zipfile

    import pytest

    src = tmp_path / "src"
    shutil.copytree(REPO, src, symlinks=True, ignore=shutil.ignore_patterns(".venv", ".git", "site", "*.egg-info"))
    res = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                          str(src), "-w", str(tmp_path / "whl")], capture_output=True, text=True)
    if res.returncode != 0 and "No module named" in res.stderr:
        pytest.skip(f"cannot build wheels offline here: {res.stderr.strip()[-200:]}")
    assert res.returncode == 0, res.stderr
    (wheel,) = (tmp_path / "whl").glob("generallevel-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "generallevel_builtin/registry.toml" in names
    assert zipfile.ZipFile(wheel).read("generallevel_builtin/registry.toml").count(b"[[task]]") == 699
    assert any(n.startswith("generallevel/examples/demo/bench/") for n in names)
    # the demo's tiny CLIP and CLAP models and the options naming them (generallevel.demo_models)
    assert {"generallevel/examples/demo/extractors.json", "generallevel/examples/demo/models/clip/model.safetensors",
            "generallevel/examples/demo/models/clap/model.safetensors"} <= set(names)
    assert "generallevel/examples/example-model-scores.csv" in names
    assert any(n.startswith("generallevel/templates/") for n in names)
    assert any(n.startswith("generallevel/commands/") for n in names)
    eps = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "[generallevel]" in eps and "builtin_classification = generallevel_builtin.classification" in eps
