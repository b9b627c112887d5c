"""Tiny random-weight checkpoints of the built-in extractors, in the real save format.

``save_tiny(name, folder)`` writes one into ``folder`` exactly as the defining library stores the
real weights (a torch hub state dict, a transformers ``save_pretrained`` folder in the hub-cache
layout, ...) and returns the load options for :meth:`generallevel.Extractor.load`::

    opts = save_tiny("inception-pool3", tmp)          # {"weights": ".../weights-inception-...pth"}
    fid_features = gl.get_extractor("inception-pool3").load(**opts)

``folder`` can also serve as the library's cache root (TORCH_HOME for torch hub checkpoints,
HF_HUB_CACHE for transformers models), so the default, option-free build finds the tiny model the
way it finds real weights. Used by the tests and by the demo generator; the numbers these models
produce mean nothing. Inception-V3 and R3D-18 have no small variant (their layouts are fixed), so
their files are full size (~95 MB and ~133 MB); the transformers models are a few hundred kB.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

_SAVERS = {
    "inception-pool3": "_net_inception",
    "r3d18-kinetics": "_net_r3d",
    "clip-image": "_net_clip",
    "clip-text": "_net_clip",
    "dino-vitb16": "_net_dino",
    "clap-audio": "_net_clap",
    "clap-text": "_net_clap",
    "laion-aesthetic": "_net_aesthetic",
    "whisper": "_net_whisper",
    "musiq": "_net_musiq",
    "raft-large": "_net_raft",
}


def names() -> list[str]:
    """The extractors ``save_tiny`` knows."""
    return sorted(_SAVERS)


def save_tiny(name: str, folder: str | Path, seed: int = 0) -> dict[str, Any]:
    """Write a tiny checkpoint of built-in extractor ``name`` into ``folder``; return its load options."""
    from generallevel import get_extractor

    canonical = get_extractor(name).name if name not in _SAVERS else name
    if canonical not in _SAVERS:
        raise KeyError(f"no tiny model for extractor {name!r}; known: {', '.join(names())}")
    module = importlib.import_module(f"generallevel_builtin.{_SAVERS[canonical]}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return module.save_tiny(folder, seed=seed)
