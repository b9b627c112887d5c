"""Dataset contributions: ``[data-name].zip`` plus ``[data-name]-[eval-instruction].zip`` with the
fields General-Bench asks for, validated and stored under ``contributions/<id>/`` for review.

Validation: the fields (counts, modality/paradigm pairing, ...), the file names, each archive's
members (no absolute paths, no ``..``, no links, no encryption, supported compression only, size
caps), and the data archive's task folders through ``generallevel tasks validate``
(:func:`generallevel.validate.validate` on a private extraction in the data directory). Problems
refuse the upload; notes and count mismatches are stored as warnings.

Fair use: at most ``ContributionRules.per_day`` contributions in 24 hours and ``per_week`` in 7
days per user, refused (429) before the body is read and decided again, atomically, in the
transaction that reserves the contribution's row; checks share the bounded check slots.
"""

from __future__ import annotations

import json
import re
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from ..errors import GeneralLevelError, InputError
from ..tasks import MODALITIES
from .clock import as_utc, iso
from .db import Contribution, User, read_session, write_session
from .service import Refusal, lock_user, scrub, unsafe_text_problem, user_for
from .storage import Scratch, new_public_id, safe_upload_name
from .uploads import StoredFile

DATA_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$")
MAX_MEMBERS = 20_000
COMPRESSIONS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
STALE_CHECK = timedelta(hours=1)  # a 'checking' contribution this old belonged to a process that died


@dataclass
class ContributionFields:
    name: str = ""
    open_instances: str = ""
    closed_instances: str = ""
    modality: str = ""
    paradigm: str = ""
    domain: str = ""
    capabilities: str = ""
    evaluation_method: str = ""
    problems: list[str] = field(default_factory=list)

    @classmethod
    def from_form(cls, form: Any) -> "ContributionFields":
        get = lambda k: form.get(k) if isinstance(form.get(k), str) else ""  # noqa: E731
        return cls(*(get(k) for k in ("name", "open_instances", "closed_instances", "modality", "paradigm",
                                      "domain", "capabilities", "evaluation_method")))

    def validate(self) -> dict[str, Any]:
        """The cleaned values, or Refusal(422) listing every problem."""
        p = self.problems
        name = self.name.strip()
        if not DATA_NAME.match(name):
            p.append("name: 1-120 characters: letters, digits and . _ - (it names the archives)")
        counts = {}
        for k in ("open_instances", "closed_instances"):
            raw = getattr(self, k).strip()
            if not raw.isdigit():
                p.append(f"{k}: a whole number >= 0")
            else:
                counts[k] = int(raw)
        if len(counts) == 2 and counts["closed_instances"] < 1:
            p.append("closed_instances: the closed (leaderboard) split needs at least one instance")
        mods = {m.lower(): m for m in MODALITIES}
        modality = mods.get(self.modality.strip().lower())
        if modality is None:
            p.append(f"modality: one of {', '.join(MODALITIES)}")
        paradigm = self.paradigm.strip().lower()
        if modality == "NLP" and paradigm not in ("none", ""):
            p.append("paradigm: NLP datasets have paradigm 'none'")
        elif modality and modality != "NLP" and paradigm not in ("comprehension", "generation"):
            p.append("paradigm: comprehension or generation")
        paradigm = "none" if modality == "NLP" else paradigm
        domain = " ".join(self.domain.split())
        if not domain or len(domain) > 120:
            p.append("domain: 1-120 characters")
        caps = [c.strip() for c in self.capabilities.replace("\n", ",").split(",") if c.strip()]
        if not caps or len(caps) > 30 or any(len(c) > 80 for c in caps):
            p.append("capabilities: a comma-separated list of 1-30 capabilities")
        method = self.evaluation_method.strip()
        if not method or len(method) > 5000:
            p.append("evaluation_method: the metric and how it is computed (1-5000 characters)")
        for k in ("domain", "capabilities", "evaluation_method"):
            bad = unsafe_text_problem(k, getattr(self, k))
            if bad:
                p.append(bad)
        if p:
            raise Refusal(422, "invalid_fields", "; ".join(p))
        return {"name": name, **counts, "modality": modality, "paradigm": paradigm, "domain": domain,
                "capabilities": caps, "evaluation_method": method}


def check_zip(path: Path, label: str, max_member: int, max_total: int) -> list[str]:
    """Member names of a safe archive; raises InputError naming the first problem.

    Everything the central directory tells is checked before any member is decompressed."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise InputError(f"{label}: not a readable zip archive") from None
    with zf:
        infos = zf.infolist()
        if not infos:
            raise InputError(f"{label}: the archive is empty")
        if len(infos) > MAX_MEMBERS:
            raise InputError(f"{label}: {len(infos):,} members; at most {MAX_MEMBERS:,} are accepted")
        total = 0
        names = []
        for info in infos:
            n = info.filename
            pp = PurePosixPath(n)
            if n.startswith(("/", "\\")) or "\\" in n or re.match(r"^[A-Za-z]:", n) or ".." in pp.parts:
                raise InputError(f"{label}: member {n!r} points outside the archive root")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise InputError(f"{label}: member {n!r} is a link; links are not allowed")
            if info.flag_bits & 0x1:
                raise InputError(f"{label}: member {n!r} is encrypted; upload an unencrypted archive")
            if info.compress_type not in COMPRESSIONS:
                raise InputError(f"{label}: member {n!r} uses compression method {info.compress_type}, which is "
                                 f"not supported; use deflate (the zip default)")
            if info.file_size > max_member:
                raise InputError(f"{label}: member {n!r} expands to {info.file_size} bytes (limit {max_member})")
            total += info.file_size
            if total > max_total:
                raise InputError(f"{label}: the archive expands to more than {max_total} bytes")
            names.append(n)
        try:
            bad = zf.testzip()
        except (RuntimeError, NotImplementedError, zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
            raise InputError(f"{label}: a member cannot be read ({e})") from None
        if bad is not None:
            raise InputError(f"{label}: member {bad!r} is corrupt")
    return names


def _count_instances(root: Path) -> tuple[int, list[str]]:
    total, tasks = 0, []
    for ann in sorted(root.rglob("annotation.json")):
        try:
            doc = json.loads(ann.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue  # reported by the validator
        if isinstance(doc, dict) and isinstance(doc.get("data"), list):
            total += len(doc["data"])
            tasks.append(str(doc.get("task") or ann.parent.name))
    return total, tasks


def _extract(path: Path, dest: Path) -> None:
    """Extract an archive already vetted by :func:`check_zip` (no .., no absolute paths, no links)."""
    dest.mkdir(parents=True)
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            target = (dest / info.filename).resolve()
            if dest.resolve() not in target.parents and target != dest.resolve():
                raise InputError(f"{path.name}: member {info.filename!r} points outside the archive root")
            try:
                zf.extract(info, dest)
            except OSError as e:
                raise InputError(f"{path.name}: member {info.filename!r} cannot be extracted ({e.strerror})") from None


def validate_archives(state, values: dict[str, Any], data: Path, instr: Path) -> dict[str, Any]:
    cfg = state.config
    check_zip(data, data.name, cfg.max_member_bytes, cfg.max_total_bytes)
    check_zip(instr, instr.name, cfg.max_member_bytes, cfg.max_total_bytes)
    checker = cfg.contribution_checker or tasks_validate
    report = checker(data, values) or {}
    warnings = list(report.get("warnings", []))
    expected = values["open_instances"] + values["closed_instances"]
    found = report.get("instances")
    if found is not None and found != expected:
        warnings.append(f"the data archive holds {found} instances, the form says {expected} "
                        f"(open {values['open_instances']} + closed {values['closed_instances']})")
    return {**report, "warnings": warnings}


def tasks_validate(data: Path, values: dict[str, Any]) -> dict[str, Any]:
    """``generallevel tasks validate`` on the extracted data archive; problems refuse the upload.

    A new task must be declared in a ``task.toml`` inside the archive (or already be registered).
    """
    from ..validate import validate

    with tempfile.TemporaryDirectory(dir=data.parent) as tmp:
        root = Path(tmp) / values["name"]
        _extract(data, root)
        report = validate(root)
        clean = lambda text: scrub(str(text), {str(root.resolve()) + "/": "", str(root) + "/": "",  # noqa: E731
                                              str(root.resolve()): ".", str(root): "."})
        if report.problems:
            shown = [clean(p) for p in report.problems[:20]]
            more = len(report.problems) - len(shown)
            raise InputError(f"{data.name} does not validate ({len(report.problems)} problem(s)):\n  - "
                             + "\n  - ".join(shown) + (f"\n  … and {more} more" if more > 0 else ""))
        instances, tasks = _count_instances(root)
    return {"validator": "generallevel tasks validate", "instances": instances, "tasks": tasks,
            "warnings": [clean(n) for n in report.notes]}


def _window_counts(s: Session, state, user_id: int) -> tuple[int, int]:
    now = state.config.clock()
    times = s.execute(select(Contribution.created_at).where(Contribution.user_id == user_id,
                                                            Contribution.created_at > now - timedelta(days=7))).scalars()
    times = [as_utc(t) for t in times]
    return sum(t > now - timedelta(hours=24) for t in times), len(times)


def refuse_if_too_many(state, user: User, session: Session | None = None) -> None:
    """429 when the user has used up the contribution allowance (every stored or checking one counts)."""
    rules = state.config.contribution_rules
    if session is None:
        with read_session(state.sessions) as s:
            day, week = _window_counts(s, state, user.id)
    else:
        day, week = _window_counts(session, state, user.id)
    if day >= rules.per_day:
        raise Refusal(429, "daily_limit", f"fair-use limit: at most {rules.per_day} dataset contributions in "
                                          f"24 hours; please wait before offering another")
    if week >= rules.per_week:
        raise Refusal(429, "weekly_limit", f"fair-use limit: at most {rules.per_week} dataset contributions in "
                                           f"7 days; please wait before offering another")


def accept_contribution(state, token: str | None, fields: ContributionFields, data: StoredFile | None,
                        instr: StoredFile | None, scratch: Scratch) -> Contribution:
    """Check and store a contribution whose files are already in ``scratch`` (removed in any case)."""
    cfg = state.config
    row_id = None
    try:
        user = user_for(state, token)
        values = fields.validate()
        if data is None:
            raise Refusal(400, "missing_file", "attach the data archive ([data-name].zip) as the form file field 'data'")
        if instr is None:
            raise Refusal(400, "missing_file", "attach the evaluation-instruction archive "
                                               "([data-name]-[eval-instruction].zip) as the form file field 'instruction'")
        try:
            data_name = safe_upload_name(data.filename, "data archive")
            instr_name = safe_upload_name(instr.filename, "evaluation-instruction archive")
        except GeneralLevelError as e:
            raise Refusal(400, "bad_archive", str(e)) from None
        if data_name != f"{values['name']}.zip":
            raise Refusal(400, "bad_archive",
                          f"the data archive must be named {values['name']}.zip, got {data_name!r}")
        if not (instr_name.startswith(f"{values['name']}-") and len(instr_name) > len(values["name"]) + 5):
            raise Refusal(400, "bad_archive", f"the evaluation-instruction archive must be named "
                                              f"{values['name']}-[eval-instruction].zip, got {instr_name!r}")
        row_id, public_id = _reserve(state, user, values, data_name, instr_name)
        dpath, ipath = scratch.path / data_name, scratch.path / instr_name
        data.path.replace(dpath)
        instr.path.replace(ipath)
        try:
            with state.check_slot():
                report = validate_archives(state, values, dpath, ipath)
        except GeneralLevelError as e:
            raise Refusal(400, "invalid_dataset",
                          scrub(str(e), {str(scratch.path) + "/": "", str(scratch.path): "upload"})) from None
        (scratch.path / "fields.json").write_text(json.dumps(values, indent=2, ensure_ascii=False), encoding="utf-8")
        moved = scratch.keep_as(cfg.data_dir, "contributions", public_id)
        with write_session(state.sessions) as s:
            s.execute(update(Contribution).where(Contribution.id == row_id).values(
                status="pending_review", stored_dir=str(moved.relative_to(cfg.data_dir)),
                validation_json=json.dumps(report, ensure_ascii=False, default=str)))
            row = s.get(Contribution, row_id)
        row_id = None  # stored
        return row
    finally:
        scratch.discard()
        if row_id is not None:
            with write_session(state.sessions) as s:
                s.execute(delete(Contribution).where(Contribution.id == row_id, Contribution.status == "checking"))


def _reserve(state, user: User, values: dict[str, Any], data_name: str, instr_name: str) -> tuple[int, str]:
    """In one locked transaction: the allowance again (parallel uploads), then a 'checking' row."""
    with write_session(state.sessions) as s:
        lock_user(s, user.id)
        s.execute(delete(Contribution).where(Contribution.status == "checking",
                                             Contribution.created_at < state.config.clock() - STALE_CHECK))
        refuse_if_too_many(state, user, s)
        row = Contribution(
            public_id=new_public_id(), user_id=user.id, name=values["name"],
            open_instances=values["open_instances"], closed_instances=values["closed_instances"],
            modality=values["modality"], paradigm=values["paradigm"], domain=values["domain"],
            capabilities=json.dumps(values["capabilities"]), evaluation_method=values["evaluation_method"],
            data_filename=data_name, instruction_filename=instr_name, stored_dir="", validation_json="{}",
            status="checking", created_at=state.config.clock())
        s.add(row)
        s.flush()
        return row.id, row.public_id


def contribution_view(row: Contribution, owner: bool = False) -> dict[str, Any]:
    report = json.loads(row.validation_json or "{}")
    out = {
        "id": row.public_id, "name": row.name, "status": row.status,
        "open_instances": row.open_instances, "closed_instances": row.closed_instances,
        "modality": row.modality, "paradigm": row.paradigm, "domain": row.domain,
        "capabilities": json.loads(row.capabilities), "evaluation_method": row.evaluation_method,
        "submitted_at": iso(row.created_at), "reviewed_at": iso(row.reviewed_at),
        "review_note": row.review_note, "warnings": report.get("warnings", []),
    }
    if owner:
        out["files"] = [row.data_filename, row.instruction_filename]
    return out


def review(session: Session, public_id: str, accept: bool, note: str, now) -> Contribution:
    from sqlalchemy import select

    row = session.execute(select(Contribution).where(Contribution.public_id == public_id)).scalar_one_or_none()
    if row is None:
        raise InputError(f"no dataset contribution {public_id!r}")
    row.status = "accepted" if accept else "rejected"
    row.review_note = note
    row.reviewed_at = now
    return row
