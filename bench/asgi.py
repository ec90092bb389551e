"""Calling an ASGI app directly (no sockets, no HTTP parser, no server), timing it in CPU time,
and the framework floor the service is compared with: the same calls against fixed routes."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, FastAPI, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message

from bench.baseline import FIXED_BODY, PREFIX
from commprefs.api.params import BusinessUnitQuery, ChannelQuery, SubscriberPath

Headers = list[tuple[bytes, bytes]]


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: bytes = b""
    body: bytes = b""


class RequestFailed(Exception):
    """A request was not answered 200, so a figure would have measured an error path."""


def bearer(token: str) -> Headers:
    return [(b"host", b"bench.example"), (b"authorization", f"Bearer {token}".encode())]


async def request(app: ASGIApp, call: Call, headers: Headers) -> None:
    """One request through the app; raises RequestFailed with the status and body unless 200.
    200, not any 2xx: a batch answers 207 when some of its inputs failed."""
    if call.body:
        length = str(len(call.body)).encode()
        headers = [*headers, (b"content-type", b"application/json"), (b"content-length", length)]
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": call.method,
        "scheme": "http",
        "path": call.path,
        "raw_path": call.path.encode(),
        "query_string": call.query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8080),
    }
    answered = asyncio.Event()
    delivered = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": call.body, "more_body": False}
        # As uvicorn does: once the body is read, the next message is the disconnect, which
        # comes only after the response has been sent.
        await answered.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                answered.set()

    await app(scope, receive, send)
    if status != 200:
        query = f"?{call.query.decode()}" if call.query else ""
        raise RequestFailed(
            f"{call.method} {call.path}{query} answered {status}: {b''.join(chunks)[:500]!r}"
        )


async def cpu_us_per_request(app: ASGIApp, calls: list[Call], headers: Headers) -> float:
    """CPU time of this process per request, in µs. process_time counts every thread, so work
    handed to a thread pool is included; the calls are built beforehand so as not to count."""
    started = time.process_time()
    for call in calls:
        await request(app, call, headers)
    return (time.process_time() - started) / len(calls) * 1e6


async def _caller(request: Request) -> int:
    return 1


def fastapi_floor() -> FastAPI:
    """A FastAPI route with the parameters of GET statuses (the service's own annotations: a
    path parameter, two query parameters and a dependency on the request), answering a fixed
    body."""
    app = FastAPI()

    @app.get(f"{PREFIX}/statuses/{{subscriberIdString}}")
    async def fixed_statuses(
        subscriber: SubscriberPath,
        channel: ChannelQuery,
        business_unit_id: BusinessUnitQuery = None,
        caller: int = Depends(_caller),
    ) -> Response:
        return Response(FIXED_BODY, media_type="application/json")

    return app
