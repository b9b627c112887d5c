"""General-Bench task declarations, the task catalogue, registry.toml loading and its fingerprint."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .catalog import suggest
from .errors import InputError, RegistrationError, UnknownTaskError


def _tomllib():
    """tomllib, imported on a cache miss only (its import is a few ms of every start)."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    return tomllib


def __getattr__(name: str) -> Any:
    if name == "tomllib":  # ``from generallevel.tasks import tomllib`` keeps working
        return _tomllib()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

MODALITIES = ("Image", "Video", "Audio", "3D", "NLP")
NON_LANGUAGE = ("Image", "Video", "Audio", "3D")
PARADIGMS = ("comprehension", "generation", "none")

_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str) -> str:
    return _SLUG.sub("-", text.strip().lower()).strip("-")


def _task_key(text: str) -> str:
    """Lookup key for names: case-, space- and punctuation-insensitive (full-width brackets too)."""
    return _SLUG.sub("", str(text).replace("（", "(").replace("）", ")").strip().lower())


@dataclass
class Task:
    """One General-Bench task.

    ``sota`` is expressed in ``sota_unit`` (the unit of the official sheet and of official result
    workbooks); :attr:`sota_metric_unit` is the same value converted into the metric's own unit.
    ``skill_group`` is the paper's skill (e.g. ``"I-C #17"``; a Scope-D board each), with a short
    ``skill_group_name``; ``skill`` is a keyword cluster (docs/scopes.md).
    """

    id: str
    name: str
    modality: str
    paradigm: str
    metric: str
    sota: float | None
    sota_unit: str
    short_name: str = ""
    skill: str = ""
    skill_group: str = ""
    skill_group_name: str = ""
    domain: str = ""
    sheet_metric: str = ""
    sheet: str = ""
    adapter: Callable | str | None = None
    metric_options: dict[str, Any] = field(default_factory=dict)
    plugin: str = ""
    sota_metric_unit: float | None = None

    def __post_init__(self) -> None:
        where = f"task {self.id or self.name!r}"
        if not self.id or slugify(self.id) != self.id:
            raise RegistrationError(f"{where}: id must be a non-empty slug (a-z, 0-9, '-'), got {self.id!r}")
        if not str(self.name).strip():
            raise RegistrationError(f"{where}: name must not be empty")
        self.name = " ".join(str(self.name).split())
        self.short_name = " ".join(str(self.short_name).split())
        self.skill_group = " ".join(str(self.skill_group).split())
        self.skill_group_name = " ".join(str(self.skill_group_name).split())
        if self.modality not in MODALITIES:
            raise RegistrationError(f"{where}: modality {self.modality!r} is not one of {MODALITIES}")
        if self.paradigm not in PARADIGMS:
            raise RegistrationError(f"{where}: paradigm {self.paradigm!r} is not one of {PARADIGMS}")
        if (self.modality == "NLP") != (self.paradigm == "none"):
            raise RegistrationError(
                f"{where}: NLP tasks have paradigm 'none' and other modalities comprehension/generation"
            )

    @property
    def group(self) -> str:
        return self.modality if self.modality == "NLP" else f"{self.modality}-{self.paradigm}"

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "short_name": self.short_name,
            "modality": self.modality, "paradigm": self.paradigm, "metric": self.metric,
            "sota": self.sota, "sota_unit": self.sota_unit, "skill": self.skill,
            "skill_group": self.skill_group, "skill_group_name": self.skill_group_name,
            "domain": self.domain, "metric_options": dict(self.metric_options), "plugin": self.plugin,
        }


class TaskCatalog:
    """Tasks by id, looked up by id, name, or short name (when that short name is unique)."""

    def __init__(self) -> None:
        self._by_id: dict[str, Task] = {}
        self._names: dict[str, str] = {}
        self._shorts: dict[str, list[str]] = {}

    def add(self, task: Task) -> None:
        if task.id in self._by_id:
            other = self._by_id[task.id]
            raise RegistrationError(
                f"duplicate task id {task.id!r}: registered by plugin {other.plugin!r} and again by {task.plugin!r}"
            )
        nkey = _task_key(task.name)
        if nkey in self._names:
            other = self._by_id[self._names[nkey]]
            raise RegistrationError(
                f"duplicate task name {task.name!r}: task {other.id!r} (plugin {other.plugin!r}) "
                f"and task {task.id!r} (plugin {task.plugin!r})"
            )
        self._by_id[task.id] = task
        self._names[nkey] = task.id
        self._names.setdefault(_task_key(task.id), task.id)
        if task.short_name:
            self._shorts.setdefault(_task_key(task.short_name), []).append(task.id)

    def get(self, id_or_name: str) -> Task:
        key = str(id_or_name)
        if key in self._by_id:
            return self._by_id[key]
        k = _task_key(key)
        if k in self._names:
            return self._by_id[self._names[k]]
        if k in self._shorts:
            ids = self._shorts[k]
            if len(ids) == 1:
                return self._by_id[ids[0]]
            raise UnknownTaskError(key, sorted(ids))  # an ambiguous short name
        raise UnknownTaskError(key, suggest(k, self._names, cutoff=0.75))

    def __contains__(self, id_or_name: str) -> bool:
        try:
            self.get(id_or_name)
            return True
        except UnknownTaskError:
            return False

    def filter(self, modality: str | None = None, paradigm: str | None = None,
               skill: str | None = None, skill_group: str | None = None) -> list[Task]:
        out = list(self._by_id.values())
        if modality is not None:
            mods = {m.lower(): m for m in MODALITIES}
            if modality.lower() not in mods:
                raise InputError(f"unknown modality {modality!r}; choose from {', '.join(MODALITIES)}")
            out = [t for t in out if t.modality == mods[modality.lower()]]
        if paradigm is not None:
            if paradigm.lower() not in PARADIGMS:
                raise InputError(f"unknown paradigm {paradigm!r}; choose from {', '.join(PARADIGMS)}")
            out = [t for t in out if t.paradigm == paradigm.lower()]
        if skill is not None:
            out = [t for t in out if t.skill.lower() == skill.lower()]
        if skill_group is not None:
            key = _task_key(skill_group)
            out = [t for t in out if _task_key(t.skill_group) == key]
        return out

    def __iter__(self):
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def fingerprint(self, metric_formulas: dict[str, str]) -> str:
        """sha256 of everything that changes a score or a board: tasks (sorted) and their metrics' mappings."""
        rows = [
            [t.id, t.name, t.modality, t.paradigm, t.metric, t.sota, t.sota_unit, t.skill, t.skill_group,
             metric_formulas.get(t.metric, ""), t.metric_options]
            for t in sorted(self._by_id.values(), key=lambda t: t.id)
        ]
        blob = json.dumps(rows, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


_TASK_FIELDS = {"id", "name", "short_name", "modality", "paradigm", "metric", "sota", "sota_unit",
                "skill", "skill_group", "skill_group_name", "domain", "sheet_metric", "sheet", "adapter",
                "metric_options"}


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "generallevel"


def _parse_toml_cached(path: Path) -> dict[str, Any]:
    """Parse a registry TOML, reusing a JSON copy keyed by the file's sha256.

    tomllib needs ~50 ms for the 699-task catalogue, a third of the startup budget; the JSON copy
    loads in a few ms. The key is the content hash, so an edited file is never served stale; a
    cache that cannot be read or written is simply skipped.
    """
    raw = path.read_bytes()
    cache = _cache_dir() / f"registry-{hashlib.sha256(raw).hexdigest()[:32]}.json"
    try:
        return json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    data = _tomllib().loads(raw.decode("utf-8"))
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, cache)
    except OSError:
        pass
    return data


def load_registry_toml(path: str | Path) -> list[Task]:
    """Read a registry TOML (``[[task]]`` tables) into Task objects; errors name the file and entry."""
    path = Path(path)
    try:
        data = _parse_toml_cached(path)
    except FileNotFoundError:
        raise InputError(f"{path}: registry file not found") from None
    except UnicodeDecodeError as e:
        raise InputError(f"{path}: not UTF-8 text: {e}") from None
    except ValueError as e:  # tomllib.TOMLDecodeError
        if not isinstance(e, _tomllib().TOMLDecodeError):
            raise
        raise InputError(f"{path}: malformed TOML: {e}") from None
    entries = data.get("task")
    if not isinstance(entries, list):
        raise InputError(f"{path}: expected [[task]] tables")
    return [task_from_mapping(e, f"{path}: [[task]] #{i + 1}") for i, e in enumerate(entries)]


def task_from_mapping(entry: Any, where: str) -> Task:
    if not isinstance(entry, dict):
        raise InputError(f"{where}: a task entry must be a table")
    unknown = set(entry) - _TASK_FIELDS
    if unknown:
        raise InputError(f"{where}: unknown field(s) {sorted(unknown)}")
    missing = [k for k in ("id", "name", "modality", "paradigm", "metric", "sota_unit") if k not in entry]
    if missing:
        raise InputError(f"{where}: missing field(s) {missing}")
    try:
        return Task(**{"sota": None, **entry})
    except RegistrationError as e:
        raise InputError(f"{where}: {e}") from None


