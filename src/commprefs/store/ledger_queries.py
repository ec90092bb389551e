"""SQL of the consent ledger: chained appends (also the change events), history, verification
(store/interface.py's LedgerAppends and LedgerReads). Personal fields are sealed on the way in
and opened on the way out (domain/sealing.py, with the keys of store/subject_queries.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import and_, func, null, select

from commprefs.domain.chain import GENESIS, SEALED_FIELDS, sealed_entry_hash
from commprefs.domain.ledger import ERASED, ErasureRecord, HistoryEntry
from commprefs.domain.preferences import Channel, LedgerEntry, State, WideType
from commprefs.domain.sealing import PERSONAL_FIELDS, seal, subject_hash, unseal
from commprefs.store import statements
from commprefs.store.models import (
    ledger,
    subscriber_keys,
    subscription_definitions,
    tokens,
    webhooks,
)
from commprefs.store.subject_queries import DataKey, SubjectQueries

# The class half of a two-int advisory lock key: that key space is apart from the one-bigint keys
# of subscriber locks, so a portal's chain lock never collides with them.
_CHAIN_LOCK_CLASS = 7_236_115


def _ledger_row(entry: LedgerEntry, seq: int, key: DataKey) -> dict[str, Any]:
    """The row of a change: its personal fields sealed under the subscriber's data key."""
    key_id, data_key = key
    return {
        "portal_id": entry.portal_id,
        "seq": seq,
        "kind": None,
        "key_id": key_id,
        "subject_hash": None,
        "channel": entry.channel.value,
        "subscription_id": entry.subscription_id,
        "wide_type": entry.wide_type.value if entry.wide_type else None,
        "business_unit_id": entry.business_unit_id,
        "old_status": entry.old_status.value,
        "new_status": entry.new_status.value,
        "legal_basis": entry.legal_basis,
        "source": entry.source,
        "api": entry.api,
        "token_id": entry.token_id,
        "request_id": entry.request_id,
        "created_at": entry.created_at,
        "occurred_at": entry.occurred_at,
        "sealed": seal(data_key, entry.portal_id, key_id, _personal(entry)),
        "legacy_hash": None,
    }


def _personal(entry: LedgerEntry) -> dict[str, Any]:
    """What is sealed of a change: its PERSONAL_FIELDS, the consent context (client IP, user
    agent) as the object it is."""
    fields = {n: getattr(entry, n) for n in PERSONAL_FIELDS}
    if entry.context is not None:
        fields["context"] = dict(entry.context)  # a Mapping, which orjson takes only as a dict
    return fields


def _erasure_row(record: ErasureRecord, seq: int) -> dict[str, Any]:
    """The row that records an erasure: no personal field, the keyed hash in clear."""
    return {
        **dict.fromkeys(SEALED_FIELDS),
        "portal_id": record.portal_id,
        "seq": seq,
        "kind": ERASED,
        "subject_hash": record.subject_hash,
        "channel": record.channel.value,
        "source": record.source,
        "api": record.api,
        "token_id": record.token_id,
        "request_id": record.request_id,
        "created_at": record.created_at,
    }


def _history_entry(row: dict[str, Any]) -> HistoryEntry:
    return HistoryEntry(
        seq=row["seq"],
        subscriber=row["subscriber"],
        channel=Channel(row["channel"]),
        subscription_id=row["subscription_id"],
        subscription_name=row["subscription_name"],
        wide_type=WideType(row["wide_type"]) if row["wide_type"] else None,
        business_unit_id=row["business_unit_id"],
        old_status=State(row["old_status"]),
        new_status=State(row["new_status"]),
        legal_basis=row["legal_basis"],
        legal_basis_explanation=row["legal_basis_explanation"],
        source=row["source"],
        api=row["api"],
        token_id=row["token_id"],
        token_name=row["token_name"],
        request_id=row["request_id"],
        created_at=row["created_at"],
        occurred_at=row["occurred_at"],
        hash=row["hash"],
        context=row["context"],
        legacy_hash=row["legacy_hash"],
    )


class LedgerQueries(SubjectQueries):
    """store/interface.py's LedgerAppends and LedgerReads."""

    async def append_ledger(self, entries: Sequence[LedgerEntry | ErasureRecord]) -> None:
        """The one way into the ledger: hash-chained; each entry is also a change event.
        Ledger rows are never updated or deleted."""
        if not entries:
            return
        await self.append_chained(entries)
        self.ledger_appended += len(entries)

    async def append_chained(self, entries: Sequence[LedgerEntry | ErasureRecord]) -> None:
        """Append entries to their portals' chains (each entry is also a change event for the
        webhooks: store/webhook_queries.py reads them from here).

        On PostgreSQL a per-portal advisory lock, held until commit, makes concurrent writers of
        one portal take turns at the head of its chain (SQLite writers are serialised anyway);
        so a portal's seq numbers are also committed in order. Call it last in a transaction:
        nothing should wait on another lock while holding a chain. The hash is the chain's rule
        (domain/chain.py) but is computed here: the head it follows is only known under the lock,
        and keeping lock, head, hash and insert in one place keeps every row chained.
        """
        by_portal: dict[int, list[LedgerEntry | ErasureRecord]] = {}
        for entry in entries:
            by_portal.setdefault(entry.portal_id, []).append(entry)
        rows: list[dict[str, Any]] = []
        for portal_id in sorted(by_portal):
            changes = [e.subscriber for e in by_portal[portal_id] if isinstance(e, LedgerEntry)]
            now = by_portal[portal_id][0].created_at
            keys = await self.data_keys(portal_id, list(dict.fromkeys(changes)), now)
            await self._lock_chain(portal_id)
            seq, previous = await self.chain_head(portal_id)
            for entry in by_portal[portal_id]:
                seq += 1
                if isinstance(entry, LedgerEntry):
                    row = _ledger_row(entry, seq, keys[entry.subscriber])
                else:
                    row = _erasure_row(entry, seq)
                row["prev_hash"] = previous
                row["hash"] = previous = sealed_entry_hash(previous, row)
                rows.append(row)
        await self.conn.execute_many(
            statements.INSERT_LEDGER,
            [[row[column] for column in statements.LEDGER_COLUMNS] for row in rows],
        )

    async def _lock_chain(self, portal_id: int) -> None:
        if self.dialect == "postgresql":
            await self.conn.fetch(statements.LOCK_CHAIN, (_CHAIN_LOCK_CLASS, portal_id % 2**31))

    async def ledger_for(self, portal_id: int, subscriber: str) -> list[dict[str, Any]]:
        """The subscriber's rows under its living key, personal fields opened."""
        key_id = await self.current_key_id(portal_id, subscriber)
        if key_id is None:
            return []
        rows = await self.conn.execute(
            select(ledger)
            .where(and_(ledger.c.portal_id == portal_id, ledger.c.key_id == key_id))
            .order_by(ledger.c.seq)
        )
        return await self.opened(portal_id, [dict(row._mapping) for row in rows])

    async def opened(self, portal_id: int, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Ledger rows with their personal fields opened (None where the key was erased), and
        the keyed hash of each one's subscriber (``subject_hash``, as erasure records have it)."""
        keys = await self.keys_by_id(portal_id, (row["key_id"] for row in rows))
        secret = await self.portal_secret(portal_id)
        for row in rows:
            row.update(unseal(keys.get(row["key_id"]), portal_id, row["key_id"], row["sealed"]))
            if row["subscriber"] is not None and secret is not None:
                row["subject_hash"] = subject_hash(secret, row["subscriber"])
        return rows

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
        """A subscriber's entries in chain order, with type and token names: those under its
        living data key (an erased subject's entries are no one's history any more)."""
        key_id = await self.current_key_id(portal_id, subscriber)
        if key_id is None:
            return []
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
                ledger.c.key_id == key_id,
                ledger.c.channel == channel.value,
                ledger.c.seq > after_seq,
            )
            .order_by(ledger.c.seq)
        )
        if recorded_until is not None:
            query = query.where(ledger.c.created_at <= recorded_until)
        if limit is not None:
            query = query.limit(limit)
        rows = [dict(row._mapping) for row in await self.conn.execute(query)]
        return [_history_entry(row) for row in await self.opened(portal_id, rows)]

    async def timeline(
        self,
        portal_id: int,
        before_seq: int | None,
        limit: int,
        recorded_from: int | None = None,
        recorded_until: int | None = None,
    ) -> list[HistoryEntry]:
        """A portal's entries newest first (v1's timeline), walking the (portal_id, seq) unique
        index backwards from ``before_seq``: the changes of living subscribers only (an erased
        subject's entries and the erasure records name no one)."""
        living = select(subscriber_keys.c.id).where(subscriber_keys.c.portal_id == portal_id)
        query = (
            select(
                ledger,
                null().label("subscription_name"),
                null().label("token_name"),
            )
            .where(ledger.c.portal_id == portal_id, ledger.c.key_id.in_(living))
            .order_by(ledger.c.seq.desc())
            .limit(limit)
        )
        if before_seq is not None:
            query = query.where(ledger.c.seq < before_seq)
        if recorded_from is not None:
            query = query.where(ledger.c.created_at >= recorded_from)
        if recorded_until is not None:
            query = query.where(ledger.c.created_at <= recorded_until)
        rows = [dict(row._mapping) for row in await self.conn.execute(query)]
        return [_history_entry(row) for row in await self.opened(portal_id, rows)]
