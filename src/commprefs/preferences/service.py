"""The preferences service: every rule of DESIGN.md that changes or reads statuses.

Each public method is one transaction. Entry points (v3, v4, pages, CLI, import) call these and
only these, so their behaviour cannot drift.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace

from commprefs.domain.clock import Clock
from commprefs.domain.errors import CommprefsError, InvalidInput
from commprefs.domain.faults import active_definition
from commprefs.domain.outcomes import BatchOutcome, Outcome
from commprefs.domain.plans import (
    Guard,
    Plan,
    Write,
    plan_change,
    plan_unsubscribe_all,
    v3_refusal,
)
from commprefs.domain.preferences import (
    SOURCE_PUBLIC_API,
    Actor,
    Channel,
    Definition,
    LedgerEntry,
    Portal,
    State,
    Status,
    StatusChange,
    StoredStatus,
    WideStatus,
    WideType,
)
from commprefs.domain.rules import effective_status
from commprefs.domain.subscribers import storable_text, subscriber_key
from commprefs.portals.checks import actor_portal, require_business_unit
from commprefs.preferences.checks import (
    check_batch_size,
    check_legal_basis,
    ledger_entry,
    newer_choice,
    same_scope,
    times_by_key,
    valid_subscribers,
)
from commprefs.preferences.erased import first_positions, is_import, suppress_erased, untouched
from commprefs.preferences.reads import StatusReads
from commprefs.preferences.v1 import V1Rules
from commprefs.store.interface import PreferencesRepository, Transactions


class PreferencesService:
    """Writes here; the reads are a StatusReads (preferences/reads.py), offered under their own
    names; shared steps in checks.py. Each write: validate, lock, read, plan (pure rules of
    domain/rules.py), write."""

    def __init__(
        self,
        database: Transactions[PreferencesRepository],
        clock: Clock,
        max_batch_inputs: int = 100,
    ) -> None:
        self.database = database
        self.clock = clock
        self.max_batch_inputs = max_batch_inputs
        self.reads = StatusReads(database, clock, max_batch_inputs)
        # Bound once here, at start-up, rather than forwarded on every call.
        self.list_definitions = self.reads.list_definitions
        self.get_statuses = self.reads.get_statuses
        self.read_statuses = self.reads.read_statuses
        self.read_statuses_many = self.reads.read_statuses_many
        self.get_unsubscribe_all = self.reads.get_unsubscribe_all
        self.read_wide_many = self.reads.read_wide_many
        # Email Subscriptions v1 (issue 14): its rules over these same writes and reads.
        self.v1 = V1Rules(self)

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
        all_or_nothing: bool = False,
        skip: Callable[[Plan], bool] | None = None,
    ) -> BatchOutcome:
        """Independent status changes in one transaction; invalid inputs are reported, the
        valid ones applied in order (a subscriber named twice sees its own earlier change).
        A ``guard``'s refusal raises and so rolls back the whole call (single-change callers).
        ``all_or_nothing`` (v1): the first invalid input raises, and nothing is written.
        A planned change that ``skip`` picks is left out (v1's subscribe-to-all)."""
        check_batch_size(changes, self.max_batch_inputs)
        outcome = BatchOutcome(started_at=self.clock.now_ms())
        async with self.database.write() as repo:
            portal = await actor_portal(repo, actor)
            definitions = {d.id: d for d in await repo.definitions(actor.portal_id)}
            valid = _valid_changes(portal, definitions, changes, outcome)
            subscribers = sorted({key for _, key, _, _ in valid})
            await repo.lock_subscribers(actor.portal_id, subscribers)
            now = self.clock.now_ms()
            stored = await repo.stored_statuses(actor.portal_id, subscribers, Channel.EMAIL)
            wides = await repo.wide_statuses(actor.portal_id, subscribers, Channel.EMAIL)
            erased = await suppress_erased(repo, actor.portal_id, Channel.EMAIL, wides, stored)
            writes = _plan_changes(
                actor, now, valid, stored, wides, source, guard, outcome, erased, skip
            )
            if all_or_nothing and outcome.errors:
                raise min(outcome.errors, key=lambda error: error[0])[1]
            if writes.consented:
                await repo.lift_erasures(actor.portal_id, sorted(writes.consented))
            await writes.write(repo, actor.portal_id, Channel.EMAIL)
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
        """Each subscriber's opt-out of all email in scope (plans.plan_unsubscribe_all, E5, E9),
        its statuses in ``per_subscriber`` and, in order, ``statuses``. ``occurred_at``
        (imports) gives, per subscriber, when the opt-out happened if not now."""
        check_batch_size(subscribers, self.max_batch_inputs)
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
            erased = await suppress_erased(repo, actor.portal_id, channel, wides, stored)
            positions = first_positions(subscribers) if erased else {}
            writes = _Writes(actor, now)
            for key in dict.fromkeys(keys):
                plan = plan_unsubscribe_all(
                    key,
                    channel,
                    definitions,
                    stored[key],
                    wides[key],
                    business_unit_id,
                    source,
                    times.get(key, now),
                )
                statuses = plan.statuses
                if key in erased:  # opted out already, by its erasure: nothing to write
                    if (kept := untouched(actor, key, positions[key], statuses, outcome)) is None:
                        continue
                    statuses = kept
                else:
                    writes.add(key, source, times.get(key), plan.writes)
                outcome.per_subscriber[key] = statuses
                outcome.statuses.extend(statuses)
            await writes.write(repo, actor.portal_id, channel)
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


# A change that passed validation: its position in the input, subscriber key, type and itself.
_Valid = tuple[int, str, Definition, StatusChange]


def _valid_changes(
    portal: Portal,
    definitions: dict[int, Definition],
    changes: Sequence[StatusChange],
    outcome: BatchOutcome,
) -> list[_Valid]:
    """The changes that can be planned; why each other one cannot goes to ``outcome.errors``."""
    valid = []
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
    return valid


def _plan_changes(
    actor: Actor,
    now: int,
    valid: Sequence[_Valid],
    stored: dict[str, dict[int, StoredStatus]],
    wides: dict[str, list[WideStatus]],
    source: str,
    guard: Guard | None,
    outcome: BatchOutcome,
    erased: Mapping[str, int],
    skip: Callable[[Plan], bool] | None = None,
) -> _Writes:
    """Plan each change in order (plans.plan_change) against what was read, updating it so
    that a later change of the same subscriber sees an earlier one. Statuses, and changes
    refused as stale, go to ``outcome``; nothing is written to the store here."""
    writes = _Writes(actor, now)
    erased = dict(erased)  # until its new consent, in this call too
    for position, key, definition, change in valid:
        given = change.source or source
        if key in erased and (is_import(actor) or change.state is not State.SUBSCRIBED):
            now_read = [effective_status(key, Channel.EMAIL, definition, None, wides[key])]
            outcome.statuses.extend(untouched(actor, key, position, now_read, outcome) or [])
            continue
        stale = newer_choice(change, definition, stored[key], wides[key])
        if stale is not None:
            outcome.errors.append((position, stale))
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
        if skip is not None and skip(plan):
            continue
        for lifted in plan.lifted:
            wides[key] = [lifted if same_scope(w, lifted) else w for w in wides[key]]
        if plan.stored is not None:
            stored[key][definition.id] = plan.stored
        writes.add(key, given, change.occurred_at, plan.writes)
        if erased.pop(key, None) is not None:
            writes.consented.add(key)
        status = effective_status(
            key, Channel.EMAIL, definition, stored[key].get(definition.id), wides[key]
        )
        outcome.statuses.append(replace(status, reason=plan.reason))
    return writes


class _Writes:
    """What one call by ``actor`` at ``now`` writes, gathered while it plans and written at
    the end in one go (a row planned twice is written once, as it was planned last)."""

    __slots__ = ("actor", "consented", "ledger", "now", "statuses", "wides")

    def __init__(self, actor: Actor, now: int) -> None:
        self.actor = actor
        self.now = now
        self.statuses: dict[tuple[str, int], tuple[str, StoredStatus]] = {}
        self.wides: dict[tuple[str, WideType, int], WideStatus] = {}
        self.ledger: list[LedgerEntry] = []
        self.consented: set[str] = set()  # erased subscribers who subscribe anew

    def add(self, key: str, source: str, occurred_at: int | None, rows: Iterable[Write]) -> None:
        """Rows of ``key`` to write, each after the state it replaces, and their ledger entries."""
        # What an entry is about: a type and its legal basis, or a wide scope.
        scope: tuple[int | None, WideType | None, int | None, str | None, str | None]
        for old, row in rows:
            if isinstance(row, StoredStatus):
                self.statuses[(key, row.subscription_id)] = (key, row)
                scope = (
                    row.subscription_id,
                    None,
                    None,
                    row.legal_basis,
                    row.legal_basis_explanation,
                )
            else:
                self.wides[(key, row.wide_type, row.business_unit_id)] = row
                scope = (None, row.wide_type, row.business_unit_id, None, None)
            subscription_id, wide_type, unit, basis, explanation = scope
            self.ledger.append(
                ledger_entry(
                    self.actor,
                    key,
                    self.now,
                    source,
                    old,
                    row.status,
                    subscription_id=subscription_id,
                    wide_type=wide_type,
                    business_unit_id=unit,
                    legal_basis=basis,
                    explanation=explanation,
                    occurred_at=occurred_at,
                )
            )

    async def write(self, repo: PreferencesRepository, portal_id: int, channel: Channel) -> None:
        await repo.put_statuses(portal_id, channel, list(self.statuses.values()))
        await repo.put_wide_statuses(portal_id, list(self.wides.values()))
        await repo.append_ledger(self.ledger)
