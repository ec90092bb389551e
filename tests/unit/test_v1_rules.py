"""v1's refusals and subscribe-to-all's choices (preferences/v1.py, domain/plans.py), and the
timeline's offset: what a client sends back is only what the service gave it."""

from __future__ import annotations

import pytest

from commprefs.api.v1.schemas import decode_offset, encode_offset, internal_name
from commprefs.domain.errors import InvalidInput
from commprefs.domain.plans import keeps_opt_out, plan_change, subscribe_all_refusal, v1_refusal
from commprefs.domain.preferences import State, StoredStatus, WideStatus, WideType
from tests.unit.test_v3_rules import ADDRESS, NEWS, opt_out, stored


@pytest.mark.parametrize(
    ("state", "before", "wides", "refused"),
    [
        (State.SUBSCRIBED, None, (), False),
        (State.SUBSCRIBED, stored(State.SUBSCRIBED), (), False),
        (State.SUBSCRIBED, stored(State.UNSUBSCRIBED), (), True),
        (State.SUBSCRIBED, None, (opt_out(WideType.PORTAL_WIDE, 0),), True),
        (State.SUBSCRIBED, None, (opt_out(WideType.BUSINESS_UNIT_WIDE, 3),), True),
        (State.SUBSCRIBED, None, (opt_out(WideType.BUSINESS_UNIT_WIDE, 4),), False),
        (State.UNSUBSCRIBED, stored(State.UNSUBSCRIBED), (), False),  # a repeated PUT
        (State.NOT_SPECIFIED, stored(State.SUBSCRIBED), (), False),
        (State.NOT_SPECIFIED, stored(State.UNSUBSCRIBED), (), True),  # would undo the opt-out
    ],
)
def test_v1_refuses_what_would_undo_an_opt_out(
    state: State, before: StoredStatus | None, wides: tuple[WideStatus, ...], refused: bool
) -> None:
    plan = plan_change(NEWS, before, wides, state, None, None, "API", 900)
    assert (v1_refusal(ADDRESS, NEWS, state, plan) is not None) is refused


@pytest.mark.parametrize(
    ("before", "wides", "refused", "kept"),
    [
        (None, (), False, False),
        (stored(State.UNSUBSCRIBED), (), False, True),
        (None, (opt_out(WideType.BUSINESS_UNIT_WIDE, 3),), False, True),
        (None, (opt_out(WideType.PORTAL_WIDE, 0),), True, True),
        (stored(State.SUBSCRIBED), (opt_out(WideType.PORTAL_WIDE, 0),), True, True),
    ],
)
def test_subscribe_to_all_keeps_opt_outs_and_is_refused_after_one_of_all(
    before: StoredStatus | None, wides: tuple[WideStatus, ...], refused: bool, kept: bool
) -> None:
    plan = plan_change(NEWS, before, wides, State.SUBSCRIBED, None, None, "API", 900)
    assert (subscribe_all_refusal(ADDRESS, NEWS, State.SUBSCRIBED, plan) is not None) is refused
    assert keeps_opt_out(plan) is kept


@pytest.mark.parametrize("seq", [0, 1, 42, 2**63 - 1])
def test_an_offset_reads_back_as_the_position_it_was_made_from(seq: int) -> None:
    offset = encode_offset(seq)
    assert offset.isascii()
    assert "=" not in offset
    assert decode_offset(offset) == seq


@pytest.mark.parametrize(
    "offset",
    ["", "czE=", "s1", "czAx", "cy0x", "c3g", "czk5OTk5OTk5OTk5OTk5OTk5OTk5", "★", "c\x00E"],
)
def test_an_offset_the_service_did_not_give_is_refused(offset: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        decode_offset(offset)
    assert refused.value.details[0].in_ == "offset"


def test_the_internal_name_is_the_name_in_constant_style() -> None:
    assert internal_name("Blog Email") == "BLOG_EMAIL"
    assert internal_name("  Product — updates! ") == "PRODUCT_UPDATES"
