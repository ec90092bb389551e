"""``GET /_commprefs/requests`` (the request journal, filtered) and ``DELETE`` (clear it)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qsl

import orjson
from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from commprefs.api.emulator.controls import controls
from commprefs.api.emulator.schemas import Journal
from commprefs.api.responses import JSONBody
from commprefs.domain.clock import InstantError, iso_ms, parse_instant
from commprefs.domain.errors import InvalidInput
from commprefs.domain.tokens import TokenRecord
from commprefs.emulator.journal import Body, JournalEntry, JournalFilter

router = APIRouter()


@router.get(
    "/requests",
    operation_id="listRequests",
    summary="The requests received, oldest first",
    responses={200: {"model": Journal}},
)
async def list_requests(
    request: Request,
    method: Annotated[str | None, Query(max_length=16)] = None,
    path: Annotated[str | None, Query(max_length=2048, description="A glob.")] = None,
    operation: Annotated[str | None, Query(max_length=512)] = None,
    status: Annotated[int | None, Query(ge=100, le=599)] = None,
    since: Annotated[str | None, Query(description="ISO-8601 or epoch ms.")] = None,
    limit: Annotated[int | None, Query(ge=0, le=1_000_000, description="The last N.")] = None,
) -> Response:
    try:
        since_ms = None if since is None else parse_instant(since)
    except InstantError as error:
        raise InvalidInput.field("since", str(error)) from None
    wanted = JournalFilter(method, path, operation, status, since_ms, limit)
    page = await controls(request).journal.read(wanted)
    return JSONBody(
        {
            "results": [render_entry(entry, page.tokens) for entry in page.entries],
            "capacity": page.capacity,
            "dropped": page.dropped,
        }
    )


@router.delete(
    "/requests", operation_id="clearRequests", summary="Forget every request", status_code=204
)
async def clear_requests(request: Request) -> Response:
    controls(request).journal.clear()
    return Response(status_code=204)


def render_entry(entry: JournalEntry, tokens: dict[str, TokenRecord]) -> dict[str, Any]:
    token = tokens.get(entry.token_sha256) if entry.token_sha256 else None
    headers = _headers(entry.headers)
    if entry.authorization is not None:
        headers["authorization"] = _authorization(entry, token)
    return {
        "id": entry.id,
        "receivedAt": iso_ms(entry.received_ms),
        "method": entry.method,
        "path": entry.path,
        "query": _query(entry.query_string),
        "headers": headers,
        "token": None if token is None else {"id": token.id, "name": token.name},
        "requestBody": _body(entry.request_body),
        "requestBodyTruncated": entry.request_body.truncated,
        "status": entry.status,
        "responseHeaders": _headers(entry.response_headers),
        "responseBody": _body(entry.response_body),
        "responseBodyTruncated": entry.response_body.truncated,
        "durationMs": entry.duration_ms,
        "operation": entry.operation,
        "correlationId": entry.correlation_id,
        "fault": entry.fault,
    }


def _authorization(entry: JournalEntry, token: TokenRecord | None) -> str:
    # Never the credential itself: what it identifies, or that it identifies nothing.
    if entry.authorization != "bearer":
        return "<redacted>"
    if token is None:
        return "Bearer <unknown token>"
    return f"Bearer <token {token.id}: {token.name}>"


def _headers(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in raw:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        headers[key] = f"{headers[key]}, {text}" if key in headers else text
    return headers


def _query(raw: bytes) -> dict[str, str | list[str]]:
    query: dict[str, str | list[str]] = {}
    for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        seen = query.get(name)
        if seen is None:
            query[name] = value
        else:
            query[name] = [*seen, value] if isinstance(seen, list) else [seen, value]
    return query


def _body(body: Body) -> Any:
    data = body.data
    if not data:
        return None
    if not body.truncated:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return data.decode("utf-8", "replace")
