"""``generallevel extractors [--kind K] [--metric M] [--json]``: list the registered feature extractors;
``generallevel extractors fetch NAME...``: download their weights with the defining library's own function."""

from __future__ import annotations

import json
import os

import click


@click.group("extractors", invoke_without_command=True)
@click.option("--kind", type=click.Choice(["image", "video", "audio", "text", "3d"], case_sensitive=False),
              help="Only extractors of this kind of sample.")
@click.option("--metric", help="Only extractors meant for this metric (name or alias).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def command(ctx: click.Context, kind: str | None, metric: str | None, as_json: bool) -> None:
    """List feature extractors and score predictors that plugins registered.

    A listed name can be passed to a model-based metric as extractor="name" (FID, FVD, FAD,
    CLIP-*, DINO-I, CLAP, ...) or predictor="name" (MUSIQ, AestheticScore). Listing imports no
    model; "available" says whether each one's required libraries are installed. `generallevel
    extractors fetch NAME` downloads an extractor's weights (the only command that downloads).
    """
    if ctx.invoked_subcommand is not None:
        return
    from .. import get_extractor, list_extractors
    from ..reports import format_table

    exts = [get_extractor(n) for n in list_extractors(kind=kind, metric=metric)]
    if as_json:
        click.echo(json.dumps([e.describe() for e in exts], indent=2, ensure_ascii=False))
        return
    if not exts:
        what = "No registered extractor matches the filter" if kind or metric else "No extractor is registered"
        click.echo(f"{what}. generallevel ships no model weights: install a plugin "
                   "that registers extractors, or pass precomputed features or extractor=callable "
                   "(docs/metrics/extractors.md).")
        return
    rows = []
    for e in exts:
        missing = e.missing_requirements()
        out = f"D={e.dim}" if e.output == "features" and e.dim else e.output
        status = e.weights_status()
        weights = "-" if status is None else ("present" if status[1] else "missing")
        rows.append([e.name, e.kind, out, ", ".join(e.metrics) or "-", ", ".join(e.requires) or "-",
                     "yes" if not missing else "missing " + ", ".join(missing), weights, e.plugin])
    click.echo(format_table(["Extractor", "Kind", "Output", "Metrics", "Requires", "Available", "Weights", "Plugin"],
                            rows))
    click.echo(f"\n{len(rows)} extractor{'' if len(rows) == 1 else 's'}")
    if any(r[6] == "missing" for r in rows):
        click.echo("Weights marked missing are fetched with `generallevel extractors fetch NAME` (where the machine "
                   "has network access); `--json` shows where each is expected.")


_OFFLINE_VARS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")


@command.command("fetch")
@click.argument("names", nargs=-1, required=True)
@click.option("--model", help="Another checkpoint of the same family (a Hugging Face repo id), for the "
                              "transformers-based extractors.")
def fetch_command(names: tuple[str, ...], model: str | None) -> None:
    """Download the weights of extractors NAMES into the standard cache of the library that defines
    each model (torch hub's checkpoints folder under TORCH_HOME, the Hugging Face hub cache), with
    that library's own download function. Needs network access; on an offline machine it stops
    with what to do instead (fetch elsewhere, copy the cache folder)."""
    from .. import get_extractor
    from ..errors import GeneralLevelError

    exts = [get_extractor(n) for n in names]
    offline = [v for v in _OFFLINE_VARS if os.environ.get(v, "").strip().lower() in ("1", "true", "yes", "on")]
    failed = 0
    for ext in exts:
        options = {"model": model} if model else {}
        if offline and "transformers" in ext.requires:
            click.echo(f"{ext.name}: not fetched: {offline[0]}=1 forbids downloads from the Hugging Face hub; "
                       f"unset it on a machine with network access, or copy a hub cache that holds the model",
                       err=True)
            failed += 1
            continue
        try:
            where = ext.download(**options)
        except GeneralLevelError as e:
            click.echo(f"{ext.name}: not fetched: {e}", err=True)
            failed += 1
        except Exception as e:  # noqa: BLE001 - network and hub errors of several libraries
            first = (str(e).strip().splitlines() or [""])[0][:300]
            click.echo(f"{ext.name}: not fetched ({type(e).__name__}: {first}). "
                       f"This machine seems to have no access to the download site: run `generallevel extractors "
                       f"fetch {ext.name}` where it has, then copy the cache folder (TORCH_HOME or HF_HUB_CACHE) here.",
                       err=True)
            failed += 1
        else:
            click.echo(f"{ext.name}: {where}")
    if failed:
        raise SystemExit(1)
