"""Rate limiting like HubSpot's (reference §8): per token, a rolling window of 10 seconds.

Off unless ``COMMPREFS_RATE_LIMIT`` (or ``serve --rate-limit``) is set, so local test suites are
never throttled by surprise. When on:

- ``enforce`` counts a call once its token is authenticated (the auth dependency calls it), so a
  call without a valid token gets its 401 as before and is never counted. Counters are keyed by
  the token's SHA-256 digest, never by the token.
- Over the limit: 429 in HubSpot's body with ``category: RATE_LIMITS``,
  ``policyName: TEN_SECONDLY_ROLLING`` (HubSpot's Node client backs off 10 s on that name) and
  ``Retry-After`` in seconds (hubspot-sdk honours it).
- ``RateLimitHeaders`` (pure ASGI) puts ``X-HubSpot-RateLimit-Max``, ``-Remaining`` and
  ``-Interval-Milliseconds`` on every response to a counted call, errors included.

The window is a sliding log: at most ``limit`` calls in any ``window_ms``. A refused call is not
counted, so a client that waits ``Retry-After`` gets through. With ``COMMPREFS_REDIS_URL`` the log
lives in Redis, shared by every process: one atomic script per call, timed by Redis's clock so
that the processes' clocks do not matter. In emulator mode (issue 15) both windows follow the
emulator's clock instead (``clock``), so that a test advances past a window rather than waiting
for it. Redis is checked at start-up; should it fail later,
calls go through uncounted (logged) rather than the API failing with it.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections import deque
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis
from fastapi import Request
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from commprefs.api.http_errors import RateLimited
from commprefs.config import Settings
from commprefs.domain.clock import Clock
from commprefs.domain.urls import redacted_url

log = logging.getLogger("commprefs.ratelimit")

POLICY_NAME = "TEN_SECONDLY_ROLLING"
STATE_KEY = "rate_limit"
REDIS_PREFIX = "commprefs:ratelimit:"
_WARN_EVERY_S = 60.0

# KEYS[1] the token's log; ARGV limit, window (ms), a unique member and, with a controlled clock,
# its time in ms (else Redis's own clock times the call; logged calls later than a controlled time
# were made before that clock was set back, and are forgotten). Returns {allowed, remaining,
# retry-after ms}.
_SLIDING_LOG = """
local now_ms = tonumber(ARGV[4])
if now_ms then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '(' .. now_ms, '+inf')
else
  local now = redis.call('TIME')
  now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
end
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now_ms, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, limit - count - 1, 0}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return {0, 0, tonumber(oldest[2]) + window - now_ms}
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    window_ms: int
    retry_after_ms: int = 0


class RateLimiter(Protocol):
    async def start(self) -> None: ...

    async def hit(self, key: str) -> Decision | None:
        """Count one call for ``key``; None when it could not be counted."""

    async def close(self) -> None: ...

    async def reset(self) -> None:
        """Forget every counter (the emulator's reset, issue 15)."""


class MemoryRateLimiter:
    """Counters in this process (a monotonic clock unless given one, no lock: the event loop is
    the lock)."""

    _SWEEP_EVERY = 4096

    def __init__(self, limit: int, window_ms: int, clock: Clock | None = None) -> None:
        self.limit = limit
        self.window_ms = window_ms
        self._now_ms = clock.now_ms if clock is not None else _monotonic_ms
        self._logs: dict[str, deque[int]] = {}
        self._calls = 0

    async def start(self) -> None:
        return None

    async def close(self) -> None:
        self._logs.clear()

    async def reset(self) -> None:
        self._logs.clear()

    async def hit(self, key: str) -> Decision:
        now = self._now_ms()
        cutoff = now - self.window_ms
        self._calls += 1
        if self._calls % self._SWEEP_EVERY == 0:
            self._sweep(cutoff)
        calls = self._logs.setdefault(key, deque())
        while calls and calls[0] <= cutoff:
            calls.popleft()
        while calls and calls[-1] > now:  # made before a controlled clock was set back
            calls.pop()
        if len(calls) < self.limit:
            calls.append(now)
            return Decision(True, self.limit, self.limit - len(calls), self.window_ms)
        return Decision(False, self.limit, 0, self.window_ms, calls[0] + self.window_ms - now)

    def tracked(self) -> int:
        """How many tokens have counters in memory."""
        return len(self._logs)

    def _sweep(self, cutoff: int) -> None:
        """Forget tokens with no call in the window, so memory follows active tokens only."""
        for key in [k for k, calls in self._logs.items() if not calls or calls[-1] <= cutoff]:
            del self._logs[key]


def _monotonic_ms() -> int:
    return time.monotonic_ns() // 1_000_000


class RedisRateLimiter:
    """Counters in Redis, shared by every process that uses the same Redis (timed by Redis's
    clock unless given one)."""

    def __init__(self, url: str, limit: int, window_ms: int, clock: Clock | None = None) -> None:
        self.url = url
        self.limit = limit
        self.window_ms = window_ms
        self.clock = clock
        self._redis = aioredis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self._script = self._redis.register_script(_SLIDING_LOG)
        self._last_warning = -_WARN_EVERY_S

    async def start(self) -> None:
        await check_redis(self.url, self._redis)

    async def close(self) -> None:
        await self._redis.aclose()

    async def reset(self) -> None:
        try:
            keys = [key async for key in self._redis.scan_iter(match=REDIS_PREFIX + "*")]
            if keys:
                await self._redis.delete(*keys)
        except (RedisError, OSError) as exc:
            self._warn(exc)

    async def hit(self, key: str) -> Decision | None:
        args: list[int | str] = [self.limit, self.window_ms, os.urandom(8).hex()]
        if self.clock is not None:
            args.append(self.clock.now_ms())
        try:
            allowed, remaining, retry_ms = await self._script(keys=[REDIS_PREFIX + key], args=args)
        except (RedisError, OSError) as exc:
            self._warn(exc)
            return None
        return Decision(bool(allowed), self.limit, int(remaining), self.window_ms, int(retry_ms))

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._last_warning >= _WARN_EVERY_S:
            self._last_warning = now
            log.warning(
                "rate limiting is suspended: Redis at %s fails (%s); calls go through uncounted",
                redacted_url(self.url),
                type(exc).__name__,
            )


async def check_redis(url: str, client: aioredis.Redis | None = None) -> None:
    """Fail fast: raise ``RuntimeError`` with one readable line when Redis does not answer."""
    own = client is None
    client = client or aioredis.Redis.from_url(url, socket_connect_timeout=2.0)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RuntimeError(f"Redis at {redacted_url(url)} does not answer: {reason}") from None
    finally:
        if own:
            await client.aclose()


def build_rate_limiter(settings: Settings, clock: Clock | None = None) -> RateLimiter | None:
    """The limiter the settings ask for; timed by ``clock`` when given (the emulator's)."""
    if settings.rate_limit == 0:
        return None
    if settings.redis_url:
        return RedisRateLimiter(
            settings.redis_url, settings.rate_limit, settings.rate_limit_window_ms, clock
        )
    return MemoryRateLimiter(settings.rate_limit, settings.rate_limit_window_ms, clock)


async def enforce(request: Request, token_digest: str) -> None:
    """Count this authenticated call; raise ``RateLimited`` (429) when over the limit."""
    limiter: RateLimiter | None = request.app.state.rate_limiter
    if limiter is None:
        return
    decision = await limiter.hit(token_digest)
    if decision is None:
        return
    setattr(request.state, STATE_KEY, decision)
    if not decision.allowed:
        raise RateLimited(POLICY_NAME, max(1, math.ceil(decision.retry_after_ms / 1000)))


class RateLimitHeaders:
    """Adds HubSpot's rate-limit headers to the response of every counted call."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            decision: Decision | None = scope.get("state", {}).get(STATE_KEY)
            if message["type"] == "http.response.start" and decision is not None:
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-hubspot-ratelimit-max", str(decision.limit).encode()),
                    (b"x-hubspot-ratelimit-remaining", str(decision.remaining).encode()),
                    (
                        b"x-hubspot-ratelimit-interval-milliseconds",
                        str(decision.window_ms).encode(),
                    ),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
