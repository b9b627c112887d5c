"""Built-in task plugin: the General-Bench catalogue from registry.toml (699 tasks)."""

from __future__ import annotations

import os
from pathlib import Path

from generallevel import hookimpl
from generallevel.tasks import load_registry_toml


def registry_path() -> Path:
    """The packaged registry.toml; GENERALLEVEL_REGISTRY overrides it (maintainers testing edits)."""
    override = os.environ.get("GENERALLEVEL_REGISTRY")
    return Path(override) if override else Path(__file__).with_name("registry.toml")


@hookimpl
def register_tasks(register):
    for task in load_registry_toml(registry_path()):
        register(task)


def types_path() -> Path:
    """The packaged General-Bench annotation-type table (declared data, see the file's header)."""
    return Path(__file__).with_name("general_bench_types.toml")


@hookimpl
def register_annotation_types(register):
    from generallevel.annotation_types import load_declarations

    for t in load_declarations(types_path()):
        register(t)
