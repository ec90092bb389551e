"""SQL of the consent ledger: chained appends (also the change events), history, verification
(store/interface.py's LedgerAppends and LedgerReads)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import and_, func, null, select

from commprefs.domain.chain import GENESIS, entry_hash
from commprefs.domain.consent import canonical, parsed
from commprefs.domain.ledger import HistoryEntry
from commprefs.domain.preferences import Channel, LedgerEntry, State, WideType
from commprefs.store import statements
from commprefs.store.models import ledger, subscription_definitions, tokens, webhooks
from commprefs.store.queries import Queries

# The class half of a two-int advisory lock key: that key space is apart from the one-bigint keys
# of subscriber locks, so a portal's chain lock never collides with them.
_CHAIN_LOCK_CLASS = 7_236_115


def _ledger_row(entry: LedgerEntry, seq: int, context: str | None) -> dict[str, Any]:
    return {
        "portal_id": entry.portal_id,
        "seq": seq,
        "subscriber": entry.subscriber,
        "channel": entry.channel.value,
        "subscription_id": entry.subscription_id,
        "wide_type": entry.wide_type.value if entry.wide_type else None,
        "business_unit_id": entry.business_unit_id,
        "old_status": entry.old_status.value,
        "new_status": entry.new_status.value,
        "legal_basis": entry.legal_basis,
        "legal_basis_explanation": entry.legal_basis_explanation,
        "source": entry.source,
        "api": entry.api,
        "token_id": entry.token_id,
        "request_id": entry.request_id,
        "created_at": entry.created_at,
        "occurred_at": entry.occurred_at,
        "context": context,
    }


def _history_entry(row: Any) -> HistoryEntry:
    return HistoryEntry(
        seq=row.seq,
        subscriber=row.subscriber,
        channel=Channel(row.channel),
        subscription_id=row.subscription_id,
        subscription_name=row.subscription_name,
        wide_type=WideType(row.wide_type) if row.wide_type else None,
        business_unit_id=row.business_unit_id,
        old_status=State(row.old_status),
        new_status=State(row.new_status),
        legal_basis=row.legal_basis,
        legal_basis_explanation=row.legal_basis_explanation,
        source=row.source,
        api=row.api,
        token_id=row.token_id,
        token_name=row.token_name,
        request_id=row.request_id,
        created_at=row.created_at,
        occurred_at=row.occurred_at,
        hash=row.hash,
        context=parsed(row.context),
    )


class LedgerQueries(Queries):
    """store/interface.py's LedgerAppends and LedgerReads."""

    async def append_ledger(self, entries: Sequence[LedgerEntry]) -> None:
        """The one way into the ledger: hash-chained; each entry is also a change event.
        Ledger rows are never updated or deleted."""
        if not entries:
            return
        await self.append_chained(entries)
        self.ledger_appended += len(entries)

    async def append_chained(self, entries: Sequence[LedgerEntry]) -> None:
        """Append entries to their portals' chains (each entry is also a change event for the
        webhooks: store/webhook_queries.py reads them from here).

        On PostgreSQL a per-portal advisory lock, held until commit, makes concurrent writers of
        one portal take turns at the head of its chain (SQLite writers are serialised anyway);
        so a portal's seq numbers are also committed in order. Call it last in a transaction:
        nothing should wait on another lock while holding a chain. The hash is the chain's rule
        (domain/chain.py) but is computed here: the head it follows is only known under the lock,
        and keeping lock, head, hash and insert in one place keeps every row chained.
        """
        by_portal: dict[int, list[LedgerEntry]] = {}
        for entry in entries:
            by_portal.setdefault(entry.portal_id, []).append(entry)
        rows: list[dict[str, Any]] = []
        # A call's entries share their actor's context: serialised once per context object.
        texts: dict[int, str | None] = {}
        for portal_id in sorted(by_portal):
            await self._lock_chain(portal_id)
            seq, previous = await self.chain_head(portal_id)
            for entry in by_portal[portal_id]:
                seq += 1
                key = id(entry.context)
                if key not in texts:
                    texts[key] = canonical(entry.context)
                row = _ledger_row(entry, seq, texts[key])
                row["prev_hash"] = previous
                row["hash"] = previous = entry_hash(previous, row)
                rows.append(row)
        await self.conn.execute_many(
            statements.INSERT_LEDGER,
            [[row[column] for column in statements.LEDGER_COLUMNS] for row in rows],
        )

    async def _lock_chain(self, portal_id: int) -> None:
        if self.dialect == "postgresql":
            await self.conn.fetch(statements.LOCK_CHAIN, (_CHAIN_LOCK_CLASS, portal_id % 2**31))

    async def ledger_for(self, portal_id: int, subscriber: str) -> list[Any]:
        rows = await self.conn.execute(
            select(ledger)
            .where(and_(ledger.c.portal_id == portal_id, ledger.c.subscriber == subscriber))
            .order_by(ledger.c.id)
        )
        return list(rows)

    async def chain_head(self, portal_id: int) -> tuple[int, str]:
        """The seq and hash of a portal's newest entry; (0, GENESIS) for an empty chain."""
        for seq, hash_ in await self.conn.fetch(statements.CHAIN_HEAD, (portal_id,)):
            return seq, hash_
        return 0, GENESIS

    async def acknowledged_head(self, portal_id: int) -> int:
        """The highest seq any of the portal's webhooks has had acknowledged (0 if none)."""
        found = await self.conn.execute(
            select(func.max(webhooks.c.delivered_seq)).where(webhooks.c.portal_id == portal_id)
        )
        return int(found.scalar_one() or 0)

    async def ledger_portals(self) -> list[int]:
        """Every portal with at least one ledger entry or a webhook that has seen one."""
        found = await self.conn.execute(
            select(ledger.c.portal_id)
            .union(select(webhooks.c.portal_id).where(webhooks.c.delivered_seq > 0))
            .order_by("portal_id")
        )
        return [int(portal_id) for (portal_id,) in found]

    async def chain_rows(self, portal_id: int) -> AsyncIterator[dict[str, Any]]:
        """A portal's ledger rows in chain order, streamed."""
        query = select(ledger).where(ledger.c.portal_id == portal_id).order_by(ledger.c.seq)
        async for row in self.conn.stream(query):
            yield dict(row._mapping)

    async def history(
        self,
        portal_id: int,
        subscriber: str,
        channel: Channel,
        after_seq: int = 0,
        limit: int | None = None,
        recorded_until: int | None = None,
    ) -> list[HistoryEntry]:
        """A subscriber's entries in chain order, with type and token names."""
        query = (
            select(
                ledger,
                subscription_definitions.c.name.label("subscription_name"),
                tokens.c.name.label("token_name"),
            )
            .outerjoin(
                subscription_definitions,
                subscription_definitions.c.id == ledger.c.subscription_id,
            )
            .outerjoin(tokens, tokens.c.id == ledger.c.token_id)
            .where(
                ledger.c.portal_id == portal_id,
                ledger.c.subscriber == subscriber,
                ledger.c.channel == channel.value,
                ledger.c.seq > after_seq,
            )
            .order_by(ledger.c.seq)
        )
        if recorded_until is not None:
            query = query.where(ledger.c.created_at <= recorded_until)
        if limit is not None:
            query = query.limit(limit)
        return [_history_entry(row) for row in await self.conn.execute(query)]

    async def timeline(
        self,
        portal_id: int,
        before_seq: int | None,
        limit: int,
        recorded_from: int | None = None,
        recorded_until: int | None = None,
    ) -> list[HistoryEntry]:
        """A portal's entries newest first (v1's timeline), walking the (portal_id, seq) unique
        index backwards from ``before_seq``."""
        query = (
            select(
                ledger,
                null().label("subscription_name"),
                null().label("token_name"),
            )
            .where(ledger.c.portal_id == portal_id)
            .order_by(ledger.c.seq.desc())
            .limit(limit)
        )
        if before_seq is not None:
            query = query.where(ledger.c.seq < before_seq)
        if recorded_from is not None:
            query = query.where(ledger.c.created_at >= recorded_from)
        if recorded_until is not None:
            query = query.where(ledger.c.created_at <= recorded_until)
        return [_history_entry(row) for row in await self.conn.execute(query)]
