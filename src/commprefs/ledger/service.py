"""The ledger's questions: what changed for a subscriber, what held at a moment, is it intact.

History and "as of" read the ledger alone, so they answer for any moment since the first entry,
independent of today's status rows. Verification recomputes every portal's hash chain.
"""

from __future__ import annotations

from typing import Any

from commprefs.domain.chain import GENESIS, entry_hash, sealed_entry_hash
from commprefs.domain.clock import Clock
from commprefs.domain.consent import canonical
from commprefs.domain.errors import InvalidInput
from commprefs.domain.ledger import (
    ChainProblem,
    ChainReport,
    HistoryEntry,
    HistoryPage,
    StateAsOf,
    TimelinePage,
)
from commprefs.domain.preferences import Channel, StoredStatus, WideStatus, WideType
from commprefs.domain.rules import effective_status, in_scope
from commprefs.domain.sealing import unseal
from commprefs.domain.subscribers import subscriber_key
from commprefs.portals.checks import require_business_unit, require_portal
from commprefs.store.interface import Repository, Transactions

MAX_PAGE = 1000
MAX_PROBLEMS = 100  # a report names this many problems at most; one is enough to act on


class LedgerService:
    def __init__(self, database: Transactions[Repository], clock: Clock) -> None:
        self.database = database
        self.clock = clock

    async def history(
        self,
        portal_id: int,
        subscriber: str,
        channel: Channel = Channel.EMAIL,
        after: int = 0,
        limit: int | None = None,
    ) -> HistoryPage:
        """Every change of a subscriber in the order it was recorded; a page of ``limit``
        entries after the entry numbered ``after`` when asked."""
        key = subscriber_key(subscriber)
        if limit is not None and not 1 <= limit <= MAX_PAGE:
            raise InvalidInput.field("limit", f"limit must be between 1 and {MAX_PAGE}.")
        async with self.database.snapshot() as repo:
            await require_portal(repo, portal_id)
            found = await repo.history(
                portal_id, key, channel, after, None if limit is None else limit + 1
            )
        if limit is not None and len(found) > limit:
            return HistoryPage(key, found[:limit], found[limit - 1].seq)
        return HistoryPage(key, found, None)

    async def timeline(
        self,
        portal_id: int,
        before: int | None,
        limit: int,
        recorded_from: int | None = None,
        recorded_until: int | None = None,
    ) -> TimelinePage:
        """A portal's changes newest first, ``limit`` items (one request's entries for one
        subscriber make an item) below the entry numbered ``before``, recorded within the bounds.
        Read in one snapshot and continued by seq: a page after this one repeats and skips
        nothing, whatever is recorded in between (newer entries are above the cursor)."""
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput.field("limit", f"limit must be between 1 and {MAX_PAGE}.")
        items: list[list[HistoryEntry]] = []
        cursor = before
        async with self.database.snapshot() as repo:
            await require_portal(repo, portal_id)
            while True:
                # A few entries per item on average (an opt-out of all writes one per type).
                chunk = await repo.timeline(
                    portal_id, cursor, limit * 4 + 1, recorded_from, recorded_until
                )
                for entry in chunk:
                    last = items[-1][-1] if items else None
                    if last and (last.request_id, last.subscriber) == (
                        entry.request_id,
                        entry.subscriber,
                    ):
                        items[-1].append(entry)
                    elif len(items) == limit:
                        return _timeline_page(items, True, before)
                    else:
                        items.append([entry])
                if len(chunk) < limit * 4 + 1:
                    return _timeline_page(items, False, before)
                cursor = chunk[-1].seq

    async def state_as_of(
        self,
        portal_id: int,
        subscriber: str,
        at: int,
        channel: Channel = Channel.EMAIL,
        business_unit_id: int | None = None,
    ) -> StateAsOf:
        """Each subscription type that existed at ``at`` (retired ones too) with the status the
        subscriber had then, and the wide statuses recorded by then, rebuilt from the ledger."""
        key = subscriber_key(subscriber)
        async with self.database.snapshot() as repo:
            await require_portal(repo, portal_id)
            await require_business_unit(repo, portal_id, business_unit_id)
            entries = await repo.history(portal_id, key, channel, recorded_until=at)
            definitions = [
                d for d in await repo.definitions(portal_id, business_unit_id) if d.created_at <= at
            ]
        stored, wides = _replay(key, channel, entries)
        return StateAsOf(
            subscriber=key,
            channel=channel,
            as_of=at,
            statuses=[
                effective_status(key, channel, d, stored.get(d.id), wides) for d in definitions
            ],
            wide_statuses=[w for w in wides if in_scope(w, business_unit_id)],
        )

    async def verify(self, portal_id: int | None = None) -> list[ChainReport]:
        """Recompute the chain of one portal, or of every portal with entries."""
        async with self.database.snapshot() as repo:
            if portal_id is not None:
                await require_portal(repo, portal_id)
                portals = [portal_id]
            else:
                portals = await repo.ledger_portals()
            return [await _verify_portal(repo, p) for p in portals]


def _timeline_page(items: list[list[HistoryEntry]], more: bool, before: int | None) -> TimelinePage:
    """Each item's entries oldest first; the cursor below the oldest entry given."""
    for item in items:
        item.reverse()
    lowest = items[-1][0].seq if items else (before if before is not None else 0)
    return TimelinePage(items, more, lowest)


def _replay(
    subscriber: str, channel: Channel, entries: list[HistoryEntry]
) -> tuple[dict[int, StoredStatus], list[WideStatus]]:
    """The status rows that a sequence of ledger entries leaves behind."""
    stored: dict[int, StoredStatus] = {}
    wides: dict[tuple[str, int], WideStatus] = {}
    for entry in entries:
        when = entry.occurred_at if entry.occurred_at is not None else entry.created_at
        if entry.subscription_id is not None:
            stored[entry.subscription_id] = StoredStatus(
                entry.subscription_id,
                entry.new_status,
                entry.source,
                entry.legal_basis,
                entry.legal_basis_explanation,
                when,
            )
        elif entry.wide_type is not None:
            scope = (entry.wide_type.value, entry.business_unit_id or 0)
            wides[scope] = WideStatus(
                subscriber,
                channel,
                entry.wide_type,
                entry.business_unit_id or 0,
                entry.new_status,
                entry.source,
                when,
            )
    # Portal-wide first, then brands by id: the order reads report wide statuses in.
    ordered = sorted(
        wides.values(), key=lambda w: (w.wide_type is not WideType.PORTAL_WIDE, w.business_unit_id)
    )
    return stored, ordered


async def _verify_portal(repo: Repository, portal_id: int) -> ChainReport:
    """The sealed chain, entry by entry (over the ciphertext: erased entries verify too); and
    for entries migrated by revision 0008, their hashes in the cleartext chain as it was, each
    recomputed from the opened fields while the subscriber's key exists."""
    report = ChainReport(portal_id)
    expected_seq, previous = 1, GENESIS
    legacy_previous = GENESIS
    keys: dict[int, bytes] | None = None

    def problem(seq: int, message: str) -> None:
        if len(report.problems) < MAX_PROBLEMS:
            report.problems.append(ChainProblem(seq, message))

    async for row in repo.chain_rows(portal_id):
        seq = row["seq"]
        if seq != expected_seq:
            problem(seq, f"{_entries(expected_seq, seq - 1)} missing")
        elif row["prev_hash"] != previous:
            problem(seq, "its link to the previous entry is broken (that entry was altered)")
        if sealed_entry_hash(row["prev_hash"], row) != row["hash"]:
            problem(seq, "its content does not match its hash (the entry was altered)")
        if row["legacy_hash"] is not None:
            if keys is None:
                keys = await repo.portal_keys(portal_id)
            if not _legacy_intact(portal_id, legacy_previous, row, keys):
                problem(seq, "its content does not match its hash in the ledger before erasure")
            legacy_previous = row["legacy_hash"]
            report.legacy_head_seq, report.legacy_head_hash = seq, row["legacy_hash"]
        report.entries += 1
        report.head_seq, report.head_hash = seq, row["hash"]
        expected_seq, previous = seq + 1, row["hash"]
    acknowledged = await repo.acknowledged_head(portal_id)
    if acknowledged > report.head_seq:
        problem(
            report.head_seq + 1,
            f"{_entries(report.head_seq + 1, acknowledged)} missing "
            "(a webhook acknowledged their change events)",
        )
    return report


def _legacy_intact(
    portal_id: int, previous: str, row: dict[str, Any], keys: dict[int, bytes]
) -> bool:
    """Whether a migrated entry is the one the cleartext chain held: its v1 hash (revision 0007's
    rule, the consent context as its JSON text) recomputed from the opened fields. An erased
    entry cannot be opened: its sealed hash is what vouches for it."""
    data_key = keys.get(row["key_id"])
    if data_key is None:
        return True
    opened = {**row, **unseal(data_key, portal_id, row["key_id"], row["sealed"])}
    opened["context"] = canonical(opened["context"])
    return bool(entry_hash(previous, opened) == row["legacy_hash"])


def _entries(first: int, last: int) -> str:
    return f"entry {first} is" if first == last else f"entries {first} to {last} are"
