"""Many `generallevel score --format json --tasks` result files, fast, for the leaderboard benchmark.

One real report (``generallevel.score`` of one model) gives the file's shape: header, level blocks,
provenance and 699 task rows. Every task row is pre-serialised in VARIANTS versions (unsupported,
or a raw value drawn in the metric's range, normalised and won/lost exactly as ``score`` does it);
each model's file joins one version per task. So files are real score reports of ~240 KB that
``leaderboard`` validates fully (scores, SoTA, wins), written at disk speed rather than at
``score``'s (5 ms per model). The level blocks are the template's (a leaderboard recomputes them).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

VARIANTS = 16


def _fragments(seed: int = 0) -> tuple[bytes, bytes, list[list[bytes]], np.ndarray]:
    """(head, tail, per task VARIANTS serialised rows, their scores (VARIANTS x tasks)) of a score report."""
    import json

    import generallevel as gl
    from bench_leaderboard import raw_matrix
    from generallevel.levels import raw_wins
    from generallevel.scoring import normalise, task_table

    table = task_table()
    template = gl.score({}, model="TEMPLATE").to_dict(include_tasks=True)
    raw = raw_matrix(table, VARIANTS, seed=seed)
    raw[0] = np.nan  # variant 0: unsupported
    sigma = normalise(raw, table)
    wins = raw_wins(raw, table.sota_raw, table.higher)
    rows = []
    for j, task in enumerate(template["tasks"]):
        assert task["id"] == table.tasks[j].id
        variants = []
        for v in range(VARIANTS):
            ok = not np.isnan(sigma[v, j])
            row = dict(task, raw=float(raw[v, j]) if ok else None, score=float(sigma[v, j]) if ok else None,
                       win=bool(wins[v, j]) if ok else False)
            variants.append(json.dumps(row, separators=(",", ":")).encode())
        rows.append(variants)
    head_obj = {k: v for k, v in template.items() if k != "tasks"}
    text = json.dumps({**head_obj, "tasks": ["@@TASKS@@"]}, separators=(",", ":")).encode()
    head, tail = text.split(b'"@@TASKS@@"')
    return head, tail, rows, sigma


def write_result_files(folder: str | Path, n_models: int, seed: int = 0, jobs: int = 1) -> tuple[int, np.ndarray]:
    """Write ``n_models`` result files model-000000.json ... into ``folder``. Returns the bytes written
    and, per model, the sum of its task scores (``np.nansum`` of its row), what a correct reader finds."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    head, tail, rows, sigma = _fragments(seed)
    parts = (head, tail, rows, sigma)
    if jobs > 1 and n_models >= 1000:
        from concurrent.futures import ProcessPoolExecutor

        cuts = np.linspace(0, n_models, jobs + 1).astype(int)
        with ProcessPoolExecutor(jobs) as pool:
            done = list(pool.map(_write_range, [folder] * jobs, cuts[:-1], cuts[1:], [parts] * jobs, [seed] * jobs))
        return sum(d[0] for d in done), np.concatenate([d[1] for d in done])
    return _write_range(folder, 0, n_models, parts, seed)


def _write_range(folder: Path, lo: int, hi: int, parts, seed: int) -> tuple[int, np.ndarray]:
    head, tail, rows, sigma = parts
    model_key = b'"model":"TEMPLATE"'
    assert model_key in head
    rng = np.random.default_rng([seed, lo])
    total = 0
    n_tasks = len(rows)
    sums = np.empty(hi - lo)
    cols = np.arange(n_tasks)
    for i in range(lo, hi):
        # about 30 % of tasks unsupported, as bench_leaderboard.raw_matrix draws them
        pick = np.where(rng.random(n_tasks) < 0.3, 0, rng.integers(1, VARIANTS, n_tasks))
        sums[i - lo] = np.nansum(sigma[pick, cols])
        pick = pick.tolist()
        body = b",".join([rows[j][v] for j, v in enumerate(pick)])
        data = head.replace(model_key, b'"model":"model-%06d"' % i) + body + tail
        fd = os.open(folder / f"model-{i:06d}.json", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, data)
        finally:
            os.close(fd)
        total += len(data)
    return total, sums
