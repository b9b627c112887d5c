"""Rendered boards and their JSON, served from memory.

:class:`ResponseCache` is a pure-ASGI layer in front of the routes: a ``GET`` of a public page
(boards, model pages, their JSON) is answered from a stored copy of the response while the board
version (:meth:`AppState.board_version`) is the one it was rendered under. A new result (landed in
this process, or seen in the database within ``board_refresh_seconds`` and built in the background)
changes the version, and the next request renders afresh; concurrent requests for the same page wait for that one render
instead of rendering it once each. Only complete ``200`` responses without cookies are kept; the
cache holds at most ``max_entries`` responses and ``max_bytes`` of bodies (least recently used
first out), so odd query strings cannot fill memory. Nothing that depends on who asks is cached.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

PUBLIC = ("/boards/", "/api/boards/", "/models/", "/api/models/")
EXACT = ("/", "/models", "/api/models", "/api/scopes", "/boards")


def cacheable(path: str) -> bool:
    return path in EXACT or path.startswith(PUBLIC)


@dataclass
class _Entry:
    version: Any
    start: Message
    body: bytes


class ResponseCache:
    def __init__(self, app: ASGIApp, state: Any, max_entries: int = 512, max_bytes: int = 64 << 20) -> None:
        self.app, self.state = app, state
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self.entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self.size = 0
        self._pending: dict[tuple, asyncio.Future] = {}
        self.hits = self.misses = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not cacheable(scope["path"]):
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope.get("query_string", b""))
        version = await self._version()
        entry = self.entries.get(key)
        if entry is not None and entry.version == version:
            self.hits += 1
            self.entries.move_to_end(key)
            await _replay(entry, send)
            return
        waiting = self._pending.get(key)
        if waiting is not None:  # someone is rendering this page now: share their response
            entry = await asyncio.shield(waiting)
            if entry is not None and entry.version == version:
                await _replay(entry, send)
                return
            await self.app(scope, receive, send)
            return
        self.misses += 1
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        fresh = None
        try:
            fresh = await self._render(scope, receive, send, version)
            if fresh is not None:
                self._store(key, fresh)
        finally:
            self._pending.pop(key, None)
            future.set_result(fresh)

    async def _version(self) -> Any:
        state = self.state
        if state.version_is_fresh():
            return state.board_version()
        return await run_in_threadpool(state.board_version)  # reads the database: off the event loop

    async def _render(self, scope: Scope, receive: Receive, send: Send, version: Any) -> _Entry | None:
        start: Message | None = None
        chunks: list[bytes] = []
        complete = False

        async def capture(message: Message) -> None:
            nonlocal start, complete
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                complete = not message.get("more_body", False)
            await send(message)

        await self.app(scope, receive, capture)
        if start is None or start["status"] != 200 or not complete:
            return None
        if any(k.lower() == b"set-cookie" for k, _ in start.get("headers", [])):
            return None
        return _Entry(version, start, b"".join(chunks))

    def _store(self, key: tuple, entry: _Entry) -> None:
        if len(entry.body) > self.max_bytes // 4:
            return
        old = self.entries.pop(key, None)
        if old is not None:
            self.size -= len(old.body)
        self.entries[key] = entry
        self.size += len(entry.body)
        while len(self.entries) > self.max_entries or self.size > self.max_bytes:
            _, dropped = self.entries.popitem(last=False)
            self.size -= len(dropped.body)


async def _replay(entry: _Entry, send: Send) -> None:
    await send({**entry.start, "headers": list(entry.start.get("headers", []))})
    await send({"type": "http.response.body", "body": entry.body, "more_body": False})
