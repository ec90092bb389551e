"""How a receiver knows an event came from us: HMAC-SHA256 over timestamp and body.

Every delivery carries::

    X-Commprefs-Timestamp: <unix seconds when it was sent>
    X-Commprefs-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>." + raw body bytes)>

A receiver recomputes the HMAC with the webhook's secret over the timestamp header, a full stop
and the body exactly as received, compares in constant time, and refuses timestamps too far
from its clock (five minutes is usual) so that a captured delivery cannot be replayed later.
"""

from __future__ import annotations

import hashlib
import hmac

from commprefs.domain.numbers import ascii_digits

TIMESTAMP_HEADER = "X-Commprefs-Timestamp"
SIGNATURE_HEADER = "X-Commprefs-Signature"
WEBHOOK_HEADER = "X-Commprefs-Webhook-Id"
ATTEMPT_HEADER = "X-Commprefs-Attempt"
SCHEME = "v1"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The value of the signature header for a body sent at ``timestamp`` (unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"{SCHEME}={mac.hexdigest()}"


def is_authentic(
    secret: str, timestamp: str, body: bytes, header: str, now: int, tolerance: int = 300
) -> bool:
    """What a receiver written in Python checks; ``now`` in unix seconds."""
    if not ascii_digits(timestamp) or abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, int(timestamp), body), header)
