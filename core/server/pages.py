"""Server-rendered pages: boards, models, submission and contribution forms, status pages.

Static assets are served from a fixed table read at import time (name -> bytes), so no request
path ever reaches the file system.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from ..reports import interval_text
from ..reports.boards import TIE_RULE
from . import views
from .api import read_form
from .charts import bar_chart
from .contributions import ContributionFields, accept_contribution, contribution_view
from .service import UNSAFE_TEXT, Refusal, SubmissionFields, accept_submission
from .storage import Scratch

HERE = Path(__file__).resolve().parent.parent / "templates" / "server"
templates = Jinja2Templates(directory=str(HERE))


def _visible(value: Any) -> Any:
    """Every value a template writes: control, zero-width and bidi-override characters spelt out
    (``\\u202e``) rather than written as-is, whatever a stored text holds."""
    if isinstance(value, str) and UNSAFE_TEXT.search(value):
        from markupsafe import Markup

        shown = UNSAFE_TEXT.sub(lambda m: f"\\u{ord(m.group()):04x}", value)
        return Markup(shown) if isinstance(value, Markup) else shown
    return value


templates.env.finalize = _visible
templates.env.filters["interval"] = interval_text  # "[low, high]", as the CLI leaderboard writes intervals
_TYPES = {".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".ico": "image/x-icon"}
STATIC = {p.name: (p.read_bytes(), _TYPES.get(p.suffix, "application/octet-stream"))
          for p in sorted((HERE / "static").iterdir()) if p.is_file() and p.suffix in _TYPES}

router = APIRouter()
COLOURS = {"comprehension": "#3b7dd8", "generation": "#e07b39", "level2": "#8fb8e8", "level3": "#3b7dd8",
           "level4": "#1f4e99"}


def _state(request: Request):
    return request.app.state.gl


def render(request: Request, name: str, status: int = 200, headers: dict | None = None, **ctx: Any) -> Response:
    ctx.setdefault("title", _state(request).config.title)
    return templates.TemplateResponse(request, name, {"site": _state(request).config.title, **ctx},
                                      status_code=status, headers=headers)


def error_page(request: Request, status: int, message: str, extra: dict | None = None,
               headers: dict | None = None) -> Response:
    return render(request, "error.html", status=status, headers=headers, status_code=status, message=message,
                  extra=extra or {})


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in STATIC:
        return Response("not found", status_code=404, media_type="text/plain")
    body, ctype = STATIC[name]
    return Response(body, media_type=ctype, headers={"Cache-Control": "public, max-age=3600"})


@router.get("/", response_class=HTMLResponse)
def home(request: Request, sort: str = "level") -> Response:
    return board_page(request, "A", None, sort)


@router.get("/boards/{scope}", response_class=HTMLResponse)
def board_page(request: Request, scope: str, board: str | None = None, sort: str = "level") -> Response:
    state = _state(request)
    data = views.board(state, scope, board, sort)
    return render(request, "board.html", data=data, scopes=views.scopes(state), tie_rule=TIE_RULE)


@router.get("/models", response_class=HTMLResponse)
def models_page(request: Request) -> Response:
    return render(request, "models.html", models=views.model_list(_state(request)))


@router.get("/models/{name}", response_class=HTMLResponse)
def model_page(request: Request, name: str) -> Response:
    d = views.model_detail(_state(request), name)
    mods = list(d["modalities"])
    charts = {
        "levels": bar_chart(mods, [(k.replace("level", "Level-"), [d["modalities"][m][k] for m in mods], COLOURS[k])
                                   for k in ("level2", "level3", "level4")], "Level scores per modality"),
        "cg": bar_chart(mods, [("comprehension", [d["modalities"][m]["comprehension"] for m in mods],
                                COLOURS["comprehension"]),
                               ("generation", [d["modalities"][m]["generation"] for m in mods],
                                COLOURS["generation"])], "Comprehension vs generation (mean task score)"),
    }
    return render(request, "model.html", m=d, charts=charts, title=f"{d['model']} · {_state(request).config.title}")


@router.get("/api-docs", response_class=HTMLResponse)
def api_docs(request: Request) -> Response:
    return render(request, "api.html", rules=_rules(request))


@router.get("/models/{name}/report.html", response_class=HTMLResponse)
def model_report_page(request: Request, name: str) -> Response:
    """The self-contained HTML report of :mod:`generallevel.reports.html` for the model."""
    from ..reports.html import render_html

    return HTMLResponse(render_html(views.model_report(_state(request), name)))


@router.get("/submit", response_class=HTMLResponse)
def submit_form(request: Request) -> Response:
    return render(request, "submit.html", values={}, error=None, rules=_rules(request))


def _rules(request: Request) -> dict[str, Any]:
    cfg = _state(request).config
    return {"per_day": cfg.fair_use.per_day, "per_week": cfg.fair_use.per_week,
            "max_upload_mb": round(cfg.max_upload_bytes / 1024 / 1024, 1)}


async def _read_page_form(request: Request, max_files: int):
    scratch = Scratch(_state(request).config.data_dir)
    try:
        return scratch, await read_form(request, scratch, max_files=max_files)
    except BaseException:
        scratch.discard()
        raise


@router.post("/submit", response_class=HTMLResponse)
async def submit(request: Request) -> Response:
    state = _state(request)
    scratch, form = await _read_page_form(request, max_files=1)
    values = {k: form.text(k) for k in ("model_name", "params", "description", "contact_email")}
    try:
        sub = await run_in_threadpool(accept_submission, state, form.text("token").strip() or None,
                                      SubmissionFields(**values), form.files.get("archive"), scratch)
    except Refusal as e:
        return render(request, "submit.html", status=e.status, values=values, error=e.message, extra=e.extra,
                      rules=_rules(request))
    return RedirectResponse(f"/submissions/{sub.public_id}", status_code=303)


@router.get("/submissions/{public_id}", response_class=HTMLResponse)
def submission_page(request: Request, public_id: str) -> Response:
    sub = views.find_submission(_state(request), public_id)
    return render(request, "submission.html", s=views.submission_view(sub))


@router.get("/contribute", response_class=HTMLResponse)
def contribute_form(request: Request) -> Response:
    return render(request, "contribute.html", values={}, error=None, done=None)


@router.post("/contribute", response_class=HTMLResponse)
async def contribute(request: Request) -> Response:
    state = _state(request)
    scratch, form = await _read_page_form(request, max_files=2)
    fields = ContributionFields.from_form(form.fields)
    values = {k: getattr(fields, k) for k in ("name", "open_instances", "closed_instances", "modality", "paradigm",
                                              "domain", "capabilities", "evaluation_method")}
    try:
        row = await run_in_threadpool(accept_contribution, state, form.text("token").strip() or None, fields,
                                      form.files.get("data"), form.files.get("instruction"), scratch)
    except Refusal as e:
        return render(request, "contribute.html", status=e.status, values=values, error=e.message, done=None)
    return render(request, "contribute.html", status=202, values={}, error=None, done=contribution_view(row))
