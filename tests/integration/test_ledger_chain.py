"""The ledger is append-only, and ``commprefs ledger verify`` finds any entry changed behind its
back: edited, edited with its hash recomputed, or removed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from commprefs.domain.preferences import Actor, Channel, Portal, State, StatusChange
from commprefs.domain.sealing import seal
from tests.support import cli, raw_sql
from tests.support.databases import database
from tests.support.factories import Factory, email


@pytest.fixture
def fresh_url(backend: str, tmp_path: Path) -> Iterator[str]:
    with database(backend, tmp_path) as url:
        yield url


def make_changes(factory: Factory, portal: Portal) -> None:
    """Five ledger entries: a subscribe, an opt-out of all (wide + two types), a subscribe."""
    first, _ = factory.definition(portal), factory.definition(portal)
    actor = Actor(portal.id, None, str(uuid.uuid4()), "test")
    preferences = factory.services.preferences
    subscriber = email()
    factory.run(
        preferences.update_statuses(actor, [StatusChange(subscriber, first.id, State.SUBSCRIBED)])
    )
    factory.run(preferences.unsubscribe_all(actor, subscriber, Channel.EMAIL, None))
    factory.run(
        preferences.update_statuses(actor, [StatusChange(email(), first.id, State.SUBSCRIBED)])
    )


def verify(url: str) -> tuple[int, dict[int, dict[str, object]]]:
    done = cli.run("ledger", "verify", "--json", "--database", url)
    report = {p["portalId"]: p for p in json.loads(done.stdout)["portals"]}
    return done.returncode, report


def test_the_database_refuses_to_change_or_remove_ledger_entries(database_url: str) -> None:
    factory = Factory(database_url)
    try:
        make_changes(factory, factory.portal())
    finally:
        factory.close()
    for statement in ("UPDATE ledger SET source = 'forged'", "DELETE FROM ledger"):
        with pytest.raises(Exception, match="append-only"):
            raw_sql.execute(database_url, statement)


def test_verify_finds_every_kind_of_tampering(fresh_url: str) -> None:
    factory = Factory(fresh_url)
    try:
        edited, rehashed, removed, untouched = (factory.portal() for _ in range(4))
        for portal in (edited, rehashed, removed, untouched):
            make_changes(factory, portal)
    finally:
        factory.close()
    code, before = verify(fresh_url)
    assert code == 0
    assert all(p["intact"] and p["entries"] == 5 for p in before.values())

    raw_sql.disable_append_only(fresh_url)
    # A consent that was never given: entry 1 now says UNSUBSCRIBED -> SUBSCRIBED.
    raw_sql.execute(
        fresh_url,
        "UPDATE ledger SET old_status = 'UNSUBSCRIBED' WHERE portal_id = ? AND seq = 1",
        (edited.id,),
    )
    # The same, with the entry's own hash recomputed by someone who knows the format.
    raw_sql.execute(
        fresh_url,
        "UPDATE ledger SET source = 'forged', hash = ? WHERE portal_id = ? AND seq = 2",
        ("f" * 64, rehashed.id),
    )
    raw_sql.execute(fresh_url, "DELETE FROM ledger WHERE portal_id = ? AND seq = 3", (removed.id,))

    code, after = verify(fresh_url)
    assert code == 1
    problems = {p: [(x["sequence"], x["message"]) for x in r["problems"]] for p, r in after.items()}
    assert [seq for seq, _ in problems[edited.id]] == [1]
    assert "does not match its hash" in problems[edited.id][0][1]
    assert [seq for seq, _ in problems[rehashed.id]] == [2, 3]
    assert "link to the previous entry is broken" in problems[rehashed.id][1][1]
    assert problems[removed.id] == [(4, "entry 3 is missing")]
    assert problems[untouched.id] == []
    assert after[untouched.id]["headHash"] == before[untouched.id]["headHash"]

    text = cli.run("ledger", "verify", "--database", fresh_url)
    assert text.returncode == 1
    assert text.stderr.startswith("error: the ledger of portal")
    assert f"portal {edited.id}: TAMPERED" in text.stdout


def test_removing_entries_a_webhook_acknowledged_is_caught(fresh_url: str) -> None:
    factory = Factory(fresh_url)
    try:
        portal = factory.portal()
        hooks = factory.services.webhooks
        factory.run(hooks.add(portal.id, "https://receiver.example/hook"))
        make_changes(factory, portal)
        # What the delivery worker records when the endpoint answers 2xx to every event.
        [claimed] = factory.run(hooks.claim_due("test-worker", 60_000, 10, []))
        events = factory.run(hooks.next_events(claimed, 100))
        assert [e.seq for e in events] == [1, 2, 3, 4, 5]
        factory.run(hooks.delivered(claimed, "test-worker", events[-1].seq, 60_000))
    finally:
        factory.close()
    raw_sql.disable_append_only(fresh_url)
    raw_sql.execute(fresh_url, "DELETE FROM ledger WHERE portal_id = ? AND seq >= 4", (portal.id,))

    code, report = verify(fresh_url)
    assert code == 1
    assert report[portal.id]["problems"] == [
        {
            "sequence": 4,
            "message": "entries 4 to 5 are missing (a webhook acknowledged their change events)",
        }
    ]


def test_verify_finds_a_consent_context_edited_or_dropped(fresh_url: str) -> None:
    """Issue 16: the context is part of what an entry's hash covers. Since revision 0008 it is
    sealed with the address: changing it means changing the blob, and even a blob sealed anew
    with the subscriber's own key, without the context, does not pass."""
    factory = Factory(fresh_url)
    subscribers = {}
    try:
        edited, dropped, untouched = (factory.portal() for _ in range(3))
        for portal in (edited, dropped, untouched):
            definition = factory.definition(portal)
            context = {"via": "api", "ip": "198.51.100.7", "userAgent": "Shop/1"}
            actor = Actor(portal.id, None, str(uuid.uuid4()), "test", context)
            subscribers[portal.id] = email()
            change = StatusChange(subscribers[portal.id], definition.id, State.SUBSCRIBED)
            factory.run(factory.services.preferences.update_statuses(actor, [change]))
        resealed = factory.run(_sealed_without_context(factory, dropped, subscribers[dropped.id]))
    finally:
        factory.close()
    assert verify(fresh_url)[0] == 0
    raw_sql.disable_append_only(fresh_url)
    (sealed,) = raw_sql.execute(
        fresh_url, "SELECT sealed FROM ledger WHERE portal_id = ?", (edited.id,)
    )[0]
    changed = bytes(sealed[:-1]) + bytes([sealed[-1] ^ 1])
    for portal, blob in ((edited, changed), (dropped, resealed)):
        raw_sql.execute(
            fresh_url, "UPDATE ledger SET sealed = ? WHERE portal_id = ?", (blob, portal.id)
        )
    code, after = verify(fresh_url)
    assert code == 1
    assert [p["sequence"] for p in after[edited.id]["problems"]] == [1]
    assert [p["sequence"] for p in after[dropped.id]["problems"]] == [1]
    assert after[untouched.id]["intact"] is True


async def _sealed_without_context(factory: Factory, portal: Portal, subscriber: str) -> bytes:
    """What someone holding the keys would write to take the context out of the entry."""
    async with factory.services.database.snapshot() as repo:
        (row,) = await repo.ledger_for(portal.id, subscriber)
        key_id, data_key = (await repo.data_keys(portal.id, [subscriber], 0))[subscriber]
    assert row["context"] is not None
    return seal(data_key, portal.id, key_id, {**row, "context": None})
