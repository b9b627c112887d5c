"""The JSON API under /api: boards, models, submissions, fair-use status, dataset contributions.

Authenticated routes take ``Authorization: Bearer <token>``. Every refusal is JSON
``{"error": code, "detail": message, ...}`` with the HTTP status saying what kind it is.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from .auth import bearer_from_header
from .contributions import ContributionFields, accept_contribution, contribution_view, refuse_if_too_many
from .db import STATUSES, Contribution, Submission, read_session
from .service import Refusal, SubmissionFields, close_intake, finish, limit_decision, open_intake, user_for
from .storage import Scratch, TooLarge
from .uploads import Form, FormError, read_multipart
from . import views

router = APIRouter(prefix="/api")


def _state(request: Request):
    return request.app.state.gl


def _token(request: Request) -> str | None:
    return bearer_from_header(request.headers.get("authorization"))


def need_multipart(request: Request) -> None:
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise Refusal(415, "unsupported_media_type", "send the upload as multipart/form-data")


async def read_form(request: Request, dest: Scratch, max_files: int) -> Form:
    """The multipart form, files written into ``dest`` as they arrive (never the system's temp folder)."""
    need_multipart(request)
    try:
        return await read_multipart(request.headers, request.stream(), dest.path, max_files=max_files,
                                    max_file_bytes=_state(request).config.max_upload_bytes)
    except FormError as e:
        raise Refusal(400, "bad_form", f"malformed multipart form: {e}") from None
    except TooLarge as e:
        raise Refusal(413, "too_large", str(e)) from None


@router.get("/health")
def health(request: Request) -> dict[str, Any]:
    with read_session(_state(request).sessions) as s:
        counts = dict(s.execute(select(Submission.status, func.count()).group_by(Submission.status)).all())
    return {"status": "ok", "submissions": {k: counts.get(k, 0) for k in STATUSES}}


@router.get("/scopes")
def scopes(request: Request) -> dict[str, Any]:
    return {"scopes": views.scopes(_state(request))}


@router.get("/boards/{scope}")
def board(request: Request, scope: str, board: str | None = None, sort: str = "level") -> dict[str, Any]:
    return views.board(_state(request), scope, board, sort)


@router.get("/models")
def models(request: Request) -> dict[str, Any]:
    return {"models": views.model_list(_state(request))}


@router.get("/models/{name}")
def model(request: Request, name: str) -> dict[str, Any]:
    return views.model_detail(_state(request), name)


@router.get("/models/{name}/report")
def model_report(request: Request, name: str) -> dict[str, Any]:
    """The model's full score report (the JSON of ``generallevel score --format json --tasks``)."""
    return views.model_report(_state(request), name)


@router.get("/me")
def me(request: Request) -> dict[str, Any]:
    state = _state(request)
    user = user_for(state, _token(request))
    with read_session(state.sessions) as s:
        decision = limit_decision(state, s, user.id)
    return {"user": user.name, "email": user.email, "fair_use": decision.to_dict()}


@router.get("/limits")
def limits(request: Request) -> dict[str, Any]:
    state = _state(request)
    user = user_for(state, _token(request))
    rules = state.config.fair_use
    with read_session(state.sessions) as s:
        decision = limit_decision(state, s, user.id)
    return {"rules": {"per_24h": rules.per_day, "per_7_days": rules.per_week,
                      "one_pending": rules.one_pending, "max_upload_bytes": state.config.max_upload_bytes},
            **decision.to_dict()}


@router.post("/submissions", status_code=202)
async def submit(request: Request) -> JSONResponse:
    """Fair use is decided (and a place reserved) before the body is read; see :mod:`.service`."""
    state = _state(request)
    user = await run_in_threadpool(user_for, state, _token(request))
    need_multipart(request)
    intake = await run_in_threadpool(open_intake, state, user)
    try:
        form = await read_form(request, intake.scratch, max_files=1)
        fields = SubmissionFields(form.text("model_name"), form.text("params"), form.text("description"),
                                  form.text("contact_email"))
        sub = await run_in_threadpool(finish, state, intake, fields, form.files.get("archive"))
    finally:
        await run_in_threadpool(close_intake, state, intake)
    return JSONResponse(views.submission_view(sub, owner=True), status_code=202,
                        headers={"Location": f"/api/submissions/{sub.public_id}"})


@router.get("/submissions")
def my_submissions(request: Request) -> dict[str, Any]:
    state = _state(request)
    user = user_for(state, _token(request))
    with read_session(state.sessions) as s:
        rows = s.execute(select(Submission).where(Submission.user_id == user.id)
                         .order_by(Submission.created_at.desc(), Submission.id.desc())).scalars().all()
    return {"submissions": [views.submission_view(r, owner=True) for r in rows]}


@router.get("/submissions/{public_id}")
def submission(request: Request, public_id: str) -> dict[str, Any]:
    """Status of one submission: public fields for anyone holding its id, all fields for its owner."""
    state = _state(request)
    sub = views.find_submission(state, public_id)
    owner = False
    token = _token(request)
    if token:
        owner = user_for(state, token).id == sub.user_id
    return views.submission_view(sub, owner=owner)


@router.post("/datasets", status_code=202)
async def contribute(request: Request) -> JSONResponse:
    state = _state(request)
    token = _token(request)
    user = await run_in_threadpool(user_for, state, token)
    await run_in_threadpool(refuse_if_too_many, state, user)  # before reading the body
    scratch = Scratch(state.config.data_dir)
    try:
        form = await read_form(request, scratch, max_files=2)
    except BaseException:
        scratch.discard()
        raise
    fields = ContributionFields.from_form(form.fields)
    row = await run_in_threadpool(accept_contribution, state, token, fields, form.files.get("data"),
                                  form.files.get("instruction"), scratch)
    return JSONResponse(contribution_view(row, owner=True), status_code=202,
                        headers={"Location": f"/api/datasets/{row.public_id}"})


@router.get("/datasets")
def my_contributions(request: Request) -> dict[str, Any]:
    state = _state(request)
    user = user_for(state, _token(request))
    with read_session(state.sessions) as s:
        rows = s.execute(select(Contribution).where(Contribution.user_id == user.id)
                         .order_by(Contribution.id.desc())).scalars().all()
    return {"datasets": [contribution_view(r, owner=True) for r in rows]}


@router.get("/datasets/{public_id}")
def contribution(request: Request, public_id: str) -> dict[str, Any]:
    state = _state(request)
    user = user_for(state, _token(request))
    with read_session(state.sessions) as s:
        row = s.execute(select(Contribution).where(Contribution.public_id == public_id)).scalar_one_or_none()
    if row is None or row.user_id != user.id:
        raise Refusal(404, "not_found", "no such dataset contribution")
    return contribution_view(row, owner=True)
