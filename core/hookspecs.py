"""The plugin hook specifications, and nothing else.

A plugin is a module exposed through the ``generallevel`` entry-point group that implements any of
these hooks with ``@generallevel.hookimpl``. Registration style (as in simonw/llm): the host passes a
``register`` callable, so plugins never import host internals and the host can validate, record the
source plugin and detect duplicates in one place.
"""

from __future__ import annotations

from typing import Callable

import pluggy

hookspec = pluggy.HookspecMarker("generallevel")
hookimpl = pluggy.HookimplMarker("generallevel")


@hookspec
def register_metrics(register: Callable) -> None:
    """Register metrics: call ``register(Metric(...))`` once per metric.

    Must stay cheap: declare metadata only; heavy libraries are imported inside ``compute``.
    """


@hookspec
def register_tasks(register: Callable) -> None:
    """Register General-Bench tasks: call ``register(Task(...))`` once per task.

    A task may carry an ``adapter`` ("module:attr" or callable) that turns its annotation records
    and predictions into the metric's ``compute`` inputs::

        adapter(records: list[dict], predictions: list, task: Task)
            -> (metric_predictions, metric_references, options: dict)

    ``records`` are the annotation ``data`` items in file order and ``predictions`` are aligned
    with them (``None`` where the model gave no answer). The two-argument form
    ``adapter(records, predictions) -> (predictions, references)`` is accepted too. Without an
    adapter, a default one is chosen by metric family (see docs/evaluate.md).
    """


@hookspec
def register_extractors(register: Callable) -> None:
    """Register feature extractors and score predictors: call ``register(Extractor(...))`` once each.

    A registered extractor can then be named in a model-based metric's options
    (``compute(..., extractor="name")``, ``reference_extractor=``, ``predictor=``) instead of passing
    a callable. The registration style is the same as for metrics, for the same reasons: the host
    tags each declaration with the plugin's name and version, refuses a name (or alias) another
    plugin already took with a message naming both, and keeps nothing from a plugin whose hook
    raises. That is what makes a *name* safe to write in a script or a task's metric options: it
    resolves to exactly one plugin's model, or fails loudly.

    Must stay cheap and offline: declare metadata and a lazy ``factory`` ("module:attr" or a
    callable) that builds the model on first use; never load or download weights here.
    """


@hookspec
def register_annotation_types(register: Callable) -> None:
    """Register annotation types: call ``register(AnnotationType(...))`` once per type.

    An annotation file's ``type`` ("Summarization", "ner", ...) says where its items keep the
    reference (``output.summary``, ``output.response.content``, ...) and which metric convention
    scores them; ``evaluate`` reads typed annotations accordingly (docs/evaluate.md, "Annotation
    types"). Types are declared data, looked up per modality by a forgiving name key; a name
    another plugin already registered for the same modality is refused, naming both plugins.
    ``generallevel.annotation_types.load_declarations(path)`` reads a TOML table of them.
    """
