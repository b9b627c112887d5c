"""Fixtures for the leaderboard service: a private answers tree with a canary, demo archives,
servers with a manual clock (TestClient in-process, or real uvicorn on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

try:
    import fastapi, httpx, jinja2, python_multipart, sqlalchemy, uvicorn  # noqa: E401, F401
except ImportError as e:  # pragma: no cover - depends on the environment
    if os.environ.get("CI", "").lower() == "true":
        raise RuntimeError(f"CI=true but the server extra is not installed ({e.name}): "
                           f"pip install -e '.[server]'") from None
    pytest.skip(f"the server extra is not installed ({e.name}); pip install -e '.[server]'",
                allow_module_level=True)



def pytest_configure(config):
    config.addinivalue_line("filterwarnings", "ignore:Using `httpx` with `starlette.testclient`")

from generallevel.server import admin  # noqa: E402
from generallevel.server.app import create_app  # noqa: E402
from generallevel.server.clock import ManualClock  # noqa: E402
from generallevel.server.config import ServerConfig  # noqa: E402
from generallevel.server.demo import build_archive, demo_paths  # noqa: E402

from serverkit import CANARY, LiveServer  # noqa: E402


@pytest.fixture(scope="session")
def answers(tmp_path_factory) -> Path:
    """A copy of the demo tree in a directory whose name and content carry the canary."""
    src, _ = demo_paths()
    dest = tmp_path_factory.mktemp("srv") / f"answers-{CANARY}"
    shutil.copytree(src, dest)
    ann = next(dest.rglob("annotation.json"))
    doc = json.loads(ann.read_text(encoding="utf-8"))
    doc["secret_note"] = CANARY
    ann.write_text(json.dumps(doc), encoding="utf-8")
    return dest


@pytest.fixture(scope="session")
def archive_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("archives")


@pytest.fixture(scope="session")
def small_archive(archive_dir):
    """``make(model, board='scope-c-3d-comprehension')``: a one-task archive (fast to score)."""
    def make(model: str = "tiny", board: str = "scope-c-3d-comprehension",
             folders: tuple[str, ...] = ("3d/comprehension",)) -> Path:
        path = archive_dir / f"{model}-{board}.zip"
        if not path.exists():
            build_archive(archive_dir, model, board, folders)
        return path
    return make


@pytest.fixture(scope="session")
def full_archive(archive_dir) -> Path:
    return build_archive(archive_dir, "omni", "scope-a", ("image", "video", "audio", "3d", "nlp"))


class Site:
    """An app with its state, a manual clock and helpers to create users and upload."""

    def __init__(self, config: ServerConfig, clock: ManualClock) -> None:
        self.config, self.clock = config, clock
        self.app = create_app(config)
        self.state = self.app.state.gl
        self.db = self.state.sessions
        self._client = None

    @property
    def client(self):
        if self._client is None:
            from fastapi.testclient import TestClient

            self._client = TestClient(self.app)  # no lifespan: the worker runs only when a test says so
        return self._client

    def user(self, name: str) -> str:
        admin.add_user(self.db, name, f"{name}@example.org")
        return admin.create_token(self.db, name)

    def upload(self, token: str | None, archive: Path, model: str | None = None, client=None,
               name: str | None = None, **fields: Any):
        data = {"model_name": model or archive.name.split("-scope-")[0], "params": "7B",
                "description": "test", "contact_email": "x@example.org", **fields}
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        with open(archive, "rb") as fh:
            return (client or self.client).post("/api/submissions", headers=headers, data=data,
                                                files={"archive": (name or archive.name, fh, "application/zip")})

    def score_all(self) -> int:
        n = 0
        while self.state.worker.step():
            n += 1
        return n


BACKENDS = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc):
    """A module opts in to running on both databases with ``pytestmark = pytest.mark.usefixtures("backend")``."""
    if "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture(scope="session")
def postgres():
    from pgserver import PostgresServer, Unavailable

    try:
        server = PostgresServer()
    except Unavailable as e:
        server = e
    yield server
    if not isinstance(server, Exception):
        server.stop()


@pytest.fixture
def backend(request) -> str:
    return getattr(request, "param", "sqlite")


@pytest.fixture
def db_url(request, tmp_path):
    """``make_db()``: a fresh database URL for the test's backend (None: SQLite in the data dir)."""
    made: list[str] = []
    backend = request.getfixturevalue("backend") if "backend" in request.fixturenames else "sqlite"
    server = request.getfixturevalue("postgres") if backend == "postgresql" else None
    if isinstance(server, Exception):
        pytest.skip(f"PostgreSQL unavailable: {server}")

    def make_db() -> str | None:
        if server is None:
            return None
        made.append(server.new_database())
        return made[-1]

    yield make_db
    for url in made:
        server.drop_database(url)


@pytest.fixture
def make_site(tmp_path, answers, db_url):
    sites: list[Site] = []

    def make(**overrides: Any) -> Site:
        clock = overrides.pop("clock", None) or ManualClock()
        overrides.setdefault("answers_dir", answers)
        if "db_url" not in overrides:
            overrides["db_url"] = db_url()
        cfg = ServerConfig(data_dir=tmp_path / f"data{len(sites)}", clock=clock, poll_seconds=0.05, **overrides)
        site = Site(cfg, clock)
        sites.append(site)
        return site

    yield make
    for s in sites:
        s.state.stop()


@pytest.fixture
def site(make_site) -> Site:
    return make_site()


@pytest.fixture
def live(make_site):
    servers: list[LiveServer] = []

    def start(site: Site | None = None, **overrides: Any) -> LiveServer:
        srv = LiveServer(site or make_site(**overrides)).__enter__()
        servers.append(srv)
        return srv

    yield start
    for s in servers:
        s.__exit__(None, None, None)


