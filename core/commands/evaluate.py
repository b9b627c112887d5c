"""``generallevel evaluate [DATASET_DIR] --predictions DIR``: score a model from General-Bench folders.

With no DATASET_DIR it evaluates the bundled demo tree (and, unless --predictions is given, the
bundled predictions of its made-up model), saying so on stderr.
"""

from __future__ import annotations

import json
import sys

import click

from ._interval_options import interval_options

from ..reports import interval_text

STATUS = {"scored": "ok", "unsupported": "unsupported", "failed": "FAILED"}


def _num(x, fmt: str) -> str:
    return "-" if x is None else format(x, fmt)


def task_rows(result) -> list[list[str]]:
    rows = []
    with_ci = getattr(result, "intervals", None) is not None
    for t in result.tasks:
        row = [t.task_id or t.folder, t.group, t.metric or "-", _num(t.raw, ".4g"), _num(t.sota_raw, ".4g"),
               _num(t.score, ".2f"), _num(t.sota_score, ".2f"), "yes" if t.win else "",
               f"{t.scored}/{t.annotated}", STATUS[t.status]]
        if with_ci:
            iv = t.interval_info or {}
            row[6:6] = [interval_text(iv.get("score")), _num(iv.get("p_win"), ".2f")]
        rows.append(row)
    return rows


TASK_HEAD = ["Task", "Group", "Metric", "Raw", "SoTA raw", "Score", "SoTA score", "Win", "Scored", "Status"]
CI_HEAD = TASK_HEAD[:6] + ["95 % CI", "P(win)"] + TASK_HEAD[6:]


def _head(result) -> list[str]:
    return CI_HEAD if getattr(result, "intervals", None) is not None else TASK_HEAD


def interval_lines(result) -> list[str]:
    """--ci: the Level intervals, the probability of each Level and the fragile wins, as text lines."""
    ci = getattr(result, "intervals", None)
    if ci is None:
        return []
    levels = ", ".join(f"S{k[-1]} {interval_text(bounds)}" for k, bounds in ci["levels"].items())
    probs = ", ".join(f"Level {k}: {p:.3f}" for k, p in ci["level_probability"].items() if p > 0)
    out = [f"95 % intervals ({ci['resamples']} resamples, seed {ci['seed']}; {ci['tasks_resampled']} tasks "
           f"resampled, {ci['tasks_fixed']} held at their value): {levels}",
           f"Probability of each Level: {probs}"]
    fragile = result.fragile_wins()
    if fragile:
        out.append(f"Fragile wins (P(win) < 0.9): " + ", ".join(
            f"{t.task_id} ({t.interval_info['p_win']:.2f})" for t in fragile))
    return out


def _summary(result) -> str:
    n = {s: sum(t.status == s for t in result.tasks) for s in STATUS}
    return (f"{len(result.tasks)} task folders: {n['scored']} scored, {n['unsupported']} unsupported "
            f"(no prediction file), {n['failed']} failed")


def render_table(result) -> str:
    from ..reports import format_table, render

    out = [render(result.report, "table"), *interval_lines(result), _summary(result), "",
           format_table(_head(result), task_rows(result))]
    problems = result.all_problems()
    if problems:
        out += ["", f"Problems ({len(problems)}):"] + [f"  - {p}" for p in problems]
    notes = result.task_notes()
    if notes:
        out += ["", f"Notes ({len(notes)}):"] + [f"  - {n}" for n in notes]
    return "\n".join(out) + "\n"


def render_markdown(result) -> str:
    from ..reports import render

    esc = lambda s: str(s).replace("|", "\\|")  # noqa: E731
    head = _head(result)
    out = [render(result.report, "markdown"), *[f"{line}  " for line in interval_lines(result)], "", "### Tasks", "",
           _summary(result), "",
           "| " + " | ".join(head) + " |", "|" + "|".join(["---"] * 3 + ["---:"] * (len(head) - 4) + ["---"]) + "|"]
    out += ["| " + " | ".join(esc(c) for c in row) + " |" for row in task_rows(result)]
    problems = result.all_problems()
    if problems:
        out += ["", "### Problems", ""] + [f"- {esc(p)}" for p in problems]
    notes = result.task_notes()
    if notes:
        out += ["", "### Notes", ""] + [f"- {esc(n)}" for n in notes]
    return "\n".join(out) + "\n"


@click.command("evaluate")
@click.argument("dataset_dir", required=False, type=click.Path(file_okay=False))
@click.option("--predictions", "-p", "predictions", type=click.Path(file_okay=False),
              help="Folder of prediction.json files mirroring DATASET_DIR's layout (default with DATASET_DIR: "
                   "the prediction files inside DATASET_DIR's task folders, the official layout).")
@click.option("--prediction-file", default="prediction.json", show_default=True,
              help="The prediction files' name (the official register.py -p).")
@click.option("--model", help="Model name in the report (default: the predictions folder's name).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "markdown", "html"]), default="table",
              show_default=True, help="html: one self-contained page with the per-task rows.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), help="Write the report to this file.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Worker processes (default: all cores; 1 = no worker processes).")
@click.option("--strict", is_flag=True, help="Fail (exit 2, no report) if any task fails or any problem is found; without it the report is printed and failed tasks give exit code 1.")
@click.option("--compat", type=click.Choice(["paper", "official"]), default="paper", show_default=True,
              help="'official' reproduces the official ranker's Level arithmetic, errors included.")
@click.option("--expect-registry", metavar="SHA256", help="Refuse to score if the registry fingerprint differs.")
@click.option("--scheduler", metavar="ADDRESS|local",
              help="Run the tasks on Dask: a running scheduler's address, or 'local' for a LocalCluster of "
                   "--jobs worker processes (needs generallevel[cluster]; docs/cluster.md).")
@click.option("--dashboard", is_flag=True, help="With --scheduler: print the Dask dashboard's address.")
@click.option("--task-timeout", type=click.FloatRange(min=0, min_open=True), default=3600.0, show_default=True,
              help="With --scheduler: seconds one task may run on a worker before it fails (and its worker restarts).")
@click.option("--extractor-options", type=click.Path(dir_okay=False, exists=True), metavar="FILE",
              help="JSON {\"extractor\": {\"option\": value}} of load options (e.g. weights paths; ./ and ../ "
                   "relative to FILE) for tasks whose items name media files (docs/media.md).")
@interval_options("95 % confidence intervals for task scores, wins and Levels by resampling each task's "
                  "instances (docs/intervals.md); slower, off by default.", "task", 1000)
def command(dataset_dir, predictions, prediction_file, model, fmt, output, jobs, strict, compat, expect_registry,
            scheduler, dashboard, task_timeout, extractor_options, ci, resamples, seed) -> None:
    """Score a model end to end from a General-Bench folder tree and its prediction files.

    DATASET_DIR holds <modality>/<comprehension|generation>/<Task>/annotation.json (NLP:
    nlp/<Task>/annotation.json); --predictions holds prediction.json files in the same layout, or,
    without it, they lie next to each annotation.json (the official layout). Without DATASET_DIR,
    the bundled demo is evaluated. See docs/evaluate.md.
    """
    from ..evaluate import DEMO_DATASET, DEMO_MODEL, DEMO_PREDICTIONS, evaluate

    if dataset_dir is None:
        dataset_dir = DEMO_DATASET
        if predictions is None:
            predictions, model = DEMO_PREDICTIONS, model or DEMO_MODEL
            click.echo(f"No DATASET_DIR given: evaluating the bundled demo ({dataset_dir}) with the "
                       f"bundled predictions of the made-up model {model!r}.", err=True)
        else:
            click.echo(f"No DATASET_DIR given: evaluating {predictions} on the bundled demo ({dataset_dir}).",
                       err=True)
    result = evaluate(dataset_dir, predictions, model, jobs=jobs, strict=strict, compat=compat,
                      expect_registry=expect_registry, prediction_file=prediction_file, scheduler=scheduler,
                      dashboard=dashboard, task_timeout=task_timeout, extractor_options=extractor_options,
                      ci=ci, resamples=resamples, seed=seed)
    for note in result.notes:
        click.echo(f"note: {note}", err=True)
    from ._output import emit

    if fmt == "json":
        emit(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n", output)
    elif fmt == "markdown":
        emit(render_markdown(result), output)
    elif fmt == "html":
        from ..reports.html import render_html

        emit(render_html(result), output)
    else:
        emit(render_table(result), output)
    failed, problems = len(result.failed), len(result.all_problems())
    if problems:
        click.echo(f"warning: {failed} task(s) failed, {problems} problem(s) in total; they are listed in the "
                   f"output (--strict makes them fatal)", err=True)
    if failed:
        sys.exit(1)  # results are printed, but a run with failed tasks is not a clean run
