"""Annotation types: how a General-Bench annotation's ``type`` says where its reference lives and
which metric convention scores it.

General-Bench annotation files carry a ``type`` ("MultipleChoiceQA", "Summarization", "ner", ...).
The official evaluation reads each type's reference from a different place in an item's
``output`` (``summary`` else ``highlights``; ``response.content``; ``proof.steps`` joined with
``proof.conclusion``; the first value, ...) and scores it with one metric convention (sentence
BLEU-1, ROUGE-1 with the stemmer, ...). Those facts are *declared data* here, registered by
plugins through the ``register_annotation_types`` hook, so a task plugin can add its own types
without touching the engine. Reading a reference is done by :func:`read_reference`, driven only
by the declaration; scoring conventions are metric options (see
``plugins/generallevel_builtin/general_bench_types.toml``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from .catalog import name_key, suggest
from .errors import InputError, RegistrationError

ANSWER_KINDS = ("text", "answers", "number", "label", "labels")
MODALITIES = ("NLP", "Image", "Video", "Audio", "3D")
_ABSENT = object()


@dataclass
class AnnotationType:
    """One annotation ``type`` and how General-Bench reads and scores it.

    reference: paths into ``output`` tried in order, the first present and non-empty wins
        ("summary", "response.content"); "." is ``output`` itself when it is not an object,
        "*" its first value (the official fallback).
    compose/template: instead of ``reference``, fill ``template`` ("{0}\\nConclusion: {1}") with
        the values at ``compose`` paths; a list value is joined with newlines.
    answer: how references and predictions are read: text (a string, or a list of alternative
        references), answers (accepted answers, strings or numbers), number, label (one label per
        item) or labels (a label set; a reference string lists labels separated by
        ``label_separator``, a prediction string by ``prediction_separator``).
    stringify: compare the reference as ``str(value)`` (the official code does for defect targets).
    metric: the metric General-Bench scores the type with (a registered metric name).
    options / official: that metric's options in generallevel's General-Bench convention and in
        ``--compat official`` (the official code's, errors included).
    """

    name: str
    metric: str
    reference: tuple[str, ...] = ("answer",)
    answer: str = "text"
    compose: tuple[str, ...] = ()
    template: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    official: dict[str, Any] | None = None
    label_separator: str = ", "
    prediction_separator: str = "<p>"
    stringify: bool = False
    modality: str = "NLP"
    aliases: tuple[str, ...] = ()
    fallback: bool = False
    description: str = ""
    plugin: str = ""
    plugin_version: str = ""

    def __post_init__(self) -> None:
        where = f"annotation type {self.name!r}"
        if not isinstance(self.name, str) or not self.name.strip():
            raise RegistrationError(f"annotation type name must be a non-empty string, got {self.name!r}")
        if self.answer not in ANSWER_KINDS:
            raise RegistrationError(f"{where}: answer must be one of {', '.join(ANSWER_KINDS)}, got {self.answer!r}")
        if self.modality not in MODALITIES:
            raise RegistrationError(f"{where}: modality must be one of {', '.join(MODALITIES)}, got {self.modality!r}")
        self.reference, self.compose, self.aliases = tuple(self.reference), tuple(self.compose), tuple(self.aliases)
        if self.compose and not self.template:
            raise RegistrationError(f"{where}: compose needs a template such as '{{0}} {{1}}'")
        if not self.compose and not self.reference:
            raise RegistrationError(f"{where}: give reference paths or compose + template")
        for opts in (self.options, self.official):
            if opts is not None and not isinstance(opts, dict):
                raise RegistrationError(f"{where}: options must be a dict, got {type(opts).__name__}")

    @property
    def official_options(self) -> dict[str, Any]:
        return dict(self.options if self.official is None else self.official)

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "modality": self.modality, "metric": self.metric,
                "reference": list(self.compose or self.reference), "template": self.template or None,
                "answer": self.answer, "options": dict(self.options), "official": self.official_options,
                "fallback": self.fallback, "description": self.description, "plugin": self.plugin}


class TypeCatalog:
    """Annotation types by (modality, name key); one fallback type per modality (unlisted types)."""

    def __init__(self) -> None:
        self._types: dict[tuple[str, str], AnnotationType] = {}
        self._fallback: dict[str, AnnotationType] = {}

    def add(self, t: AnnotationType) -> None:
        if t.fallback:
            other = self._fallback.get(t.modality)
            if other is not None:
                raise RegistrationError(f"annotation type {t.name!r} from plugin {t.plugin!r}: {t.modality} "
                                        f"already has the fallback type {other.name!r} of plugin {other.plugin!r}")
        keys = [(t.modality, name_key(n)) for n in (t.name, *t.aliases)]
        for (_, key), spelling in zip(keys, (t.name, *t.aliases)):
            other = self._types.get((t.modality, key))
            if other is not None:
                raise RegistrationError(f"annotation type {spelling!r} ({t.modality}) from plugin {t.plugin!r} "
                                        f"clashes with {other.name!r} registered by plugin {other.plugin!r}")
        for key in keys:
            self._types[key] = t
        if t.fallback:
            self._fallback[t.modality] = t

    def find(self, modality: str, name: Any) -> AnnotationType | None:
        """The type an annotation declares, else the modality's fallback (None when there is none)."""
        if isinstance(name, str) and name.strip():
            found = self._types.get((modality, name_key(name)))
            if found is not None:
                return found
        return self._fallback.get(modality)

    def known(self, modality: str, name: Any) -> bool:
        return isinstance(name, str) and (modality, name_key(name)) in self._types

    def suggestions(self, modality: str, name: str) -> list[str]:
        index = {k: t.name for (m, k), t in self._types.items() if m == modality}
        return suggest(name_key(name), index)

    def __iter__(self) -> Iterator[AnnotationType]:
        seen: dict[int, AnnotationType] = {}
        for t in self._types.values():
            seen.setdefault(id(t), t)
        return iter(sorted(seen.values(), key=lambda t: (MODALITIES.index(t.modality), t.name.lower())))

    def __len__(self) -> int:
        return len({id(t) for t in self._types.values()})

    def without(self, mine: set[int]) -> "TypeCatalog":
        fresh = TypeCatalog()
        for t in self:
            if id(t) not in mine:
                fresh.add(t)
        return fresh


# -- reading a reference ---------------------------------------------------------------------------
def _at(output: Any, path: str) -> Any:
    if path == ".":
        return _ABSENT if isinstance(output, dict) else output
    if not isinstance(output, dict):
        return _ABSENT
    if path == "*":
        return next(iter(output.values())) if output else _ABSENT
    value: Any = output
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _ABSENT
        value = value[part]
    return value


def _present(value: Any) -> bool:
    return value is not _ABSENT and value is not None and value != "" and value != []


def read_reference(t: AnnotationType, output: Any) -> Any:
    """The reference of one item as ``t`` declares it; ``None`` when the item has none there.

    For label kinds an empty value ("" or []) is a reference (the empty label set: no entity in
    the sentence); for the others it is no reference and the next path is tried.
    """
    if t.compose:
        parts = [_at(output, p) for p in t.compose]
        if not any(_present(v) for v in parts):
            return None
        texts = ["\n".join(str(x) for x in v) if isinstance(v, list) else "" if not _present(v) else str(v)
                 for v in parts]
        return t.template.format(*texts)
    labels = t.answer in ("label", "labels")
    for path in t.reference:
        value = _at(output, path)
        if _present(value) or (labels and value is not _ABSENT and value is not None):
            return value
    return None


def where_read(t: AnnotationType) -> str:
    """The declared reference location, for messages."""
    if t.compose:
        return " + ".join(f"output.{p}" for p in t.compose)
    return " or ".join("output" if p == "." else "output's first value" if p == "*" else f"output.{p}"
                       for p in t.reference)


def check_known(types: TypeCatalog, modality: str, name: Any) -> str | None:
    """A note for an annotation ``type`` that is declared but unknown (the fallback then applies)."""
    if not isinstance(name, str) or not name.strip() or types.known(modality, name):
        return None
    fallback = types.find(modality, None)
    close = types.suggestions(modality, name)
    hint = f" (did you mean {', '.join(map(repr, close))}?)" if close else ""
    if fallback is None:
        return None
    return (f"annotation type {name!r} is not a known {modality} type{hint}; read as General-Bench "
            f"reads unlisted types ({fallback.name}: {where_read(fallback)}, {fallback.metric})")


def parse_declarations(data: dict[str, Any], source: str) -> list[AnnotationType]:
    """AnnotationType objects from a parsed TOML table ``{"conventions": {...}, "type": [...]}``.

    ``conventions`` gives each metric's options once (``options`` and ``official``); a type takes
    its metric's unless it declares its own.
    """
    conventions = data.get("conventions", {})
    if not isinstance(conventions, dict):
        raise InputError(f"{source}: 'conventions' must be a table")
    out = []
    for i, entry in enumerate(data.get("type", [])):
        if not isinstance(entry, dict) or "name" not in entry or "metric" not in entry:
            raise InputError(f"{source}: type #{i + 1} needs at least 'name' and 'metric'")
        conv = conventions.get(entry["metric"], {})
        kwargs = dict(entry)
        kwargs.setdefault("options", dict(conv.get("options", {})))
        if "official" not in kwargs and "official" in conv:
            kwargs["official"] = dict(conv["official"])
        try:
            out.append(AnnotationType(**kwargs))
        except TypeError as e:
            raise InputError(f"{source}: type {entry['name']!r}: {e}") from None
    return out


def load_declarations(path: Any) -> list[AnnotationType]:
    """The types declared in a TOML file (``[conventions.<metric>]`` tables and ``[[type]]`` entries)."""
    import sys
    from pathlib import Path

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise InputError(f"{path}: cannot read: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"{path}: malformed TOML: {e}") from None
    return parse_declarations(data, str(path))
