"""uvicorn's httptools protocol with the two limits it lacks: the size of a request head and the
time a client may take to send it.

As shipped, uvicorn with httptools accepts a request line and headers of any size and waits for
them for ever (its keep-alive timer only runs *between* requests), so a client that opens
connections and trickles a header a byte at a time holds them, and their memory, as long as it
likes. This protocol:

- refuses a head larger than ``max_head_bytes`` with a 431, measured exactly when the head is
  complete and, while it is still arriving, by the bytes received since it began (so an endless
  header is cut off after at most one read beyond the limit);
- gives each request ``head_timeout`` seconds from the moment the connection opens, or the first
  byte after a previous response, until its head is complete; then a 408 (or, when not a byte of a
  request came, a silent close, as for an idle keep-alive connection);
- answers malformed HTTP with a 400 in HubSpot's error body instead of uvicorn's plain text.

Bodies are timed by ``api.middleware.BodyReadTimeout``; by then the request is the app's.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import orjson
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from commprefs.api.errors import error_body
from commprefs.config import Settings

log = logging.getLogger("commprefs.http")

# The request line's fixed overhead ("GET  HTTP/1.1\r\n") and each header's (": " and "\r\n").
_LINE_OVERHEAD = 16
_HEADER_OVERHEAD = 4


class _HeadTooLarge(Exception):
    """Raised from a parser callback to stop parsing; answered in ``send_400_response``."""


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    max_head_bytes = 16_384
    head_timeout = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None
        self._head_pending = False  # a request has begun and its head is not complete yet
        self._head_bytes = 0  # bytes received for that head so far (an upper bound)
        self._refusal: tuple[int, str] | None = None

    # -- connection and parser callbacks ---------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._head_timer is None and self._between_requests():
            self._arm_head_timer()
        if self._head_pending:
            self._head_bytes += len(data)
        super().data_received(data)
        if self._head_pending and self._head_bytes > self.max_head_bytes:
            self._refuse(431, self._too_large_message())

    def on_message_begin(self) -> None:
        self._head_pending = True
        self._head_bytes = 0
        if self._head_timer is None:
            self._arm_head_timer()
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        self._head_pending = False
        self._disarm_head_timer()
        size = _LINE_OVERHEAD + len(self.url)
        size += sum(len(name) + len(value) + _HEADER_OVERHEAD for name, value in self.headers)
        if size > self.max_head_bytes:
            self._refusal = (431, self._too_large_message())
            raise _HeadTooLarge
        super().on_headers_complete()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to anything the parser rejects, including our own refusals."""
        status, message = self._refusal or (400, f"{msg} The request is not valid HTTP/1.1.")
        self._refuse(status, message)

    # -- the head deadline -----------------------------------------------------------------------

    def _between_requests(self) -> bool:
        return (self.cycle is None or self.cycle.response_complete) and not self.pipeline

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self._head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        if self._head_pending and self._between_requests():
            self._refuse(
                408,
                f"The request headers did not arrive within {self.head_timeout:g} s.",
            )
        else:
            self.transport.close()

    # -- refusing --------------------------------------------------------------------------------

    def _too_large_message(self) -> str:
        return (
            f"The request line and headers are larger than the limit of "
            f"{self.max_head_bytes} bytes."
        )

    def _refuse(self, status: int, message: str) -> None:
        """Answer in HubSpot's error body and close; no request reaches the app."""
        self._head_pending = False
        self._disarm_head_timer()
        if self.transport.is_closing():
            return
        correlation = str(uuid.uuid4())
        category = "TIMEOUT" if status == 408 else "VALIDATION_ERROR"
        body = orjson.dumps(error_body(status, category, message, correlation))
        log.log(
            logging.INFO if status == 408 else logging.WARNING,
            "refused a request with %d: %s",
            status,
            message,
        )
        lines = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            lines += [name, b": ", value, b"\r\n"]
        lines += [
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(body)).encode() + b"\r\n",
            b"x-hubspot-correlation-id: " + correlation.encode() + b"\r\n",
            b"connection: close\r\n\r\n",
            body,
        ]
        self.transport.write(b"".join(lines))
        self.transport.close()


def limited_protocol(settings: Settings) -> type[LimitedHttpToolsProtocol]:
    """The protocol class for ``uvicorn.run(http=...)`` with the limits of ``settings``."""
    return type(
        "ConfiguredHttpToolsProtocol",
        (LimitedHttpToolsProtocol,),
        {
            "max_head_bytes": settings.max_header_bytes,
            "head_timeout": settings.request_head_timeout,
        },
    )
