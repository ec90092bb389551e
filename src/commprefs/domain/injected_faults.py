"""The emulator's injected faults as pure rules (issue 15): what a fault is (``FaultSpec``), which
requests it matches (method, a path glob, an operationId), whether it answers the next one
(``after`` lets the first N through, ``times`` bounds how often it answers, 0 = until removed),
and what HubSpot says for a status when the fault gives no body of its own (``default_answer``).

Path globs: ``*`` is any run of characters within one path segment, ``**`` any run across
segments, ``?`` one character other than ``/``; everything else is itself. The same rule filters
the request journal by path.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from commprefs.domain.errors import InvalidInput

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
MAX_DELAY_MS = 300_000  # five minutes: longer than any client's timeout
MAX_COUNT = 1_000_000_000
# Headers the server frames the response with; a fault may not set them.
FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE = re.compile(r"[\x20-\x7e]*")


@dataclass(frozen=True)
class FaultSpec:
    """What to match and how to answer. ``status`` None with ``delay_ms``: the request is served,
    late. ``body`` is any JSON value; ``has_body`` False means HubSpot's own body for
    ``status``; a body of None means no body at all."""

    method: str | None = None
    path: str | None = None
    operation_id: str | None = None
    status: int | None = None
    body: Any = None
    has_body: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    delay_ms: int = 0
    times: int = 1
    after: int = 0

    def matches(self, method: str, path: str, operation_id: str | None) -> bool:
        if self.method is not None and self.method != method:
            return False
        if self.operation_id is not None and self.operation_id != operation_id:
            return False
        return self.path is None or glob_matches(self.path, path)

    def answers(self, seen_before: int, hits: int) -> bool:
        """Whether the fault takes the next matching request, having seen ``seen_before`` of
        them and taken ``hits``."""
        if seen_before < self.after:
            return False
        return self.times == 0 or hits < self.times


def checked(spec: FaultSpec, operation_ids: frozenset[str]) -> FaultSpec:
    """``spec`` with its method upper-cased, if every field is one a fault can have
    (``operation_ids``: those of the served API document); else InvalidInput naming the field."""
    method = spec.method.upper() if spec.method is not None else None
    if method is not None and method not in METHODS:
        raise InvalidInput.field(
            "method", f"method {spec.method!r} is not one of {_list(METHODS)}."
        )
    if spec.path is not None and not spec.path.startswith(("/", "*")):
        raise InvalidInput.field("path", "path must be a glob of the request path, from '/'.")
    if spec.operation_id is not None and spec.operation_id not in operation_ids:
        raise InvalidInput.field(
            "operationId",
            f"operationId {spec.operation_id!r} is not an operation of the served API document "
            "(/openapi.json).",
        )
    if spec.status is None and spec.delay_ms == 0:
        raise InvalidInput.field("status", "A fault needs a status, a delayMs, or both.")
    if spec.status is not None and not 400 <= spec.status <= 599:
        raise InvalidInput.field("status", "status must be an error status, 400 to 599.")
    if not 0 <= spec.delay_ms <= MAX_DELAY_MS:
        raise InvalidInput.field("delayMs", f"delayMs must be from 0 to {MAX_DELAY_MS}.")
    for counted, count in (("times", spec.times), ("after", spec.after)):
        if not 0 <= count <= MAX_COUNT:
            raise InvalidInput.field(counted, f"{counted} must be from 0 to {MAX_COUNT}.")
    if spec.status is None and (spec.has_body or spec.headers):
        raise InvalidInput.field("status", "body and headers need a status to answer with.")
    for name, value in spec.headers.items():
        _check_header(name, value)
    return replace(spec, method=method)


def _check_header(name: str, value: str) -> None:
    where = f"headers.{name}"
    if not _HEADER_NAME.fullmatch(name):
        raise InvalidInput.field("headers", f"{name!r} is not a header name.")
    if name.lower() in FRAMING_HEADERS:
        raise InvalidInput.field(where, f"{name} is set by the server, not by a fault.")
    if not _HEADER_VALUE.fullmatch(value):
        raise InvalidInput.field(where, "A header value must be visible ASCII and spaces.")


def _list(names: frozenset[str]) -> str:
    return ", ".join(sorted(names))


def glob_matches(pattern: str, path: str) -> bool:
    return _compiled(pattern).fullmatch(path) is not None


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"(\*\*|\*|\?)", pattern)
    wildcards = {"**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(wildcards.get(part) or re.escape(part) for part in parts), re.DOTALL)


@dataclass(frozen=True)
class DefaultAnswer:
    """HubSpot's error body for a status, as an injected fault gives it by default."""

    category: str
    message: str
    retry_after_seconds: int | None = None


# The statuses HubSpot's clients meet in production, worded as HubSpot words them where known
# (429: reference §5.2); any other status gets its class's generic answer.
RATE_LIMIT_RETRY_AFTER_SECONDS = 1
_ANSWERS = {
    400: DefaultAnswer("VALIDATION_ERROR", "Invalid input (details will vary based on the error)"),
    401: DefaultAnswer(
        "INVALID_AUTHENTICATION",
        "Authentication credentials not found. This API supports OAuth 2.0 authentication and "
        "you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
    ),
    403: DefaultAnswer(
        "MISSING_SCOPES", "This app hasn't been granted all required scopes to make this call."
    ),
    404: DefaultAnswer("OBJECT_NOT_FOUND", "resource not found"),
    409: DefaultAnswer("CONFLICT", "Conflict"),
    500: DefaultAnswer("INTERNAL_ERROR", "internal error"),
    502: DefaultAnswer("BAD_GATEWAY", "Bad Gateway"),
    503: DefaultAnswer("SERVICE_UNAVAILABLE", "Service Unavailable"),
    504: DefaultAnswer("GATEWAY_TIMEOUT", "Gateway Timeout"),
}


def default_answer(status: int) -> DefaultAnswer:
    """What HubSpot answers with ``status`` (429 is api/http_errors.RateLimited's)."""
    found = _ANSWERS.get(status)
    if found is not None:
        return found
    if status >= 500:
        return DefaultAnswer("INTERNAL_ERROR", "internal error")
    return DefaultAnswer("VALIDATION_ERROR", "Invalid input (details will vary based on the error)")
