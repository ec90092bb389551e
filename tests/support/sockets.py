"""Raw TCP clients for what httpx will not do: trickle a request, send malformed HTTP, frame a
body or spell a path exactly as given."""

from __future__ import annotations

import json
import socket
import time
import uuid
from dataclasses import dataclass
from typing import Any


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def connect(port: int, timeout: float = 10.0) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.settimeout(timeout)
    return sock


def trickle(sock: socket.socket, pieces: list[bytes], pause: float) -> float:
    """Send ``pieces`` ``pause`` seconds apart until the server closes; the seconds it took."""
    started = time.monotonic()
    for piece in pieces:
        try:
            sock.sendall(piece)
        except OSError:  # the server closed the connection: what slow clients should expect
            break
        time.sleep(pause)
    return time.monotonic() - started


def read_until_closed(sock: socket.socket) -> bytes:
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    return data


def parse(raw: bytes) -> RawResponse:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return RawResponse(status, headers, body)


def chunked(body: bytes, size: int = 500) -> bytes:
    """``body`` in the chunked transfer coding, in chunks of ``size`` bytes."""
    pieces = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in pieces) + b"0\r\n\r\n"


def exchange(
    port: int,
    method: str,
    target: str,
    headers: dict[str, str] | None = None,
    body: bytes = b"",
    framing: str = "length",
) -> RawResponse:
    """One request on its own connection, its target sent as given (latin-1) and its body
    framed by ``framing``: "length" (Content-Length), "chunked", or "none" (the headers say it
    all)."""
    headers = {"Host": "127.0.0.1", "Connection": "close", **(headers or {})}
    lines = [f"{method} {target} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if framing == "chunked":
        lines.append("Transfer-Encoding: chunked")
        body = chunked(body)
    elif framing == "length":
        lines.append(f"Content-Length: {len(body)}")
    with connect(port) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        return parse(read_until_closed(sock))


def assert_raw_error(answer: RawResponse, status: int) -> dict[str, Any]:
    """HubSpot's error body with ``status``."""
    assert answer.status == status, answer.body[:500]
    assert answer.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = answer.json()
    assert body["status"] == "error"
    assert body["message"]
    assert body["category"]
    uuid.UUID(body["correlationId"])
    return body
