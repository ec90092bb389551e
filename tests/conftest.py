"""Shared fixtures: real databases (SQLite and PostgreSQL), a served app, factories."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import launch
from tests.support.databases import database, sqlite_database
from tests.support.factories import Factory
from tests.support.server import Server

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session", autouse=True)
def forked_commands() -> Iterator[None]:
    """``commprefs`` runs are forked from one process that imported it once (launch.py)."""
    launch.enable()
    yield
    launch.close()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with database(backend, tmp_path_factory.mktemp(backend)) as url:
        yield url


@pytest.fixture(scope="session")
def server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("logs") / "server.log"
    running = Server(database_url, log).start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def factory(server: Server) -> Iterator[Factory]:
    made = Factory(server.database_url)
    yield made
    made.close()


@pytest.fixture
def http(server: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30.0) as client:
        yield client


@pytest.fixture
def artifacts() -> Path:
    folder = Path(__file__).resolve().parent.parent / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def module_sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A SQLite database of the module's own, for what does not depend on the database engine
    (HTTP limits, rate limiting) and so need not run twice."""
    with sqlite_database(tmp_path_factory.mktemp("module")) as url:
        yield url


@pytest.fixture(scope="module")
def module_factory(module_sqlite_url: str) -> Iterator[Factory]:
    made = Factory(module_sqlite_url)
    yield made
    made.close()
