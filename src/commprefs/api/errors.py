"""One mapping from every exception to HubSpot's error body (reference §5).

Whatever goes wrong, a client gets JSON with ``status: "error"``, ``message``, ``correlationId``
and ``category``; validation errors name the offending field in ``errors[].in``. Never HTML,
never a traceback.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from commprefs.api.http_errors import HttpRefusal
from commprefs.api.responses import JSONBody
from commprefs.api.routing import path_pattern
from commprefs.domain.errors import CommprefsError, ErrorDetail
from commprefs.domain.urls import masked_path

log = logging.getLogger("commprefs.api")

_HTTP_CATEGORIES = {404: "OBJECT_NOT_FOUND", 405: "VALIDATION_ERROR", 401: "INVALID_AUTHENTICATION"}
_CODES = {"missing": "MISSING_FIELD", "json_invalid": "INVALID_JSON", "enum": "INVALID_ENUM"}


def correlation_id(request: Request) -> str:
    return getattr(request.state, "request_id", None) or str(uuid.uuid4())


def error_body(
    status: int,
    category: str,
    message: str,
    correlation: str,
    details: list[ErrorDetail] | None = None,
    context: dict[str, list[str]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": "error",
        "message": message,
        "correlationId": correlation,
        "category": category,
    }
    if details:
        body["errors"] = [_detail(d) for d in details]
    if context:
        body["context"] = context
    return body


def _detail(detail: ErrorDetail) -> dict[str, Any]:
    item: dict[str, Any] = {"message": detail.message}
    if detail.in_ is not None:
        item["in"] = detail.in_
    if detail.code is not None:
        item["code"] = detail.code
    if detail.context:
        item["context"] = detail.context
    return item


def render_error(request: Request, exc: CommprefsError) -> Response:
    body = error_body(
        exc.status_code,
        exc.category,
        exc.message,
        correlation_id(request),
        exc.details,
        exc.context,
    )
    if isinstance(exc, HttpRefusal):
        body.update(exc.extra_fields())
    retry = exc.retry_after_seconds
    headers = None if retry is None else {"Retry-After": str(retry)}
    return JSONBody(body, status_code=exc.status_code, headers=headers)


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = list(loc[1:]) if loc and loc[0] in ("body", "query", "path", "header") else list(loc)
    if not parts:
        return str(loc[0]) if loc else "body"
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def validation_details(errors: Any) -> list[ErrorDetail]:
    details = []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        kind = error.get("type", "")
        field = "body" if kind == "json_invalid" else _field_path(loc)
        message = (
            "Invalid input JSON: the request body is not valid JSON."
            if kind == "json_invalid"
            else f"{field}: {error.get('msg', 'invalid value')}"
        )
        details.append(
            ErrorDetail(message=message, in_=field, code=_CODES.get(kind, "INVALID_VALUE"))
        )
    return details


def allowed_methods(request: Request) -> list[str]:
    """Every documented method at this path. (Starlette names only the first route's, and GET
    and POST of one path are separate routes here.)"""
    matching: list[tuple[int, list[str]]] = []
    for template, operations in request.app.openapi()["paths"].items():
        if path_pattern(template).match(request.url.path):
            matching.append((template.count("{"), [m.upper() for m in operations]))
    # A literal path (…/batch/unsubscribe-all) is its own resource, not a {subscriber} one.
    fewest = min((n for n, _ in matching), default=0)
    return sorted({m for n, methods in matching if n == fewest for m in methods})


def answer_domain_error(request: Request, exc: CommprefsError) -> Response:
    """The answer to a domain error; one that is the service's fault (its database away) is the
    operator's too, and logged in one line. Also what the idempotency middleware answers when a
    keyed request's transaction fails as it ends (api/idempotency.py)."""
    if exc.status_code >= 500:
        log.warning(
            "%s on %s %s: %s",
            correlation_id(request),
            request.method,
            masked_path(request.url.path),
            exc,
        )
    return render_error(request, exc)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(CommprefsError)
    async def _domain(request: Request, exc: CommprefsError) -> Response:
        return answer_domain_error(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        details = validation_details(exc.errors())
        fields = ", ".join(sorted({d.in_ or "" for d in details}))
        body = error_body(
            400, "VALIDATION_ERROR", f"Invalid input: {fields}", correlation_id(request), details
        )
        return JSONBody(body, status_code=400)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        message = {
            404: f"No operation at {request.method} {request.url.path}",
            405: f"Method {request.method} is not allowed on {request.url.path}",
        }.get(exc.status_code, str(exc.detail))
        category = _HTTP_CATEGORIES.get(exc.status_code, "VALIDATION_ERROR")
        body = error_body(exc.status_code, category, message, correlation_id(request))
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            # Starlette's own list where the document has none (v1's types at ".../").
            headers["Allow"] = ", ".join(allowed_methods(request)) or headers.get("Allow", "")
        return JSONBody(body, status_code=exc.status_code, headers=headers)

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, exc: ClientDisconnect) -> Response:
        # The client left (or was cut off for being slow) before its body arrived: nobody reads
        # this answer and nothing ran, which is no server error worth a traceback.
        message = "The connection closed before the request body arrived; nothing was changed."
        body = error_body(400, "VALIDATION_ERROR", message, correlation_id(request))
        return JSONBody(body, status_code=400)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        correlation = correlation_id(request)
        log.error(
            "internal error %s on %s %s",
            correlation,
            request.method,
            masked_path(request.url.path),
            exc_info=exc,
        )
        body = error_body(
            500,
            "INTERNAL_ERROR",
            "The server could not complete the request; nothing was changed. "
            f"Quote correlation id {correlation} when reporting it.",
            correlation,
        )
        return JSONBody(body, status_code=500)
