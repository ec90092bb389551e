"""Access logs never hold an address (issue 16), in any mode: uvicorn's own access log, turned on
as ``uvicorn --factory commprefs.app:create_app_from_environment`` does by default, logs each
path with the address masked; and an erasure empties the emulator's request journal of it."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from commprefs.app import create_app
from commprefs.config import Settings
from commprefs.domain.preferences import Actor
from commprefs.emulator.journal import JournalFilter
from commprefs.services import Services
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


def test_erasure_in_emulator_mode_empties_the_request_journal_of_the_address(
    tmp_path: Path,
) -> None:
    """The emulator's journal (issue 15) keeps paths, queries and bodies in memory: after an
    erasure no entry names the address in any of them, in any spelling; others stay."""
    services = Services.build(
        Settings(database_url=f"sqlite:///{tmp_path / 'journal.db'}", emulator=True)
    )
    assert services.emulator is not None
    journal = services.emulator.journal

    def request(path: str, query: bytes = b"", sent: bytes = b"", answered: bytes = b"") -> None:
        entry = journal.open(0, "POST", path, query, [], None, "c")
        entry.request_body.add(sent)
        entry.response_body.add(answered)

    async def erase() -> None:
        await services.upgrade()
        portal = await services.portals.create_portal("journal")
        await services.erasure.erase(Actor(portal.id, None, "r", "test"), "Ann@Example.com")

    request("/communication-preferences/v4/statuses/ann%40example.com")
    request("/email/public/v1/subscriptions/ANN@example.com")
    request("/communication-preferences/v3/status/email", b"email=ann%40example.com")
    request("/communication-preferences/v4/statuses/batch/write", sent=b'{"s": "Ann@Example.com"}')
    request("/communication-preferences/v4/statuses/batch/read", answered=b'"ann@example.com"')
    request("/communication-preferences/v4/statuses/bob%40example.com", sent=b"{}")
    try:
        asyncio.run(erase())
        page = asyncio.run(journal.read(JournalFilter()))
    finally:
        asyncio.run(services.close())
    assert [entry.path for entry in page.entries] == [
        "/communication-preferences/v4/statuses/bob%40example.com"
    ]
    assert page.dropped == 0  # forgotten, not let go by the ring
