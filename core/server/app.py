"""The application factory: wires settings, database, worker, middleware and routes."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from .config import ServerConfig
from .cache import ResponseCache
from .middleware import BodyLimit, SecurityHeaders
from .service import Refusal
from .state import AppState

FORM_OVERHEAD = 256 * 1024  # multipart boundaries and text fields on top of the file bytes
TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "server"


def create_app(config: ServerConfig) -> FastAPI:
    """A FastAPI app for ``config``; the scoring worker starts and stops with the app's lifespan."""
    state = AppState(config)

    @asynccontextmanager
    async def lifespan(_app: FastAPI):
        state.start()
        try:
            yield
        finally:
            state.stop()

    # No Swagger UI: it loads scripts from a CDN; /api-docs is a local page and the schema is served.
    app = FastAPI(title=config.title, lifespan=lifespan, docs_url=None, redoc_url=None,
                  openapi_url="/api/openapi.json")
    app.state.gl = state
    app.add_middleware(ResponseCache, state=state)  # innermost: replays what the routes rendered
    app.add_middleware(BodyLimit, limit=config.max_upload_bytes + FORM_OVERHEAD, shown=config.max_upload_bytes)
    app.add_middleware(SecurityHeaders)

    from . import api, pages

    app.include_router(api.router)
    app.include_router(pages.router)

    @app.exception_handler(Refusal)
    async def _refusal(request: Request, exc: Refusal) -> Response:
        headers = {}
        if exc.status == 401:
            headers["WWW-Authenticate"] = "Bearer"
        if exc.status == 429 and exc.extra.get("next_allowed_at"):
            headers["Retry-After"] = str(_retry_after(state, exc.extra["next_allowed_at"]))
        if exc.extra.get("retry_after"):
            headers["Retry-After"] = str(exc.extra["retry_after"])
        if request.url.path.startswith("/api/"):
            return JSONResponse(exc.to_dict(), status_code=exc.status, headers=headers)
        return pages.error_page(request, exc.status, exc.message, exc.extra, headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        # FastAPI's default echoes the offending input; we never echo client input back.
        problems = [{"loc": [str(x) for x in e.get("loc", ())], "msg": e.get("msg", "")} for e in exc.errors()]
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "invalid_request", "detail": problems}, status_code=422)
        return pages.error_page(request, 422, "; ".join(f"{'.'.join(p['loc'])}: {p['msg']}" for p in problems))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = "not found" if exc.status_code == 404 else str(exc.detail)
        if request.url.path.startswith("/api/") or exc.status_code not in (404, 405):
            return JSONResponse({"error": "http_error", "detail": detail}, status_code=exc.status_code,
                                headers=getattr(exc, "headers", None))
        return pages.error_page(request, exc.status_code, detail)

    return app


def _retry_after(state: AppState, when_iso: str) -> int:
    from datetime import datetime

    when = datetime.fromisoformat(when_iso.replace("Z", "+00:00"))
    return max(1, int((when - state.config.clock()).total_seconds() + 0.999))


CONFIG_ENV = "GENERALLEVEL_SERVE_CONFIG"


def config_to_env(config: ServerConfig) -> str:
    """The settings a CLI-built config carries, as JSON for :func:`app_from_env` (web worker processes)."""
    import json

    return json.dumps({"data_dir": str(config.data_dir), "answers_dir": str(config.answers_dir or "") or None,
                       "db_url": config.db_url, "max_upload_bytes": config.max_upload_bytes,
                       "stale_after_seconds": config.stale_after_seconds,
                       "heartbeat_seconds": config.heartbeat_seconds, "start_worker": config.start_worker,
                       "max_concurrent_checks": config.max_concurrent_checks, "title": config.title,
                       "ci_resamples": config.ci_resamples, "board_resamples": config.board_resamples})


def app_from_env() -> FastAPI:
    """The app of one of several web processes (``generallevel serve --workers N``)."""
    import json
    import os

    return create_app(ServerConfig(**json.loads(os.environ[CONFIG_ENV])))
