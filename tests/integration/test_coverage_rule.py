"""Which wide opt-outs cover a business unit's types is one rule (domain/rules.py ``covers``); the
suppression export says it again in SQL for speed. Both must agree, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from commprefs.domain.preferences import Actor, Channel, State, StatusChange, WideStatus, WideType
from commprefs.domain.rules import covers
from tests.support.factories import Factory, email


def test_the_suppression_export_and_the_rule_agree(factory: Factory) -> None:
    portal = factory.portal()
    brand_a, brand_b = factory.business_unit(portal), factory.business_unit(portal)
    type_of_a = factory.definition(portal, brand_a.id)
    actor = Actor(portal.id, None, "coverage", "test")
    preferences = factory.services.preferences
    opted_out = {
        email("all"): None,
        email("account"): 0,  # brand 0 opted out of on its own, not portal-wide
        email("a"): brand_a.id,
        email("b"): brand_b.id,
        email("lifted"): brand_a.id,
    }
    for subscriber, unit in opted_out.items():
        factory.run(preferences.unsubscribe_all(actor, subscriber, Channel.EMAIL, unit))
    lifted = next(s for s in opted_out if s.startswith("lifted"))
    resubscribe = StatusChange(lifted, type_of_a.id, State.SUBSCRIBED)
    factory.run(preferences.update_status(actor, resubscribe))
    wides = factory.run(_wide_statuses(factory, portal.id, list(opted_out)))
    assert any(w.status is State.SUBSCRIBED for w in wides)  # the lifted opt-out is on record

    for unit in (0, brand_a.id, brand_b.id):
        by_rule = {
            (w.subscriber, w.wide_type.value)
            for w in wides
            if w.status is State.UNSUBSCRIBED and covers(w, unit)
        }
        assert factory.run(_suppressed_by_wide(factory, portal.id, unit)) == by_rule, unit
    # Without a unit, the export lists whoever must get no email at all: portal-wide opt-outs.
    everywhere = {(s, "PORTAL_WIDE") for s, unit in opted_out.items() if unit is None}
    assert factory.run(_suppressed_by_wide(factory, portal.id, None)) == everywhere


async def _wide_statuses(factory: Factory, portal_id: int, keys: list[str]) -> list[WideStatus]:
    async with factory.services.database.read() as repo:
        found = await repo.wide_statuses(portal_id, keys, Channel.EMAIL)
    return [w for key in keys for w in found[key]]


async def _suppressed_by_wide(
    factory: Factory, portal_id: int, unit: int | None
) -> set[tuple[Any, Any]]:
    wide_reasons = set(WideType)
    return {
        (row["email"], row["reason"])
        async for row in factory.services.exports.suppression(portal_id, None, unit)
        if row["reason"] in wide_reasons
    }
