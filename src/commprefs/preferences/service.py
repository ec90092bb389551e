"""The preferences service: every rule of DESIGN.md that changes or reads statuses.

Each public function is one transaction. Entry points (v3, v4, pages, CLI) call these and only
these, so their behaviour cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from commprefs.clock import Clock
from commprefs.errors import InvalidInput
from commprefs.preferences.models import (
    SOURCE_PUBLIC_API,
    Actor,
    Channel,
    LedgerEntry,
    Reason,
    State,
    Status,
    StoredStatus,
    WideStatus,
    WideType,
)
from commprefs.preferences.rules import effective_status
from commprefs.store.database import Database
from commprefs.store.repository import Repository


@dataclass
class Outcome:
    """What a service call did, with the times HubSpot's envelopes report."""

    started_at: int
    completed_at: int = 0
    statuses: list[Status] = field(default_factory=list)


class PreferencesService:
    def __init__(self, database: Database, clock: Clock) -> None:
        self.database = database
        self.clock = clock

    async def unsubscribe_all(
        self,
        actor: Actor,
        subscriber: str,
        channel: Channel,
        business_unit_id: int | None,
        source: str = SOURCE_PUBLIC_API,
    ) -> Outcome:
        """Opt a subscriber out of all email: portal-wide, or for one business unit.

        Writes the wide opt-out, rewrites every type in scope to UNSUBSCRIBED and returns one
        status per active type in scope with UNSUBSCRIBE_FROM_ALL_OCCURRED where it changed and
        NO_STATUS_CHANGE where it already was UNSUBSCRIBED.
        """
        outcome = Outcome(started_at=self.clock.now_ms())
        async with self.database.write() as repo:
            await _require_business_unit(repo, actor.portal_id, business_unit_id)
            await repo.lock_subscribers(actor.portal_id, [subscriber])
            now = self.clock.now_ms()
            definitions = await repo.definitions(actor.portal_id, business_unit_id)
            stored = (await repo.stored_statuses(actor.portal_id, [subscriber], channel))[
                subscriber
            ]
            wides = (await repo.wide_statuses(actor.portal_id, [subscriber], channel))[subscriber]

            wide_type = (
                WideType.PORTAL_WIDE if business_unit_id is None else WideType.BUSINESS_UNIT_WIDE
            )
            scope_unit = business_unit_id or 0
            current = next(
                (w for w in wides if w.wide_type is wide_type and w.business_unit_id == scope_unit),
                None,
            )
            ledger: list[LedgerEntry] = []
            if current is None or current.status is not State.UNSUBSCRIBED:
                opt_out = WideStatus(
                    subscriber, channel, wide_type, scope_unit, State.UNSUBSCRIBED, source, now
                )
                await repo.put_wide_statuses(actor.portal_id, [opt_out])
                ledger.append(
                    _entry(
                        actor,
                        subscriber,
                        channel,
                        now,
                        source,
                        current.status if current else State.SUBSCRIBED,
                        State.UNSUBSCRIBED,
                        wide_type=wide_type,
                        business_unit_id=scope_unit,
                    )
                )

            changes: list[tuple[str, StoredStatus]] = []
            for definition in definitions:
                before = stored.get(definition.id)
                if before is not None and before.status is State.UNSUBSCRIBED:
                    if definition.is_active:
                        outcome.statuses.append(
                            _with_reason(
                                effective_status(subscriber, channel, definition, before, []),
                                Reason.NO_STATUS_CHANGE,
                            )
                        )
                    continue
                after = StoredStatus(definition.id, State.UNSUBSCRIBED, source, None, None, now)
                changes.append((subscriber, after))
                ledger.append(
                    _entry(
                        actor,
                        subscriber,
                        channel,
                        now,
                        source,
                        before.status if before else State.NOT_SPECIFIED,
                        State.UNSUBSCRIBED,
                        subscription_id=definition.id,
                    )
                )
                if definition.is_active:
                    outcome.statuses.append(
                        _with_reason(
                            effective_status(subscriber, channel, definition, after, []),
                            Reason.UNSUBSCRIBE_FROM_ALL_OCCURRED,
                        )
                    )
            await repo.put_statuses(actor.portal_id, channel, changes)
            await repo.append_ledger(ledger)
        outcome.completed_at = self.clock.now_ms()
        return outcome


async def _require_business_unit(repo: Repository, portal_id: int, unit_id: int | None) -> None:
    if unit_id is not None and await repo.get_business_unit(portal_id, unit_id) is None:
        raise InvalidInput.field(
            "businessUnitId", f"Business unit {unit_id} does not exist in this account."
        )


def _with_reason(status: Status, reason: Reason) -> Status:
    return Status(
        status.subscriber,
        status.channel,
        status.definition,
        status.status,
        status.source,
        status.legal_basis,
        status.legal_basis_explanation,
        status.timestamp,
        reason,
    )


def _entry(
    actor: Actor,
    subscriber: str,
    channel: Channel,
    now: int,
    source: str,
    old: State,
    new: State,
    subscription_id: int | None = None,
    wide_type: WideType | None = None,
    business_unit_id: int | None = None,
) -> LedgerEntry:
    return LedgerEntry(
        portal_id=actor.portal_id,
        subscriber=subscriber,
        channel=channel,
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
    )
