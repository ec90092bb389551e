"""What a request body must be before the app sees it: in no coding we cannot decode, and no
larger than the limit (``COMMPREFS_MAX_BODY_BYTES``). Pure ASGI."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from commprefs.api.http_errors import PayloadTooLarge, UnsupportedCoding
from commprefs.api.middleware import send_error
from commprefs.domain.errors import ErrorDetail

# HTTP versions whose requests have a body only if Content-Length or Transfer-Encoding says so.
_FRAMED_BY_HEADERS = ("1.0", "1.1")


class BodyLimits:
    """Refuses, before the app sees the request, a body in a coding we cannot decode (415) and a
    body over ``max_bytes`` (413), in HubSpot's error body.

    Codings: a Transfer-Encoding other than ``chunked`` alone (uvicorn would undo the chunking of
    ``gzip, chunked`` and hand on the gzip bytes as if they were the body), a Content-Encoding
    other than identity; the 415 names the header. Size: at once when Content-Length says so,
    and otherwise (a chunked body) once more than ``max_bytes`` of it has been read. Reading an
    undeclared body first, rather than counting it as the app reads it, gives it the same answer
    wherever it goes: the app's parsers would turn an error raised while they read into their
    own 400, and a route that never reads its body would not notice it at all."""

    def __init__(self, app: ASGIApp, max_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Paths whose bodies may be larger (the admin API's uploads of imports), each with its own.
        self.larger = {path: BodyLimits(app, limit) for path, limit in (larger or {}).items()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.larger and scope["path"] in self.larger:
            await self.larger[scope["path"]](scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        if b"transfer-encoding" in headers or b"content-encoding" in headers:
            refusal = _unsupported_coding(scope["headers"])
            if refusal is not None:
                await _refuse_coding(scope, send, *refusal)
                return
        declared = headers.get(b"content-length")
        if declared is not None:
            if not declared.isdigit() or int(declared) > self.max_bytes:
                await self._refuse(scope, send)
                return
            await self.app(scope, receive, send)  # the server delivers no more than declared
            return
        if b"transfer-encoding" not in headers and scope.get("http_version") in _FRAMED_BY_HEADERS:
            await self.app(scope, receive, send)  # HTTP/1: no length and no coding, no body
            return
        replay = await self._read_undeclared(receive)
        if replay is None:
            await self._refuse(scope, send)
            return

        async def replaying_receive() -> Message:
            return replay.pop(0) if replay else await receive()

        await self.app(scope, replaying_receive, send)

    async def _read_undeclared(self, receive: Receive) -> list[Message] | None:
        """The messages that carried a body of undeclared length, as one (and the disconnect,
        if the client left), or None once it is over the limit."""
        chunks: list[bytes] = []
        seen = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                body = {"type": "http.request", "body": b"".join(chunks), "more_body": True}
                return [body, message]
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                return [{"type": "http.request", "body": b"".join(chunks), "more_body": False}]

    async def _refuse(self, scope: Scope, send: Send) -> None:
        message = f"The request body is larger than the limit of {self.max_bytes} bytes."
        await send_error(scope, send, 413, PayloadTooLarge.category, message)


def _unsupported_coding(headers: list[tuple[bytes, bytes]]) -> tuple[str, str] | None:
    """The header and the message of a refusal, or None when every coding is one we decode."""
    transfer: list[bytes] = []
    content: list[bytes] = []
    for name, value in headers:
        if name == b"transfer-encoding":
            transfer += value.split(b",")
        elif name == b"content-encoding":
            content += value.split(b",")
    transfer_codings = [coding.strip().lower() for coding in transfer]
    if transfer_codings and transfer_codings != [b"chunked"]:
        sent = b", ".join(transfer_codings).decode("latin-1")
        return "Transfer-Encoding", (
            f"Transfer-Encoding {sent!r} is not supported: send the body with a Content-Length, "
            "or chunked and in no other coding."
        )
    content_codings = [coding.strip().lower() for coding in content]
    if any(coding not in (b"", b"identity") for coding in content_codings):
        sent = b", ".join(content_codings).decode("latin-1")
        return "Content-Encoding", (
            f"Content-Encoding {sent!r} is not supported: send the body uncompressed."
        )
    return None


async def _refuse_coding(scope: Scope, send: Send, header: str, message: str) -> None:
    detail = ErrorDetail(message, in_=header, code="UNSUPPORTED_MEDIA_TYPE")
    accepted = [(b"accept-encoding", b"identity")]
    await send_error(scope, send, 415, UnsupportedCoding.category, message, [detail], accepted)
