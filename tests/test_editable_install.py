"""An editable install cannot be shadowed by the clone's own folder.

With the repository cloned into a folder named ``generallevel``, Python started from the parent
folder sees that folder as a namespace package ``generallevel``. setuptools' default (lenient)
editable install maps ``generallevel`` to ``core/`` with an import hook that runs only after the path
search, which finds the namespace package first: ``gl.get_metric`` was missing. The project asks for
the strict mode (a link tree of real packages on ``sys.path``), and a regular package wins over a
namespace portion wherever it is on the path.

The editable wheel is built here with setuptools' PEP 660 backend from a copy of the project in a
folder named ``generallevel``, unpacked into a site folder, and imported by a Python that sees only
that folder and the three libraries generallevel imports (``-S``: not this environment's own install).
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def test_editable_install_imports_the_package_from_the_clones_parent_folder(tmp_path):
    pytest.importorskip("setuptools")
    clone = tmp_path / "generallevel"  # the clone's folder has the package's name
    clone.mkdir()
    for name in ("pyproject.toml", "README.md", "registry.toml"):
        shutil.copy(REPO / name, clone / name)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(REPO / "core", clone / "core", ignore=ignore)
    shutil.copytree(REPO / "plugins" / "generallevel_builtin", clone / "plugins" / "generallevel_builtin",
                    symlinks=True, ignore=ignore)
    build = subprocess.run([sys.executable, "-c", "from setuptools import build_meta as b; "
                            f"print(b.build_editable({str(tmp_path / 'whl')!r}))"],
                           cwd=clone, capture_output=True, text=True)
    if build.returncode != 0 and "No module named" in build.stderr:
        pytest.skip(f"cannot build an editable wheel here: {build.stderr.strip()[-200:]}")
    assert build.returncode == 0, build.stderr
    site, deps = tmp_path / "site", tmp_path / "deps"
    (wheel,) = (tmp_path / "whl").glob("generallevel-*.whl")
    zipfile.ZipFile(wheel).extractall(site)
    deps.mkdir()
    for name in ("pluggy", "numpy", "click"):
        location = Path(importlib.util.find_spec(name).submodule_search_locations[0])
        for path in (location, location.with_name(f"{name}.libs")):
            if path.exists():
                (deps / path.name).symlink_to(path)
    code = (f"import site; site.addsitedir({str(site)!r}); site.addsitedir({str(deps)!r}); "
            "import generallevel as gl; print(gl.get_metric('acc').name, len(gl.list_tasks()))")
    run = subprocess.run([sys.executable, "-S", "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["Acc", "699"]
