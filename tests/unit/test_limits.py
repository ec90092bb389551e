"""Settings of the limits, the URL redaction used in messages, and the in-process rate limiter."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import ValidationError

from commprefs.api.ratelimit import MemoryRateLimiter, build_rate_limiter
from commprefs.config import Settings
from commprefs.domain.urls import redacted_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:s3cret@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
        ("postgresql://root:pw@db:5432/app", "postgresql://root:***@db:5432/app"),
        ("postgresql://root@db:5432/app", "postgresql://root@db:5432/app"),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("sqlite:///commprefs.db", "sqlite:///commprefs.db"),
        ("redis://u:p@ss:w@host/0", "redis://u:***@host/0"),
    ],
)
def test_passwords_are_redacted_from_urls(url: str, shown: str) -> None:
    assert redacted_url(url) == shown


@pytest.mark.parametrize(
    "values",
    [
        {"redis_url": "http://127.0.0.1:6379"},
        {"rate_limit": -1},
        {"max_header_bytes": 100},
        {"request_head_timeout": 0},
        {"request_body_timeout": -5},
        {"idempotency_ttl_seconds": 0},
    ],
)
def test_bad_limit_settings_fail_at_start_up(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Settings(**values)  # type: ignore[arg-type]


def test_rate_limiting_is_off_by_default() -> None:
    assert build_rate_limiter(Settings()) is None
    assert isinstance(build_rate_limiter(Settings(rate_limit=190)), MemoryRateLimiter)


async def test_the_window_slides_and_refusals_are_not_counted() -> None:
    limiter = MemoryRateLimiter(limit=2, window_ms=300)
    first, second, refused = [await limiter.hit("t") for _ in range(3)]
    assert (first.allowed, first.remaining) == (True, 1)
    assert (second.allowed, second.remaining) == (True, 0)
    assert not refused.allowed
    assert 0 < refused.retry_after_ms <= 300

    for _ in range(5):  # hammering while refused does not push the window out
        assert not (await limiter.hit("t")).allowed
    await asyncio.sleep(refused.retry_after_ms / 1000 + 0.05)
    assert (await limiter.hit("t")).allowed
    assert (await limiter.hit("other")).remaining == 1


async def test_tokens_without_recent_calls_are_forgotten() -> None:
    limiter = MemoryRateLimiter(limit=1, window_ms=100)
    for n in range(MemoryRateLimiter._SWEEP_EVERY - 1):
        await limiter.hit(f"token-{n}")
    assert limiter.tracked() == MemoryRateLimiter._SWEEP_EVERY - 1
    await asyncio.sleep(0.15)
    await limiter.hit("latest")
    assert limiter.tracked() == 1
