"""Domain errors. Each knows its HTTP status and HubSpot error category.

Raised by the service and auth layers; rendered into HubSpot's error body by the API layer and into
one-line messages by the CLI. Nothing here knows about HTTP requests; refusals that only HTTP has
(413, 408, 429) are in api/http_errors.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ErrorDetail:
    """One item of the error body's ``errors[]``: what is wrong and where (``in``)."""

    message: str
    in_: str | None = None
    code: str | None = None
    context: dict[str, list[str]] = field(default_factory=dict)


class CommprefsError(Exception):
    status_code = 400
    category = "VALIDATION_ERROR"
    # When trying again may succeed, after how many seconds (rendered as Retry-After).
    retry_after_seconds: int | None = None

    def __init__(
        self,
        message: str,
        details: list[ErrorDetail] | None = None,
        context: dict[str, list[str]] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []
        self.context = context or {}


class InvalidInput(CommprefsError):
    """400: the request names something that does not exist or is malformed."""

    @classmethod
    def field(cls, name: str, message: str, code: str = "INVALID_VALUE") -> InvalidInput:
        return cls(message, [ErrorDetail(message=message, in_=name, code=code)])


class NotFound(CommprefsError):
    status_code = 404
    category = "OBJECT_NOT_FOUND"


class Unauthenticated(CommprefsError):
    status_code = 401
    category = "INVALID_AUTHENTICATION"


class MissingScopes(CommprefsError):
    status_code = 403
    category = "MISSING_SCOPES"


class Conflict(CommprefsError):
    status_code = 409
    category = "CONFLICT"
