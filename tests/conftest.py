"""Shared test fixtures: paths, the official reference data (when ../shared is beside the repo)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_REF = REPO.parent / "shared" / "reference" / "general-level-scorer"


@pytest.fixture(scope="session", autouse=True)
def _session_cache(tmp_path_factory):
    """One generallevel cache folder for the whole test session, unless GENERALLEVEL_CACHE_DIR is set.

    Many tests evaluate the bundled demo, whose FID/FVD tasks need Inception-V3 and R3D-18 weights that
    the demo generates into the cache on its first run (~230 MB, a few seconds; generallevel.demo_models),
    and whose model-based features are then cached: with one folder per session that happens once, and
    no test writes into the user's ~/.cache. Subprocesses (CLI tests) inherit the variable.
    """
    if os.environ.get("GENERALLEVEL_CACHE_DIR"):
        yield
        return
    root = tmp_path_factory.mktemp("generallevel-cache")
    os.environ["GENERALLEVEL_CACHE_DIR"] = str(root)
    try:
        yield
    finally:
        os.environ.pop("GENERALLEVEL_CACHE_DIR", None)
        shutil.rmtree(root, ignore_errors=True)  # ~230 MB of generated weights: not kept with pytest's old tmp dirs


@pytest.fixture(autouse=True)
def _fresh_registry():
    """Each test starts from the entry-point registry (tests may register in-process plugins)."""
    from generallevel import plugins

    plugins.reset()
    yield
    plugins._EXTRA.clear()
    plugins.reset()


@pytest.fixture
def official_ref() -> Path:
    if not (SHARED_REF / "sota_result.xlsx").exists():
        pytest.skip("official reference sheets not found beside the repo (../shared/reference)")
    return SHARED_REF
