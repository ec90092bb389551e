"""All SQL of the service. One Repository wraps one connection inside one transaction; its
queries are grouped by concern in the *_queries.py mixins beside it (this file: statuses, the
way into the ledger, idempotency keys)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, select, update

from commprefs.domain.preferences import (
    Channel,
    LedgerEntry,
    State,
    StoredStatus,
    WideStatus,
    WideType,
)
from commprefs.store import statements
from commprefs.store.connection import StoreConnection
from commprefs.store.ledger_queries import LedgerQueries
from commprefs.store.models import (
    idempotency_keys,
    ledger,
)
from commprefs.store.tenant_queries import TenantQueries
from commprefs.store.transfer_queries import TransferQueries
from commprefs.store.webhook_queries import WebhookQueries


def _wide(row: Any) -> WideStatus:
    """From a row of statements.WIDE_STATUSES."""
    subscriber, channel, wide_type, unit_id, status, source, updated_at = row
    return WideStatus(
        subscriber=subscriber,
        channel=Channel(channel),
        wide_type=WideType(wide_type),
        business_unit_id=unit_id,
        status=State(status),
        source=source,
        updated_at=updated_at,
    )


@dataclass(frozen=True)
class IdempotentReply:
    """What an earlier request with the same Idempotency-Key was and got."""

    fingerprint: str
    status_code: int | None
    content_type: str | None
    body: bytes | None


def _lock_key(portal_id: int, subscriber: str) -> int:
    digest = hashlib.blake2b(f"{portal_id}:{subscriber}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class Repository(TenantQueries, LedgerQueries, WebhookQueries, TransferQueries):
    def __init__(self, conn: StoreConnection) -> None:
        self.conn = conn
        self.dialect = conn.dialect_name

    # -- statuses --------------------------------------------------------------------------------

    async def lock_subscribers(self, portal_id: int, subscribers: Iterable[str]) -> None:
        """Order concurrent writers to the same subscribers (PostgreSQL; SQLite is serialised).

        Locks are taken in a fixed order so that two batches never wait on each other in a cycle.
        """
        if self.dialect != "postgresql":
            return
        keys = sorted({_lock_key(portal_id, s) for s in subscribers})
        if len(keys) == 1:
            await self.conn.fetch(statements.LOCK_SUBSCRIBER, keys)
        elif keys:
            # One round trip for a whole batch, still taking the locks in sorted order.
            await self.conn.fetch(statements.LOCK_SUBSCRIBERS, (keys,))

    async def stored_statuses(
        self, portal_id: int, subscribers: Sequence[str], channel: Channel
    ) -> dict[str, dict[int, StoredStatus]]:
        found: dict[str, dict[int, StoredStatus]] = {s: {} for s in subscribers}
        if not subscribers:
            return found
        rows = await self.conn.fetch(
            statements.STORED_STATUSES, (portal_id, channel.value, list(found))
        )
        for subscriber, subscription_id, status, source, basis, explanation, updated_at in rows:
            found[subscriber][subscription_id] = StoredStatus(
                subscription_id, State(status), source, basis, explanation, updated_at
            )
        return found

    async def wide_statuses(
        self, portal_id: int, subscribers: Sequence[str], channel: Channel
    ) -> dict[str, list[WideStatus]]:
        found: dict[str, list[WideStatus]] = {s: [] for s in subscribers}
        if not subscribers:
            return found
        rows = await self.conn.fetch(
            statements.WIDE_STATUSES, (portal_id, channel.value, list(found))
        )
        for row in rows:
            found[row[0]].append(_wide(row))
        return found

    async def put_statuses(
        self, portal_id: int, channel: Channel, changes: Sequence[tuple[str, StoredStatus]]
    ) -> None:
        if not changes:
            return
        rows = [
            (
                portal_id,
                subscriber,
                channel.value,
                s.subscription_id,
                s.status.value,
                s.source,
                s.legal_basis,
                s.legal_basis_explanation,
                s.updated_at,
            )
            for subscriber, s in changes
        ]
        await self.conn.execute_many(statements.PUT_STATUS, rows)

    async def put_wide_statuses(self, portal_id: int, changes: Sequence[WideStatus]) -> None:
        if not changes:
            return
        rows = [
            (
                portal_id,
                w.subscriber,
                w.channel.value,
                w.wide_type.value,
                w.business_unit_id,
                w.status.value,
                w.source,
                w.updated_at,
            )
            for w in changes
        ]
        await self.conn.execute_many(statements.PUT_WIDE_STATUS, rows)

    # -- ledger ----------------------------------------------------------------------------------

    async def append_ledger(self, entries: Sequence[LedgerEntry]) -> None:
        """The one way into the ledger: hash-chained; each entry is also a change event
        (store/ledger_queries.py). Ledger rows are never updated or deleted."""
        if not entries:
            return
        await self.append_chained(entries)

    async def ledger_for(self, portal_id: int, subscriber: str) -> list[Any]:
        rows = await self.conn.execute(
            select(ledger)
            .where(and_(ledger.c.portal_id == portal_id, ledger.c.subscriber == subscriber))
            .order_by(ledger.c.id)
        )
        return list(rows)

    # -- idempotency keys ------------------------------------------------------------------------

    async def claim_idempotency_key(
        self, portal_id: int, key: str, fingerprint: str, now: int, expired_before: int
    ) -> IdempotentReply | None:
        """Claim ``key`` in this transaction: None when it is ours, else what holds it.

        A concurrent claim of the same key waits here until the holder's transaction ends
        (PostgreSQL: the unique index; SQLite: writers are serialised).
        """
        await self.conn.execute(
            delete(idempotency_keys).where(
                idempotency_keys.c.portal_id == portal_id,
                idempotency_keys.c.idempotency_key == key,
                idempotency_keys.c.created_at < expired_before,
            )
        )
        inserted = await self.conn.execute(
            self._upsert(idempotency_keys)
            .values(
                portal_id=portal_id, idempotency_key=key, fingerprint=fingerprint, created_at=now
            )
            .on_conflict_do_nothing(index_elements=["portal_id", "idempotency_key"])
            .returning(idempotency_keys.c.created_at)
        )
        if inserted.first() is not None:
            return None
        row = (
            await self.conn.execute(
                select(idempotency_keys).where(
                    idempotency_keys.c.portal_id == portal_id,
                    idempotency_keys.c.idempotency_key == key,
                )
            )
        ).one()
        return IdempotentReply(row.fingerprint, row.status_code, row.content_type, row.body)

    async def record_idempotent_reply(
        self, portal_id: int, key: str, status_code: int, content_type: str, body: bytes
    ) -> None:
        await self.conn.execute(
            update(idempotency_keys)
            .where(
                idempotency_keys.c.portal_id == portal_id,
                idempotency_keys.c.idempotency_key == key,
            )
            .values(status_code=status_code, content_type=content_type, body=body)
        )

    async def purge_idempotency_keys(self, expired_before: int) -> None:
        await self.conn.execute(
            delete(idempotency_keys).where(idempotency_keys.c.created_at < expired_before)
        )
