"""The preferences service: every rule of DESIGN.md that changes or reads statuses.

Each public method is one transaction. Entry points (v3, v4, pages, CLI, import) call these and
only these, so their behaviour cannot drift.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from commprefs.clock import Clock, iso_ms
from commprefs.errors import CommprefsError, InvalidInput
from commprefs.preferences.models import (
    SOURCE_PUBLIC_API,
    Actor,
    Channel,
    Definition,
    LedgerEntry,
    Portal,
    Reason,
    State,
    Status,
    StatusChange,
    StoredStatus,
    Translation,
    WideStatus,
    WideType,
)
from commprefs.preferences.rules import (
    Guard,
    Reading,
    effective_status,
    plan_change,
    read_subscribers,
    v3_refusal,
)
from commprefs.preferences.subscribers import storable_text, subscriber_key
from commprefs.store.database import Database
from commprefs.store.repository import Repository


@dataclass
class Outcome:
    """What a service call did, with the times HubSpot's envelopes report."""

    started_at: int
    completed_at: int = 0
    statuses: list[Status] = field(default_factory=list)


@dataclass
class BatchOutcome:
    """Per-input results of a batch: ``errors`` pairs an input's index with why it failed."""

    started_at: int
    completed_at: int = 0
    statuses: list[Status] = field(default_factory=list)
    per_subscriber: dict[str, list[Status]] = field(default_factory=dict)
    errors: list[tuple[int, CommprefsError]] = field(default_factory=list)
    # What a read found (reads only): every type in scope for each subscriber, in order.
    readings: dict[str, Sequence[Reading]] = field(default_factory=dict)


class PreferencesService:
    def __init__(self, database: Database, clock: Clock, max_batch_inputs: int = 100) -> None:
        self.database = database
        self.clock = clock
        self.max_batch_inputs = max_batch_inputs

    def _check_batch(self, inputs: Sequence[object]) -> None:
        if len(inputs) > self.max_batch_inputs:
            raise InvalidInput.field(
                "inputs",
                f"A batch takes at most {self.max_batch_inputs} inputs; {len(inputs)} were sent.",
                "TOO_MANY_INPUTS",
            )

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
            portal = await _portal(repo, actor)
            definitions = {d.id: d for d in await repo.definitions(actor.portal_id)}
            valid: list[tuple[int, str, Definition, StatusChange]] = []
            for index, change in enumerate(changes):
                try:
                    key = subscriber_key(change.subscriber)
                    storable_text("legalBasisExplanation", change.legal_basis_explanation)
                    definition = _active_definition(definitions, change.subscription_id)
                    _check_legal_basis(portal, change)
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
                stale = _newer_choice(change, definition, stored[key], wides[key])
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
                        _entry(
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
                    wides[key] = [lifted if _same_scope(w, lifted) else w for w in wides[key]]
                if plan.stored is not None:
                    writes[(key, definition.id)] = plan.stored
                    stored[key][definition.id] = plan.stored
                    ledger.append(
                        _entry(
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
        keys = _valid_subscribers(subscribers, outcome)
        times = _times_by_key(subscribers, occurred_at)
        async with self.database.write() as repo:
            await _require_business_unit(repo, actor.portal_id, business_unit_id)
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
                        _entry(
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
                            _entry(
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

    # -- reads -----------------------------------------------------------------------------------

    async def list_definitions(
        self, actor: Actor, business_unit_id: int | None, include_translations: bool = False
    ) -> list[tuple[Definition, list[Translation]]]:
        """Every subscription type of the portal (or one business unit), active or not (E1)."""
        async with self.database.read() as repo:
            await _require_business_unit(repo, actor.portal_id, business_unit_id)
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
        self._check_batch(subscribers)
        outcome = BatchOutcome(started_at=self.clock.now_ms())
        keys = _valid_subscribers(subscribers, outcome)
        async with self.database.read() as repo:
            await _require_business_unit(repo, actor.portal_id, business_unit_id)
            definitions = await repo.definitions(
                actor.portal_id, business_unit_id, active_only=True
            )
            stored = await repo.stored_statuses(actor.portal_id, keys, channel)
            wides = await repo.wide_statuses(actor.portal_id, keys, channel)
        outcome.readings = read_subscribers(keys, definitions, stored, wides)
        outcome.completed_at = self.clock.now_ms()
        return outcome

    async def get_unsubscribe_all(
        self, actor: Actor, subscriber: str, channel: Channel, business_unit_id: int | None
    ) -> list[WideStatus]:
        """The active wide opt-outs in scope; empty when there are none (E4)."""
        key = subscriber_key(subscriber)
        async with self.database.read() as repo:
            await _require_business_unit(repo, actor.portal_id, business_unit_id)
            wides = (await repo.wide_statuses(actor.portal_id, [key], channel))[key]
        return [
            w for w in wides if w.status is State.UNSUBSCRIBED and _in_scope(w, business_unit_id)
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
        self._check_batch(subscribers)
        outcome = BatchOutcome(started_at=self.clock.now_ms())
        keys = _valid_subscribers(subscribers, outcome)
        async with self.database.read() as repo:
            await _require_business_unit(repo, actor.portal_id, business_unit_id)
            # Brand 0 is the account itself: its scope is the portal-wide row, unless asked
            # for by id or actually opted out of on its own.
            units = (
                [business_unit_id]
                if business_unit_id is not None
                else [u.id for u in await repo.business_units(actor.portal_id) if u.id != 0]
            )
            stored = await repo.wide_statuses(actor.portal_id, keys, channel)
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


def _times_by_key(
    subscribers: Sequence[str], occurred_at: Sequence[int | None] | None
) -> dict[str, int]:
    """When each (valid) subscriber's change happened, where the caller says so."""
    found: dict[str, int] = {}
    for address, when in zip(subscribers, occurred_at or (), strict=False):
        if when is not None:
            with contextlib.suppress(CommprefsError):
                found[subscriber_key(address)] = when
    return found


def _newer_choice(
    change: StatusChange,
    definition: Definition,
    stored: dict[int, StoredStatus],
    wides: Sequence[WideStatus],
) -> InvalidInput | None:
    """A change that says when it happened is refused if a later choice about the type is on
    record: its own status, or (for a subscribe, which would lift it) a wide status covering
    it. An old record never overrides a newer choice."""
    if change.occurred_at is None:
        return None
    own = stored.get(definition.id)
    times = [own.updated_at] if own else []
    if change.state is State.SUBSCRIBED:
        times += [
            w.updated_at
            for w in wides
            if w.wide_type is WideType.PORTAL_WIDE
            or w.business_unit_id == definition.business_unit_id
        ]
    if not times or max(times) <= change.occurred_at:
        return None
    return InvalidInput.field(
        "timestamp",
        f"A later choice ({iso_ms(max(times))}) is on record for subscription "
        f"{definition.id}; this change is from {iso_ms(change.occurred_at)}.",
        "STALE",
    )


def _valid_subscribers(raw: Sequence[str], outcome: BatchOutcome) -> list[str]:
    keys = []
    for index, address in enumerate(raw):
        try:
            keys.append(subscriber_key(address))
        except CommprefsError as error:
            outcome.errors.append((index, error))
    return keys


def _in_scope(wide: WideStatus, business_unit_id: int | None) -> bool:
    return (
        business_unit_id is None
        or wide.wide_type is WideType.PORTAL_WIDE
        or wide.business_unit_id == business_unit_id
    )


def _same_scope(a: WideStatus, b: WideStatus) -> bool:
    return a.wide_type is b.wide_type and a.business_unit_id == b.business_unit_id


async def _portal(repo: Repository, actor: Actor) -> Portal:
    portal = await repo.get_portal(actor.portal_id)
    if portal is None:  # a token outlived its portal: nothing to act on
        raise InvalidInput("This token's portal no longer exists.")
    return portal


def _active_definition(definitions: dict[int, Definition], subscription_id: int) -> Definition:
    definition = definitions.get(subscription_id)
    if definition is None:
        raise InvalidInput.field(
            "subscriptionId", f"Subscription {subscription_id} does not exist in this account."
        )
    if not definition.is_active:
        raise InvalidInput.field("subscriptionId", f"Subscription {subscription_id} is not active.")
    return definition


def _check_legal_basis(portal: Portal, change: StatusChange) -> None:
    if not portal.gdpr or change.state is not State.SUBSCRIBED:
        return
    if not change.legal_basis:
        raise InvalidInput.field(
            "legalBasis",
            "This account has GDPR on: subscribing needs a legalBasis.",
            "MISSING_FIELD",
        )
    if not (change.legal_basis_explanation or "").strip():
        raise InvalidInput.field(
            "legalBasisExplanation",
            "This account has GDPR on: subscribing needs a legalBasisExplanation.",
            "MISSING_FIELD",
        )


async def _require_business_unit(repo: Repository, portal_id: int, unit_id: int | None) -> None:
    if unit_id is not None and await repo.get_business_unit(portal_id, unit_id) is None:
        raise InvalidInput.field(
            "businessUnitId", f"Business unit {unit_id} does not exist in this account."
        )


def _entry(
    actor: Actor,
    subscriber: str,
    now: int,
    source: str,
    old: State,
    new: State,
    subscription_id: int | None = None,
    wide_type: WideType | None = None,
    business_unit_id: int | None = None,
    legal_basis: str | None = None,
    explanation: str | None = None,
    occurred_at: int | None = None,
) -> LedgerEntry:
    return LedgerEntry(
        portal_id=actor.portal_id,
        subscriber=subscriber,
        channel=Channel.EMAIL,
        old_status=old,
        new_status=new,
        source=source,
        api=actor.api,
        token_id=actor.token_id,
        request_id=actor.request_id,
        created_at=now,
        subscription_id=subscription_id,
        wide_type=wide_type,
        business_unit_id=business_unit_id,
        legal_basis=legal_basis,
        legal_basis_explanation=explanation,
        occurred_at=occurred_at,
    )
