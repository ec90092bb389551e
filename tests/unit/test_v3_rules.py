"""v3's refusals and where a v3 status comes from (DESIGN.md "v3")."""

from __future__ import annotations

import pytest

from commprefs.domain.plans import plan_change, v3_refusal
from commprefs.domain.preferences import (
    Channel,
    Definition,
    State,
    StoredStatus,
    WideStatus,
    WideType,
)
from commprefs.domain.rules import effective_status

NEWS = Definition(7, 1, 3, "News", "d", "", "Email", True, False, False, 100, 100)
ADDRESS = "a@example.com"


def stored(state: State) -> StoredStatus:
    return StoredStatus(7, state, "API", None, None, 200)


def opt_out(kind: WideType, unit: int) -> WideStatus:
    return WideStatus(ADDRESS, Channel.EMAIL, kind, unit, State.UNSUBSCRIBED, "Opt-out", 500)


def refusal(state: State, before: StoredStatus | None, *wides: WideStatus) -> str | None:
    plan = plan_change(NEWS, before, wides, state, None, None, "API", 900)
    return v3_refusal(ADDRESS, NEWS, state, plan)


@pytest.mark.parametrize(
    ("before", "wides"),
    [
        (stored(State.UNSUBSCRIBED), ()),
        (None, (opt_out(WideType.PORTAL_WIDE, 0),)),
        (stored(State.SUBSCRIBED), (opt_out(WideType.BUSINESS_UNIT_WIDE, 3),)),
    ],
)
def test_subscribing_after_any_opt_out_is_refused(
    before: StoredStatus | None, wides: tuple[WideStatus, ...]
) -> None:
    assert refusal(State.SUBSCRIBED, before, *wides) == (
        "subscription 7 for a@example.com cannot be updated because they have unsubscribed"
    )


@pytest.mark.parametrize("before", [None, stored(State.SUBSCRIBED), stored(State.NOT_SPECIFIED)])
def test_subscribing_without_an_opt_out_is_allowed(before: StoredStatus | None) -> None:
    assert refusal(State.SUBSCRIBED, before) is None
    # Another brand's opt-out does not count.
    assert refusal(State.SUBSCRIBED, before, opt_out(WideType.BUSINESS_UNIT_WIDE, 4)) is None


@pytest.mark.parametrize(
    ("before", "wides"),
    [
        (stored(State.UNSUBSCRIBED), ()),
        (stored(State.SUBSCRIBED), (opt_out(WideType.PORTAL_WIDE, 0),)),
        (None, (opt_out(WideType.BUSINESS_UNIT_WIDE, 3),)),
    ],
)
def test_unsubscribing_what_already_reads_unsubscribed_is_refused(
    before: StoredStatus | None, wides: tuple[WideStatus, ...]
) -> None:
    assert refusal(State.UNSUBSCRIBED, before, *wides) == (
        "a@example.com is already unsubscribed to subscription 7"
    )


@pytest.mark.parametrize("before", [None, stored(State.SUBSCRIBED), stored(State.NOT_SPECIFIED)])
def test_unsubscribing_is_allowed_otherwise(before: StoredStatus | None) -> None:
    assert refusal(State.UNSUBSCRIBED, before) is None


@pytest.mark.parametrize(
    ("before", "wides", "covered_by"),
    [
        (None, (), None),
        (stored(State.UNSUBSCRIBED), (), None),
        (stored(State.SUBSCRIBED), (opt_out(WideType.BUSINESS_UNIT_WIDE, 4),), None),
        (None, (opt_out(WideType.PORTAL_WIDE, 0),), WideType.PORTAL_WIDE),
        (stored(State.SUBSCRIBED), (opt_out(WideType.PORTAL_WIDE, 0),), WideType.PORTAL_WIDE),
        # An opt-out of all also rewrote the type to UNSUBSCRIBED; it still comes from the opt-out.
        (
            stored(State.UNSUBSCRIBED),
            (opt_out(WideType.BUSINESS_UNIT_WIDE, 3),),
            WideType.BUSINESS_UNIT_WIDE,
        ),
    ],
)
def test_a_status_names_the_opt_out_that_covers_it(
    before: StoredStatus | None, wides: tuple[WideStatus, ...], covered_by: WideType | None
) -> None:
    status = effective_status(ADDRESS, Channel.EMAIL, NEWS, before, wides)
    assert status.covered_by is covered_by
