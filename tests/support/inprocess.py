"""An app built in the test process and served over real HTTP by uvicorn in a thread: for tests
that hand the app a fake of one of its parts (the child-process server cannot take one).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI


@contextmanager
def serving(app: FastAPI, port: int, timeout: float = 30.0) -> Iterator[str]:
    """Serve ``app`` on ``port`` (from ``free_port()``) until the block ends; yields its URL."""
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws="none",
        lifespan="on",
        proxy_headers=False,  # as run_server: the app decides whose X-Forwarded-For it believes
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="in-process server", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("the in-process server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout)
