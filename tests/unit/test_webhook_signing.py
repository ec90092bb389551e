"""Webhook signatures as a receiver checks them, and the retry schedule."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from commprefs.domain.webhook_signing import is_authentic, signature
from commprefs.webhooks.service import backoff_ms

SECRET = "whsec_test-secret-of-enough-length"
BODY = b'[{"id":"e1","type":"wide_status.changed"}]'


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert signature(SECRET, 1_700_000_000, BODY) == f"v1={expected}"


def test_a_receiver_accepts_only_the_exact_body_key_and_a_recent_time() -> None:
    header = signature(SECRET, 1_700_000_000, BODY)
    assert is_authentic(SECRET, "1700000000", BODY, header, now=1_700_000_100)
    assert not is_authentic(SECRET, "1700000000", BODY + b" ", header, now=1_700_000_100)
    assert not is_authentic(SECRET + "x", "1700000000", BODY, header, now=1_700_000_100)
    assert not is_authentic(SECRET, "1700000001", BODY, header, now=1_700_000_100)
    # A delivery captured and sent again an hour later is refused.
    assert not is_authentic(SECRET, "1700000000", BODY, header, now=1_700_003_600)
    assert not is_authentic(SECRET, "soon", BODY, header, now=1_700_000_000)


@pytest.mark.parametrize(
    "timestamp",
    ["\u00b2", "\uff11\uff17\uff10\uff10", "1\u0667", "\u2460", " 1700000000", "-1700000000", ""],
)
def test_a_timestamp_that_is_not_ascii_digits_is_refused_not_an_error(timestamp: str) -> None:
    """str.isdigit() says yes to superscripts, circled and other scripts' digits; int() then
    raises on some and silently reads others (fullwidth digits as their ASCII twins)."""
    fullwidth = signature(SECRET, 1700, BODY)
    assert not is_authentic(SECRET, timestamp, BODY, fullwidth, now=1700)


@pytest.mark.parametrize("attempts", range(1, 12))
def test_waits_double_after_each_failure_up_to_the_cap(attempts: int) -> None:
    ceiling = min(60.0, 0.5 * 2 ** (attempts - 1)) * 1000
    waits = [backoff_ms(attempts, 0.5, 60.0) for _ in range(50)]
    assert all(ceiling / 2 <= w <= ceiling for w in waits)


def test_waits_stay_capped_after_very_many_failures() -> None:
    assert backoff_ms(10_000, 1.0, 3600.0) <= 3_600_000
