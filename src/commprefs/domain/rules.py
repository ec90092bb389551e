"""Pure rules: how stored choices and wide opt-outs combine into what the API reports."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

from commprefs.domain.preferences import (
    SOURCE_NOT_SPECIFIED,
    Channel,
    Definition,
    Reason,
    State,
    Status,
    StoredStatus,
    WideStatus,
    WideType,
)


def covers(wide: WideStatus, business_unit_id: int) -> bool:
    """Whether a wide status's scope takes in a business unit's types: a portal-wide one takes in
    every brand, a brand's own takes in that brand. The one statement of this rule (the
    suppression export's SQL says the same, store/transfer_queries.py; a test checks both agree).
    """
    return wide.wide_type is WideType.PORTAL_WIDE or wide.business_unit_id == business_unit_id


def in_scope(wide: WideStatus, business_unit_id: int | None) -> bool:
    """Whether a read of one business unit (or, with None, of the whole account) reports a wide
    status: the whole account sees every one, a unit those that cover its types."""
    return business_unit_id is None or covers(wide, business_unit_id)


def covering_opt_out(definition: Definition, wides: Iterable[WideStatus]) -> WideStatus | None:
    """The active wide opt-out that covers a type: portal-wide, or the type's own brand."""
    for wide in wides:
        if wide.status is State.UNSUBSCRIBED and covers(wide, definition.business_unit_id):
            return wide
    return None


class Reading(NamedTuple):
    """What a read reports for one type, whoever reads it: a Status but for the subscriber and
    channel. A NamedTuple, as a batch read makes one per stored choice: a third of the cost of
    a frozen dataclass."""

    definition: Definition
    status: State
    source: str
    legal_basis: str | None
    legal_basis_explanation: str | None
    timestamp: int
    # The wide opt-out that makes this type read UNSUBSCRIBED, if any (v3's sourceOfStatus).
    covered_by: WideType | None = None

    def status_for(self, subscriber: str, channel: Channel) -> Status:
        return Status(
            subscriber,
            channel,
            self.definition,
            self.status,
            self.source,
            self.legal_basis,
            self.legal_basis_explanation,
            self.timestamp,
            covered_by=self.covered_by,
        )


def read_type(
    definition: Definition, stored: StoredStatus | None, wides: Iterable[WideStatus]
) -> Reading:
    """What a read reports for one type. A wide opt-out wins over a per-type choice."""
    return _reading(definition, stored, covering_opt_out(definition, wides))


def _reading(
    definition: Definition, stored: StoredStatus | None, opt_out: WideStatus | None
) -> Reading:
    if stored is None:
        if opt_out is not None:
            return Reading(
                definition,
                State.UNSUBSCRIBED,
                opt_out.source,
                None,
                None,
                opt_out.updated_at,
                opt_out.wide_type,
            )
        return Reading(
            definition, State.NOT_SPECIFIED, SOURCE_NOT_SPECIFIED, None, None, definition.created_at
        )
    if opt_out is not None and stored.status is not State.UNSUBSCRIBED:
        return Reading(
            definition,
            State.UNSUBSCRIBED,
            opt_out.source,
            None,
            None,
            opt_out.updated_at,
            opt_out.wide_type,
        )
    return Reading(
        definition,
        stored.status,
        stored.source,
        stored.legal_basis,
        stored.legal_basis_explanation,
        stored.updated_at,
        opt_out.wide_type if opt_out else None,
    )


def read_subscribers(
    subscribers: Iterable[str],
    definitions: Sequence[Definition],
    stored: Mapping[str, Mapping[int, StoredStatus]],
    wides: Mapping[str, Sequence[WideStatus]],
) -> dict[str, Sequence[Reading]]:
    """Each subscriber's reading of every type, in order (a subscriber named twice once).

    A type a subscriber never chose, unless an opt-out covers it, reads the same for everyone:
    all of them get that very Reading (and a subscriber with nothing on record, that very
    tuple of them), which renderers can then render once per response."""
    unchosen = tuple(read_type(d, None, ()) for d in definitions)
    return {
        key: _read_types(definitions, unchosen, stored[key], wides[key])
        for key in dict.fromkeys(subscribers)
    }


def _read_types(
    definitions: Sequence[Definition],
    unchosen: tuple[Reading, ...],
    stored: Mapping[int, StoredStatus],
    wides: Iterable[WideStatus],
) -> Sequence[Reading]:
    opted_out = [w for w in wides if w.status is State.UNSUBSCRIBED]
    if not opted_out and not stored:
        return unchosen
    if not opted_out:
        return [
            unchosen_reading if own is None else _reading(definition, own, None)
            for definition, unchosen_reading in zip(definitions, unchosen, strict=True)
            for own in (stored.get(definition.id),)
        ]
    # The opt-out covering a brand's types, found once per brand rather than once per type.
    covering: dict[int, WideStatus | None] = {}
    readings = []
    for definition, unchosen_reading in zip(definitions, unchosen, strict=True):
        own = stored.get(definition.id)
        unit = definition.business_unit_id
        if unit in covering:
            opt_out = covering[unit]
        else:
            opt_out = covering[unit] = covering_opt_out(definition, opted_out)
        if own is None and opt_out is None:
            readings.append(unchosen_reading)
        else:
            readings.append(_reading(definition, own, opt_out))
    return readings


def effective_status(
    subscriber: str,
    channel: Channel,
    definition: Definition,
    stored: StoredStatus | None,
    wides: Iterable[WideStatus],
) -> Status:
    """What a read reports for one type, as a Status of ``subscriber``."""
    return read_type(definition, stored, wides).status_for(subscriber, channel)


# A row a plan writes (a type's status or a wide status), after the state it replaces: the
# ledger records one entry for each. A plain tuple, as every write makes several.
Write = tuple[State, StoredStatus | WideStatus]


@dataclass(frozen=True)
class Plan:
    """What one status request does: the row to store (if any), wide opt-outs it lifts, and
    what the API reports back."""

    reason: Reason
    stored: StoredStatus | None
    previous: State
    lifted: tuple[WideStatus, ...] = ()

    @property
    def writes(self) -> list[Write]:
        """Each lifted opt-out, then the type's own row."""
        rows: list[Write] = [(State.UNSUBSCRIBED, w) for w in self.lifted]
        if self.stored is not None:
            rows.append((self.previous, self.stored))
        return rows


def plan_change(
    definition: Definition,
    stored: StoredStatus | None,
    wides: Sequence[WideStatus],
    state: State,
    legal_basis: str | None,
    explanation: str | None,
    source: str,
    now: int,
) -> Plan:
    """DESIGN.md "Status update": same state → NO_STATUS_CHANGE; SUBSCRIBED after an opt-out
    (of the type, or a wide one covering it) → RESUBSCRIBE_OCCURRED and the covering wide
    opt-outs are lifted; NOT_SPECIFIED resets to no choice; otherwise REQUESTED_CHANGE_OCCURRED.
    """
    previous = stored.status if stored else State.NOT_SPECIFIED
    new_row = StoredStatus(definition.id, state, source, legal_basis, explanation, now)
    covering = [
        w
        for w in wides
        if w.status is State.UNSUBSCRIBED and covers(w, definition.business_unit_id)
    ]
    if state is State.SUBSCRIBED:
        if covering or previous is State.UNSUBSCRIBED:
            lifted = tuple(
                replace(w, status=State.SUBSCRIBED, source=source, updated_at=now) for w in covering
            )
            return Plan(Reason.RESUBSCRIBE_OCCURRED, new_row, previous, lifted)
        if previous is State.SUBSCRIBED:
            return _unchanged_unless_basis(stored, new_row, previous)
        return Plan(Reason.REQUESTED_CHANGE_OCCURRED, new_row, previous)
    if state is State.UNSUBSCRIBED:
        if previous is State.UNSUBSCRIBED:
            return _unchanged_unless_basis(stored, new_row, previous)
        # Under a wide opt-out the type already reads UNSUBSCRIBED; the explicit choice is still
        # recorded so that it outlives the opt-out.
        reason = Reason.NO_STATUS_CHANGE if covering else Reason.REQUESTED_CHANGE_OCCURRED
        return Plan(reason, new_row, previous)
    if previous is State.NOT_SPECIFIED:
        return Plan(Reason.NO_STATUS_CHANGE, None, previous)
    return Plan(Reason.REQUESTED_CHANGE_OCCURRED, new_row, previous)


def _unchanged_unless_basis(
    stored: StoredStatus | None, new_row: StoredStatus, previous: State
) -> Plan:
    """Same state again: nothing changes, except that a newly given legal basis is recorded."""
    assert stored is not None
    given = new_row.legal_basis is not None or new_row.legal_basis_explanation is not None
    if given and (new_row.legal_basis, new_row.legal_basis_explanation) != (
        stored.legal_basis,
        stored.legal_basis_explanation,
    ):
        return Plan(Reason.NO_STATUS_CHANGE, new_row, previous)
    return Plan(Reason.NO_STATUS_CHANGE, None, previous)


class UnsubscribeAllPlan(NamedTuple):
    """What unsubscribe-all does for one subscriber: the rows to write (the wide opt-out unless
    it is in force already, then each type not unsubscribed yet), and one status per active
    type in scope to report."""

    writes: list[Write]
    statuses: list[Status]


def plan_unsubscribe_all(
    subscriber: str,
    channel: Channel,
    definitions: Sequence[Definition],
    stored: Mapping[int, StoredStatus],
    wides: Sequence[WideStatus],
    business_unit_id: int | None,
    source: str,
    now: int,
) -> UnsubscribeAllPlan:
    """DESIGN.md "Unsubscribe-all": without a business unit a PORTAL_WIDE opt-out (unit 0),
    with one a BUSINESS_UNIT_WIDE opt-out of it; every type in scope (``definitions``, active or
    not) not UNSUBSCRIBED yet is set to UNSUBSCRIBED. Each active type is reported:
    UNSUBSCRIBE_FROM_ALL_OCCURRED where it changed, NO_STATUS_CHANGE where it already was.
    A reported status is the type's own row: the opt-out just written is not reported as
    covering its own types."""
    wide_type = WideType.PORTAL_WIDE if business_unit_id is None else WideType.BUSINESS_UNIT_WIDE
    unit = business_unit_id or 0
    current = next(
        (w for w in wides if w.wide_type is wide_type and w.business_unit_id == unit), None
    )
    writes: list[Write] = []
    if current is None or current.status is not State.UNSUBSCRIBED:
        wide = WideStatus(subscriber, channel, wide_type, unit, State.UNSUBSCRIBED, source, now)
        writes.append((current.status if current else State.SUBSCRIBED, wide))
    statuses = []
    for definition in definitions:
        before = stored.get(definition.id)
        if before is not None and before.status is State.UNSUBSCRIBED:
            after, reason = before, Reason.NO_STATUS_CHANGE
        else:
            after = StoredStatus(definition.id, State.UNSUBSCRIBED, source, None, None, now)
            reason = Reason.UNSUBSCRIBE_FROM_ALL_OCCURRED
            writes.append((before.status if before else State.NOT_SPECIFIED, after))
        if definition.is_active:
            statuses.append(
                Status(
                    subscriber,
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
    return UnsubscribeAllPlan(writes, statuses)


# Looks at a planned change before it is applied; a message refuses it (a 400, nothing written).
Guard = Callable[[str, Definition, State, Plan], str | None]


def v3_refusal(subscriber: str, definition: Definition, state: State, plan: Plan) -> str | None:
    """What v3 refuses that v4 allows (DESIGN.md "v3"), in HubSpot's words: subscribing someone
    who opted out of the type or of all (v3 cannot resubscribe), and unsubscribing someone who
    already reads unsubscribed. Subscribing someone already subscribed is allowed and changes
    nothing (HubSpot's v3 spec lists no error for it; its 200 is the status)."""
    if state is State.SUBSCRIBED and plan.reason is Reason.RESUBSCRIBE_OCCURRED:
        return (
            f"subscription {definition.id} for {subscriber} cannot be updated because they "
            "have unsubscribed"
        )
    if state is State.UNSUBSCRIBED and plan.reason is Reason.NO_STATUS_CHANGE:
        return f"{subscriber} is already unsubscribed to subscription {definition.id}"
    return None
