"""A private PostgreSQL server for the tests: ``initdb`` into a temporary folder, ``pg_ctl start`` on
a free loopback port (trust authentication, fsync off), stopped and removed at the end.

Uses ``GENERALLEVEL_TEST_POSTGRES_URL`` instead when it is set (a server someone else runs). The
binaries come from PATH or Debian's ``/usr/lib/postgresql/<version>/bin`` (``apt-get install
postgresql``; ``.ci/run`` installs it). PostgreSQL refuses to run as root: as root, the server runs
as the ``postgres`` user the Debian package creates.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from serverkit import free_port

ENV_URL = "GENERALLEVEL_TEST_POSTGRES_URL"


class Unavailable(Exception):
    """Why no PostgreSQL server can be had here (the tests that need one are skipped with it)."""


def _bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.access(os.path.join(d, name), os.X_OK):
            return os.path.join(d, name)
    raise Unavailable(f"PostgreSQL is not installed ({name} not found; `apt-get install postgresql`)")


class PostgresServer:
    def __init__(self) -> None:
        self.url = os.environ.get(ENV_URL)
        self.root: Path | None = None
        self._n = 0
        if self.url:
            return
        initdb, self.pg_ctl = _bin("initdb"), _bin("pg_ctl")
        self.as_user: list[str] = []
        uid = None
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                raise Unavailable("running as root and there is no 'postgres' user to run PostgreSQL as") from None
            uid, gid = pw.pw_uid, pw.pw_gid
            self.as_user = [shutil.which("runuser") or "runuser", "-u", "postgres", "--"]
        self.root = Path(tempfile.mkdtemp(prefix="generallevel-pg-"))
        if uid is not None:
            os.chown(self.root, uid, gid)
        self.port = free_port()
        data = self.root / "data"
        self._run([initdb, "-D", str(data), "-A", "trust", "-U", "gl", "-E", "UTF8", "--no-sync"])
        opts = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                f"-c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
        self._run([self.pg_ctl, "-D", str(data), "-o", opts, "-l", str(self.root / "log"), "-w", "-t", "60", "start"])
        self.url = f"postgresql+psycopg://gl@127.0.0.1:{self.port}/postgres"

    def _run(self, cmd: list[str]) -> None:
        try:
            subprocess.run(self.as_user + cmd, check=True, capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.SubprocessError) as e:
            out = getattr(e, "stderr", "") or ""
            log = self.root / "log" if self.root else None
            if log is not None and log.exists():
                out += log.read_text(errors="replace")[-1500:]
            self.stop()
            raise Unavailable(f"PostgreSQL did not start: {e}: {out.strip()[-1500:]}") from None

    def new_database(self) -> str:
        """A fresh, empty database; its URL."""
        import psycopg

        self._n += 1
        name = f"gl_test_{os.getpid()}_{self._n}"
        with psycopg.connect(self._plain(self.url), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + "/" + name

    def drop_database(self, url: str) -> None:
        import psycopg

        name = url.rsplit("/", 1)[1]
        try:
            with psycopg.connect(self._plain(self.url), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except psycopg.Error:
            pass

    @staticmethod
    def _plain(url: str) -> str:
        return url.replace("postgresql+psycopg://", "postgresql://")

    def stop(self) -> None:
        if self.root is None:
            return
        if (self.root / "data" / "postmaster.pid").exists():
            subprocess.run(self.as_user + [self.pg_ctl, "-D", str(self.root / "data"), "-m", "immediate", "stop"],
                           capture_output=True, timeout=60)
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None
