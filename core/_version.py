"""The single source of the package version (also read by pyproject through metadata)."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)  # read once per process (every leaderboard and report provenance asks; ~2 ms each)
def version() -> str:
    try:
        from importlib.metadata import version as _v

        return _v("generallevel")
    except Exception:  # running from a source tree that was never installed
        return "0.0.0+unknown"
