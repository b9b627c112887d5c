"""Leaderboards (Scope-A..D) recomputed from per-model result reports.

Input: the JSON written by ``generallevel score --format json --tasks`` (``ScoreReport.to_dict(
include_tasks=True)``), one per model. :mod:`generallevel.results_matrix` aligns all reports into one
(models x tasks) matrix of normalised scores, :func:`generallevel.levels.compute_levels` runs once over it, and every board of
every scope is a few column means of its outputs (no per-model Python loop), so 1,000 models x
699 tasks x all 146 boards take a few tens of milliseconds. What "Level" and "score" mean on each kind of
board is defined in docs/scopes.md and in :data:`LEVEL_RULES`.

Only the reports are read: the task list, skills, SoTA and mode come from the files themselves, so
boards can be rebuilt without the scoring plugins installed. Every report must name the same
registry fingerprint (``provenance.registry_sha256``); mixing registries is refused. The boards'
provenance names the generallevel that ranked them and the versions the reports were scored with.
``ResultMatrix``, ``matrix_from_reports`` and ``load_results`` are re-exported from results_matrix.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import numpy as np

from .errors import InputError
from .levels import MODALITIES, NLP, PARADIGMS, compute_levels
from .results_matrix import ResultMatrix, load_results, matrix_from_reports  # noqa: F401 (re-exported)

SCOPES = ("A", "B", "C", "D")
SCOPE_TITLES = {"A": "Full-spectrum Hero", "B": "Modality-specific Unified Hero",
                "C": "Comprehension/Generation Hero", "D": "Skill-specific Hero"}
LEVEL_RULES = {
    "A": "General-Level over Image, Video, Audio, 3D (S2..S4 = mean of the four modalities' scores), "
         "S5 = S4 x S_L/100 with the NLP tasks; Level = highest k with S_k > 0; score = S_Level",
    "B": "as Scope-A but S2..S4 averaged over the board's modalities only (NLP still gauges Level-5); "
         "score = S_Level",
    "C": "single paradigm: S2 = plain mean of the group's task scores (unsupported = 0), S3 = wins-only "
         "mean (S_C or S_G: a task counts only where score >= SoTA); Level 3 if S3 > 0, 2 if S2 > 0, "
         "else 1 (at most 3); score = S_Level",
    "D": "as Scope-C over the tasks of one of the paper's skill groups (skill_group) within one modality x "
         "paradigm group (facet 'keyword': one keyword skill cluster instead)",
}
FACETS = ("group", "keyword")  # Scope-D boards per paper skill group (default) or per keyword skill
_LEVEL_KEYS = ("level2", "level3", "level4", "level5")


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")


@dataclass(frozen=True)
class BoardSpec:
    """One leaderboard: which tasks it ranks on. ``id`` is also the submission archive's board id."""

    id: str
    scope: str
    title: str
    modalities: tuple[str, ...]
    paradigm: str | None = None
    skill: str | None = None  # a keyword-facet Scope-D board: this keyword skill's tasks
    skill_group: str | None = None  # a Scope-D board: this paper skill group's tasks ("I-C #17")
    skill_group_name: str = ""

    @property
    def max_level(self) -> int:
        return 5 if self.scope in ("A", "B") else 3

    def includes(self, modality: str, paradigm: str, skill: str, skill_group: str = "") -> bool:
        """Whether a task belongs to this board (Scope-A/B boards include the NLP tasks)."""
        if modality == NLP:
            return self.scope in ("A", "B")
        return (modality in self.modalities and (self.paradigm is None or paradigm == self.paradigm)
                and (self.skill is None or skill == self.skill)
                and (self.skill_group is None or skill_group == self.skill_group))

    def describe(self) -> dict[str, Any]:
        return {"id": self.id, "scope": self.scope, "scope_title": SCOPE_TITLES[self.scope], "title": self.title,
                "modalities": list(self.modalities),
                "paradigm": self.paradigm, "skill": self.skill, "skill_group": self.skill_group,
                "skill_group_name": self.skill_group_name or None, "max_level": self.max_level,
                "level_rule": LEVEL_RULES[self.scope]}


def modality_combinations() -> list[tuple[str, ...]]:
    """Scope-B boards: each modality alone, then every combination of 2 or 3 modalities (all 4 = Scope-A)."""
    return [c for k in (1, 2, 3) for c in itertools.combinations(MODALITIES, k)]


_GROUP_PREFIX = {"Image": "I", "Video": "V", "Audio": "A", "3D": "3D"}
_GROUP_NUMBER = re.compile(r"(.*?)\s*#\s*(\d+)")


def _group_sort_key(group: str) -> tuple:
    """Paper groups ("I-C #9" before "I-C #10") first, in number order, then any other names."""
    m = _GROUP_NUMBER.fullmatch(group)
    return (0, m[1], int(m[2]), "") if m else (1, "", 0, group)


def skill_group_board_id(modality: str, paradigm: str, group: str) -> str:
    """``scope-d-image-comprehension-17`` for "I-C #17" (the group's own prefix is dropped)."""
    prefix = f"{_GROUP_PREFIX.get(modality, modality)}-{paradigm[:1].upper()}"
    rest = group[len(prefix):] if group.upper().startswith(prefix.upper()) else group
    return f"scope-d-{_slug(modality)}-{paradigm}-{_slug(rest)}"


def _scope_d_specs(rows: list[tuple[str, ...]], facet: str) -> list[BoardSpec]:
    mod_index = lambda m: MODALITIES.index(m) if m in MODALITIES else 99  # noqa: E731
    if facet == "keyword":
        skills = sorted({(m, p, s) for m, p, s, *_ in rows if m != NLP and s},
                        key=lambda t: (mod_index(t[0]), t[1], t[2]))
        return [BoardSpec(f"scope-d-{_slug(m)}-{p}-{_slug(s)}", "D", f"Scope-D: {m} {p} / {s}", (m,), p, s)
                for m, p, s in skills]
    names: dict[tuple[str, str, str], str] = {}
    for m, p, _, g, name in rows:
        if m != NLP and g:
            names.setdefault((m, p, g), name)
    out = []
    for (m, p, g), name in sorted(names.items(), key=lambda kv: (mod_index(kv[0][0]), kv[0][1],
                                                                  _group_sort_key(kv[0][2]))):
        title = f"Scope-D: {m} {p} / {g}" + (f": {name}" if name else "")
        out.append(BoardSpec(skill_group_board_id(m, p, g), "D", title, (m,), p, skill_group=g, skill_group_name=name))
    return out


def board_specs(groups: Iterable[tuple[str, ...]], scope: str | None = None, facet: str = "group") -> list[BoardSpec]:
    """Every board (or one scope's), given each task's (modality, paradigm, skill, skill_group,
    skill_group_name) (the last two may be left off: no paper-group boards then).

    Scope-D has one board per paper skill group (``skill_group``) present in each modality x paradigm
    group, or with ``facet="keyword"`` one per keyword ``skill``; NLP has none.
    """
    if facet not in FACETS:
        raise InputError(f"unknown Scope-D facet {facet!r}; choose {' or '.join(FACETS)}")
    rows = [(*g, "", "")[:5] for g in groups]
    specs = [BoardSpec("scope-a", "A", "Scope-A: all modalities", MODALITIES)]
    for combo in modality_combinations():
        specs.append(BoardSpec("scope-b-" + "-".join(_slug(m) for m in combo), "B",
                               "Scope-B: " + " + ".join(combo), combo))
    for m in MODALITIES:
        for p in PARADIGMS:
            specs.append(BoardSpec(f"scope-c-{_slug(m)}-{p}", "C", f"Scope-C: {m} {p}", (m,), p))
    specs += _scope_d_specs(rows, facet)
    ids: dict[str, BoardSpec] = {}
    for b in specs:
        if b.id in ids:
            raise InputError(f"two Scope-D boards would share the id {b.id!r} ({ids[b.id].title!r} and "
                             f"{b.title!r}); rename one of the skill groups")
        ids[b.id] = b
    if scope is not None:
        scope = normalise_scope(scope)
        specs = [b for b in specs if b.scope == scope]
    return specs


def normalise_scope(scope: str) -> str:
    s = str(scope).strip().upper().removeprefix("SCOPE-").removeprefix("SCOPE")
    if s not in SCOPES:
        raise InputError(f"unknown scope {scope!r}; choose A, B, C or D")
    return s


# -- boards ------------------------------------------------------------------------------------

@dataclass
class Board:
    """One ranked board. Arrays are per model in input order; ``order`` lists model indices by rank.

    ``order`` and ``rank`` are computed on first use (from Level, score and ``name_rank``, the models'
    places in case-insensitive name order): 146 boards x 100,000 models need not hold them all.
    """

    spec: BoardSpec
    models: list[str]
    n_tasks: int
    scores: dict[str, np.ndarray]  # level2..level{max}
    level: np.ndarray
    score: np.ndarray
    supported: np.ndarray
    wins: np.ndarray
    name_rank: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)
    # leaderboard --ci (generallevel.board_intervals): per model index, {"ci": [lo, hi], "p_level", "tied"}
    intervals: dict[int, dict[str, Any]] = field(default_factory=dict)
    _ranked: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False, compare=False)

    def _ranking(self) -> tuple[np.ndarray, np.ndarray]:
        if self._ranked is None:
            self._ranked = _rank_board(self.level, self.score, self.name_rank)
        return self._ranked

    @property
    def order(self) -> np.ndarray:
        return self._ranking()[0]

    @property
    def rank(self) -> np.ndarray:
        return self._ranking()[1]

    def rows(self) -> list[dict[str, Any]]:
        out = []
        for i in self.order.tolist():
            row = {"rank": int(self.rank[i]), "model": self.models[i], "level": int(self.level[i]),
                   "score": float(self.score[i])}
            row.update({k: float(v[i]) for k, v in self.scores.items()})
            row.update({"supported": int(self.supported[i]), "tasks": self.n_tasks, "wins": int(self.wins[i])})
            if i in self.intervals:
                iv = self.intervals[i]
                row.update({"ci": list(iv["ci"]), "p_level": iv["p_level"], "tied": bool(iv.get("tied", False))})
            out.append(row)
        return out

    def to_dict(self) -> dict[str, Any]:
        return {**self.spec.describe(), "tasks": self.n_tasks, "rows": self.rows()}


def _select_specs(matrix: ResultMatrix, scope: str | None, board_ids: Iterable[str] | None,
                  facet: str = "group") -> list[BoardSpec]:
    specs = board_specs(matrix.groups(), scope, facet)
    if board_ids is None:
        return specs
    if scope is None or normalise_scope(scope) == "D":  # a named board may be of either Scope-D facet
        other = "keyword" if facet == "group" else "group"
        known = {s.id for s in specs}
        specs += [s for s in board_specs(matrix.groups(), "D", other) if s.id not in known]
    wanted = {b.lower() for b in board_ids}
    unknown = wanted - {s.id for s in specs}
    if unknown:
        raise InputError(f"unknown board(s) {sorted(unknown)}; known: {', '.join(s.id for s in specs)}")
    return [s for s in specs if s.id in wanted]


def _rank_board(level: np.ndarray, score: np.ndarray, name_rank: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One board: model indices by Level, then score (both descending), then name; equal (Level,
    score) pairs share a rank (1, 2, 2, 4). int32 arrays (two per board: 146 boards x 100k models)."""
    order = np.lexsort((name_rank, -score, -level.astype(np.int16)))
    lv, sc = level[order], score[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (lv[1:] != lv[:-1]) | (sc[1:] != sc[:-1])
    sorted_rank = np.maximum.accumulate(np.where(new, np.arange(1, len(order) + 1, dtype=np.int32), 0))
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = sorted_rank
    return order.astype(np.int32), rank


def _level_and_score(S: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Level (highest k with S_k > 0, else 1) and the score at that Level, from S2..S_max (k, models, boards)."""
    level = np.ones(S.shape[1:], dtype=np.int8)
    for k in range(S.shape[0]):
        level[S[k] > 0] = k + 2
    score = np.zeros(S.shape[1:])
    for k in range(S.shape[0]):
        np.copyto(score, S[k], where=level == k + 2)
    return level, score


CHUNK = 2048  # models per pass over the (models x tasks) matrix: bounded temporaries at any board size


def _chunk(matrix: ResultMatrix, lo: int, pad: bool) -> tuple[np.ndarray, np.ndarray | None]:
    """Scores (and wins) of models lo..lo+CHUNK; with ``pad``, a short last chunk is filled up to CHUNK
    rows (unsupported everywhere). BLAS sums a matrix product's row in an order that can depend on the
    number of rows, so every chunk has the same: a model's numbers never depend on where it stands."""
    sigma = matrix.sigma[lo:lo + CHUNK]
    wins = None if matrix.wins is None else matrix.wins[lo:lo + CHUNK]
    if pad and len(sigma) < CHUNK:
        fill = CHUNK - len(sigma)
        sigma = np.vstack([sigma, np.full((fill, sigma.shape[1]), np.nan)])
        wins = None if wins is None else np.vstack([wins, np.zeros((fill, wins.shape[1]), dtype=bool)])
    return sigma, wins


def _single_board_members(matrix: ResultMatrix, specs: Sequence[BoardSpec]) -> np.ndarray:
    """(tasks x boards) 0/1: the tasks of each Scope-C/D board (its modality and paradigm, and its
    skill group or keyword skill where it has one), from one pass over the tasks."""
    column = {}
    for c, sp in enumerate(specs):
        key = (sp.modalities[0], sp.paradigm) + (("group", sp.skill_group) if sp.skill_group is not None else
                                                 ("skill", sp.skill) if sp.skill is not None else ())
        column.setdefault(key, []).append(c)
    onehot = np.zeros((len(matrix.task_ids), len(specs)))
    for i, (mod, par, skill, group) in enumerate(zip(list(matrix.modality), list(matrix.paradigm),
                                                     list(matrix.skill), list(matrix.skill_group))):
        for key in ((mod, par), (mod, par, "group", group), (mod, par, "skill", skill)):
            for c in column.get(key, ()):
                onehot[i, c] = 1.0
    return onehot


def compute_boards(matrix: ResultMatrix, scope: str | None = None,
                   board_ids: Iterable[str] | None = None, facet: str = "group") -> list[Board]:
    """All boards of ``scope`` (every scope when None), optionally only ``board_ids``. ``facet``:
    Scope-D boards per paper skill group (``"group"``) or per keyword skill (``"keyword"``).

    Every quantity is an array over (models, boards): Scope-A/B boards average compute_levels'
    per-modality S2..S4 with a weight matrix; Scope-C/D boards are task-group means (one matmul).
    Models are taken CHUNK at a time (each model's numbers depend on its own scores only), so memory
    beyond the score matrix stays at a few hundred MB for 100,000 models on all 146 boards.
    """
    specs = _select_specs(matrix, scope, board_ids, facet)
    n_models, n_boards = len(matrix.models), len(specs)
    multi = [j for j, sp in enumerate(specs) if sp.scope in ("A", "B")]
    single = [j for j, sp in enumerate(specs) if sp.scope in ("C", "D")]
    S_multi = np.zeros((4, n_models, len(multi)))  # S2..S5 of the Scope-A/B boards
    S_single = np.zeros((2, n_models, len(single)))  # S2, S3 of the Scope-C/D boards
    counts_type = np.int16 if len(matrix.task_ids) < 2**15 else np.int32  # per model and board: task counts
    sup = np.zeros((n_models, n_boards), dtype=counts_type)
    win = np.zeros((n_models, n_boards), dtype=counts_type)
    n_tasks = np.zeros(n_boards, dtype=int)
    member = np.array([[m in specs[j].modalities for j in multi] for m in MODALITIES], dtype=float).reshape(
        len(MODALITIES), len(multi))
    weights = member / np.maximum(member.sum(axis=0), 1.0)
    onehot = _single_board_members(matrix, [specs[j] for j in single])
    counts = onehot.sum(axis=0)
    n_tasks[single] = counts
    onehot32 = onehot.astype(np.float32)  # counts are exact in float32 (< 2**24) and half the traffic
    epsilon = 1e-6 if matrix.mode == "official" else 0.0
    for lo in range(0, max(n_models, 1), CHUNK):
        rows, take = slice(lo, lo + CHUNK), min(CHUNK, n_models - lo)
        sigma, wins = _chunk(matrix, lo, n_models > CHUNK)
        lv = compute_levels(sigma, matrix.sota, matrix.modality, matrix.paradigm, epsilon=epsilon, wins=wins)
        if multi:  # mean over the board's modalities = per-modality scores @ weights
            for k, per_mod in enumerate((lv.mod_s2, lv.mod_s3, lv.mod_s4)):
                S_multi[k, rows] = (per_mod @ weights)[:take]
            S_multi[3, rows] = S_multi[2, rows] * lv.w_l[:take, None]
            n_tasks[multi] = lv.mod_tasks @ member + lv.nlp_tasks
            sup[rows, multi] = (lv.mod_supported @ member + lv.nlp_supported[:, None])[:take]
            win[rows, multi] = (lv.mod_wins @ member + lv.nlp_wins[:, None])[:take]
        if single:  # S2 = plain mean, S3 = wins-only mean over the board's tasks
            for k, values in enumerate((lv.scores, lv.win_scores)):  # unsupported / not won as 0
                sums = values @ onehot
                S_single[k, rows] = np.divide(sums, counts, out=np.zeros_like(sums), where=counts > 0)[:take]
            sup[rows, single] = (lv.supported.astype(np.float32) @ onehot32)[:take]
            win[rows, single] = (lv.wins.astype(np.float32) @ onehot32)[:take]

    level, score = np.ones((n_models, n_boards), dtype=np.int8), np.zeros((n_models, n_boards))
    for S, cols in ((S_multi, multi), (S_single, single)):
        if cols:
            level[:, cols], score[:, cols] = _level_and_score(S)
    name_rank = np.argsort(np.argsort(np.array([m.lower() for m in matrix.models]), kind="stable")).astype(np.int32)
    meta = {"registry_sha256": matrix.registry_sha256, "mode": matrix.mode}
    column = {j: (S_multi, c) for c, j in enumerate(multi)} | {j: (S_single, c) for c, j in enumerate(single)}
    boards = []
    for j, sp in enumerate(specs):
        S, c = column[j]
        boards.append(Board(sp, matrix.models, int(n_tasks[j]),
                            {key: S[k][:, c] for k, key in enumerate(_LEVEL_KEYS[:sp.max_level - 1])},
                            level[:, j], score[:, j], sup[:, j], win[:, j], name_rank, meta))
    return boards


def boards_to_dict(boards: Sequence[Board], matrix: ResultMatrix | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"boards": [b.to_dict() for b in boards]}
    if matrix is not None:
        out = {"registry_sha256": matrix.registry_sha256, "mode": matrix.mode,
               "models": len(matrix.models), "provenance": matrix.provenance, **out}
    return out


def leaderboard(paths: Sequence[str | Path], scope: str = "A", board_ids: Iterable[str] | None = None,
                expect_registry: str | None = None, facet: str = "group") -> list[Board]:
    """Convenience: read result files and compute one scope's boards."""
    return compute_boards(load_results(paths, expect_registry), scope, board_ids, facet)


# -- renderings ---------------------------------------------------------------------------------
# Text/markdown/json live in reports.boards, html in reports.html. reports.boards imports LEVEL_RULES,
# _LEVEL_KEYS and boards_to_dict from this module (board computation, not results_matrix), so its public
# names are re-exported lazily (PEP 562) rather than imported here at load time.

_RENDERING = ("render_boards", "provenance_text")

if TYPE_CHECKING:
    from .reports.boards import provenance_text, render_boards


def __getattr__(name: str) -> Any:
    if name in _RENDERING:
        from .reports import boards

        return getattr(boards, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
