"""v1's rules (preferences/v1.py) over the in-memory store: what v1 reads, that a PUT's changes
are all applied or none, and what subscribe-to-all writes (DESIGN.md's rules, v1's refusals)."""

from __future__ import annotations

import pytest

from commprefs.domain.errors import InvalidInput
from commprefs.domain.preferences import LegalBasis, StatusChange
from tests.unit.test_preferences_service import (
    NOT_SPECIFIED,
    PORTAL_WIDE,
    SUBSCRIBED,
    UNSUBSCRIBED,
    A,
    moves,
    world,
)


async def test_v1_reads_only_chosen_or_covered_types_and_the_opt_out_of_all() -> None:
    w = await world()
    assert (await w.service.v1.read(w.actor, A)).statuses == []

    await w.service.v1.update(w.actor, [StatusChange(A, w.news.id, SUBSCRIBED)])
    read = await w.service.v1.read(w.actor, A)
    assert [(s.definition.name, s.status) for s in read.statuses] == [("News", SUBSCRIBED)]
    assert read.opted_out_of_all is False

    await w.opt_out_alone(A, PORTAL_WIDE, 0)
    read = await w.service.v1.read(w.actor, A)
    # Every active type now reads UNSUBSCRIBED, chosen or not: the opt-out covers them.
    assert {(s.definition.name, s.status) for s in read.statuses} == {
        ("News", UNSUBSCRIBED),
        ("Offers", UNSUBSCRIBED),
        ("Brand", UNSUBSCRIBED),
    }
    assert read.opted_out_of_all is True


async def test_a_put_with_one_refused_change_writes_none_of_them() -> None:
    w = await world()
    await w.service.v1.update(w.actor, [StatusChange(A, w.offers.id, UNSUBSCRIBED)])
    before = list(w.db.ledger)

    for refused in (
        StatusChange(A, w.offers.id, SUBSCRIBED),  # a resubscribe
        StatusChange(A, w.offers.id, NOT_SPECIFIED),  # an opt-out undone
        StatusChange(A, w.retired.id, SUBSCRIBED),  # an inactive type
    ):
        with pytest.raises(InvalidInput):
            await w.service.v1.update(w.actor, [StatusChange(A, w.news.id, SUBSCRIBED), refused])

    assert w.db.ledger == before
    assert await w.states(A) == {
        "News": NOT_SPECIFIED,
        "Offers": UNSUBSCRIBED,
        "Brand": NOT_SPECIFIED,
    }


async def test_subscribe_to_all_writes_every_active_type_but_the_opted_out_ones() -> None:
    w = await world()
    await w.service.v1.update(w.actor, [StatusChange(A, w.offers.id, UNSUBSCRIBED)])
    await w.opt_out(A, unit=5)
    already = len(w.db.ledger)

    await w.service.v1.subscribe_to_all(w.actor, A, None, None)

    assert moves(w.db.ledger[already:]) == [(w.news.id, NOT_SPECIFIED, SUBSCRIBED)]
    assert await w.states(A) == {"News": SUBSCRIBED, "Offers": UNSUBSCRIBED, "Brand": UNSUBSCRIBED}
    # Again: nothing left to change.
    await w.service.v1.subscribe_to_all(w.actor, A, None, None)
    assert len(w.db.ledger) == already + 1


async def test_subscribe_to_all_is_refused_after_an_opt_out_of_all_and_needs_gdprs_basis() -> None:
    w = await world()
    await w.opt_out(A)
    before = list(w.db.ledger)
    with pytest.raises(InvalidInput, match="unsubscribed from all email"):
        await w.service.v1.subscribe_to_all(w.actor, A, None, None)
    assert w.db.ledger == before

    g = await world(gdpr=True)
    with pytest.raises(InvalidInput) as missing:
        await g.service.v1.subscribe_to_all(g.actor, A, LegalBasis.CONSENT_WITH_NOTICE, None)
    assert missing.value.details[0].in_ == "legalBasisExplanation"
    assert g.db.ledger == []
    await g.service.v1.subscribe_to_all(g.actor, A, LegalBasis.CONSENT_WITH_NOTICE, "Asked")
    assert {e.legal_basis for e in g.db.ledger} == {"CONSENT_WITH_NOTICE"}
