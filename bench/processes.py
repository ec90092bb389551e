"""The two servers of a comparison, each run under ``taskset -c CPUS``.

They start and stop like the test suite's served app (tests/support/server.py): the same code
waits for them to answer and stops them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.server import Server

REPO = Path(__file__).resolve().parent.parent


class PinnedServer(Server):
    """``commprefs serve`` (or the baseline) pinned to ``cpus``."""

    def __init__(
        self, name: str, database_url: str, log: Path, cpus: str, workers: int, **env: str
    ) -> None:
        super().__init__(database_url, log, "--workers", str(workers), **env)
        self.name = name
        self.cpus = cpus
        self.workers = workers

    def command(self) -> list[str]:
        return ["taskset", "-c", self.cpus, *super().command()]

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log().splitlines()[-lines:])


class Baseline(PinnedServer):
    """bench/baseline.py on the same uvicorn settings; it has no database."""

    probe = "/communication-preferences/v4/statuses/probe@bench.example"

    def __init__(self, log: Path, cpus: str, workers: int) -> None:
        super().__init__("baseline", "", log, cpus, workers, PYTHONPATH=str(REPO))

    def command(self) -> list[str]:
        return [
            *("taskset", "-c", self.cpus, sys.executable, "-m", "bench.baseline"),
            *("--port", str(self.port), "--workers", str(self.workers)),
        ]


def service(database_url: str, workers: int, cpus: str, log: Path) -> PinnedServer:
    return PinnedServer("commprefs", database_url, log, cpus, workers)


@contextmanager
def running(*servers: PinnedServer, timeout: float = 60.0) -> Iterator[None]:
    """Start the servers, and stop every one that started whatever happens."""
    started: list[PinnedServer] = []
    try:
        for server in servers:
            server.start(timeout)
            started.append(server)
        yield
    finally:
        for server in started:
            server.stop()
