"""``generallevel serve``: host the leaderboard; ``generallevel serve admin ...``: users, tokens, queue.

Kept light: the server stack (FastAPI, SQLAlchemy, uvicorn) is imported only inside the commands.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from ..errors import MissingDependencyError
from ..server.config import DEFAULT_SERVICE_BOARD_RESAMPLES

DEFAULT_DATA = "generallevel-leaderboard"


def _need_server() -> None:
    try:
        import fastapi  # noqa: F401
        import sqlalchemy  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as e:
        raise MissingDependencyError(
            f"the leaderboard server needs the 'server' extra ({e.name} is missing): "
            f"pip install 'generallevel[server]'") from None


def _db_url(db: str | None, data_dir: str) -> str:
    return db or f"sqlite:///{(Path(data_dir) / 'leaderboard.sqlite3').resolve()}"


@click.group("serve", invoke_without_command=True)
@click.option("--db", metavar="URL", help="SQLAlchemy database URL (default: SQLite file in --data-dir), "
                                          "e.g. postgresql://user@host/board (psycopg 3 is used).")
@click.option("--data-dir", default=DEFAULT_DATA, show_default=True, type=click.Path(file_okay=False),
              help="Where uploads (and the default SQLite database) are kept; shared by every process.")
@click.option("--answers", type=click.Path(file_okay=False, exists=True),
              help="Closed-set ground truth (General-Bench layout); read only by the scorer, never served.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--max-upload-mb", default=50.0, show_default=True, type=float, help="Largest accepted upload.")
@click.option("--stale-after", default=30.0, show_default=True, type=float,
              help="The lease: seconds without a heartbeat after which a scoring run counts as interrupted "
                   "and is retried.")
@click.option("--workers", "web_workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Web processes (each with its own board cache; all share the database).")
@click.option("--no-worker", is_flag=True, help="Score nothing in the web process(es); run `generallevel serve "
                                                "worker` processes instead (faster pages under load).")
@click.option("--max-checks", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Archive checks at once per web process (each needs up to ~120 MB; see docs/server.md).")
@click.option("--ci-resamples", default=1000, show_default=True, type=click.IntRange(min=0), metavar="N",
              help="Score submissions with 95 % confidence intervals from N resamples of their instances "
                   "(about 2.5x the scoring time) and show board intervals, P(Level) and ties; 0: off "
                   "(docs/intervals.md). `serve worker` processes take the same option.")
@click.option("--board-resamples", default=DEFAULT_SERVICE_BOARD_RESAMPLES, show_default=True,
              type=click.IntRange(min=10), metavar="N",
              help="Redraws of each model's board intervals (computed once per scored submission).")
@click.option("--demo", is_flag=True, help="Start a demo board on a temporary SQLite database with a few scored "
                                           "demo models (the demo tree's annotations are the answers).")
@click.pass_context
def command(ctx, db, data_dir, answers, host, port, max_upload_mb, stale_after, web_workers, no_worker, max_checks,
            ci_resamples, board_resamples, demo) -> None:
    """Run the General-Level leaderboard web service (boards, model pages, submissions, JSON API)."""
    if ctx.invoked_subcommand is not None:
        return
    _need_server()
    import os

    import uvicorn

    from ..server.app import CONFIG_ENV, config_to_env, create_app
    from ..server.config import MiB, ServerConfig

    if demo:
        from ..server.demo import prepare_demo

        click.echo("preparing the demo board (scoring the demo models)...")
        config, token = prepare_demo(max_upload_bytes=int(max_upload_mb * MiB), ci_resamples=ci_resamples,
                                     board_resamples=board_resamples)
        click.echo(f"demo data (a temporary directory; delete it when done): {config.data_dir.parent}")
        click.echo(f"demo user 'demo', API token: {token}")
        click.echo(f"an archive to try the upload with: {config.data_dir.parent / 'try-me' / 'my-model-scope-a.zip'}")
    else:
        config = ServerConfig(data_dir=Path(data_dir), answers_dir=Path(answers) if answers else None, db_url=db,
                              max_upload_bytes=int(max_upload_mb * MiB), stale_after_seconds=stale_after,
                              heartbeat_seconds=min(5.0, stale_after / 3), start_worker=not no_worker,
                              max_concurrent_checks=max_checks, ci_resamples=ci_resamples,
                              board_resamples=board_resamples)
        if answers is None and not no_worker:
            click.echo("warning: no --answers given: submissions are queued but cannot be scored", err=True)
    click.echo(f"leaderboard on http://{host}:{port}/")
    if web_workers == 1:
        uvicorn.run(create_app(config), host=host, port=port, log_level="warning")
    else:
        os.environ[CONFIG_ENV] = config_to_env(config)
        uvicorn.run("generallevel.server.app:app_from_env", factory=True, workers=web_workers, host=host,
                    port=port, log_level="warning")


@command.command("worker")
@click.option("--db", metavar="URL", help="The web service's database URL (default: the SQLite file in --data-dir).")
@click.option("--data-dir", default=DEFAULT_DATA, show_default=True, type=click.Path(file_okay=False),
              help="The web service's data directory (where the archives are; scratch space for extraction).")
@click.option("--answers", required=True, type=click.Path(file_okay=False, exists=True),
              help="Closed-set ground truth (General-Bench layout).")
@click.option("--stale-after", default=30.0, show_default=True, type=float,
              help="The lease (as for `serve`); use the same value everywhere.")
@click.option("--poll", default=1.0, show_default=True, type=float, help="Seconds between looks at an empty queue.")
@click.option("--ci-resamples", default=1000, show_default=True, type=click.IntRange(min=0), metavar="N",
              help="As for `serve`: score with confidence intervals from N resamples; 0: off. Use the same "
                   "value as the web service.")
@click.option("--nice", "niceness", default=10, show_default=True, type=click.IntRange(0, 19), metavar="N",
              help="Lower this process's CPU priority by N (Unix) so that web processes on the same machine "
                   "answer pages first while it scores; 0: unchanged.")
def worker_command(db, data_dir, answers, stale_after, poll, ci_resamples, niceness) -> None:
    """Score queued submissions in this process until stopped (SIGTERM/SIGINT); run any number of them.

    Claims are row-locked (FOR UPDATE SKIP LOCKED on PostgreSQL), each claim is a lease renewed by a
    heartbeat, and a crashed worker's submission is requeued once its lease expires.
    """
    _need_server()
    import logging
    import signal
    import threading

    from ..server.config import ServerConfig
    from ..server.state import AppState

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if niceness and hasattr(os, "nice"):
        os.nice(niceness)  # scoring is throughput work; pages are latency work
    config = ServerConfig(data_dir=Path(data_dir), answers_dir=Path(answers), db_url=_db_url(db, data_dir),
                          stale_after_seconds=stale_after, heartbeat_seconds=min(5.0, stale_after / 3),
                          poll_seconds=poll, ci_resamples=ci_resamples)
    state = AppState(config)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    state.start()
    click.echo(f"scoring worker {state.worker.id} on {config.database_url.split('@')[-1]}", err=True)
    try:
        stop.wait()
    finally:
        state.stop()


@command.group("admin")
@click.option("--db", metavar="URL", help="Database URL (default: the SQLite file in --data-dir).")
@click.option("--data-dir", default=DEFAULT_DATA, show_default=True, type=click.Path(file_okay=False))
@click.pass_context
def admin_command(ctx, db, data_dir) -> None:
    """Manage users, API tokens, the submission queue and dataset contributions."""
    _need_server()
    from ..server.admin import open_db

    if db is None:
        Path(data_dir).mkdir(parents=True, exist_ok=True)
    ctx.obj = open_db(_db_url(db, data_dir))


def _print(rows, as_json: bool, cols: list[str]) -> None:
    if as_json:
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    from ..reports import format_table

    click.echo(format_table(cols, [[str(r.get(c, "")) for c in cols] for r in rows]))


@admin_command.command("add-user")
@click.argument("name")
@click.option("--email", default="")
@click.option("--admin", "is_admin", is_flag=True)
@click.option("--no-token", is_flag=True, help="Do not create a first API token.")
@click.pass_obj
def add_user_cmd(db, name, email, is_admin, no_token) -> None:
    """Create a user (and print a first API token, shown only this once)."""
    from ..server.admin import add_user, create_token

    add_user(db, name, email, is_admin)
    click.echo(f"user {name!r} created")
    if not no_token:
        click.echo(f"API token (store it now; only its hash is kept): {create_token(db, name, 'first')}")


@admin_command.command("token")
@click.argument("user")
@click.option("--label", default="")
@click.pass_obj
def token_cmd(db, user, label) -> None:
    """Create another API token for USER (printed once)."""
    from ..server.admin import create_token

    click.echo(create_token(db, user, label))


@admin_command.command("revoke")
@click.argument("token_or_prefix")
@click.pass_obj
def revoke_cmd(db, token_or_prefix) -> None:
    """Revoke a token (the token itself, or its prefix as 'users' lists it)."""
    from ..server.admin import revoke_token

    n = revoke_token(db, token_or_prefix)
    click.echo(f"{n} token(s) revoked")


@admin_command.command("disable")
@click.argument("user")
@click.option("--enable", is_flag=True, help="Re-enable instead.")
@click.pass_obj
def disable_cmd(db, user, enable) -> None:
    """Disable (or re-enable) a user: their tokens stop working."""
    from ..server.admin import set_disabled

    set_disabled(db, user, not enable)
    click.echo(f"user {user!r} {'enabled' if enable else 'disabled'}")


@admin_command.command("users")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def users_cmd(db, as_json) -> None:
    """List users and their token prefixes."""
    from ..server.admin import list_users

    rows = list_users(db)
    for r in rows:
        r["tokens"] = ", ".join(f"{t['prefix']}{' (revoked)' if t['revoked'] else ''}" for t in r["tokens"]) \
            if not as_json else r["tokens"]
    _print(rows, as_json, ["name", "email", "admin", "disabled", "tokens"])


@admin_command.command("submissions")
@click.option("--status", type=click.Choice(["queued", "scoring", "scored", "failed"]))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def submissions_cmd(db, status, as_json) -> None:
    """List submissions (with the failure reasons)."""
    from ..server.admin import list_submissions

    _print(list_submissions(db, status), as_json,
           ["id", "user", "model", "leaderboard_id", "status", "attempts", "submitted_at", "reason"])


@admin_command.command("requeue")
@click.argument("submission_id")
@click.pass_obj
def requeue_cmd(db, submission_id) -> None:
    """Queue a failed submission again (e.g. after fixing the answers)."""
    from ..server.admin import requeue

    requeue(db, submission_id)
    click.echo(f"submission {submission_id} queued")


@admin_command.command("datasets")
@click.option("--status", type=click.Choice(["pending_review", "accepted", "rejected"]))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def datasets_cmd(db, status, as_json) -> None:
    """List dataset contributions (files under <data-dir>/contributions/<id>/)."""
    from ..server.admin import list_datasets

    _print(list_datasets(db, status), as_json,
           ["id", "user", "name", "modality", "paradigm", "status", "submitted_at", "stored_dir"])


@admin_command.command("review")
@click.argument("dataset_id")
@click.option("--accept/--reject", required=True)
@click.option("--note", default="")
@click.pass_obj
def review_cmd(db, dataset_id, accept, note) -> None:
    """Accept or reject a dataset contribution."""
    from ..server.admin import review_dataset

    r = review_dataset(db, dataset_id, accept, note)
    click.echo(f"dataset {r['name']} ({dataset_id}): {r['status']}")
