"""``generallevel serve``: the General-Level leaderboard as a self-hostable web service.

Optional: needs the ``server`` extra (FastAPI, uvicorn, SQLAlchemy, python-multipart, Jinja2).
Nothing outside this package imports it, so ``import generallevel`` stays light.

Layout: ``config`` (settings, fair-use numbers), ``clock`` (injectable time), ``db`` (tables,
sessions, write locks), ``auth`` (API tokens, hashes only), ``limits`` (fair-use rules),
``storage`` (upload files, lock-held scratch folders and their sweep), ``uploads`` (multipart
bodies streamed into scratch folders), ``service`` (reserving, checking and queueing submissions),
``contributions`` (datasets), ``state`` (what routes and workers share: check slots, leases, the
board version), ``worker`` (scoring, leases, crash recovery; embedded or ``serve worker``),
``views`` (what the pages show; reports scrubbed), ``board_ci`` (confidence intervals and ties on
the boards, once per stored report), ``cache`` (rendered boards in memory),
``api``/``pages`` (routes), ``app`` (the factory), ``admin`` and ``demo`` (operator tasks).
"""

from __future__ import annotations

from typing import Any


def create_app(*args: Any, **kwargs: Any):
    """Build the ASGI app; see :func:`generallevel.server.app.create_app`."""
    from .app import create_app as _create

    return _create(*args, **kwargs)
