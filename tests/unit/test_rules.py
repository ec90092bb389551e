"""How stored choices and wide opt-outs combine (DESIGN.md: reads of statuses)."""

from __future__ import annotations

from commprefs.domain.preferences import (
    Channel,
    Definition,
    State,
    StoredStatus,
    WideStatus,
    WideType,
)
from commprefs.domain.rules import covers, effective_status, in_scope


def definition(unit: int = 0) -> Definition:
    return Definition(7, 1, unit, "News", "d", "", "Email", True, False, False, 100, 100)


def wide(kind: WideType, unit: int, state: State = State.UNSUBSCRIBED) -> WideStatus:
    return WideStatus("a@example.com", Channel.EMAIL, kind, unit, state, "Opt-out", 500)


def read(unit: int, stored: StoredStatus | None, *wides: WideStatus) -> State:
    return effective_status("a@example.com", Channel.EMAIL, definition(unit), stored, wides).status


SUBSCRIBED = StoredStatus(7, State.SUBSCRIBED, "API", None, None, 200)


def test_a_type_never_chosen_is_not_specified() -> None:
    assert read(0, None) is State.NOT_SPECIFIED


def test_a_portal_wide_opt_out_covers_every_brand() -> None:
    assert read(3, SUBSCRIBED, wide(WideType.PORTAL_WIDE, 0)) is State.UNSUBSCRIBED


def test_a_brand_opt_out_covers_only_its_own_types() -> None:
    assert read(3, SUBSCRIBED, wide(WideType.BUSINESS_UNIT_WIDE, 3)) is State.UNSUBSCRIBED
    assert read(4, SUBSCRIBED, wide(WideType.BUSINESS_UNIT_WIDE, 3)) is State.SUBSCRIBED


def test_a_lifted_opt_out_covers_nothing() -> None:
    lifted = wide(WideType.PORTAL_WIDE, 0, State.SUBSCRIBED)
    assert read(0, SUBSCRIBED, lifted) is State.SUBSCRIBED


def test_coverage_and_scope_are_one_rule() -> None:
    portal_wide, brand = wide(WideType.PORTAL_WIDE, 0), wide(WideType.BUSINESS_UNIT_WIDE, 3)
    assert [covers(portal_wide, unit) for unit in (0, 3, 4)] == [True, True, True]
    assert [covers(brand, unit) for unit in (0, 3, 4)] == [False, True, False]
    # A read of the whole account reports every wide status; a unit's, those covering it.
    assert in_scope(brand, None)
    assert [in_scope(brand, unit) for unit in (3, 4)] == [True, False]
