"""``Emulator``: ``commprefs serve --emulator`` in a child process on a free port, and a handle on
its control API (``/_commprefs/…``): reset, seed, state, the request journal, faults, the clock.

It imports nothing else of commprefs: it talks to the server over HTTP, as a user's suite does.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import httpx

DEFAULT_TOKEN = "test-token"  # noqa: S105 - the well-known token of a test suite
CONTROL = "/_commprefs"
_SERVE = "import sys; from commprefs.cli.main import main; main(sys.argv[1:])"


class EmulatorError(RuntimeError):
    """The emulator did not start, or its control API refused a call (with its answer)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Clock:
    """The emulator's clock (``/_commprefs/clock``): every time the service writes or answers."""

    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator

    def set(self, now: str | int, frozen: bool = False) -> Any:
        """Put the clock at ``now`` (ISO-8601 or epoch ms), running on from there at real
        speed, or standing still (``frozen``). Answers the reading: ``now``, ``nowMs``,
        ``frozen``, ``realTime``."""
        return self._emulator.call("PUT", "/clock", json={"now": str(now), "frozen": frozen})

    def freeze(self, now: str | int) -> Any:
        return self.set(now, frozen=True)

    def advance(self, seconds: float) -> Any:
        return self._emulator.call("POST", "/clock/advance", json={"seconds": seconds})

    def real(self) -> Any:
        """Real time again."""
        return self._emulator.call("DELETE", "/clock")

    def now(self) -> Any:
        return self._emulator.call("GET", "/clock")


class Emulator:
    """A served emulator. ``seed``: a seed document (dict) or a YAML/JSON file; ``token``: a
    known access token (every scope); ``database``: a URL to persist in (default: a fresh
    temporary SQLite file); ``args``: more ``serve`` options."""

    def __init__(
        self,
        seed: dict[str, Any] | str | Path | None = None,
        token: str = DEFAULT_TOKEN,
        *,
        database: str | None = None,
        args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        self.token = token
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.clock = Clock(self)
        self._seed = seed
        self._database = database
        self._args = args
        self._env = env or {}
        self._startup_timeout = startup_timeout
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._log: IO[bytes] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._http: httpx.Client | None = None

    # -- life --------------------------------------------------------------------------------

    @property
    def environment(self) -> dict[str, str]:
        """What a HubSpot client needs to talk to this emulator instead of HubSpot."""
        return {"HUBSPOT_BASE_URL": self.base_url, "HUBSPOT_ACCESS_TOKEN": self.token}

    def start(self) -> Emulator:
        self._folder = tempfile.TemporaryDirectory(prefix="commprefs-emulator-")
        folder = Path(self._folder.name)
        command = [sys.executable, "-c", _SERVE, "serve", "--emulator", "--port", str(self.port)]
        command += ["--token", self.token]
        if self._seed is not None:
            command += ["--seed", str(self._seed_file(folder))]
        if self._database is not None:
            command += ["--database", self._database]
        command += list(self._args)
        self._log = (folder / "emulator.log").open("w+b")
        self._process = subprocess.Popen(  # noqa: S603 - our own command line
            command,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, **self._env},
        )
        self._http = httpx.Client(base_url=self.base_url + CONTROL, timeout=30.0)
        self._wait_until_ready()
        return self

    def _seed_file(self, folder: Path) -> Path:
        if isinstance(self._seed, dict):
            path = folder / "seed.json"
            path.write_text(json.dumps(self._seed))
            return path
        return Path(str(self._seed)).resolve()

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self._startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise EmulatorError(f"the emulator exited at start-up:\n{self.log()}")
            try:
                if httpx.get(f"{self.base_url}/readyz", timeout=5.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        self.stop()
        raise EmulatorError(
            f"the emulator was not ready in {self._startup_timeout}s:\n{self.log()}"
        )

    def log(self) -> str:
        """What the server wrote so far."""
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def stop(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.terminate()
                try:
                    self._process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait()
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    # -- the control API ---------------------------------------------------------------------

    def call(self, method: str, path: str, **options: Any) -> Any:
        """One call of the control API; its JSON answer, or EmulatorError with it."""
        if self._http is None:
            raise EmulatorError("the emulator is not running (use it inside `with`)")
        response = self._http.request(method, path, **options)
        if response.status_code >= 400:
            raise EmulatorError(f"{method} {CONTROL}{path}: {response.status_code} {response.text}")
        return response.json() if response.content else None

    def reset(self) -> None:
        """Back to exactly the seed: statuses, opt-outs, ledger, journal, faults, clock."""
        self.call("POST", "/reset")

    def seed(self, document: dict[str, Any]) -> None:
        """Make ``document`` the state and what ``reset`` returns to."""
        self.call("POST", "/seed", json=document)

    def state(self) -> dict[str, Any]:
        """The current state as a seed document."""
        found: dict[str, Any] = self.call("GET", "/state")
        return found

    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        """The journal of HubSpot-API requests, oldest first; ``filters``: method, path,
        operation, status, since, limit."""
        params = {key: value for key, value in filters.items() if value is not None}
        return list(self.call("GET", "/requests", params=params)["results"])

    def fault(self, **spec: Any) -> int:
        """Add a fault; its id. ``spec``: what it matches (``method``, ``path`` glob,
        ``operationId``; none: every request) and how it answers (``status``, ``body``,
        ``headers``, ``delayMs``, ``times`` (default 1; 0: until removed), ``after``)."""
        fault_id: int = self.call("POST", "/faults", json=spec)["id"]
        return fault_id

    def faults(self) -> list[dict[str, Any]]:
        """The faults, oldest first, with their ``seen`` and ``hits`` counts."""
        return list(self.call("GET", "/faults")["results"])

    def clear_faults(self) -> None:
        self.call("DELETE", "/faults")

    def clear_requests(self) -> None:
        """Empty the request journal."""
        self.call("DELETE", "/requests")
