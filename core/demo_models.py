"""The bundled demo's extractor weights: tiny random-weight models in the real save formats.

Why this exists: the demo's generation tasks (FID, FVD, FAD, CLIP-T) are scored from the media
files their items name, through the real extractor classes and loading code, like a user's tree.
Real weights cannot ship with the package (hundreds of MB to GBs) and nothing may be downloaded
while scoring, so the demo uses random-weight models written by
:func:`generallevel_builtin.tiny_models.save_tiny`, in the exact file formats of the real ones:

* the transformers models (CLIP, CLAP) have small configurations, a few hundred kB: they are
  bundled in the demo tree (``examples/demo/models/``) and named by ``examples/demo/extractors.json``;
* Inception-V3 (FID, ~95 MB) and R3D-18 (FVD, ~133 MB) have fixed layouts, so they are generated
  once, deterministically (seed :data:`SEED`), into the generallevel cache folder
  (:func:`models_dir`), on the first demo run. Files are written under a temporary name and renamed,
  so concurrent runs never see a partial file; a note on stderr says so the first time.

Only the demo does this: on a user's own tree, missing weights stay an error that names the fetch
command. The numbers these models produce mean nothing beyond exercising the real code path.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import IO, Any

FORMAT = 1  # bump when the generated files change (another seed, layout or file name)
SEED = 0
GENERATED = ("inception-pool3", "r3d18-kinetics")  # no small variant: generated, never bundled
DEMO_METRICS = "FID/FVD/FAD/CLIP-T"
NOTE = ("the demo's {metrics} use tiny random-weight models: CLIP and CLAP bundled in {bundled}, Inception-V3 "
        "and R3D-18 generated locally (seed {seed}) in {where}; their numbers mean nothing; nothing was downloaded")
REPORT_NOTE = ("the demo's FID, FVD, FAD and CLIP-T come from tiny random-weight models (real extractor code, "
               "meaningless weights): see core/examples/demo/README.md")


def models_dir() -> Path:
    """Where the generated demo models live: ``<generallevel cache>/demo-models/v<FORMAT>``."""
    from .feature_cache import cache_dir

    return cache_dir() / "demo-models" / f"v{FORMAT}"


def model_path(name: str) -> Path:
    """The generated weights file of extractor ``name`` (one of :data:`GENERATED`)."""
    return models_dir() / f"{name}-seed{SEED}.pth"


def generated_options(names: tuple[str, ...] = GENERATED, stream: IO[str] | None = None) -> dict[str, dict[str, str]]:
    """``{name: {"weights": path}}`` for the generated demo models, writing any that are missing.

    Returns ``{}`` when torch is not installed (the demo's FID and FVD tasks then fail with the
    missing-dependency message, like any tree's) or the cache folder cannot be written (a note on
    ``stream`` says where, and how to move it).
    """
    import importlib.util

    try:
        if importlib.util.find_spec("torch") is None:
            return {}
    except (ImportError, ValueError):  # a broken or blocked torch counts as absent
        return {}
    stream = sys.stderr if stream is None else stream
    missing = [n for n in names if not model_path(n).is_file()]
    if missing:
        try:
            for name in missing:
                _generate(name)
        except OSError as e:
            print(f"note: cannot write the demo's generated models into {models_dir()} ({e}); set "
                  "GENERALLEVEL_CACHE_DIR to a writable folder", file=stream)
            return {}
        print("note: " + NOTE.format(metrics=DEMO_METRICS, bundled=_bundled_dir(), seed=SEED, where=models_dir()),
              file=stream)
    return {n: {"weights": str(model_path(n))} for n in names}


def _generate(name: str) -> None:
    """Write one generated model atomically: save_tiny into a private temporary folder, then rename."""
    from generallevel_builtin.tiny_models import save_tiny

    dest = model_path(name)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=dest.parent))
    try:
        written = Path(save_tiny(name, tmp, seed=SEED)["weights"])
        os.replace(written, dest)  # atomic: a concurrent run sees the whole file or none
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _bundled_dir() -> Path:
    from .evaluate import DEMO_DIR

    return DEMO_DIR / "models"


def demo_extractor_options(stream: IO[str] | None = None) -> dict[str, dict[str, Any]]:
    """The load options the demo is evaluated with: the demo's ``extractors.json`` (the bundled
    CLIP and CLAP folders) plus the generated Inception-V3 and R3D-18 weights.

    Pass it as ``extractor_options`` to evaluate a copy of the demo tree the way the demo itself is.
    """
    from .evaluate import DEMO_EXTRACTORS
    from .media_adapter import read_extractor_options

    options = read_extractor_options(DEMO_EXTRACTORS) if DEMO_EXTRACTORS.is_file() else {}
    for name, opts in generated_options(stream=stream).items():
        options.setdefault(name, {}).update(opts)
    return options
