"""Domain errors. Each knows its HTTP status and HubSpot error category.

Raised by the service and auth layers; rendered into HubSpot's error body by the API layer and into
one-line messages by the CLI. Nothing here knows about HTTP requests.
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

    def extra_fields(self) -> dict[str, str]:
        """Top-level fields some errors add to HubSpot's body (e.g. ``policyName`` on a 429)."""
        return {}

    def headers(self) -> dict[str, str]:
        return {}


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


class PayloadTooLarge(CommprefsError):
    status_code = 413
    category = "VALIDATION_ERROR"


class UnsupportedCoding(CommprefsError):
    """415: a body in a transfer or content coding the service does not decode."""

    status_code = 415
    category = "VALIDATION_ERROR"


class RequestTimeout(CommprefsError):
    """408: the client did not send its request in time."""

    status_code = 408
    category = "TIMEOUT"


class RateLimited(CommprefsError):
    """429 in HubSpot's shape (reference §5.2): ``policyName`` tells clients how to back off."""

    status_code = 429
    category = "RATE_LIMITS"

    def __init__(self, policy_name: str, retry_after_seconds: int) -> None:
        super().__init__(f"You have reached your {policy_name.lower()} limit.")
        self.policy_name = policy_name
        self.retry_after_seconds = retry_after_seconds

    def extra_fields(self) -> dict[str, str]:
        return {"errorType": "RATE_LIMIT", "policyName": self.policy_name}

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after_seconds)}
