"""The process that ``tests.support.launch`` forks ``commprefs`` runs from (run as a script).

It imports what ``commprefs`` imports, then waits on a Unix socket. Each request (argv,
environment, working directory, and the stdin/stdout/stderr to use) is answered by a fork, which
takes those file descriptors and calls the console script's ``main()`` exactly as the installed
``commprefs`` would; the fork's pid, then its exit status, go back over the request's connection.
Only the standard library and commprefs are imported here: this file is not run inside the tests'
package.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import select
import socket
import sys
import types
from typing import Any

POLL_SECONDS = 0.01  # how soon an exited child's status is reported
# What a ``commprefs`` run imports; ``serve`` imports the rest inside the command (commprefs.app,
# which imports the others).
PRELOAD = (
    "commprefs.cli.main",
    "commprefs.app",
    "commprefs.api.http_limits",
    "commprefs.api.ratelimit",
    "uvicorn",
)


def _reap(children: dict[int, socket.socket]) -> None:
    while children:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        connection = children.pop(pid, None)
        if connection is None:
            continue
        with contextlib.suppress(OSError):  # the test that asked may have gone
            connection.sendall(
                json.dumps({"returncode": os.waitstatus_to_exitcode(status)}).encode()
            )
        connection.close()


def _serve(listener: socket.socket) -> dict[str, Any]:
    """Fork for every request; returns only in a forked child, with its request."""
    children: dict[int, socket.socket] = {}
    while True:
        timeout = POLL_SECONDS if children else None
        ready, _, _ = select.select([listener, sys.stdin], [], [], timeout)
        _reap(children)
        if sys.stdin in ready and not os.read(sys.stdin.fileno(), 1):
            sys.exit(0)  # the test session closed our stdin: it is over
        if listener not in ready:
            continue
        connection, _ = listener.accept()
        message, fds, _, _ = socket.recv_fds(connection, 1 << 20, 3)
        pid = os.fork()
        if pid == 0:
            listener.close()
            for other in children.values():
                other.close()
            connection.close()
            for target, fd in enumerate(fds):
                os.dup2(fd, target)
            for fd in fds:
                if fd > 2:
                    os.close(fd)
            request: dict[str, Any] = json.loads(message)
            return request
        for fd in fds:
            os.close(fd)
        connection.sendall(json.dumps({"pid": pid}).encode())
        children[pid] = connection


def _become(request: dict[str, Any]) -> None:
    """Set this fork up as the installed console script would be, then run it."""
    argv: list[str] = request["argv"]
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = list(argv)
    sys.path[0] = os.path.dirname(argv[0])
    # multiprocessing's spawn (``serve --workers``) re-imports __main__ from its file in each
    # worker: make that the console script, as in a real run, rather than this file.
    main_module = types.ModuleType("__main__")
    main_module.__file__ = argv[0]
    sys.modules["__main__"] = main_module
    from commprefs.cli.main import main

    sys.exit(main())


if __name__ == "__main__":
    for name in PRELOAD:
        importlib.import_module(name)
    # Out of the collector's sight: a fork's collections (and the one at its exit) would otherwise
    # walk, and so copy, every page of the inherited heap, which costs 0.6 s per run.
    gc.freeze()
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as server_socket:
        server_socket.bind(sys.argv[1])
        server_socket.listen(64)
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        child_request = _serve(server_socket)
    _become(child_request)
