"""``generallevel types [--modality M] [--json]``: list annotation types and how each is read and scored."""

from __future__ import annotations

import json

import click


@click.command("types")
@click.option("--modality", type=click.Choice(["NLP", "Image", "Video", "Audio", "3D"], case_sensitive=False),
              help="Only the types of this modality.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def command(modality: str | None, as_json: bool) -> None:
    """List annotation types: where each keeps its reference and which metric convention scores it.

    An annotation.json's "type" picks one of these (docs/evaluate.md, "Annotation types"); the
    fallback row reads unlisted types. Plugins add types through register_annotation_types.
    """
    from ..plugins import get_registry
    from ..reports import format_table

    types = [t for t in get_registry().types
             if modality is None or t.modality.lower() == modality.lower()]
    if as_json:
        click.echo(json.dumps([t.describe() for t in types], indent=2, ensure_ascii=False))
        return
    fmt = lambda o: ", ".join(f"{k}={v}" for k, v in o.items()) or "-"  # noqa: E731
    rows = [[t.name + (" (fallback)" if t.fallback else ""), t.modality,
             " + ".join(t.compose) if t.compose else " | ".join(t.reference), t.answer, t.metric,
             fmt(t.options), "same" if t.official_options == t.options else fmt(t.official_options), t.plugin]
            for t in types]
    click.echo(format_table(["Type", "Modality", "Reference in output", "Answer", "Metric", "Options",
                             "--compat official", "Plugin"], rows))
    click.echo(f"\n{len(rows)} annotation type{'' if len(rows) == 1 else 's'}")
