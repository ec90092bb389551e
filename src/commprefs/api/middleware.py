"""Pure ASGI middleware: a correlation id and arrival time per request, strict decoding of the
path and the body-read deadline (what a body may be: ``api.body_limits``)."""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any
from urllib.parse import unquote_to_bytes

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from commprefs.api.errors import error_body
from commprefs.api.http_errors import RequestTimeout
from commprefs.domain.clock import Clock
from commprefs.domain.errors import ErrorDetail

CORRELATION_HEADER = b"x-hubspot-correlation-id"


class RequestContext:
    """Gives each request an id (echoed as ``X-HubSpot-Correlation-Id``) and its arrival time."""

    def __init__(self, app: ASGIApp, clock: Clock) -> None:
        self.app = app
        self.clock = clock

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = str(uuid.uuid4())
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["received_ms"] = self.clock.now_ms()
        header = (CORRELATION_HEADER, request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        await self.app(scope, receive, send_with_id)


class StrictPathDecoding:
    """Percent-decodes the path as RFC 3986 and UTF-8 say, where uvicorn is lenient.

    uvicorn turns bytes that are not UTF-8 into U+FFFD and keeps a ``%`` that begins no escape
    (``%zz``, a lone ``%``) as it is, so ``%ff@example.com`` and ``%fe@example.com`` were both
    the address ``\ufffd@example.com``, and ``%zz@example.com`` the same as ``%25zz@…``. Here a
    malformed escape becomes U+FFFD too, and the subscriber key refuses any address holding one
    (a 400 naming the path parameter), as every other consumer of a path can: nothing that is
    not really in the path is ever read from it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = scope.get("raw_path") if scope["type"] == "http" else None
        if raw is not None and b"%" in raw:
            scope = {**scope, "path": strict_unquote(raw)}
        await self.app(scope, receive, send)


_MALFORMED_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")


def strict_unquote(raw: bytes) -> str:
    """``raw`` percent-decoded, with U+FFFD for each malformed escape and each byte that does
    not belong to a UTF-8 sequence."""
    marked = _MALFORMED_ESCAPE.sub(b"\xff", raw)  # 0xFF occurs in no UTF-8 sequence
    return unquote_to_bytes(marked).decode("utf-8", "replace")


class BodyReadTimeout:
    """Gives a request ``seconds`` from the end of its headers to deliver its whole body.

    A body late past the deadline gets a 408 in HubSpot's error body and the connection closes;
    the app sees the client as gone (``http.disconnect``), so nothing is written. A response to a
    request whose body the app did not read to the end also closes the connection, so a client
    trickling a body nobody wants cannot hold it either. (Heads are timed by ``http_limits``.)
    """

    def __init__(self, app: ASGIApp, seconds: float) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _has_body(scope):
            await self.app(scope, receive, send)
            return
        deadline = asyncio.get_running_loop().time() + self.seconds
        timed_out = body_complete = response_started = False

        async def timed_receive() -> Message:
            nonlocal timed_out, body_complete
            if timed_out:
                return {"type": "http.disconnect"}
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                timed_out = True
                return {"type": "http.disconnect"}
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_complete = True
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal response_started
            if timed_out and not response_started:
                return  # the app's answer to a body that never came; ours follows
            if message["type"] == "http.response.start":
                response_started = True
                if not body_complete:
                    message["headers"] = [*message.get("headers", []), (b"connection", b"close")]
            await send(message)

        await self.app(scope, timed_receive, guarded_send)
        if timed_out and not response_started:
            message = f"The request body did not arrive within {self.seconds:g} s."
            await send_error(scope, send, 408, RequestTimeout.category, message)


def _has_body(scope: Scope) -> bool:
    headers = dict(scope.get("headers", []))
    return headers.get(b"content-length", b"0") != b"0" or b"transfer-encoding" in headers


async def send_error(
    scope: Scope,
    send: Send,
    status: int,
    category: str,
    message: str,
    details: list[ErrorDetail] | None = None,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """An error in HubSpot's body, sent from middleware (outside the app's handlers); closes."""
    request_id = scope.get("state", {}).get("request_id") or str(uuid.uuid4())
    body = orjson.dumps(error_body(status, category, message, request_id, details))
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
