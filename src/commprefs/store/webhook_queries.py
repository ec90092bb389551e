"""SQL of webhooks and their delivery state: claims (leases), cursors, and the ledger entries
their events are made of (one event per entry, in seq order; webhooks/service.py makes them).

Part of SqlRepository (store/repository.py). A worker claims a webhook with a lease, so that several
workers (or server processes) never deliver to one endpoint at once; a cursor only moves by
compare-and-set, so that a replay or a removal while a delivery is in flight always wins.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, delete, exists, func, insert, or_, select, update

from commprefs.domain.webhooks import Rewind, Webhook
from commprefs.store.ledger_queries import LedgerQueries
from commprefs.store.models import ledger, webhooks


def _webhook(row: Any) -> Webhook:
    return Webhook(
        id=row.id,
        portal_id=row.portal_id,
        url=row.url,
        secret=row.secret,
        created_at=row.created_at,
        delivered_seq=row.delivered_seq,
        attempts=row.attempts,
        next_attempt_at=row.next_attempt_at,
        last_attempt_at=row.last_attempt_at,
        last_error=row.last_error,
    )


def _lease_free(now: int) -> Any:
    return or_(webhooks.c.lease_until.is_(None), webhooks.c.lease_until < now)


class WebhookQueries(LedgerQueries):
    """store/interface.py's Webhooks."""

    async def create_webhook(
        self, portal_id: int, url: str, secret: str, delivered_seq: int, now: int
    ) -> Webhook:
        result = await self.conn.execute(
            insert(webhooks)
            .values(
                portal_id=portal_id,
                url=url,
                secret=secret,
                created_at=now,
                delivered_seq=delivered_seq,
                attempts=0,
                next_attempt_at=now,
            )
            .returning(webhooks)
        )
        return _webhook(result.one())

    async def list_webhooks(self, portal_id: int | None = None) -> list[tuple[Webhook, int]]:
        """Each webhook with the number of its portal's events it has yet to acknowledge."""
        # A portal's seqs have no gaps: what is pending is the head less the cursor.
        head = (
            select(func.coalesce(func.max(ledger.c.seq), 0))
            .where(ledger.c.portal_id == webhooks.c.portal_id)
            .scalar_subquery()
        )
        pending = case((head > webhooks.c.delivered_seq, head - webhooks.c.delivered_seq), else_=0)
        query = select(webhooks, pending.label("pending")).order_by(webhooks.c.id)
        if portal_id is not None:
            query = query.where(webhooks.c.portal_id == portal_id)
        return [(_webhook(row), int(row.pending)) for row in await self.conn.execute(query)]

    async def delete_webhook(self, webhook_id: int) -> bool:
        result = await self.conn.execute(delete(webhooks).where(webhooks.c.id == webhook_id))
        return bool(result.rowcount)

    async def due_webhooks(self, now: int, limit: int, skip: list[int]) -> list[int]:
        """Unclaimed webhooks whose retry time has come and that have events to send."""
        has_events = exists().where(
            ledger.c.portal_id == webhooks.c.portal_id,
            ledger.c.seq > webhooks.c.delivered_seq,
        )
        query = (
            select(webhooks.c.id)
            .where(webhooks.c.next_attempt_at <= now, _lease_free(now), has_events)
            .order_by(webhooks.c.next_attempt_at)
            .limit(limit)
        )
        if skip:
            query = query.where(webhooks.c.id.not_in(skip))
        return [int(found) for (found,) in await self.conn.execute(query)]

    async def claim_webhook(
        self, webhook_id: int, owner: str, now: int, lease_until: int
    ) -> Webhook | None:
        """Take the lease of a webhook if nobody holds it; the webhook, or None."""
        result = await self.conn.execute(
            update(webhooks)
            .where(webhooks.c.id == webhook_id, _lease_free(now))
            .values(lease_owner=owner, lease_until=lease_until)
            .returning(webhooks)
        )
        row = result.first()
        return _webhook(row) if row else None

    async def entries_after(self, portal_id: int, seq: int, limit: int) -> list[dict[str, Any]]:
        """The portal's ledger rows (column name → value) after ``seq``, in seq order, their
        personal fields opened (None where erased)."""
        rows = await self.conn.execute(
            select(ledger)
            .where(ledger.c.portal_id == portal_id, ledger.c.seq > seq)
            .order_by(ledger.c.seq)
            .limit(limit)
        )
        return await self.opened(portal_id, [dict(row) for row in rows.mappings()])

    async def record_delivery(
        self,
        webhook: Webhook,
        owner: str,
        values: dict[str, Any],
    ) -> Webhook | None:
        """Update a claimed webhook's delivery state, unless its cursor moved meanwhile (a
        replay) or it was removed or lost to another worker; the new state, or None."""
        result = await self.conn.execute(
            update(webhooks)
            .where(
                webhooks.c.id == webhook.id,
                webhooks.c.lease_owner == owner,
                webhooks.c.delivered_seq == webhook.delivered_seq,
            )
            .values(**values)
            .returning(webhooks)
        )
        row = result.first()
        return _webhook(row) if row else None

    async def release_webhooks(self, owner: str, webhook_id: int | None = None) -> None:
        query = update(webhooks).where(webhooks.c.lease_owner == owner)
        if webhook_id is not None:
            query = query.where(webhooks.c.id == webhook_id)
        await self.conn.execute(query.values(lease_owner=None, lease_until=None))

    async def first_event_since(self, portal_id: int, since: int) -> int | None:
        """The lowest seq of the portal's events recorded at or after ``since``."""
        found = await self.conn.execute(
            select(func.min(ledger.c.seq)).where(
                ledger.c.portal_id == portal_id, ledger.c.created_at >= since
            )
        )
        value = found.scalar_one()
        return None if value is None else int(value)

    async def rewind_webhooks(
        self, portal_id: int, to_seq: int, now: int, webhook_id: int | None = None
    ) -> list[Rewind]:
        """Move cursors back to ``to_seq`` (never forward) so that later events are sent again."""
        query = select(webhooks.c.id, webhooks.c.delivered_seq).where(
            webhooks.c.portal_id == portal_id, webhooks.c.delivered_seq > to_seq
        )
        if webhook_id is not None:
            query = query.where(webhooks.c.id == webhook_id)
        moved = [
            Rewind(row.id, row.delivered_seq, to_seq) for row in await self.conn.execute(query)
        ]
        if moved:
            await self.conn.execute(
                update(webhooks)
                .where(webhooks.c.id.in_([m.webhook_id for m in moved]))
                .values(delivered_seq=to_seq, attempts=0, next_attempt_at=now, last_error=None)
            )
        return moved
