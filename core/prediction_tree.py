"""The check that a predictions folder holds predictions for the dataset at all.

Without it, an empty folder, or a folder one level above the real one (``-p runs`` instead of
``-p runs/my-model``), scores every task as unsupported: Level 1, exit code 0, and no hint that
nothing was read. :func:`require_predictions` turns that into an error that says where the
prediction files were looked for and where some were found instead.
"""

from __future__ import annotations

from itertools import islice
from pathlib import Path
from typing import Sequence

from .errors import InputError
from .readers.benchfolder import LAYOUT

_SHOWN = 3


def require_predictions(pairs: Sequence[tuple[object, Path | None]], predictions: Path, filename: str) -> None:
    """Raise InputError when no task folder of the dataset got a prediction file from ``predictions``."""
    if any(p is not None for _, p in pairs):
        return
    elsewhere = [p.relative_to(predictions).as_posix() for p in islice(predictions.rglob(filename), 50)]
    msg = (f"{predictions}: no {filename} matches a task folder of the dataset ({len(pairs)} task folders); "
           f"expected {LAYOUT.format(file=filename).replace('<root>', str(predictions))}")
    if elsewhere:
        deeper = [r for r in elsewhere if r.count("/") > 3 or (r.count("/") == 3 and not r.lower().startswith("nlp/"))]
        msg += f". Found {len(elsewhere)}{'+' if len(elsewhere) == 50 else ''} elsewhere, e.g. " + \
            ", ".join(elsewhere[:_SHOWN])
        if deeper:
            top = deeper[0].split("/")[0]
            msg += f"; is the predictions folder one level deeper (--predictions {predictions / top})?"
    else:
        msg += f". The folder holds no {filename} at all"
    raise InputError(msg)
