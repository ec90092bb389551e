"""The delivery worker: POSTs each webhook's pending events, in order, until acknowledged.

Per webhook, events go out in the portal's ledger order, in batches (a JSON array), and the next
batch waits until the endpoint has answered 2xx to this one; a failure is retried with
exponential backoff, for as long as it takes. The cursor is moved in the database only after the
endpoint acknowledged, so a worker killed at any moment loses nothing: the batch it was sending
is sent again, with the same event ids, by whichever worker comes next. Several workers (or
server processes) share the work through leases; one endpoint is only ever served by one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import httpx

from commprefs import __version__
from commprefs.config import Settings
from commprefs.domain.urls import redacted_url
from commprefs.domain.webhook_signing import (
    ATTEMPT_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WEBHOOK_HEADER,
    signature,
)
from commprefs.domain.webhooks import OutboxEvent, Webhook
from commprefs.store.errors import DatabaseUnavailable
from commprefs.webhooks.service import WebhookService, backoff_ms

log = logging.getLogger("commprefs.webhooks")

MAX_CONCURRENT_WEBHOOKS = 16
# The longest wait between tries while the database cannot be used (less if the endpoints'
# backoff maximum is lower): an outage's end is noticed within this long.
DATABASE_RETRY_MAX_SECONDS = 30.0


class DeliveryWorker:
    def __init__(
        self, service: WebhookService, settings: Settings, client: httpx.AsyncClient | None = None
    ) -> None:
        self.service = service
        self.settings = settings
        self.owner = f"worker-{uuid.uuid4()}"
        # Long enough to send a batch (at most one timeout) and record it; renewed after every
        # batch. A killed worker's endpoints wait this long for another worker.
        self.lease_ms = int((2 * settings.webhook_timeout_seconds + 1) * 1000)
        self._client = client
        self._running: dict[int, asyncio.Task[None]] = {}
        self._database_failures = 0  # polls in a row that could not use the database

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop`` is set, then hand back every claimed webhook."""
        timeout = httpx.Timeout(self.settings.webhook_timeout_seconds)
        async with contextlib.AsyncExitStack() as stack:
            client = self._client
            if client is None:
                client = await stack.enter_async_context(
                    httpx.AsyncClient(timeout=timeout, follow_redirects=False)
                )
            log.info("webhook delivery started (%s)", self.owner)
            try:
                while not stop.is_set():
                    wait = await self._start_due(client)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), wait)
            finally:
                for task in self._running.values():
                    task.cancel()
                await asyncio.gather(*self._running.values(), return_exceptions=True)
                with contextlib.suppress(DatabaseUnavailable):
                    await self.service.release(self.owner)
                log.info("webhook delivery stopped (%s)", self.owner)

    async def _start_due(self, client: httpx.AsyncClient) -> float:
        """Start draining the webhooks that are due; how long to wait before looking again."""
        self._running = {i: t for i, t in self._running.items() if not t.done()}
        room = MAX_CONCURRENT_WEBHOOKS - len(self._running)
        if room <= 0:
            return self.settings.webhook_poll_seconds
        try:
            claimed = await self.service.claim_due(
                self.owner, self.lease_ms, room, list(self._running)
            )
        except DatabaseUnavailable as exc:  # the database is away: try again, less and less often
            self._database_failures += 1
            wait = self._database_retry_seconds()
            log.warning(
                "webhook delivery paused (failure %s in a row, next try in %.2f s): %s",
                self._database_failures,
                wait,
                exc,
            )
            return wait
        if self._database_failures:
            log.info("webhook delivery resumed: the database answers again")
            self._database_failures = 0
        for webhook in claimed:
            self._running[webhook.id] = asyncio.create_task(self._drain(client, webhook))
        return self.settings.webhook_poll_seconds

    def _database_retry_seconds(self) -> float:
        ceiling = min(self.settings.webhook_backoff_max_seconds, DATABASE_RETRY_MAX_SECONDS)
        poll = self.settings.webhook_poll_seconds
        return backoff_ms(self._database_failures, poll, max(poll, ceiling)) / 1000

    async def _drain(self, client: httpx.AsyncClient, webhook: Webhook) -> None:
        """Send batches to one endpoint until it is up to date or refuses one."""
        current: Webhook | None = webhook
        try:
            while current is not None:
                events = await self.service.next_events(current, self.settings.webhook_batch_size)
                if not events:
                    await self.service.release(self.owner, current.id)
                    return
                error = await self._post(client, current, events)
                if error is not None:
                    log.warning(
                        "webhook %s (%s): attempt %s failed: %s",
                        current.id,
                        redacted_url(current.url),
                        current.attempts + 1,
                        error,
                    )
                    await self.service.failed(
                        current,
                        self.owner,
                        error,
                        self.settings.webhook_backoff_base_seconds,
                        self.settings.webhook_backoff_max_seconds,
                    )
                    return
                current = await self.service.delivered(
                    current, self.owner, events[-1].seq, self.lease_ms
                )
            # Replayed or removed meanwhile: hand it back so that it starts over at once.
            await self.service.release(self.owner, webhook.id)
        except DatabaseUnavailable as exc:
            # The lease runs out and the batch is sent again later: nothing is lost.
            log.warning("webhook %s: delivery interrupted: %s", webhook.id, exc)

    async def _post(
        self, client: httpx.AsyncClient, webhook: Webhook, events: list[OutboxEvent]
    ) -> str | None:
        """One signed POST of a batch; None when acknowledged, else why not."""
        body = ("[" + ",".join(e.payload for e in events) + "]").encode()
        timestamp = self.service.clock.now_ms() // 1000  # the emulator's, in emulator mode
        headers = {
            "Content-Type": "application/json",
            "User-Agent": f"commprefs/{__version__}",
            WEBHOOK_HEADER: str(webhook.id),
            ATTEMPT_HEADER: str(webhook.attempts + 1),
            TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: signature(webhook.secret, timestamp, body),
        }
        try:
            url, auth = _without_credentials(webhook.url)
            response = await client.post(url, content=body, headers=headers, auth=auth)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}: {response.text[:200]}"


def _without_credentials(url: str) -> tuple[httpx.URL, httpx.Auth]:
    """The URL without its user and password, and those as the Basic auth httpx would make of
    them: the same request, but httpx's own log of it (INFO) cannot show the password."""
    parsed = httpx.URL(url)
    if not parsed.userinfo:
        return parsed, httpx.Auth()  # the base class adds nothing
    return parsed.copy_with(userinfo=b""), httpx.BasicAuth(parsed.username, parsed.password)


@contextlib.asynccontextmanager
async def in_background(
    run: Callable[[asyncio.Event], Coroutine[Any, Any, None]],
) -> AsyncIterator[None]:
    """Run a worker's ``run(stop)`` for the duration of a block; stop it and wait at the end."""
    stop = asyncio.Event()
    task = asyncio.create_task(run(stop))
    try:
        yield
    finally:
        stop.set()
        await task


def delivering(
    service: WebhookService, settings: Settings
) -> contextlib.AbstractAsyncContextManager[None]:
    """Run a worker in the background for the duration of a block (``serve --webhooks``)."""
    return in_background(DeliveryWorker(service, settings).run)
