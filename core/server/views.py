"""What the pages and the JSON API show, as plain dicts: boards, models, submissions.

Boards come from :mod:`generallevel.leaderboard` over the latest scored report of each model. The
computed boards are cached per board version (:meth:`AppState.board_version`: results landed in
this process, and the database's scored rows read at most every ``board_refresh_seconds``), so
several server processes sharing one database stay consistent. Every stored report passes through
:func:`scrub_report` before anything is computed or served from it; parsed and scrubbed reports are
kept per submission (``AppState.reports``), so a new board version parses only the new results and
ranks the boards from the per-model score vectors (``matrix_from_reports``: reduce_report +
MatrixBuilder).
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import defer

from ..answer_redaction import mask_reference_values
from ..errors import GeneralLevelError
from ..levels import MODALITIES
from .board_ci import submission_intervals, with_intervals
from .clock import iso
from .db import Submission, read_session
from .service import Refusal

SORTS = ("level", "score")
log = logging.getLogger("generallevel.server.views")


def model_url(name: str) -> str:
    return "/models/" + quote(name, safe="")


def scrub_report(report: dict[str, Any]) -> dict[str, Any]:
    """``report`` with every free-text message passed through
    :func:`generallevel.answer_redaction.mask_reference_values` (in place; also returned): the
    second layer keeping closed-set answers out of what is served, whatever scored the report."""
    def clean(holder: Any) -> None:
        if not isinstance(holder, dict):
            return
        for key in ("problems", "notes"):
            if isinstance(holder.get(key), list):
                holder[key] = [mask_reference_values(x) if isinstance(x, str) else x for x in holder[key]]
        for key in ("error", "reason"):
            if isinstance(holder.get(key), str):
                holder[key] = mask_reference_values(holder[key])

    clean(report)
    clean(report.get("submission"))
    clean(report.get("evaluation"))
    for t in report.get("tasks") or []:
        clean(t)
        if isinstance(t, dict):
            clean(t.get("interval"))  # its notes; its numbers are the model's own scores, kept
    return report


def latest_scored(state, with_reports: bool = True) -> list[Submission]:
    """The most recent scored submission per (model, leaderboard id); model names compare case-insensitively.
    ``with_reports=False`` leaves the stored reports (``result_json``) unread."""
    query = select(Submission) if with_reports else select(Submission).options(defer(Submission.result_json))
    with read_session(state.sessions) as s:
        rows = s.execute(query.where(Submission.status == "scored")
                         .order_by(Submission.finished_at.desc(), Submission.id.desc())).scalars().all()
    seen, out = set(), []
    for r in rows:
        key = (r.model_name.lower(), r.leaderboard_id)
        if key not in seen:
            seen.add(key)
            out.append(r)
    return out


_SPECS: list[Any] = [None, None]  # [registry object, its board specs]


def _report_key(sub: Submission) -> tuple[str, Any]:
    """A stored result never changes once scored (a rescored submission gets a new finished_at)."""
    return (sub.public_id, sub.finished_at)


def _stored_reports(state, subs: list[Submission]) -> dict[str, dict[str, Any]]:
    """public id -> its parsed, scrubbed report, for the submissions that have one; only reports not
    seen before (``state.reports``) are read from the database and parsed. Forgets the reports no
    longer listed."""
    with state.reports_lock:
        have = {k: state.reports.get(k) for k in map(_report_key, subs)}
    missing = [sub.id for sub in subs if have[_report_key(sub)] is None]
    if missing:
        with read_session(state.sessions) as s:
            texts = dict(s.execute(select(Submission.id, Submission.result_json)
                                   .where(Submission.id.in_(missing))).all())
        for sub in subs:
            text = texts.get(sub.id)
            if have[_report_key(sub)] is None and text:
                have[_report_key(sub)] = scrub_report(json.loads(text))
    with state.reports_lock:
        state.reports = {k: v for k, v in have.items() if v is not None}
    return {sub.public_id: have[_report_key(sub)] for sub in subs if have[_report_key(sub)] is not None}


def covers(submitted: dict[str, Any] | None, board: dict[str, Any]) -> bool:
    """Whether predictions made for board ``submitted`` hold every task of ``board``.

    A model appears on the boards its submission covers: a scope-a submission on every board, a
    scope-c-image-comprehension one on that board and its Scope-D skill-group boards, and so on.
    """
    if submitted is None:
        return False
    if board["scope"] in ("A", "B") and submitted["scope"] not in ("A", "B"):
        return False  # Scope-A/B boards include the NLP tasks
    if not set(board["modalities"]) <= set(submitted["modalities"]):
        return False
    if submitted["paradigm"] is not None and board["paradigm"] != submitted["paradigm"]:
        return False
    return ((submitted["skill"] is None or board["skill"] == submitted["skill"])
            and (submitted.get("skill_group") is None or board.get("skill_group") == submitted["skill_group"]))


def _rank(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Level, then score, descending; equal (Level, score) share a rank (as generallevel.leaderboard)."""
    rows.sort(key=lambda r: (-r["level"], -r["score"], r["model"].lower()))
    prev, rank = None, 0
    for i, r in enumerate(rows, start=1):
        if (r["level"], r["score"]) != prev:
            rank, prev = i, (r["level"], r["score"])
        r["rank"] = rank
    return rows


def _computed(state) -> dict[str, Any]:
    return state.cached(("boards", state.board_version()), lambda: _compute(state))


def warm_boards(state, version: tuple) -> None:
    """Build the boards of board version ``version`` into the cache (before it is served)."""
    state.cached(("boards", version), lambda: _compute(state))


def _all_specs() -> list[dict[str, Any]]:
    from ..leaderboard import board_specs
    from ..plugins import get_registry

    reg = get_registry()
    if _SPECS[0] is not reg:  # the registry's boards, described once per registry (copies handed out)
        _SPECS[1] = [b.describe() for b in board_specs((t.modality, t.paradigm, t.skill, t.skill_group,
                                                        t.skill_group_name) for t in reg.tasks)]
        _SPECS[0] = reg
    return [dict(b) for b in _SPECS[1]]


def _compute(state) -> dict[str, Any]:
    from ..leaderboard import compute_boards, matrix_from_reports

    specs = _all_specs()
    by_id = {b["id"]: b for b in specs}
    subs = latest_scored(state, with_reports=False)
    reports = _stored_reports(state, subs)
    notes: list[str] = []
    if reports:  # only reports scored against the newest submission's registry can share a board
        current = reports[subs[0].public_id].get("provenance", {}).get("registry_sha256")
        stale = sorted({r.model_name for r in subs
                        if reports[r.public_id].get("provenance", {}).get("registry_sha256") != current})
        reports = {k: d for k, d in reports.items() if d.get("provenance", {}).get("registry_sha256") == current}
        if stale:
            notes.append(f"{len(stale)} model(s) scored against an older task registry are not shown "
                         f"until rescored: {', '.join(stale)}")
    subs = [r for r in subs if r.public_id in reports]
    latest_by_model: dict[str, Submission] = {}
    for r in subs:  # newest first
        latest_by_model.setdefault(r.model_name.lower(), r)
    boards: dict[str, dict[str, Any]] = {}
    if reports:
        try:
            keyed = [{**reports[r.public_id], "model": r.public_id} for r in subs]
            matrix = matrix_from_reports(keyed, [r.public_id for r in subs])
            computed = compute_boards(matrix)
        except GeneralLevelError as e:  # a bad stored report must not take the site down
            return {"specs": specs, "boards": {}, "reports": {}, "subs": {}, "models": {},
                    "notes": notes + [f"boards unavailable: {e}"]}
        try:
            intervals = submission_intervals(state, matrix, computed, subs, reports, [_report_key(r) for r in subs])
        except Exception as e:  # noqa: BLE001 - intervals are extra: never worth the boards
            log.exception("board intervals failed")
            intervals = {}
            notes.append("confidence intervals unavailable: " + (str(e) if isinstance(e, GeneralLevelError)
                                                                 else "an internal error (logged)"))
        sub_of = {r.public_id: r for r in subs}
        for b in computed:
            spec = b.spec.describe()
            rows, taken = [], set()
            for row in sorted(b.rows(), key=lambda x: -sub_of[x["model"]].finished_at.timestamp()):
                sub = sub_of[row["model"]]
                if sub.model_name.lower() in taken or not covers(by_id.get(sub.leaderboard_id), spec):
                    continue
                taken.add(sub.model_name.lower())
                rows.append({**row, "model": sub.model_name, "submission": sub.public_id})
            rows = with_intervals(_rank(rows), spec["id"], intervals)
            boards[spec["id"]] = {**spec, "tasks": b.n_tasks, "rows": rows}
    return {"specs": specs, "boards": boards, "reports": reports, "notes": notes,
            "subs": {r.public_id: r for r in subs},
            "models": {r.model_name: r for r in latest_by_model.values()}}


def scopes(state) -> list[dict[str, Any]]:
    from ..leaderboard import SCOPE_TITLES, SCOPES

    specs = _computed(state)["specs"]
    return [{"scope": sc, "title": SCOPE_TITLES[sc],
             "boards": [{"id": b["id"], "title": b["title"]} for b in specs if b["scope"] == sc]}
            for sc in SCOPES]


def _scope(scope: str) -> str:
    from ..leaderboard import normalise_scope

    try:
        return normalise_scope(scope)
    except GeneralLevelError:
        raise Refusal(404, "unknown_scope", "unknown scope; choose A, B, C or D") from None


def _modality_scores(report: dict[str, Any], modalities: list[str], level: int) -> dict[str, float]:
    """Each modality's S_k at the row's Level (k capped at 4): for Scope-A/B these average to the score."""
    k = min(level, 4)
    return {m: (float(report["modalities"][m][f"level{k}"]) if k >= 2 else 0.0) for m in modalities}


def board(state, scope: str, board_id: str | None = None, sort: str = "level") -> dict[str, Any]:
    sc = _scope(scope)
    if sort not in SORTS:
        raise Refusal(422, "bad_sort", "sort must be 'level' or 'score'")
    data = _computed(state)
    specs = [b for b in data["specs"] if b["scope"] == sc]
    if board_id is None:
        spec = specs[0] if specs else None
    else:
        spec = next((b for b in specs if b["id"] == board_id.lower()), None)
        if spec is None:
            raise Refusal(404, "unknown_board", f"no board with that id in Scope-{sc}")
    if spec is None:
        return {"scope": sc, "board": None, "boards": [], "rows": [], "sort": sort, "notes": data["notes"]}
    computed = data["boards"].get(spec["id"])
    rows = []
    for row in (computed or {}).get("rows", []):
        sub = data["subs"][row["submission"]]
        extra = {"params": sub.params, "submitted_at": iso(sub.created_at), "leaderboard_id": sub.leaderboard_id,
                 "url": model_url(row["model"])}
        if sc in ("A", "B"):
            extra["modality_scores"] = _modality_scores(data["reports"][row["submission"]], spec["modalities"],
                                                        row["level"])
        rows.append({**row, **extra})
    if sort == "score":
        rows.sort(key=lambda r: (-r["score"], r["model"].lower()))
    return {"scope": sc, "board": spec, "boards": [{"id": b["id"], "title": b["title"]} for b in specs],
            "sort": sort, "rows": rows, "notes": data["notes"]}


def model_list(state) -> list[dict[str, Any]]:
    data = _computed(state)
    a = {r["model"]: r for r in data["boards"].get("scope-a", {"rows": []})["rows"]}
    out = []
    for name, sub in sorted(data["models"].items(), key=lambda kv: kv[0].lower()):
        report = data["reports"][sub.public_id]
        r = a.get(name, {})
        out.append({"model": name, "params": sub.params, "leaderboard_id": sub.leaderboard_id,
                    "level": report.get("level"), "scope_a_rank": r.get("rank"), "scope_a_score": r.get("score"),
                    "submitted_at": iso(sub.created_at), "url": model_url(name)})
    return out


def model_detail(state, name: str) -> dict[str, Any]:
    """Diagnostics for one model (its latest scored submission): Level scores, per-modality
    comprehension vs generation, tasks won over SoTA, and its place on every board it appears on."""
    data = _computed(state)
    key = next((m for m in data["models"] if m.lower() == name.lower()), None)
    if key is None:
        raise Refusal(404, "unknown_model", "no scored model with that name")
    sub = data["models"][key]
    report = data["reports"][sub.public_id]
    tasks = report.get("tasks", [])
    placements = []
    for b in data["boards"].values():
        row = next((r for r in b["rows"] if r["model"] == key), None)
        if row is not None:
            placements.append({"board": b["id"], "title": b["title"], "scope": b["scope"], "rank": row["rank"],
                               "of": len(b["rows"]), "level": row["level"], "score": row["score"],
                               "supported": row["supported"], "tasks": row["tasks"],
                               **{k: row[k] for k in ("ci", "p_level", "tied") if k in row}})
    modalities = {m: report["modalities"][m] for m in MODALITIES if m in report.get("modalities", {})}
    submitted = report.get("submission") or {}
    return {
        "model": key, "params": sub.params, "description": sub.description,
        "leaderboard_id": sub.leaderboard_id, "submitted_at": iso(sub.created_at), "scored_at": iso(sub.finished_at),
        "level": report["level"], "levels": report["levels"], "modalities": modalities, "nlp": report.get("nlp", {}),
        "supported": sum(1 for t in tasks if t.get("score") is not None), "tasks_total": len(tasks),
        "wins": [t for t in tasks if t.get("win")],
        "tasks": [t for t in tasks if t.get("score") is not None],
        "boards": sorted(placements, key=lambda p: (p["scope"], p["board"])),
        "target_board": submitted.get("board"),
        "problems": submitted.get("problems") or (report.get("evaluation") or {}).get("problems", []),
        "provenance": report.get("provenance", {}),
        "report_url": model_url(key) + "/report.html",
    }


def model_report(state, name: str) -> dict[str, Any]:
    """The full stored report of a model's latest scored submission (per-task rows, problems)."""
    data = _computed(state)
    key = next((m for m in data["models"] if m.lower() == name.lower()), None)
    if key is None:
        raise Refusal(404, "unknown_model", "no scored model with that name")
    return data["reports"][data["models"][key].public_id]


def find_submission(state, public_id: str) -> Submission:
    with read_session(state.sessions) as s:
        sub = s.execute(select(Submission).where(Submission.public_id == public_id)).scalar_one_or_none()
    if sub is None:
        raise Refusal(404, "unknown_submission", "no such submission")
    return sub


def submission_view(sub: Submission, owner: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": sub.public_id, "model": sub.model_name, "leaderboard_id": sub.leaderboard_id, "params": sub.params,
        "status": sub.status, "reason": mask_reference_values(sub.reason), "level": sub.level, "attempts": sub.attempts,
        "submitted_at": iso(sub.created_at), "started_at": iso(sub.started_at), "finished_at": iso(sub.finished_at),
        "links": {"status": f"/api/submissions/{sub.public_id}", "page": f"/submissions/{sub.public_id}",
                  "model": model_url(sub.model_name) if sub.status == "scored" else None},
    }
    if owner:
        out.update({"description": sub.description, "contact_email": sub.contact_email,
                    "filename": sub.filename, "size_bytes": sub.size_bytes, "sha256": sub.sha256})
    return out
