"""A real commprefs server in a child process, talked to over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from commprefs.testing.emulator import free_port
from tests.support import launch

COMMPREFS = str(Path(sys.executable).with_name("commprefs"))
# What the log says on a line about a request that failed on the server's side: a traceback, the
# API's and the pages' handlers of unexpected errors, uvicorn's for an app that raised.
_SERVER_ERRORS = ("Traceback", "internal error", "page error", "Exception in ASGI application")


class Server:
    """``commprefs serve`` on a free port; ``start()`` waits until ``probe`` answers 200.

    Subclasses may run another ``command()`` (the benchmarks do).
    """

    probe = "/openapi.json"

    def __init__(self, database_url: str, log_path: Path, *extra_args: str, **env: str) -> None:
        self.database_url = database_url
        self.log_path = log_path
        self.port = free_port()
        self.extra_args = extra_args
        self.env = env
        self.process: launch.Process | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        return [
            COMMPREFS,
            "serve",
            "--port",
            str(self.port),
            "--database",
            self.database_url,
            *self.extra_args,
        ]

    def start(self, timeout: float = 30.0) -> Server:
        env = {**os.environ, **self.env}
        log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = launch.popen(self.command(), stdout=log, env=env)
        deadline = time.monotonic() + timeout
        # Our own log saying it listens on our port: another process that grabbed the port
        # between free_port() and the bind would answer HTTP too, but not write to this log.
        listening = f"running on {self.url}"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            if listening in self.log()[log_start:]:
                try:
                    if httpx.get(f"{self.url}{self.probe}", timeout=5.0).status_code == 200:
                        return self
                except httpx.TransportError:
                    pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server did not start in {timeout}s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def server_errors(self, since: int = 0) -> list[str]:
        """The lines of the log (after offset ``since``) that show a request failing on the
        server's side."""
        lines = self.log()[since:].splitlines()
        return [line for line in lines if any(mark in line for mark in _SERVER_ERRORS)]

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
