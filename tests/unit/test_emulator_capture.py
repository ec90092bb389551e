"""The journal's middleware passes a streamed response through chunk by chunk (nothing held
back) while recording it, up to the journal's body limit; a request the app fails on is
journaled as the 500 the client gets (issue 15)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from commprefs.api.emulator.capture import FaultInjection, JournalCapture
from commprefs.app import create_app
from commprefs.config import Settings
from commprefs.domain.tokens import TokenRecord
from commprefs.emulator.faults import FaultService
from commprefs.emulator.journal import Journal, JournalFilter

CHUNKS = [b'{"rows": [', b"1, 2, ", b"3]}"]


class NoTokens:
    async def list(self, portal_id: int | None = None) -> list[TokenRecord]:
        return []


def scope_of(path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": b"",
        "headers": [],
        "state": {"received_ms": 0, "request_id": "r"},
    }


async def receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


def test_a_streamed_response_is_passed_on_as_it_comes_and_journaled() -> None:
    sent: list[Message] = []
    produced: list[int] = []

    async def streaming(scope: Scope, receive: Receive, send: Send) -> None:
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for n, chunk in enumerate(CHUNKS):
            produced.append(n)
            # Each chunk reaches the client before the next one is made.
            assert len([m for m in sent if m["type"] == "http.response.body"]) == n
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    journal = Journal(10, 12, NoTokens())
    app = create_app(Settings(database_url="sqlite:///:memory:", emulator=True))
    capture = JournalCapture(FaultInjection(streaming, FaultService()), journal, app)

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(capture(scope_of("/no/such/export"), receive, send))

    assert [m.get("body") for m in sent[1:]] == [*CHUNKS, b""]
    (entry,) = asyncio.run(journal.read(JournalFilter())).entries
    assert bytes(entry.response_body.data) == b"".join(CHUNKS)[:12]
    assert entry.response_body.truncated
    assert entry.status == 200
    assert entry.duration_ms is not None


def test_a_request_the_app_fails_on_is_journaled_as_a_500() -> None:
    async def failing(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("a bug")

    async def send(message: Message) -> None:
        raise AssertionError("nothing is sent from inside")

    journal = Journal(10, 100, NoTokens())
    app = create_app(Settings(database_url="sqlite:///:memory:", emulator=True))
    capture = JournalCapture(failing, journal, app)
    with pytest.raises(RuntimeError):
        asyncio.run(capture(scope_of("/no/such/path"), receive, send))
    (entry,) = asyncio.run(journal.read(JournalFilter())).entries
    assert entry.status == 500
    assert entry.duration_ms is not None
