"""SQL of subscribers' statuses: their choices per type and their wide (all-email) statuses,
and the locks that order concurrent writers to one subscriber (store/interface.py's Statuses).
These run on every request: plain statements of store/statements.py, not Core constructs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from commprefs.domain.preferences import Channel, State, StoredStatus, WideStatus, WideType
from commprefs.store import statements
from commprefs.store.queries import Queries


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


def _lock_key(portal_id: int, subscriber: str) -> int:
    digest = hashlib.blake2b(f"{portal_id}:{subscriber}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class StatusQueries(Queries):
    """store/interface.py's Statuses."""

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
