"""The sealed ledger (issue 16): ``ledger verify`` catches a changed ciphertext, an erased
entry's as well as a neighbour's; and revision 0008 migrates a cleartext ledger honestly: every
entry keeps its place and its old hash, the old head can still be checked, the cleartext is gone
from the file, and a broken old chain stops it."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import column, insert, table
from sqlalchemy.engine import Connection

from commprefs.domain.chain import FIELDS, GENESIS, entry_hash
from commprefs.domain.consent import canonical
from commprefs.domain.preferences import Actor, Channel, Portal, State, StatusChange
from commprefs.store.database import Database
from commprefs.store.migrate import alembic_config, upgrade
from tests.integration.test_erasure import database_bytes, spellings
from tests.support import cli, raw_sql
from tests.support.databases import database
from tests.support.factories import Factory, email


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path) -> Iterator[str]:
    with database(backend, tmp_path) as url:
        yield url


def verify(url: str) -> tuple[int, dict[int, dict[str, Any]]]:
    done = cli.run("ledger", "verify", "--json", "--database", url)
    return done.returncode, {p["portalId"]: p for p in json.loads(done.stdout)["portals"]}


def subscribe_and_opt_out(factory: Factory, portal: Portal, subscriber: str) -> None:
    """A new type, a subscribe to it, then the opt-out of all (each type, the portal-wide scope)."""
    definition = factory.definition(portal)
    actor = Actor(portal.id, None, str(uuid.uuid4()), "test")
    change = StatusChange(subscriber, definition.id, State.SUBSCRIBED)
    factory.run(factory.services.preferences.update_statuses(actor, [change]))
    factory.run(
        factory.services.preferences.unsubscribe_all(actor, subscriber, Channel.EMAIL, None)
    )


def flip_ciphertext(url: str, portal_id: int, seq: int) -> None:
    (sealed,) = raw_sql.execute(
        url, "SELECT sealed FROM ledger WHERE portal_id = ? AND seq = ?", (portal_id, seq)
    )[0]
    changed = bytes(sealed[:-1]) + bytes([sealed[-1] ^ 1])
    raw_sql.execute(
        url,
        "UPDATE ledger SET sealed = ? WHERE portal_id = ? AND seq = ?",
        (changed, portal_id, seq),
    )


def test_verify_catches_a_changed_ciphertext_of_an_erased_entry_or_a_neighbours(
    fresh_url: str,
) -> None:
    factory = Factory(fresh_url)
    try:
        portals = erased_one, neighbours = factory.portal(), factory.portal()
        gone, stays = email("gone"), email("stays")
        for portal in portals:
            subscribe_and_opt_out(factory, portal, gone)  # seq 1-3
            subscribe_and_opt_out(factory, portal, stays)  # seq 4-7 (two types by now)
            actor = Actor(portal.id, None, str(uuid.uuid4()), "test")
            factory.run(factory.services.erasure.erase(actor, gone))  # seq 8
    finally:
        factory.close()
    code, reports = verify(fresh_url)
    assert code == 0
    assert [reports[p.id]["entries"] for p in portals] == [8, 8]

    raw_sql.disable_append_only(fresh_url)
    flip_ciphertext(fresh_url, erased_one.id, 2)  # an erased entry: its key is gone
    flip_ciphertext(fresh_url, neighbours.id, 5)  # a living neighbour's
    code, reports = verify(fresh_url)
    assert code == 1
    found = {
        p.id: [(x["sequence"], x["message"]) for x in reports[p.id]["problems"]] for p in portals
    }
    altered = "its content does not match its hash (the entry was altered)"
    assert found == {erased_one.id: [(2, altered)], neighbours.id: [(5, altered)]}


# Three entries of portal 7 and one of portal 8, chained as revisions 0004 to 0007 kept them.
_OLD: dict[str, Any] = {
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
    "occurred_at": None,
}
_PEOPLE = ("jane.migrated@example.com", "john.migrated@example.com", "jane.migrated@example.com")
# Revision 0007's consent context, on the entries of portal 7 after the first (as 0007 stored
# and hashed it: JSON text, keys sorted); the first predates it.
_CONTEXT = {"via": "api", "ip": "198.51.100.23", "userAgent": "OldShop/1.0", "token": 3}
_OLD_IP = b"198.51.100.23"


def _old_entries(broken: str | None = None) -> list[dict[str, Any]]:
    rows, heads = [], {}
    for portal_id, subscriber in [(7, p) for p in _PEOPLE] + [(8, "ann.migrated@example.com")]:
        seq, previous = heads.get(portal_id, (0, GENESIS))
        row = {**_OLD, "portal_id": portal_id, "seq": seq + 1, "subscriber": subscriber}
        row["context"] = canonical(_CONTEXT) if portal_id == 7 and seq else None
        row["prev_hash"] = previous
        row["hash"] = entry_hash(previous, row)
        heads[portal_id] = (row["seq"], row["hash"])
        rows.append(row)
    if broken == "source":
        rows[1]["source"] = "edited behind the chain's back"
    elif broken == "context":
        rows[1]["context"] = canonical({**_CONTEXT, "ip": "192.0.2.1"})
    return rows


def _migrate_old_entries(url: str, rows: list[dict[str, Any]]) -> None:
    def to_0007(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), "0007")

    def record(connection: Connection) -> None:
        portals = table("portals", *map(column, ("id", "name", "gdpr", "created_at")))
        connection.execute(
            insert(portals),
            [{"id": n, "name": f"p{n}", "gdpr": False, "created_at": 1} for n in (7, 8)],
        )
        ledger = table("ledger", *map(column, (*FIELDS, "context", "prev_hash", "hash")))
        connection.execute(insert(ledger), rows)

    async def run(*steps: Callable[[Connection], None]) -> None:
        db = Database(url)
        try:
            for step in steps:
                await db.run_sync(step, writer=True)
            await upgrade(db)
        finally:
            await db.dispose()

    asyncio.run(run(to_0007, record))


def test_revision_0008_seals_the_old_entries_and_anchors_the_old_chain(fresh_url: str) -> None:
    old = _old_entries()
    _migrate_old_entries(fresh_url, old)

    # Every entry kept its place and its time, statuses and source; the old hash rides along.
    kept = raw_sql.execute(
        fresh_url,
        "SELECT portal_id, seq, created_at, old_status, new_status, source, legacy_hash "
        "FROM ledger ORDER BY portal_id, seq",
    )
    assert kept == [
        (r["portal_id"], r["seq"], r["created_at"], r["old_status"], r["new_status"], r["source"],
         r["hash"]) for r in old
    ]  # fmt: skip
    stored = database_bytes(fresh_url)
    assert [f for p in _PEOPLE for f in spellings(p) if f in stored] == []
    assert _OLD_IP not in stored  # revision 0007's context is sealed with the address
    assert {"subscriber", "context"} & {c for (c,) in _columns(fresh_url)} == set()

    # The old heads are still there to check, and each old hash is recomputed from the opened
    # fields: the migrated content is the content the old chain vouched for.
    code, reports = verify(fresh_url)
    assert code == 0
    assert (reports[7]["legacyHeadSequence"], reports[7]["legacyHeadHash"]) == (3, old[2]["hash"])
    assert (reports[8]["legacyHeadSequence"], reports[8]["legacyHeadHash"]) == (1, old[3]["hash"])

    factory = Factory(fresh_url)
    try:
        page = factory.run(factory.services.ledger.history(7, "jane.migrated@example.com"))
        assert [
            (e.seq, e.subscriber, e.legal_basis_explanation, e.context) for e in page.entries
        ] == [
            (1, "jane.migrated@example.com", _OLD["legal_basis_explanation"], None),
            (3, "jane.migrated@example.com", _OLD["legal_basis_explanation"], _CONTEXT),
        ]
        # Entries from before the change are erasable too.
        actor = Actor(7, None, "erase-migrated", "test")
        factory.run(factory.services.erasure.erase(actor, "jane.migrated@example.com"))
    finally:
        factory.close()
    code, reports = verify(fresh_url)
    assert code == 0
    assert reports[7]["entries"] == 4

    # Someone re-chaining the new ledger after changing a migrated entry is still caught while
    # its subscriber's key exists: its old hash no longer matches what the entry says.
    raw_sql.disable_append_only(fresh_url)
    raw_sql.execute(fresh_url, "UPDATE ledger SET source = 'forged' WHERE portal_id = 8")
    _rechain(fresh_url, 8)
    code, reports = verify(fresh_url)
    assert code == 1
    assert [p["message"] for p in reports[8]["problems"]] == [
        "its content does not match its hash in the ledger before erasure"
    ]


def _columns(url: str) -> list[tuple[Any, ...]]:
    if url.startswith("sqlite"):
        return [(name,) for _, name, *_ in raw_sql.execute(url, "PRAGMA table_info(ledger)")]
    return raw_sql.execute(
        url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'ledger'"
    )


def _rechain(url: str, portal_id: int) -> None:
    """What someone who knows the sealed record format would do after editing entries."""
    from commprefs.domain.chain import SEALED_FIELDS, sealed_entry_hash

    names = (*SEALED_FIELDS, "prev_hash", "hash")
    rows = raw_sql.execute(
        url, f"SELECT {', '.join(names)} FROM ledger WHERE portal_id = ? ORDER BY seq", (portal_id,)
    )
    previous = GENESIS
    for values in rows:
        row = dict(zip(names, values, strict=True))
        row["hash"] = sealed_entry_hash(previous, row)
        raw_sql.execute(
            url,
            "UPDATE ledger SET prev_hash = ?, hash = ? WHERE portal_id = ? AND seq = ?",
            (previous, row["hash"], portal_id, row["seq"]),
        )
        previous = row["hash"]


@pytest.mark.parametrize("broken", ["source", "context"])
def test_revision_0008_stops_on_a_broken_old_chain_and_changes_nothing(
    fresh_url: str, broken: str
) -> None:
    # The consent context is checked under revision 0007's rule like every other field.
    with pytest.raises(RuntimeError, match="ledger of portal 7 is broken at entry 2"):
        _migrate_old_entries(fresh_url, _old_entries(broken=broken))
    assert len(raw_sql.execute(fresh_url, "SELECT subscriber FROM ledger")) == 4
