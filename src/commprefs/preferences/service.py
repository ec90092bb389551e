"""The preferences service: every rule of DESIGN.md that changes or reads statuses.

Each public method is one transaction. Entry points (v3, v4, pages, CLI, import) call these and
only these, so their behaviour cannot drift.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from commprefs.domain.clock import Clock
from commprefs.domain.errors import CommprefsError, InvalidInput
from commprefs.domain.faults import active_definition
from commprefs.domain.outcomes import BatchOutcome, Outcome
from commprefs.domain.preferences import (
    SOURCE_PUBLIC_API,
    Actor,
    Channel,
    Definition,
    LedgerEntry,
    Reason,
    State,
    Status,
    StatusChange,
    StoredStatus,
    WideStatus,
    WideType,
)
from commprefs.domain.rules import (
    Guard,
    effective_status,
    plan_change,
    v3_refusal,
)
from commprefs.domain.subscribers import storable_text, subscriber_key
from commprefs.portals.checks import actor_portal, require_business_unit
from commprefs.preferences.checks import (
    check_legal_basis,
    ledger_entry,
    newer_choice,
    same_scope,
    times_by_key,
    valid_subscribers,
)
from commprefs.preferences.reads import StatusReads
from commprefs.store.interface import PreferencesRepository, Transactions


class PreferencesService(StatusReads):
    """Writes here; reads in StatusReads (preferences/reads.py); shared steps in checks.py."""

    def __init__(
        self,
        database: Transactions[PreferencesRepository],
        clock: Clock,
        max_batch_inputs: int = 100,
    ) -> None:
        self.database = database
        self.clock = clock
        self.max_batch_inputs = max_batch_inputs

    # -- writes ----------------------------------------------------------------------------------

    async def update_status(
        self, actor: Actor, change: StatusChange, source: str = SOURCE_PUBLIC_API
    ) -> Outcome:
        """One status change (E3); any invalid part raises InvalidInput naming the field."""
        batch = await self.update_statuses(actor, [change], source)
        if batch.errors:
            raise batch.errors[0][1]
        return Outcome(batch.started_at, batch.completed_at, batch.statuses)

    async def update_statuses(
        self,
        actor: Actor,
        changes: Sequence[StatusChange],
        source: str = SOURCE_PUBLIC_API,
        guard: Guard | None = None,
    ) -> BatchOutcome:
        """Independent status changes in one transaction; invalid inputs are reported, the
        valid ones applied in order (a subscriber named twice sees its own earlier change).
        A ``guard``'s refusal raises and so rolls back the whole call (single-change callers)."""
        self._check_batch(changes)
        outcome = BatchOutcome(started_at=self.clock.now_ms())
        async with self.database.write() as repo:
            portal = await actor_portal(repo, actor)
            definitions = {d.id: d for d in await repo.definitions(actor.portal_id)}
            valid: list[tuple[int, str, Definition, StatusChange]] = []
            for index, change in enumerate(changes):
                try:
                    key = subscriber_key(change.subscriber)
                    storable_text("legalBasisExplanation", change.legal_basis_explanation)
                    definition = active_definition(
                        definitions.get(change.subscription_id), change.subscription_id
                    )
                    check_legal_basis(portal, change)
                except CommprefsError as error:
                    outcome.errors.append((index, error))
                    continue
                valid.append((index, key, definition, change))
            subscribers = sorted({key for _, key, _, _ in valid})
            await repo.lock_subscribers(actor.portal_id, subscribers)
            now = self.clock.now_ms()
            stored = await repo.stored_statuses(actor.portal_id, subscribers, Channel.EMAIL)
            wides = await repo.wide_statuses(actor.portal_id, subscribers, Channel.EMAIL)
            writes: dict[tuple[str, int], StoredStatus] = {}
            wide_writes: dict[tuple[str, WideType, int], WideStatus] = {}
            ledger: list[LedgerEntry] = []
            for index, key, definition, change in valid:
                given = change.source or source
                stale = newer_choice(change, definition, stored[key], wides[key])
                if stale is not None:
                    outcome.errors.append((index, stale))
                    continue
                plan = plan_change(
                    definition,
                    stored[key].get(definition.id),
                    wides[key],
                    change.state,
                    change.legal_basis,
                    change.legal_basis_explanation,
                    given,
                    now if change.occurred_at is None else change.occurred_at,
                )
                if guard is not None and (refusal := guard(key, definition, change.state, plan)):
                    raise InvalidInput(refusal)
                for lifted in plan.lifted:
                    wide_writes[(key, lifted.wide_type, lifted.business_unit_id)] = lifted
                    ledger.append(
                        ledger_entry(
                            actor,
                            key,
                            now,
                            given,
                            State.UNSUBSCRIBED,
                            State.SUBSCRIBED,
                            wide_type=lifted.wide_type,
                            business_unit_id=lifted.business_unit_id,
                            occurred_at=change.occurred_at,
                        )
                    )
                    wides[key] = [lifted if same_scope(w, lifted) else w for w in wides[key]]
                if plan.stored is not None:
                    writes[(key, definition.id)] = plan.stored
                    stored[key][definition.id] = plan.stored
                    ledger.append(
                        ledger_entry(
                            actor,
                            key,
                            now,
                            given,
                            plan.previous,
                            plan.stored.status,
                            subscription_id=definition.id,
                            legal_basis=plan.stored.legal_basis,
                            explanation=plan.stored.legal_basis_explanation,
                            occurred_at=change.occurred_at,
                        )
                    )
                status = effective_status(
                    key, Channel.EMAIL, definition, stored[key].get(definition.id), wides[key]
                )
                outcome.statuses.append(replace(status, reason=plan.reason))
            await repo.put_statuses(
                actor.portal_id, Channel.EMAIL, [(k[0], s) for k, s in writes.items()]
            )
            await repo.put_wide_statuses(actor.portal_id, list(wide_writes.values()))
            await repo.append_ledger(ledger)
        outcome.errors.sort(key=lambda error: error[0])
        outcome.completed_at = self.clock.now_ms()
        return outcome

    async def unsubscribe_all(
        self,
        actor: Actor,
        subscriber: str,
        channel: Channel,
        business_unit_id: int | None,
        source: str = SOURCE_PUBLIC_API,
    ) -> Outcome:
        """Opt one subscriber out of all email: portal-wide, or for one business unit (E5)."""
        batch = await self.unsubscribe_all_many(
            actor, [subscriber], channel, business_unit_id, source
        )
        if batch.errors:
            raise batch.errors[0][1]
        return Outcome(batch.started_at, batch.completed_at, batch.statuses)

    async def unsubscribe_all_many(
        self,
        actor: Actor,
        subscribers: Sequence[str],
        channel: Channel,
        business_unit_id: int | None,
        source: str = SOURCE_PUBLIC_API,
        occurred_at: Sequence[int | None] | None = None,
    ) -> BatchOutcome:
        """Writes the wide opt-out, rewrites every type in scope to UNSUBSCRIBED and reports
        one status per active type in scope: UNSUBSCRIBE_FROM_ALL_OCCURRED where it changed,
        NO_STATUS_CHANGE where it already was UNSUBSCRIBED (E5, E9). ``occurred_at`` (imports)
        gives, per subscriber, when the opt-out happened if not now."""
        self._check_batch(subscribers)
        outcome = BatchOutcome(started_at=self.clock.now_ms())
        keys = valid_subscribers(subscribers, outcome)
        times = times_by_key(subscribers, occurred_at)
        async with self.database.write() as repo:
            await require_business_unit(repo, actor.portal_id, business_unit_id)
            await repo.lock_subscribers(actor.portal_id, sorted(set(keys)))
            now = self.clock.now_ms()
            definitions = await repo.definitions(actor.portal_id, business_unit_id)
            stored = await repo.stored_statuses(actor.portal_id, keys, channel)
            wides = await repo.wide_statuses(actor.portal_id, keys, channel)
            wide_type = (
                WideType.PORTAL_WIDE if business_unit_id is None else WideType.BUSINESS_UNIT_WIDE
            )
            scope_unit = business_unit_id or 0
            writes: list[tuple[str, StoredStatus]] = []
            wide_writes: list[WideStatus] = []
            ledger: list[LedgerEntry] = []
            for key in dict.fromkeys(keys):
                when = times.get(key, now)
                current = next(
                    (
                        w
                        for w in wides[key]
                        if w.wide_type is wide_type and w.business_unit_id == scope_unit
                    ),
                    None,
                )
                if current is None or current.status is not State.UNSUBSCRIBED:
                    wide_writes.append(
                        WideStatus(
                            key, channel, wide_type, scope_unit, State.UNSUBSCRIBED, source, when
                        )
                    )
                    ledger.append(
                        ledger_entry(
                            actor,
                            key,
                            now,
                            source,
                            current.status if current else State.SUBSCRIBED,
                            State.UNSUBSCRIBED,
                            wide_type=wide_type,
                            business_unit_id=scope_unit,
                            occurred_at=times.get(key),
                        )
                    )
                statuses = outcome.per_subscriber.setdefault(key, [])
                for definition in definitions:
                    before = stored[key].get(definition.id)
                    reason = Reason.NO_STATUS_CHANGE
                    after = before
                    if before is None or before.status is not State.UNSUBSCRIBED:
                        reason = Reason.UNSUBSCRIBE_FROM_ALL_OCCURRED
                        after = StoredStatus(
                            definition.id, State.UNSUBSCRIBED, source, None, None, when
                        )
                        writes.append((key, after))
                        ledger.append(
                            ledger_entry(
                                actor,
                                key,
                                now,
                                source,
                                before.status if before else State.NOT_SPECIFIED,
                                State.UNSUBSCRIBED,
                                subscription_id=definition.id,
                                occurred_at=times.get(key),
                            )
                        )
                    if definition.is_active:
                        # What effective_status reads from a stored UNSUBSCRIBED and no opt-out
                        # (the one just written is not reported as covering its own types).
                        assert after is not None
                        statuses.append(
                            Status(
                                key,
                                channel,
                                definition,
                                after.status,
                                after.source,
                                after.legal_basis,
                                after.legal_basis_explanation,
                                after.updated_at,
                                reason=reason,
                            )
                        )
                outcome.statuses.extend(statuses)
            await repo.put_statuses(actor.portal_id, channel, writes)
            await repo.put_wide_statuses(actor.portal_id, wide_writes)
            await repo.append_ledger(ledger)
        outcome.completed_at = self.clock.now_ms()
        return outcome

    # -- v3 (legacy) -----------------------------------------------------------------------------

    async def update_status_v3(
        self, actor: Actor, change: StatusChange, source: str = SOURCE_PUBLIC_API
    ) -> Status:
        """v3 subscribe / unsubscribe: update_status with v3's refusals (rules.v3_refusal).

        HubSpot answered 404 for an address with no contact; commprefs has no contacts (a
        subscriber is an email address, DESIGN.md), so any valid address can be set here."""
        batch = await self.update_statuses(actor, [change], source, guard=v3_refusal)
        if batch.errors:
            raise batch.errors[0][1]
        return batch.statuses[0]
