"""``generallevel serve --demo``: a throwaway board on a temporary SQLite file with scored models.

The bundled demo tree (``generallevel/examples/demo/bench``) plays the closed-set answers; the demo
models are subsets of the bundled ``demo-omni`` predictions, submitted for different boards, queued
and scored by the real worker before the server starts, exactly as uploads would be.
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path
from typing import Any

from .config import MiB, ServerConfig

# (model, leaderboard id, parameter size, which prediction folders, description)
DEMO_MODELS = [
    ("demo-omni", "scope-a", "7B", ("image", "video", "audio", "3d", "nlp"),
     "Made-up all-rounder: predictions for every demo task but one."),
    ("demo-vision", "scope-b-image-video", "3B", ("image", "video", "nlp"),
     "Made-up vision model: image and video tasks only."),
    ("demo-sound", "scope-b-audio", "1.2B", ("audio", "nlp"), "Made-up audio model."),
    ("demo-comprehender", "scope-a", "13B", ("image/comprehension", "video/comprehension", "audio/comprehension",
                                             "3d/comprehension", "nlp"),
     "Made-up model that only understands: comprehension tasks of every modality."),
    ("demo-3d-reader", "scope-c-3d-comprehension", "350M", ("3d/comprehension",), "Made-up 3D classifier."),
]


def demo_paths() -> tuple[Path, Path]:
    """(answers tree, predictions of demo-omni) bundled with generallevel."""
    from ..evaluate import DEMO_DATASET, DEMO_PREDICTIONS

    return DEMO_DATASET, DEMO_PREDICTIONS


def build_archive(dest_dir: Path, model: str, board: str, folders: tuple[str, ...]) -> Path:
    """``<model>-<board>.zip`` with the demo-omni prediction files under ``folders``."""
    _, preds = demo_paths()
    dest_dir.mkdir(parents=True, exist_ok=True)
    path = dest_dir / f"{model}-{board}.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(preds.rglob("prediction.json")):
            rel = p.relative_to(preds).as_posix()
            if any(rel.startswith(f.rstrip("/") + "/") for f in folders):
                zf.write(p, rel)
    return path


def prepare_demo(max_upload_bytes: int = 50 * MiB, root: Path | None = None,
                 models=DEMO_MODELS, **settings: Any) -> tuple[ServerConfig, str]:
    """Create the demo data directory, users and scored models; returns (config, the demo user's token).
    ``settings``: further :class:`ServerConfig` fields (e.g. ``ci_resamples``), used for the scoring too."""
    from . import admin
    from .state import AppState

    answers, _ = demo_paths()
    root = Path(root) if root is not None else Path(tempfile.mkdtemp(prefix="generallevel-demo-"))
    config = ServerConfig(data_dir=root / "data", answers_dir=answers, max_upload_bytes=max_upload_bytes,
                          title="General-Level Leaderboard (demo)", **settings)
    state = AppState(config)
    try:
        admin.add_user(state.sessions, "demo-lab", "lab@example.org")
        admin.add_user(state.sessions, "demo", "demo@example.org")
        token = admin.create_token(state.sessions, "demo", "demo")
        for model, board, params, folders, text in models:
            archive = build_archive(root / "archives", model, board, folders)
            admin.queue_archive(state, "demo-lab", archive, model, params, text, "lab@example.org")
        while state.worker.step():
            pass
        build_archive(root / "try-me", "my-model", "scope-a", ("image", "audio", "nlp"))
    finally:
        state.stop()
    return config, token
