"""Webhook endpoints (add, list, remove, replay) and the delivery bookkeeping the worker uses.

A new webhook receives the events recorded after it was added; ``replay`` moves its cursor back
to a moment so that everything since is delivered again, with the same event ids.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import orjson

from commprefs.domain.admin import Delivery, WebhookDeliveries
from commprefs.domain.clock import Clock
from commprefs.domain.errors import InvalidInput, NotFound
from commprefs.domain.events import event_payload, row_event_id
from commprefs.domain.webhooks import OutboxEvent, Rewind, Webhook, WebhookState
from commprefs.portals.checks import require_portal
from commprefs.store.interface import Repository, Transactions

SECRET_PREFIX = "whsec_"  # noqa: S105 - a public marker that makes leaked secrets easy to find
MIN_SECRET_LENGTH = 16
MAX_ERROR_LENGTH = 500
RECENT_DELIVERIES = 20


class WebhookService:
    def __init__(self, database: Transactions[Repository], clock: Clock) -> None:
        self.database = database
        self.clock = clock

    # -- administration ----------------------------------------------------------------------

    async def add(self, portal_id: int, url: str, secret: str | None = None) -> Webhook:
        url = _checked_url(url)
        if secret is None:
            secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        elif not MIN_SECRET_LENGTH <= len(secret) <= 200:
            raise InvalidInput.field(
                "secret", f"A secret has {MIN_SECRET_LENGTH} to 200 characters."
            )
        async with self.database.write() as repo:
            await require_portal(repo, portal_id)
            head, _ = await repo.chain_head(portal_id)
            return await repo.create_webhook(portal_id, url, secret, head, self.clock.now_ms())

    async def endpoints(self, portal_id: int | None = None) -> list[WebhookState]:
        async with self.database.read() as repo:
            return [WebhookState(w, pending) for w, pending in await repo.list_webhooks(portal_id)]

    async def remove(self, webhook_id: int, portal_id: int | None = None) -> None:
        """Forget a webhook: any (the CLI), or only one of ``portal_id``'s (the admin API)."""
        async with self.database.write() as repo:
            if portal_id is not None:
                await _portal_webhook(repo, portal_id, webhook_id)
            if not await repo.delete_webhook(webhook_id):
                raise NotFound(f"No webhook with id {webhook_id}.")

    async def deliveries(
        self, portal_id: int, webhook_id: int, limit: int = RECENT_DELIVERIES
    ) -> WebhookDeliveries:
        """The portal's last ``limit`` events up to the webhook's cursor and the next ``limit``
        after it, each DELIVERED, FAILING (the next one, when its last attempt failed) or
        PENDING, newest first."""
        async with self.database.read() as repo:
            webhook = await _portal_webhook(repo, portal_id, webhook_id)
            start = max(0, webhook.delivered_seq - limit)
            entries = await repo.entries_after(portal_id, start, 2 * limit)
        rows = []
        for entry in entries:
            seq = entry["seq"]
            if seq <= webhook.delivered_seq:
                status = "DELIVERED"
            elif seq == webhook.delivered_seq + 1 and webhook.last_error:
                status = "FAILING"
            else:
                status = "PENDING"
            rows.append(Delivery(seq, row_event_id(entry), entry["created_at"], status))
        return WebhookDeliveries(
            webhook.id,
            webhook.delivered_seq,
            webhook.attempts,
            webhook.last_attempt_at,
            webhook.last_error,
            webhook.next_attempt_at,
            rows[::-1],
        )

    async def backlog(self) -> tuple[int, int | None]:
        """Every webhook's events not yet acknowledged, summed, and when the oldest of them was
        recorded (None when there are none): the metrics' webhook backlog and lag."""
        total, oldest = 0, None
        async with self.database.read() as repo:
            for webhook, pending in await repo.list_webhooks():
                if not pending:
                    continue
                total += pending
                entries = await repo.entries_after(webhook.portal_id, webhook.delivered_seq, 1)
                if entries and (oldest is None or entries[0]["created_at"] < oldest):
                    oldest = entries[0]["created_at"]
        return total, oldest

    async def replay(
        self, portal_id: int, since: int, webhook_id: int | None = None
    ) -> list[Rewind]:
        """Deliver again every event recorded at or after ``since``: to one webhook of the
        portal, or to all of them. Cursors only move back; a webhook that has not yet reached
        ``since`` is left alone."""
        async with self.database.write() as repo:
            await require_portal(repo, portal_id)
            if webhook_id is not None and webhook_id not in {
                w.id for w, _ in await repo.list_webhooks(portal_id)
            }:
                raise NotFound(f"Portal {portal_id} has no webhook with id {webhook_id}.")
            first = await repo.first_event_since(portal_id, since)
            if first is None:
                return []
            return await repo.rewind_webhooks(portal_id, first - 1, self.clock.now_ms(), webhook_id)

    # -- delivery (webhooks/worker.py) -----------------------------------------------------------

    async def claim_due(
        self, owner: str, lease_ms: int, limit: int, busy: list[int]
    ) -> list[Webhook]:
        """Webhooks with events to send whose retry time has come, claimed for ``owner``."""
        now = self.clock.now_ms()
        async with self.database.read() as repo:
            candidates = await repo.due_webhooks(now, limit, busy)
        if not candidates:
            return []
        claimed = []
        async with self.database.write() as repo:
            for webhook_id in candidates:
                webhook = await repo.claim_webhook(webhook_id, owner, now, now + lease_ms)
                if webhook is not None:
                    claimed.append(webhook)
        return claimed

    async def next_events(self, webhook: Webhook, limit: int) -> list[OutboxEvent]:
        """The next events to send: one per ledger entry after the webhook's cursor."""
        async with self.database.read() as repo:
            entries = await repo.entries_after(webhook.portal_id, webhook.delivered_seq, limit)
        return [_change_event(entry) for entry in entries]

    async def delivered(
        self, webhook: Webhook, owner: str, through_seq: int, lease_ms: int
    ) -> Webhook | None:
        """The endpoint acknowledged events up to ``through_seq``: move the cursor, renew the
        lease. None when the cursor was moved by someone else (keep nothing, start over)."""
        now = self.clock.now_ms()
        async with self.database.write() as repo:
            return await repo.record_delivery(
                webhook,
                owner,
                {
                    "delivered_seq": through_seq,
                    "attempts": 0,
                    "last_attempt_at": now,
                    "last_error": None,
                    "next_attempt_at": now,
                    "lease_until": now + lease_ms,
                },
            )

    async def failed(
        self, webhook: Webhook, owner: str, error: str, base_s: float, max_s: float
    ) -> None:
        """Schedule the next attempt with exponential backoff and release the webhook."""
        attempts = webhook.attempts + 1
        now = self.clock.now_ms()
        async with self.database.write() as repo:
            recorded = await repo.record_delivery(
                webhook,
                owner,
                {
                    "attempts": attempts,
                    "last_attempt_at": now,
                    "last_error": error[:MAX_ERROR_LENGTH],
                    "next_attempt_at": now + backoff_ms(attempts, base_s, max_s),
                    "lease_owner": None,
                    "lease_until": None,
                },
            )
            if recorded is None:  # replayed meanwhile: let it start over at once
                await repo.release_webhooks(owner, webhook.id)

    async def release(self, owner: str, webhook_id: int | None = None) -> None:
        async with self.database.write() as repo:
            await repo.release_webhooks(owner, webhook_id)


async def _portal_webhook(repo: Repository, portal_id: int, webhook_id: int) -> Webhook:
    for webhook, _ in await repo.list_webhooks(portal_id):
        if webhook.id == webhook_id:
            return webhook
    raise NotFound(f"No webhook with id {webhook_id}.")


def _change_event(entry: Mapping[str, Any]) -> OutboxEvent:
    """The event of one ledger row, its body serialised exactly as it is sent."""
    identifier = row_event_id(entry)
    payload = orjson.dumps(event_payload(identifier, entry)).decode()
    return OutboxEvent(entry["portal_id"], entry["seq"], identifier, entry["created_at"], payload)


def backoff_ms(attempts: int, base_s: float, max_s: float) -> int:
    """The wait after the n-th failure in a row: base·2ⁿ⁻¹ capped at max, less up to half of it
    at random so that endpoints that failed together are not all retried at the same moment."""
    ceiling = min(max_s, base_s * 2 ** min(attempts - 1, 60))
    return int(ceiling * 1000 * random.uniform(0.5, 1.0))  # noqa: S311 - jitter, not a secret


def _checked_url(url: str) -> str:
    url = url.strip()
    if not _sendable(url):
        # Not repeated: a password in it, written with an unencoded "/" for instance, could not
        # be told apart from the rest to be masked.
        raise InvalidInput.field(
            "url", "A webhook URL is http:// or https://, with a host and a numeric port if any."
        )
    if len(url) > 2000:
        raise InvalidInput.field("url", "A webhook URL has at most 2000 characters.")
    return url


def _sendable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - parsing it is the check ("http://u:p/w@h/" has port "p")
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)
