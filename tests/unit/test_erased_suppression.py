"""An erased address stays suppressed (preferences/erased.py) against the in-memory store: it
reads opted out of all, a change that is not new consent writes nothing, an import is refused,
and a new explicit SUBSCRIBED write lifts the suppression."""

from __future__ import annotations

from dataclasses import replace

from commprefs.domain.ledger import IMPORT_API, SOURCE_ERASED
from commprefs.domain.preferences import Channel, Reason, State, WideType
from tests.unit.test_preferences_service import NOW, World, world

GONE = "gone@example.com"


async def erased_world() -> World:
    made = await world()
    made.db.committed.erased[(made.portal.id, GONE)] = NOW - 1000
    return made


async def test_an_erased_address_reads_opted_out_of_all_with_the_erasures_source() -> None:
    w = await erased_world()
    read = await w.service.get_statuses(w.actor, GONE.upper(), Channel.EMAIL, None)
    assert {(s.status, s.source, s.covered_by) for s in read.statuses} == {
        (State.UNSUBSCRIBED, SOURCE_ERASED, WideType.PORTAL_WIDE)
    }
    assert await w.wide_opt_outs(GONE) == [(WideType.PORTAL_WIDE, 0)]


async def test_changes_that_are_not_new_consent_write_nothing_and_imports_are_refused() -> None:
    w = await erased_world()
    unsubscribe = await w.update(w.change(GONE, w.news, State.UNSUBSCRIBED))
    assert [s.reason for s in unsubscribe.statuses] == [Reason.NO_STATUS_CHANGE]
    opt_out = await w.opt_out(GONE)
    assert {s.reason for s in opt_out.statuses} == {Reason.NO_STATUS_CHANGE}
    importer = replace(w.actor, api=IMPORT_API)
    imported = await w.service.update_statuses(
        importer, [w.change(GONE, w.news, State.SUBSCRIBED)], "import"
    )
    assert [(i, e.details[0].code) for i, e in imported.errors] == [(0, "ERASED")]
    opted = await w.service.unsubscribe_all_many(importer, ["x", GONE], Channel.EMAIL, None)
    assert [i for i, _ in opted.errors] == [0, 1]
    assert w.db.ledger == []
    assert (w.portal.id, GONE) in w.db.committed.erased


async def test_new_explicit_consent_lifts_the_suppression() -> None:
    w = await erased_world()
    outcome = await w.update(w.change(GONE, w.news, State.SUBSCRIBED))
    assert [s.reason for s in outcome.statuses] == [Reason.RESUBSCRIBE_OCCURRED]
    assert w.db.committed.erased == {}
    assert (await w.states(GONE))["News"] is State.SUBSCRIBED


async def test_changes_after_new_consent_in_the_same_batch_apply() -> None:
    w = await erased_world()
    outcome = await w.update(
        w.change(GONE, w.news, State.SUBSCRIBED), w.change(GONE, w.offers, State.UNSUBSCRIBED)
    )
    assert [s.reason for s in outcome.statuses] == [
        Reason.RESUBSCRIBE_OCCURRED,
        Reason.REQUESTED_CHANGE_OCCURRED,
    ]
    assert (await w.states(GONE))["Offers"] is State.UNSUBSCRIBED
