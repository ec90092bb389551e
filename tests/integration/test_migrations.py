"""Alembic is the only source of the schema: its migrations produce exactly the declared tables."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import column, insert, table, text
from sqlalchemy.engine import Connection

from commprefs.store.database import Database
from commprefs.store.migrate import alembic_config, current_revision, head_revision, upgrade
from commprefs.store.models import metadata
from tests.support.databases import database


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def _migrate_and_compare(url: str) -> tuple[list[Any], str | None]:
    db = Database(url)
    try:
        await upgrade(db)
        await upgrade(db)  # a second run is a no-op, as at every server start
        differences = await db.run_sync(_differences)
        return differences, await current_revision(db)
    finally:
        await db.dispose()


def test_migrations_produce_exactly_the_declared_tables(backend: str, tmp_path: Path) -> None:
    with database(backend, tmp_path) as url:
        differences, revision = asyncio.run(_migrate_and_compare(url))
    assert differences == []
    assert revision == head_revision()


# Two entries of one portal and one of another, as revision 0003 recorded them (no chain yet).
_ENTRY: dict[str, Any] = {
    "subscriber": "jane@example.com",
    "channel": "EMAIL",
    "subscription_id": 12,
    "wide_type": None,
    "business_unit_id": None,
    "old_status": "NOT_SPECIFIED",
    "new_status": "SUBSCRIBED",
    "legal_basis": "CONSENT_WITH_NOTICE",
    "legal_basis_explanation": "Ticked the box — “yes please”",
    "source": "Public status API",
    "api": "v4",
    "token_id": 3,
    "request_id": "c0ffee",
    "created_at": 1_795_755_600_123,
}
_EARLIER_ENTRIES = [
    {**_ENTRY, "id": 1, "portal_id": 7},
    {**_ENTRY, "id": 2, "portal_id": 8, "wide_type": "ALL", "subscription_id": None},
    {**_ENTRY, "id": 3, "portal_id": 7, "old_status": "SUBSCRIBED", "new_status": "UNSUBSCRIBED"},
]


def _to(revision: str) -> Callable[[Connection], None]:
    def migrate(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), revision)

    return migrate


def _back_to(revision: str) -> Callable[[Connection], None]:
    def migrate(connection: Connection) -> None:
        command.downgrade(alembic_config(connection), revision)

    return migrate


def _record_earlier_entries(connection: Connection) -> None:
    ledger = table("ledger", *map(column, _EARLIER_ENTRIES[0]))
    connection.execute(insert(ledger), _EARLIER_ENTRIES)


def _chain(connection: Connection) -> list[tuple[Any, ...]]:
    query = text("SELECT id, seq, prev_hash, hash FROM ledger ORDER BY id")
    return [tuple(row) for row in connection.execute(query)]


def _outbox(connection: Connection) -> list[tuple[Any, ...]]:
    query = text("SELECT portal_id, seq, event_id, created_at, payload FROM outbox_events")
    return sorted(tuple(row) for row in connection.execute(query))


async def _through_the_chain_and_back(url: str) -> tuple[list[Any], ...]:
    db = Database(url)
    try:
        await db.run_sync(_to("0003"), writer=True)
        await db.run_sync(_record_earlier_entries, writer=True)
        await db.run_sync(_to("0004"), writer=True)
        chained = await db.run_sync(_chain)
        first_events = await db.run_sync(_outbox)
        await upgrade(db)
        await db.run_sync(_back_to("0004"), writer=True)
        return chained, first_events, await db.run_sync(_outbox)
    finally:
        await db.dispose()


_HASH_7_1 = "8adedbbe2717f5418d7dd3da7677b7cf3e8ca2db11cc66013036c2af9889087b"
_HASH_8_1 = "bc6600a079afa370b397602b59371d6359bb2e1824d6d581b165c229c6f26d8a"
_HASH_7_2 = "e6d7dc70ca4950dc087940f164d810283057775142ad6d2851d45d01e586f256"
# (row id, seq, prev_hash, hash): portal 7's two entries chained in id order, portal 8's apart.
_CHAIN = [(1, 1, "0" * 64, _HASH_7_1), (2, 1, "0" * 64, _HASH_8_1), (3, 2, _HASH_7_1, _HASH_7_2)]


def _body(portal_id: int, seq: int, ledger_hash: str) -> dict[str, Any]:
    """The event body of one of _EARLIER_ENTRIES (its id aside), spelled out as revision 0004
    wrote it."""
    wide = portal_id == 8
    return {
        "type": "wide_status.changed" if wide else "subscription_status.changed",
        "portalId": portal_id,
        "sequence": seq,
        "occurredAt": "2026-11-27T05:00:00.123Z",
        "recordedAt": "2026-11-27T05:00:00.123Z",
        "subscriberIdString": "jane@example.com",
        "channel": "EMAIL",
        "subscriptionId": None if wide else 12,
        "wideStatusType": "ALL" if wide else None,
        "businessUnitId": None,
        "oldStatus": "SUBSCRIBED" if seq == 2 else "NOT_SPECIFIED",
        "newStatus": "UNSUBSCRIBED" if seq == 2 else "SUBSCRIBED",
        "legalBasis": "CONSENT_WITH_NOTICE",
        "legalBasisExplanation": "Ticked the box — “yes please”",
        "source": "Public status API",
        "api": "v4",
        "requestId": "c0ffee",
        "ledgerHash": ledger_hash,
    }


_BODIES = [(7, 1, _HASH_7_1), (7, 2, _HASH_7_2), (8, 1, _HASH_8_1)]


def _events(outbox: list[tuple[Any, ...]]) -> list[tuple[int, int, dict[str, Any]]]:
    """(portal, seq, body without its id) of each outbox row, after checking the row's columns
    agree with its body."""
    events = []
    for portal_id, seq, event_id, created_at, payload in outbox:
        body = orjson.loads(payload)
        assert body.pop("id") == event_id
        assert created_at == _ENTRY["created_at"]
        events.append((portal_id, seq, body))
    return events


def test_entries_recorded_before_the_chain_are_chained_and_get_their_events(
    backend: str, tmp_path: Path
) -> None:
    """Revision 0004 chains the entries an older database holds and gives each its event; going
    back from 0005 makes the events again from the ledger, with ids derived from the hashes. Both
    keep the record format and the event body as they were when the revisions were written."""
    with database(backend, tmp_path) as url:
        chained, first_events, restored = asyncio.run(_through_the_chain_and_back(url))
    assert chained == _CHAIN
    expected = [(portal, seq, _body(portal, seq, digest)) for portal, seq, digest in _BODIES]
    assert _events(first_events) == expected
    assert _events(restored) == expected
    assert [row[2] for row in restored] == [
        "8adedbbe-2717-4541-8d7d-d3da7677b7cf",
        "e6d7dc70-ca49-40dc-8879-40f164d81028",
        "bc6600a0-79af-4370-b397-602b59371d63",
    ]
