"""PreferencesService's rules against the in-memory store (tests/support/memory_repository.py):
what each call reads, writes and reports, and the ledger entries each change makes
(DESIGN.md: reads of statuses, status update, legal basis, unsubscribe-all, batch)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from commprefs.domain.errors import CommprefsError, InvalidInput
from commprefs.domain.outcomes import BatchOutcome
from commprefs.domain.plans import Guard, Plan
from commprefs.domain.preferences import (
    SOURCE_NOT_SPECIFIED,
    Actor,
    Channel,
    Definition,
    LedgerEntry,
    Portal,
    Reason,
    State,
    StatusChange,
    WideStatus,
    WideType,
)
from commprefs.preferences.service import PreferencesService
from tests.support.memory_repository import MemoryDatabase

NOW = 1_700_000_000_000
A, B = "a@example.com", "b@example.com"
SUBSCRIBED, UNSUBSCRIBED, NOT_SPECIFIED = State.SUBSCRIBED, State.UNSUBSCRIBED, State.NOT_SPECIFIED
PORTAL_WIDE, BUSINESS_UNIT_WIDE = WideType.PORTAL_WIDE, WideType.BUSINESS_UNIT_WIDE


class SetClock:
    def __init__(self, now: int) -> None:
        self.now = now

    def now_ms(self) -> int:
        return self.now


@dataclass
class World:
    """A portal with business units 0 and 5: News, Offers and Retired (inactive) in 0, Brand
    in 5; the service on a MemoryDatabase, and who calls it."""

    db: MemoryDatabase
    clock: SetClock
    service: PreferencesService
    actor: Actor
    portal: Portal
    news: Definition
    offers: Definition
    retired: Definition
    brand: Definition

    def change(
        self, subscriber: str, definition: Definition, state: State, **more: Any
    ) -> StatusChange:
        return StatusChange(subscriber, definition.id, state, **more)

    async def update(self, *changes: StatusChange, guard: Guard | None = None) -> BatchOutcome:
        return await self.service.update_statuses(self.actor, changes, "Form", guard)

    async def opt_out(
        self,
        *subscribers: str,
        unit: int | None = None,
        occurred_at: list[int | None] | None = None,
    ) -> BatchOutcome:
        return await self.service.unsubscribe_all_many(
            self.actor, subscribers, Channel.EMAIL, unit, "Opt-out form", occurred_at
        )

    async def opt_out_alone(self, subscriber: str, wide_type: WideType, unit: int) -> None:
        """A wide opt-out on record and no per-type rows: how a type made after an
        unsubscribe-all finds it."""
        opt_out = WideStatus(subscriber, Channel.EMAIL, wide_type, unit, UNSUBSCRIBED, "Opt", NOW)
        async with self.db.write() as repo:
            await repo.put_wide_statuses(self.portal.id, [opt_out])

    async def states(self, subscriber: str, unit: int | None = None) -> dict[str, State]:
        read = await self.service.get_statuses(self.actor, subscriber, Channel.EMAIL, unit)
        return {s.definition.name: s.status for s in read.statuses}

    async def wide_opt_outs(self, subscriber: str) -> list[tuple[WideType, int]]:
        found = await self.service.get_unsubscribe_all(self.actor, subscriber, Channel.EMAIL, None)
        return [(w.wide_type, w.business_unit_id) for w in found]


async def world(gdpr: bool = False, max_batch_inputs: int = 100) -> World:
    db = MemoryDatabase()
    async with db.write() as repo:
        portal = await repo.create_portal("Acme", gdpr, 0)
        await repo.create_business_unit(portal.id, "Acme", 0, unit_id=0)
        await repo.create_business_unit(portal.id, "Brand", 0, unit_id=5)
        made = []
        for name, unit, active in (
            ("News", 0, True),
            ("Offers", 0, True),
            ("Retired", 0, False),
            ("Brand", 5, True),
        ):
            made.append(
                await repo.create_definition_unchecked(
                    portal_id=portal.id,
                    business_unit_id=unit,
                    name=name,
                    description="d",
                    purpose="",
                    communication_method="Email",
                    is_active=active,
                    is_default=False,
                    is_internal=False,
                    created_at=10,
                    updated_at=10,
                )
            )
    clock = SetClock(NOW)
    service = PreferencesService(db, clock, max_batch_inputs)
    return World(db, clock, service, Actor(portal.id, 7, "req-1", "v4"), portal, *made)


def moves(entries: list[LedgerEntry]) -> list[tuple[object, State, State]]:
    """Each entry as (what changed, old, new): a subscription id, or a wide scope."""
    return [
        (
            e.subscription_id
            if e.subscription_id is not None
            else (e.wide_type, e.business_unit_id),
            e.old_status,
            e.new_status,
        )
        for e in entries
    ]


def fields(errors: list[tuple[int, CommprefsError]]) -> list[tuple[int, str | None]]:
    """Each error as (input index, the field it names)."""
    found = []
    for index, error in errors:
        assert isinstance(error, InvalidInput)
        found.append((index, error.details[0].in_ if error.details else None))
    return found


# -- reads -----------------------------------------------------------------------------------


async def test_never_chosen_active_types_read_not_specified() -> None:
    w = await world()
    read = await w.service.get_statuses(w.actor, A, Channel.EMAIL, None)
    assert [s.definition for s in read.statuses] == [w.news, w.offers, w.brand]
    for status in read.statuses:
        assert (status.status, status.source, status.timestamp) == (
            NOT_SPECIFIED,
            SOURCE_NOT_SPECIFIED,
            10,
        )
    assert await w.states(A, unit=5) == {"Brand": NOT_SPECIFIED}


async def test_a_wide_opt_out_covers_the_types_in_its_scope() -> None:
    w = await world()
    await w.update(w.change(A, w.news, SUBSCRIBED), w.change(A, w.brand, SUBSCRIBED))
    await w.opt_out(A, unit=5)
    assert await w.states(A) == {"News": SUBSCRIBED, "Offers": NOT_SPECIFIED, "Brand": UNSUBSCRIBED}
    await w.opt_out_alone(A, PORTAL_WIDE, 0)
    read = await w.service.get_statuses(w.actor, A, Channel.EMAIL, None)
    assert {s.definition.name: (s.status, s.covered_by) for s in read.statuses} == {
        "News": (UNSUBSCRIBED, PORTAL_WIDE),
        "Offers": (UNSUBSCRIBED, PORTAL_WIDE),
        "Brand": (UNSUBSCRIBED, PORTAL_WIDE),
    }
    assert await w.wide_opt_outs(A) == [(PORTAL_WIDE, 0), (BUSINESS_UNIT_WIDE, 5)]


async def test_a_batch_read_reports_bad_addresses_and_reads_the_rest_once() -> None:
    w = await world()
    await w.update(w.change(A, w.news, SUBSCRIBED))
    batch = await w.service.read_statuses_many(
        w.actor, ["not an address", "A@Example.com", A, B], Channel.EMAIL, None
    )
    assert [index for index, _ in batch.errors] == [0]
    assert list(batch.readings) == [A, B]
    assert [r.status for r in batch.readings[A]] == [SUBSCRIBED, NOT_SPECIFIED, NOT_SPECIFIED]
    assert [r.status for r in batch.readings[B]] == [NOT_SPECIFIED] * 3


async def test_reads_of_wide_statuses_have_a_row_per_scope() -> None:
    w = await world()
    await w.opt_out(A, unit=5)
    _, rows = await w.service.read_wide_many(w.actor, [A, B], Channel.EMAIL, None)
    assert [(r.wide_type, r.business_unit_id, r.status) for r in rows[A]] == [
        (PORTAL_WIDE, 0, SUBSCRIBED),
        (BUSINESS_UNIT_WIDE, 5, UNSUBSCRIBED),
    ]
    assert [r.status for r in rows[B]] == [SUBSCRIBED, SUBSCRIBED]
    assert await w.service.get_unsubscribe_all(w.actor, B, Channel.EMAIL, None) == []


async def test_a_definition_list_covers_inactive_types_and_one_unit_on_request() -> None:
    w = await world()
    listed = await w.service.list_definitions(w.actor, None)
    assert [d for d, _ in listed] == [w.news, w.offers, w.retired, w.brand]
    assert [d for d, _ in await w.service.list_definitions(w.actor, 5)] == [w.brand]


async def test_an_unknown_business_unit_is_refused_by_every_call() -> None:
    w = await world()
    calls = [
        w.service.get_statuses(w.actor, A, Channel.EMAIL, 9),
        w.service.read_statuses_many(w.actor, [A], Channel.EMAIL, 9),
        w.service.get_unsubscribe_all(w.actor, A, Channel.EMAIL, 9),
        w.service.read_wide_many(w.actor, [A], Channel.EMAIL, 9),
        w.service.list_definitions(w.actor, 9),
        w.opt_out(A, unit=9),
    ]
    for call in calls:
        with pytest.raises(InvalidInput) as refused:
            await call
        assert refused.value.details[0].in_ == "businessUnitId"
    assert w.db.ledger == []
    assert await w.wide_opt_outs(A) == []


async def test_a_batch_over_the_limit_is_refused_whole() -> None:
    w = await world(max_batch_inputs=2)
    calls = [
        w.update(*(w.change(s, w.news, SUBSCRIBED) for s in (A, B, "c@example.com"))),
        w.opt_out(A, B, "c@example.com"),
        w.service.read_statuses_many(w.actor, [A, B, "c@x.org"], Channel.EMAIL, None),
        w.service.read_wide_many(w.actor, [A, B, "c@x.org"], Channel.EMAIL, None),
    ]
    for call in calls:
        with pytest.raises(InvalidInput) as refused:
            await call
        assert refused.value.details[0].code == "TOO_MANY_INPUTS"
    assert w.db.ledger == []


# -- status updates --------------------------------------------------------------------------


async def test_a_first_choice_is_stored_reported_and_recorded() -> None:
    w = await world()
    batch = await w.update(
        w.change(A, w.news, SUBSCRIBED, legal_basis="NON_GDPR", legal_basis_explanation="asked")
    )
    (status,) = batch.statuses
    assert (status.subscriber, status.status, status.reason) == (
        A,
        SUBSCRIBED,
        Reason.REQUESTED_CHANGE_OCCURRED,
    )
    assert (status.source, status.legal_basis, status.legal_basis_explanation) == (
        "Form",
        "NON_GDPR",
        "asked",
    )
    (entry,) = w.db.ledger
    assert entry == LedgerEntry(
        portal_id=w.portal.id,
        subscriber=A,
        channel=Channel.EMAIL,
        old_status=NOT_SPECIFIED,
        new_status=SUBSCRIBED,
        source="Form",
        api="v4",
        token_id=7,
        request_id="req-1",
        created_at=NOW,
        subscription_id=w.news.id,
        legal_basis="NON_GDPR",
        legal_basis_explanation="asked",
    )
    assert await w.states(A) == {
        "News": SUBSCRIBED,
        "Offers": NOT_SPECIFIED,
        "Brand": NOT_SPECIFIED,
    }


async def test_the_same_state_again_changes_nothing_but_a_new_legal_basis() -> None:
    w = await world()
    await w.update(w.change(A, w.news, SUBSCRIBED))
    again = await w.update(w.change(A, w.news, SUBSCRIBED))
    assert again.statuses[0].reason is Reason.NO_STATUS_CHANGE
    assert len(w.db.ledger) == 1
    basis = await w.update(
        w.change(A, w.news, SUBSCRIBED, legal_basis="NON_GDPR", legal_basis_explanation="asked")
    )
    assert basis.statuses[0].reason is Reason.NO_STATUS_CHANGE
    assert basis.statuses[0].legal_basis == "NON_GDPR"
    assert moves(w.db.ledger[1:]) == [(w.news.id, SUBSCRIBED, SUBSCRIBED)]
    assert w.db.ledger[1].legal_basis == "NON_GDPR"


async def test_subscribing_after_an_opt_out_resubscribes_and_lifts_what_covers_the_type() -> None:
    w = await world()
    await w.opt_out(A, unit=5)
    await w.opt_out(A)
    await w.opt_out(A, unit=0)
    before = len(w.db.ledger)
    batch = await w.update(w.change(A, w.brand, SUBSCRIBED))
    assert batch.statuses[0].reason is Reason.RESUBSCRIBE_OCCURRED
    assert batch.statuses[0].status is SUBSCRIBED
    # The portal-wide opt-out and Brand's own are lifted; unit 0's does not cover Brand.
    assert moves(w.db.ledger[before:]) == [
        ((PORTAL_WIDE, 0), UNSUBSCRIBED, SUBSCRIBED),
        ((BUSINESS_UNIT_WIDE, 5), UNSUBSCRIBED, SUBSCRIBED),
        (w.brand.id, UNSUBSCRIBED, SUBSCRIBED),
    ]
    assert await w.wide_opt_outs(A) == [(BUSINESS_UNIT_WIDE, 0)]
    # The other types stay as they were.
    assert await w.states(A) == {"News": UNSUBSCRIBED, "Offers": UNSUBSCRIBED, "Brand": SUBSCRIBED}


async def test_subscribing_a_type_unsubscribed_on_its_own_resubscribes() -> None:
    w = await world()
    await w.update(w.change(A, w.news, UNSUBSCRIBED))
    batch = await w.update(w.change(A, w.news, SUBSCRIBED))
    assert batch.statuses[0].reason is Reason.RESUBSCRIBE_OCCURRED
    assert moves(w.db.ledger) == [
        (w.news.id, NOT_SPECIFIED, UNSUBSCRIBED),
        (w.news.id, UNSUBSCRIBED, SUBSCRIBED),
    ]


async def test_unsubscribing_under_an_opt_out_records_the_choice_but_reports_no_change() -> None:
    w = await world()
    await w.opt_out_alone(A, BUSINESS_UNIT_WIDE, 5)
    batch = await w.update(w.change(A, w.brand, UNSUBSCRIBED))
    assert batch.statuses[0].reason is Reason.NO_STATUS_CHANGE
    assert moves(w.db.ledger[-1:]) == [(w.brand.id, NOT_SPECIFIED, UNSUBSCRIBED)]


async def test_not_specified_resets_a_choice_and_is_no_change_without_one() -> None:
    w = await world()
    nothing = await w.update(w.change(A, w.news, NOT_SPECIFIED))
    assert nothing.statuses[0].reason is Reason.NO_STATUS_CHANGE
    assert w.db.ledger == []
    await w.update(w.change(A, w.news, SUBSCRIBED))
    reset = await w.update(w.change(A, w.news, NOT_SPECIFIED))
    assert reset.statuses[0].reason is Reason.REQUESTED_CHANGE_OCCURRED
    assert reset.statuses[0].status is NOT_SPECIFIED
    assert (await w.states(A))["News"] is NOT_SPECIFIED
    assert moves(w.db.ledger[1:]) == [(w.news.id, SUBSCRIBED, NOT_SPECIFIED)]


async def test_a_subscriber_named_twice_sees_its_own_earlier_change() -> None:
    w = await world()
    batch = await w.update(
        w.change(A, w.news, SUBSCRIBED),
        w.change("A@EXAMPLE.COM", w.news, UNSUBSCRIBED),
        w.change(A, w.news, UNSUBSCRIBED),
    )
    assert [s.reason for s in batch.statuses] == [
        Reason.REQUESTED_CHANGE_OCCURRED,
        Reason.REQUESTED_CHANGE_OCCURRED,
        Reason.NO_STATUS_CHANGE,
    ]
    assert moves(w.db.ledger) == [
        (w.news.id, NOT_SPECIFIED, SUBSCRIBED),
        (w.news.id, SUBSCRIBED, UNSUBSCRIBED),
    ]
    assert (await w.states(A))["News"] is UNSUBSCRIBED


async def test_a_batch_reports_each_invalid_input_and_applies_the_rest() -> None:
    w = await world()
    batch = await w.update(
        w.change("nobody", w.news, SUBSCRIBED),
        w.change(A, w.news, SUBSCRIBED),
        StatusChange(B, 999, SUBSCRIBED),
        w.change(B, w.retired, SUBSCRIBED),
        w.change(B, w.offers, UNSUBSCRIBED, legal_basis_explanation="\x00"),
        w.change(B, w.offers, UNSUBSCRIBED),
    )
    assert fields(batch.errors) == [
        (0, "subscriberIdString"),
        (2, "subscriptionId"),
        (3, "subscriptionId"),
        (4, "legalBasisExplanation"),
    ]
    assert [(s.subscriber, s.definition) for s in batch.statuses] == [(A, w.news), (B, w.offers)]
    assert moves(w.db.ledger) == [
        (w.news.id, NOT_SPECIFIED, SUBSCRIBED),
        (w.offers.id, NOT_SPECIFIED, UNSUBSCRIBED),
    ]


async def test_a_single_update_raises_its_error() -> None:
    w = await world()
    with pytest.raises(InvalidInput) as refused:
        await w.service.update_status(w.actor, w.change(A, w.retired, SUBSCRIBED))
    assert "is not active" in refused.value.message
    done = await w.service.update_status(w.actor, w.change(A, w.news, SUBSCRIBED))
    assert [s.status for s in done.statuses] == [SUBSCRIBED]


async def test_a_stale_imported_change_is_refused_and_a_later_one_applied() -> None:
    w = await world()
    await w.update(w.change(A, w.news, SUBSCRIBED, occurred_at=NOW - 100))
    batch = await w.update(
        w.change(A, w.news, UNSUBSCRIBED, occurred_at=NOW - 200, source="Old CRM"),
        w.change("nobody", w.news, UNSUBSCRIBED),
        w.change(A, w.news, UNSUBSCRIBED, occurred_at=NOW - 50, source="New CRM"),
    )
    # Found at different steps, reported in input order.
    assert fields(batch.errors) == [(0, "timestamp"), (1, "subscriberIdString")]
    assert batch.errors[0][1].details[0].code == "STALE"
    (status,) = batch.statuses
    # Stored as of when it happened, under its own source; recorded now, saying when it was.
    assert (status.status, status.source, status.timestamp) == (UNSUBSCRIBED, "New CRM", NOW - 50)
    last = w.db.ledger[-1]
    assert (last.created_at, last.occurred_at, last.source) == (NOW, NOW - 50, "New CRM")
    assert len(w.db.ledger) == 2


async def test_an_imported_subscribe_older_than_a_covering_opt_out_is_stale() -> None:
    w = await world()
    await w.opt_out(A, unit=5, occurred_at=[NOW - 100])
    batch = await w.update(
        w.change(A, w.brand, SUBSCRIBED, occurred_at=NOW - 200),
        # An opt-out of another unit does not make a subscribe of News stale; nor does one
        # make an older unsubscribe stale.
        w.change(A, w.news, SUBSCRIBED, occurred_at=NOW - 200),
    )
    assert fields(batch.errors) == [(0, "timestamp")]
    assert [s.definition for s in batch.statuses] == [w.news]
    assert await w.wide_opt_outs(A) == [(BUSINESS_UNIT_WIDE, 5)]


async def test_gdpr_subscribing_needs_a_legal_basis_and_its_explanation() -> None:
    w = await world(gdpr=True)
    batch = await w.update(
        w.change(A, w.news, SUBSCRIBED),
        w.change(A, w.offers, SUBSCRIBED, legal_basis="NON_GDPR"),
        w.change(A, w.offers, SUBSCRIBED, legal_basis="NON_GDPR", legal_basis_explanation="  "),
        w.change(A, w.brand, UNSUBSCRIBED),
        w.change(A, w.news, SUBSCRIBED, legal_basis="NON_GDPR", legal_basis_explanation="asked"),
    )
    assert fields(batch.errors) == [
        (0, "legalBasis"),
        (1, "legalBasisExplanation"),
        (2, "legalBasisExplanation"),
    ]
    assert all(e.details[0].code == "MISSING_FIELD" for _, e in batch.errors)
    assert [(s.definition, s.status, s.legal_basis) for s in batch.statuses] == [
        (w.brand, UNSUBSCRIBED, None),
        (w.news, SUBSCRIBED, "NON_GDPR"),
    ]


async def test_without_gdpr_no_legal_basis_is_needed() -> None:
    w = await world(gdpr=False)
    batch = await w.update(w.change(A, w.news, SUBSCRIBED))
    assert batch.errors == []


async def test_a_guards_refusal_rolls_back_the_whole_call() -> None:
    w = await world()

    def refuse_brand(
        subscriber: str, definition: Definition, state: State, plan: Plan
    ) -> str | None:
        return "not this one" if definition == w.brand else None

    with pytest.raises(InvalidInput, match="not this one"):
        await w.update(
            w.change(A, w.news, SUBSCRIBED), w.change(A, w.brand, SUBSCRIBED), guard=refuse_brand
        )
    assert w.db.ledger == []
    assert await w.states(A) == {
        "News": NOT_SPECIFIED,
        "Offers": NOT_SPECIFIED,
        "Brand": NOT_SPECIFIED,
    }


async def test_v3_refuses_to_resubscribe_and_writes_nothing() -> None:
    w = await world()
    await w.opt_out(A)
    before = list(w.db.ledger)
    with pytest.raises(InvalidInput, match="cannot be updated because they have unsubscribed"):
        await w.service.update_status_v3(w.actor, w.change(A, w.news, SUBSCRIBED))
    assert w.db.ledger == before
    assert await w.wide_opt_outs(A) == [(PORTAL_WIDE, 0)]


# -- unsubscribe-all -------------------------------------------------------------------------


async def test_unsubscribe_all_opts_out_portal_wide_and_sets_every_type() -> None:
    w = await world()
    await w.update(w.change(A, w.offers, SUBSCRIBED))
    before = len(w.db.ledger)
    batch = await w.opt_out(A)
    assert [(s.definition, s.status, s.reason) for s in batch.statuses] == [
        (w.news, UNSUBSCRIBED, Reason.UNSUBSCRIBE_FROM_ALL_OCCURRED),
        (w.offers, UNSUBSCRIBED, Reason.UNSUBSCRIBE_FROM_ALL_OCCURRED),
        (w.brand, UNSUBSCRIBED, Reason.UNSUBSCRIBE_FROM_ALL_OCCURRED),
    ]
    assert batch.per_subscriber == {A: batch.statuses}
    # Inactive types are set too, though not reported.
    assert moves(w.db.ledger[before:]) == [
        ((PORTAL_WIDE, 0), SUBSCRIBED, UNSUBSCRIBED),
        (w.news.id, NOT_SPECIFIED, UNSUBSCRIBED),
        (w.offers.id, SUBSCRIBED, UNSUBSCRIBED),
        (w.retired.id, NOT_SPECIFIED, UNSUBSCRIBED),
        (w.brand.id, NOT_SPECIFIED, UNSUBSCRIBED),
    ]
    assert {e.source for e in w.db.ledger[before:]} == {"Opt-out form"}
    assert await w.wide_opt_outs(A) == [(PORTAL_WIDE, 0)]


async def test_unsubscribe_all_again_changes_nothing() -> None:
    w = await world()
    await w.opt_out(A)
    before = list(w.db.ledger)
    again = await w.opt_out(A)
    assert [s.reason for s in again.statuses] == [Reason.NO_STATUS_CHANGE] * 3
    assert w.db.ledger == before


async def test_unsubscribe_all_reports_no_change_where_a_type_already_was_unsubscribed() -> None:
    w = await world()
    await w.update(w.change(A, w.news, UNSUBSCRIBED))
    batch = await w.opt_out(A)
    assert [s.reason for s in batch.statuses] == [
        Reason.NO_STATUS_CHANGE,
        Reason.UNSUBSCRIBE_FROM_ALL_OCCURRED,
        Reason.UNSUBSCRIBE_FROM_ALL_OCCURRED,
    ]
    assert batch.statuses[0].source == "Form"  # its own row, as it was
    assert w.news.id not in [e.subscription_id for e in w.db.ledger[1:]]


async def test_unsubscribe_all_of_one_unit_touches_only_its_types() -> None:
    w = await world()
    await w.update(w.change(A, w.news, SUBSCRIBED))
    batch = await w.opt_out(A, unit=5)
    assert [(s.definition, s.reason) for s in batch.statuses] == [
        (w.brand, Reason.UNSUBSCRIBE_FROM_ALL_OCCURRED)
    ]
    assert moves(w.db.ledger[1:]) == [
        ((BUSINESS_UNIT_WIDE, 5), SUBSCRIBED, UNSUBSCRIBED),
        (w.brand.id, NOT_SPECIFIED, UNSUBSCRIBED),
    ]
    assert await w.states(A) == {"News": SUBSCRIBED, "Offers": NOT_SPECIFIED, "Brand": UNSUBSCRIBED}


async def test_unsubscribe_all_after_a_resubscribe_opts_out_again() -> None:
    w = await world()
    await w.opt_out(A)
    await w.update(w.change(A, w.news, SUBSCRIBED))
    before = len(w.db.ledger)
    batch = await w.opt_out(A)
    assert [s.reason for s in batch.statuses] == [
        Reason.UNSUBSCRIBE_FROM_ALL_OCCURRED,
        Reason.NO_STATUS_CHANGE,
        Reason.NO_STATUS_CHANGE,
    ]
    assert moves(w.db.ledger[before:]) == [
        ((PORTAL_WIDE, 0), SUBSCRIBED, UNSUBSCRIBED),
        (w.news.id, SUBSCRIBED, UNSUBSCRIBED),
    ]


async def test_unsubscribe_all_of_many_reports_bad_addresses_and_does_each_once() -> None:
    w = await world()
    batch = await w.opt_out("nobody", A, "A@example.com", B, unit=5)
    assert fields(batch.errors) == [(0, "subscriberIdString")]
    assert list(batch.per_subscriber) == [A, B]
    assert [s.subscriber for s in batch.statuses] == [A, B]
    assert len(w.db.ledger) == 4  # an opt-out and Brand, for each


async def test_an_imported_unsubscribe_all_is_stored_as_of_when_it_happened() -> None:
    w = await world()
    batch = await w.opt_out(A, B, unit=5, occurred_at=[NOW - 100, None])
    a, b = batch.statuses
    assert (a.timestamp, b.timestamp) == (NOW - 100, NOW)
    assert [(e.subscriber, e.created_at, e.occurred_at) for e in w.db.ledger] == [
        (A, NOW, NOW - 100),
        (A, NOW, NOW - 100),
        (B, NOW, None),
        (B, NOW, None),
    ]
    _, rows = await w.service.read_wide_many(w.actor, [A], Channel.EMAIL, 5)
    assert rows[A][1].updated_at == NOW - 100


async def test_a_single_unsubscribe_all_raises_its_error() -> None:
    w = await world()
    with pytest.raises(InvalidInput):
        await w.service.unsubscribe_all(w.actor, "nobody", Channel.EMAIL, None)
    done = await w.service.unsubscribe_all(w.actor, A, Channel.EMAIL, None)
    assert len(done.statuses) == 3


async def test_a_portal_that_no_longer_exists_is_refused() -> None:
    w = await world()
    gone = Actor(w.portal.id + 100, 7, "req-1", "v4")
    with pytest.raises(InvalidInput, match="no longer exists"):
        await w.service.update_statuses(gone, [w.change(A, w.news, SUBSCRIBED)])
