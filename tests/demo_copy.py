"""Evaluate a *copy* of the bundled demo tree the way the demo itself is evaluated.

The demo's FID/FVD/FAD/CLIP-T tasks need its tiny random-weight models (generallevel.demo_models),
which evaluate adds only for the bundled tree itself: a copy in a temporary folder is any user's
tree, where missing weights are an error. Tests that corrupt or trim a copy import ``evaluate``
from here so the tasks they do not touch keep scoring as in the demo.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from generallevel.demo_models import demo_extractor_options
from generallevel.evaluate import evaluate as _evaluate


def evaluate(dataset: str | Path, predictions: str | Path | None = None, model: str | None = None,
             **options: Any) -> Any:
    """:func:`generallevel.evaluate.evaluate` with the demo's extractor options unless given."""
    options.setdefault("extractor_options", demo_extractor_options())
    return _evaluate(dataset, predictions, model, **options)


def options_file(folder: Path) -> Path:
    """The demo's extractor options as a JSON file, for ``evaluate --extractor-options FILE``."""
    import json

    path = Path(folder) / "demo-extractors.json"
    path.write_text(json.dumps(demo_extractor_options()), encoding="utf-8")
    return path
