"""generallevel: General-Level scoring and the General-Bench metric and task registry.

Public API (stable)::

    import generallevel as gl
    gl.list_metrics(); gl.get_metric("AP50").normalize(71.2)
    gl.list_tasks(modality="Image", paradigm="generation"); gl.get_task("Crowd Counting")
    gl.list_extractors(kind="image"); gl.get_extractor("name")   # registered by plugins
    report = gl.score({"crowd-counting": 7.1, ...}, model="my-model")

Importing this package is cheap: no plugin and no heavy library is imported until first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import (
    GeneralLevelError, InputError, MissingDependencyError, PluginLoadError, RegistrationError,
    UnknownMetricError, UnknownTaskError,
)
from .annotation_types import AnnotationType
from .extractors import Extractor, UnknownExtractorError
from .hookspecs import hookimpl
from .metrics import Metric
from .tasks import Task

if TYPE_CHECKING:
    from .scoring import ScoreReport

__all__ = [
    "GeneralLevelError", "InputError", "MissingDependencyError", "PluginLoadError",
    "RegistrationError", "UnknownMetricError", "UnknownTaskError", "UnknownExtractorError", "Metric",
    "Task", "Extractor", "AnnotationType", "hookimpl", "get_metric", "list_metrics", "get_task", "list_tasks",
    "get_extractor", "list_extractors", "score", "registry_fingerprint", "__version__",
]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from ._version import version

        return version()
    raise AttributeError(name)


def _registry():
    from .plugins import get_registry

    return get_registry()


def get_metric(name: str) -> Metric:
    """A metric by name or alias, case-insensitively ("ACC", "acc", "mAP@50", "CD (Chamfer Distance)")."""
    return _registry().metrics.get(name)


def list_metrics() -> list[str]:
    """Canonical names of every registered metric."""
    return _registry().metrics.names()


def get_task(id_or_name: str) -> Task:
    """A task by id, name (whitespace/case-insensitive) or unique short name."""
    return _registry().tasks.get(id_or_name)


def list_tasks(modality: str | None = None, paradigm: str | None = None,
               skill: str | None = None, skill_group: str | None = None) -> list[Task]:
    return _registry().tasks.filter(modality=modality, paradigm=paradigm, skill=skill, skill_group=skill_group)


def get_extractor(name: str) -> Extractor:
    """A plugin-registered feature extractor by name or alias, case-insensitively.

    Returns the declaration; nothing is imported or built until ``.load()`` or a call. Unknown
    names raise :class:`UnknownExtractorError` with close matches.
    """
    return _registry().extractors.get(name)


def list_extractors(kind: str | None = None, metric: str | None = None) -> list[str]:
    """Names of the registered extractors, optionally only one ``kind`` ("image", "video", "audio",
    "text", "3d") or those meant for one ``metric`` (name or alias). Cheap: loads no model."""
    reg = _registry()
    if metric is not None and metric in reg.metrics:
        metric = reg.metrics.get(metric).name  # an alias of the metric finds its extractors too
    return [e.name for e in reg.extractors.filter(kind=kind, metric=metric)]


def registry_fingerprint() -> str:
    """sha256 of the effective registry (built-in plus plugin tasks and their metrics' mappings)."""
    return _registry().fingerprint()


def score(results: Any, model: str | None = None, **options: Any) -> "ScoreReport":
    """Score one model from per-task raw scores or a score file's path (CSV, JSON, official result
    workbook); ``units={"NLP": "fraction"}`` declares a workbook sheet's unit. See
    :func:`generallevel.scoring.score`."""
    from .scoring import score as _score

    return _score(results, model=model, **options)
