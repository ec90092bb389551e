"""Errors that only HTTP has: a body too large (413), a request too slow (408), too many calls
(429), a body in a coding we do not decode (415). They are refusals of the transport, not of a
rule, so they live with the API and not in domain/errors.py; the API renders them like every
CommprefsError, in HubSpot's error body. (A head too large, 431, is refused by
api/http_limits.py before any request exists.)
"""

from __future__ import annotations

from commprefs.domain.errors import CommprefsError


class HttpRefusal(CommprefsError):
    """A refusal of the transport; some add top-level fields to the body."""

    def extra_fields(self) -> dict[str, str]:
        """Top-level fields added to HubSpot's body (e.g. ``policyName`` on a 429)."""
        return {}


class PayloadTooLarge(HttpRefusal):
    status_code = 413
    category = "VALIDATION_ERROR"


class UnsupportedCoding(HttpRefusal):
    """415: a body in a transfer or content coding the service does not decode."""

    status_code = 415
    category = "VALIDATION_ERROR"


class RequestTimeout(HttpRefusal):
    """408: the client did not send its request in time."""

    status_code = 408
    category = "TIMEOUT"


class RateLimited(HttpRefusal):
    """429 in HubSpot's shape (reference §5.2): ``policyName`` tells clients how to back off."""

    status_code = 429
    category = "RATE_LIMITS"

    def __init__(self, policy_name: str, retry_after_seconds: int) -> None:
        super().__init__(f"You have reached your {policy_name.lower()} limit.")
        self.policy_name = policy_name
        self.retry_after_seconds = retry_after_seconds

    def extra_fields(self) -> dict[str, str]:
        return {"errorType": "RATE_LIMIT", "policyName": self.policy_name}
