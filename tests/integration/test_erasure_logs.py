"""Access logs never hold an address (issue 16), in any mode: uvicorn's own access log, turned on
as ``uvicorn --factory commprefs.app:create_app_from_environment`` does by default, logs each
path with the address masked."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from commprefs.app import create_app
from commprefs.config import Settings
from tests.support.server import free_port


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_uvicorns_access_log_masks_addresses(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'logs.db'}"))
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, access_log=True, log_level="info")
    server = uvicorn.Server(config)
    lines = Lines()
    access = logging.getLogger("uvicorn.access")
    access.addHandler(lines)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 30
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        base = f"http://127.0.0.1:{port}"
        for path in (
            "/communication-preferences/v4/statuses/Jane.Doe%40Example.com?channel=EMAIL",
            "/commprefs/v1/subscribers/jane.doe@example.com/history",
            "/communication-preferences/v3/status/email/jane.doe+x@example.com",
        ):
            assert httpx.get(base + path).status_code == 401
    finally:
        server.should_exit = True
        thread.join(30)
        access.removeHandler(lines)
    assert len(lines.lines) == 3, lines.lines
    assert [line for line in lines.lines if "jane" in line.lower()] == []
    assert all("/***" in line for line in lines.lines), lines.lines
