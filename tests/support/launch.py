"""Start ``commprefs`` processes for tests, forked from a process that has already imported it.

A fresh ``commprefs`` spends about 0.9 s of CPU importing FastAPI, SQLAlchemy, Alembic and
uvicorn before it does anything, and the suite starts a few hundred (CLI calls, servers, webhook
workers, restarts). Forking ``tests/support/zygote.py`` skips that: each run is still a process of
its own, with its own pid, arguments, environment, working directory and stdio, that runs the
console script's ``main()`` and can be signalled, killed and waited for like a ``Popen``.

Only the tests enable it (``enable()``, from tests/conftest.py); anything else, and any command
that is not ``commprefs``, gets a plain ``subprocess.Popen``.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Protocol

ZYGOTE = Path(__file__).with_name("zygote.py")


class Process(Protocol):
    """What the tests use of a ``subprocess.Popen``."""

    @property
    def pid(self) -> int: ...

    @property
    def returncode(self) -> int | None: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...

    def send_signal(self, sig: int) -> None: ...

    def kill(self) -> None: ...


class Forked:
    """A ``commprefs`` process forked by the zygote; its exit status comes over ``connection``."""

    def __init__(self, args: list[str], connection: socket.socket) -> None:
        self.args = args
        self.connection = connection
        self.pid: int = json.loads(connection.recv(4096))["pid"]
        self.returncode: int | None = None

    def _receive(self, timeout: float | None) -> int | None:
        if self.returncode is None:
            self.connection.settimeout(timeout)
            try:
                message = self.connection.recv(4096)
            except (BlockingIOError, TimeoutError):
                return None
            if not message:
                raise RuntimeError(f"the zygote went away before {self.args} ended")
            self.returncode = int(json.loads(message)["returncode"])
            self.connection.close()
        return self.returncode

    def poll(self) -> int | None:
        return self._receive(0)

    def wait(self, timeout: float | None = None) -> int:
        code = self._receive(timeout)
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        return code

    def send_signal(self, sig: int) -> None:
        # Until its status is read the child is at worst an unreaped zombie: the pid is its own.
        if self.poll() is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class Zygote:
    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="commprefs-zygote-"))
        self.address = str(self.folder / "socket")
        self.log = (self.folder / "zygote.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, str(ZYGOTE), self.address],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline() != b"ready\n":
            self.process.wait()
            log = (self.folder / "zygote.log").read_text(errors="replace")
            raise RuntimeError(f"the commprefs zygote did not start:\n{log}")

    def start(
        self,
        args: list[str],
        stdin: int,
        stdout: int,
        stderr: int,
        env: dict[str, str] | None,
        cwd: str | None,
    ) -> Forked:
        request = {"argv": args, "env": dict(os.environ if env is None else env)}
        request["cwd"] = cwd or os.getcwd()
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        connection.connect(self.address)
        socket.send_fds(connection, [json.dumps(request).encode()], [stdin, stdout, stderr])
        return Forked(args, connection)

    def close(self) -> None:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.close()  # the zygote exits when its stdin closes
        self.process.wait(timeout=10)
        self.process.stdout.close()
        self.log.close()
        for leftover in self.folder.iterdir():
            leftover.unlink()
        self.folder.rmdir()


_zygote: list[Zygote] = []
_enabled: list[bool] = []


def enable() -> None:
    _enabled.append(True)


def close() -> None:
    while _zygote:
        _zygote.pop().close()


def _forks(args: list[str]) -> Zygote | None:
    from tests.support.server import COMMPREFS  # here: server.py imports this module

    if not _enabled or not args or args[0] != COMMPREFS:
        return None
    if not _zygote:
        _zygote.append(Zygote())
    return _zygote[0]


def popen(
    args: list[str],
    stdout: IO[bytes],
    env: dict[str, str] | None = None,
    cwd: str | None = None,
) -> Process:
    """``Popen(args, stdout=stdout, stderr=STDOUT)``, forked when it can be (the fork's stdin is
    /dev/null: no command reads it)."""
    zygote = _forks(args)
    if zygote is None:
        return subprocess.Popen(
            args,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
        )
    with open(os.devnull, "rb") as devnull:
        return zygote.start(args, devnull.fileno(), stdout.fileno(), stdout.fileno(), env, cwd)


def run(
    args: list[str],
    timeout: float,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """``subprocess.run(args, capture_output=True, text=True, ...)``, forked when it can be."""
    zygote = _forks(args)
    if zygote is None:
        return subprocess.run(
            args, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd
        )
    out_read, out_write = os.pipe()
    err_read, err_write = os.pipe()
    try:
        with open(os.devnull, "rb") as devnull:
            process = zygote.start(args, devnull.fileno(), out_write, err_write, env, cwd)
    finally:
        os.close(out_write)
        os.close(err_write)
    deadline = time.monotonic() + timeout
    output = _read_both(process, out_read, err_read, deadline)
    code = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    # As text=True decodes: universal newlines.
    out, err = (data.decode().replace("\r\n", "\n").replace("\r", "\n") for data in output)
    return subprocess.CompletedProcess(args, code, out, err)


def _read_both(process: Forked, out: int, err: int, deadline: float) -> tuple[bytes, bytes]:
    """Read stdout and stderr to their ends; kill the process if it outlives the deadline."""
    chunks: dict[int, list[bytes]] = {out: [], err: []}
    try:
        with selectors.DefaultSelector() as selector:
            for fd in chunks:
                selector.register(fd, selectors.EVENT_READ)
            while selector.get_map():
                left = deadline - time.monotonic()
                if left <= 0:
                    process.kill()
                    process.wait()
                    raise subprocess.TimeoutExpired(process.args, 0)
                for key, _ in selector.select(left):
                    data = os.read(key.fd, 65536)
                    if data:
                        chunks[key.fd].append(data)
                    else:
                        selector.unregister(key.fd)
    finally:
        os.close(out)
        os.close(err)
    return b"".join(chunks[out]), b"".join(chunks[err])
