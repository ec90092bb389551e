"""The reads of the preferences service (E1, E2, E4, E7, E8), one read transaction each.
PreferencesService (preferences/service.py) holds a StatusReads and offers its methods."""

from __future__ import annotations

from collections.abc import Sequence

from commprefs.domain.clock import Clock
from commprefs.domain.outcomes import BatchOutcome, Outcome
from commprefs.domain.preferences import (
    Actor,
    Channel,
    Definition,
    State,
    Translation,
    WideStatus,
    WideType,
)
from commprefs.domain.rules import (
    in_scope,
    read_subscribers,
)
from commprefs.domain.subscribers import subscriber_key
from commprefs.portals.checks import require_business_unit
from commprefs.preferences.checks import check_batch_size, valid_subscribers
from commprefs.preferences.erased import suppress_erased
from commprefs.store.interface import PreferencesRepository, Transactions


class StatusReads:
    def __init__(
        self,
        database: Transactions[PreferencesRepository],
        clock: Clock,
        max_batch_inputs: int,
    ) -> None:
        self.database = database
        self.clock = clock
        self.max_batch_inputs = max_batch_inputs

    async def list_definitions(
        self, actor: Actor, business_unit_id: int | None, include_translations: bool = False
    ) -> list[tuple[Definition, list[Translation]]]:
        """Every subscription type of the portal (or one business unit), active or not (E1)."""
        async with self.database.read() as repo:
            await require_business_unit(repo, actor.portal_id, business_unit_id)
            definitions = await repo.definitions(actor.portal_id, business_unit_id)
            translations = (
                await repo.translations([d.id for d in definitions]) if include_translations else {}
            )
        return [(d, translations.get(d.id, [])) for d in definitions]

    async def get_statuses(
        self, actor: Actor, subscriber: str, channel: Channel, business_unit_id: int | None
    ) -> Outcome:
        """Every active type in scope with the subscriber's effective status (E2)."""
        batch = await self.read_statuses(actor, subscriber, channel, business_unit_id)
        statuses = [
            reading.status_for(key, channel)
            for key, readings in batch.readings.items()
            for reading in readings
        ]
        return Outcome(batch.started_at, batch.completed_at, statuses)

    async def read_statuses(
        self, actor: Actor, subscriber: str, channel: Channel, business_unit_id: int | None
    ) -> BatchOutcome:
        """One subscriber's readings (E2); an invalid address raises."""
        batch = await self.read_statuses_many(actor, [subscriber], channel, business_unit_id)
        if batch.errors:
            raise batch.errors[0][1]
        return batch

    async def read_statuses_many(
        self,
        actor: Actor,
        subscribers: Sequence[str],
        channel: Channel,
        business_unit_id: int | None,
    ) -> BatchOutcome:
        """Each valid input's reading of every active type in scope (E7), in ``readings``."""
        check_batch_size(subscribers, self.max_batch_inputs)
        outcome = BatchOutcome(started_at=self.clock.now_ms())
        keys = valid_subscribers(subscribers, outcome)
        async with self.database.read() as repo:
            await require_business_unit(repo, actor.portal_id, business_unit_id)
            definitions = await repo.definitions(
                actor.portal_id, business_unit_id, active_only=True
            )
            stored = await repo.stored_statuses(actor.portal_id, keys, channel)
            wides = await repo.wide_statuses(actor.portal_id, keys, channel)
            await suppress_erased(repo, actor.portal_id, channel, wides, stored)
        outcome.readings = read_subscribers(keys, definitions, stored, wides)
        outcome.completed_at = self.clock.now_ms()
        return outcome

    async def get_unsubscribe_all(
        self, actor: Actor, subscriber: str, channel: Channel, business_unit_id: int | None
    ) -> list[WideStatus]:
        """The active wide opt-outs in scope; empty when there are none (E4)."""
        key = subscriber_key(subscriber)
        async with self.database.read() as repo:
            await require_business_unit(repo, actor.portal_id, business_unit_id)
            found = await repo.wide_statuses(actor.portal_id, [key], channel)
            await suppress_erased(repo, actor.portal_id, channel, found)
            wides = found[key]
        return [
            w for w in wides if w.status is State.UNSUBSCRIBED and in_scope(w, business_unit_id)
        ]

    async def read_wide_many(
        self,
        actor: Actor,
        subscribers: Sequence[str],
        channel: Channel,
        business_unit_id: int | None,
    ) -> tuple[BatchOutcome, dict[str, list[WideStatus]]]:
        """A row per input and scope, SUBSCRIBED where not opted out (E8). Without a business
        unit: the portal-wide scope and every business unit of the portal."""
        check_batch_size(subscribers, self.max_batch_inputs)
        outcome = BatchOutcome(started_at=self.clock.now_ms())
        keys = valid_subscribers(subscribers, outcome)
        async with self.database.read() as repo:
            await require_business_unit(repo, actor.portal_id, business_unit_id)
            # Brand 0 is the account itself: its scope is the portal-wide row, unless asked
            # for by id or actually opted out of on its own.
            units = (
                [business_unit_id]
                if business_unit_id is not None
                else [u.id for u in await repo.business_units(actor.portal_id) if u.id != 0]
            )
            stored = await repo.wide_statuses(actor.portal_id, keys, channel)
            await suppress_erased(repo, actor.portal_id, channel, stored)
        now = self.clock.now_ms()
        rows: dict[str, list[WideStatus]] = {}
        for key in dict.fromkeys(keys):
            known = {(w.wide_type, w.business_unit_id): w for w in stored[key]}
            scopes = [(WideType.PORTAL_WIDE, 0)] + [(WideType.BUSINESS_UNIT_WIDE, u) for u in units]
            if business_unit_id is None and (WideType.BUSINESS_UNIT_WIDE, 0) in known:
                scopes.insert(1, (WideType.BUSINESS_UNIT_WIDE, 0))
            rows[key] = [
                known.get(scope)
                or WideStatus(key, channel, scope[0], scope[1], State.SUBSCRIBED, "", now)
                for scope in scopes
            ]
        outcome.completed_at = self.clock.now_ms()
        return outcome, rows
