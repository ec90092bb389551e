"""plans.plan_unsubscribe_all, and the rows a status plan writes, each of which the ledger
records (DESIGN.md: unsubscribe-all, status update)."""

from __future__ import annotations

from dataclasses import replace

from commprefs.domain.plans import UnsubscribeAllPlan, plan_change, plan_unsubscribe_all
from commprefs.domain.preferences import (
    Channel,
    Definition,
    Reason,
    State,
    StoredStatus,
    WideStatus,
    WideType,
)

A = "a@example.com"
NOW = 1_000


def definition(id_: int, unit: int = 0, active: bool = True) -> Definition:
    return Definition(id_, 1, unit, f"T{id_}", "d", "", "Email", active, False, False, 100, 100)


NEWS, OFFERS, RETIRED = definition(1), definition(2), definition(3, active=False)
BRAND = definition(4, unit=5)


def stored(id_: int, state: State, when: int = 500) -> StoredStatus:
    return StoredStatus(id_, state, "Earlier", "NON_GDPR", "said so", when)


def wide(kind: WideType, unit: int, state: State = State.UNSUBSCRIBED) -> WideStatus:
    return WideStatus(A, Channel.EMAIL, kind, unit, state, "Opt-out", 500)


def plan(
    definitions: list[Definition],
    on_record: dict[int, StoredStatus] | None = None,
    wides: list[WideStatus] | None = None,
    unit: int | None = None,
) -> UnsubscribeAllPlan:
    return plan_unsubscribe_all(
        A, Channel.EMAIL, definitions, on_record or {}, wides or [], unit, "Form", NOW
    )


def opt_out(kind: WideType = WideType.PORTAL_WIDE, unit: int = 0) -> WideStatus:
    return WideStatus(A, Channel.EMAIL, kind, unit, State.UNSUBSCRIBED, "Form", NOW)


def unsubscribed(id_: int) -> StoredStatus:
    return StoredStatus(id_, State.UNSUBSCRIBED, "Form", None, None, NOW)


def test_without_a_unit_everything_is_opted_out_portal_wide() -> None:
    made = plan([NEWS, OFFERS, RETIRED, BRAND])
    # Each row written after the state it replaces: one ledger entry each.
    assert made.writes == [
        (State.SUBSCRIBED, opt_out()),
        *((State.NOT_SPECIFIED, unsubscribed(d.id)) for d in (NEWS, OFFERS, RETIRED, BRAND)),
    ]


def test_only_active_types_are_reported_each_as_its_own_row() -> None:
    made = plan([NEWS, RETIRED, BRAND])
    assert [s.definition for s in made.statuses] == [NEWS, BRAND]
    for status in made.statuses:
        assert (status.subscriber, status.status, status.source) == (A, State.UNSUBSCRIBED, "Form")
        assert (status.timestamp, status.reason) == (NOW, Reason.UNSUBSCRIBE_FROM_ALL_OCCURRED)
        # The opt-out just written is not reported as covering the types it set.
        assert status.covered_by is None
        assert status.legal_basis is None


def test_with_a_unit_the_opt_out_is_of_that_unit_even_unit_zero() -> None:
    for unit in (0, 5):
        first, _ = plan([BRAND], unit=unit).writes
        assert first == (State.SUBSCRIBED, opt_out(WideType.BUSINESS_UNIT_WIDE, unit))


def test_what_already_is_unsubscribed_is_not_written_again() -> None:
    on_record = {NEWS.id: stored(NEWS.id, State.UNSUBSCRIBED)}
    made = plan([NEWS, OFFERS], on_record, [wide(WideType.PORTAL_WIDE, 0)])
    assert made.writes == [(State.NOT_SPECIFIED, unsubscribed(OFFERS.id))]
    news, offers = made.statuses
    assert news.reason is Reason.NO_STATUS_CHANGE
    # Unchanged: the row on record, its source, legal basis and time.
    assert (news.source, news.legal_basis, news.timestamp) == ("Earlier", "NON_GDPR", 500)
    assert offers.reason is Reason.UNSUBSCRIBE_FROM_ALL_OCCURRED


def test_a_subscribed_type_and_a_lifted_opt_out_record_where_they_came_from() -> None:
    on_record = {NEWS.id: stored(NEWS.id, State.SUBSCRIBED)}
    lifted = wide(WideType.PORTAL_WIDE, 0, State.SUBSCRIBED)
    made = plan([NEWS], on_record, [lifted])
    assert made.writes == [
        (State.SUBSCRIBED, opt_out()),
        (State.SUBSCRIBED, unsubscribed(NEWS.id)),
    ]


def test_an_opt_out_of_another_scope_is_not_this_one() -> None:
    others = [wide(WideType.BUSINESS_UNIT_WIDE, 0), wide(WideType.BUSINESS_UNIT_WIDE, 5)]
    assert plan([NEWS], wides=others).writes[0] == (State.SUBSCRIBED, opt_out())
    portal_wide = [wide(WideType.PORTAL_WIDE, 0)]
    assert plan([BRAND], wides=portal_wide, unit=5).writes[0][1] == opt_out(
        WideType.BUSINESS_UNIT_WIDE, 5
    )
    assert plan([BRAND], wides=others, unit=5).writes == [
        (State.NOT_SPECIFIED, unsubscribed(BRAND.id))
    ]


def test_a_status_plan_writes_each_lifted_opt_out_then_the_type() -> None:
    covering = [wide(WideType.PORTAL_WIDE, 0), wide(WideType.BUSINESS_UNIT_WIDE, 5)]
    made = plan_change(BRAND, None, covering, State.SUBSCRIBED, "NON_GDPR", "asked", "Form", NOW)
    assert made.reason is Reason.RESUBSCRIBE_OCCURRED
    lifted = [replace(w, status=State.SUBSCRIBED, source="Form", updated_at=NOW) for w in covering]
    assert made.writes == [
        (State.UNSUBSCRIBED, lifted[0]),
        (State.UNSUBSCRIBED, lifted[1]),
        (
            State.NOT_SPECIFIED,
            StoredStatus(BRAND.id, State.SUBSCRIBED, "Form", "NON_GDPR", "asked", NOW),
        ),
    ]


def test_a_plan_that_stores_nothing_writes_nothing() -> None:
    on_record = stored(NEWS.id, State.SUBSCRIBED)
    same = plan_change(NEWS, on_record, [], State.SUBSCRIBED, None, None, "Form", NOW)
    reset = plan_change(NEWS, None, [], State.NOT_SPECIFIED, None, None, "Form", NOW)
    assert same.writes == reset.writes == []
