"""Pure plans of a change: what a status update (``plan_change``) or an unsubscribe-all
(``plan_unsubscribe_all``) writes, the ledger entry each row makes (the state it replaces) and
what it reports; and v3's refusals of a planned change."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

from commprefs.domain.preferences import (
    Channel,
    Definition,
    Reason,
    State,
    Status,
    StoredStatus,
    WideStatus,
    WideType,
)
from commprefs.domain.rules import covers

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


def resubscribe_refusal(
    subscriber: str, definition: Definition, state: State, plan: Plan
) -> str | None:
    """What v3 and v1 refuse that v4 allows: subscribing someone who opted out of the type or of
    all (neither can resubscribe; HubSpot's words)."""
    if state is State.SUBSCRIBED and plan.reason is Reason.RESUBSCRIBE_OCCURRED:
        return (
            f"subscription {definition.id} for {subscriber} cannot be updated because they "
            "have unsubscribed"
        )
    return None


def v3_refusal(subscriber: str, definition: Definition, state: State, plan: Plan) -> str | None:
    """What v3 refuses that v4 allows (DESIGN.md "v3"), in HubSpot's words: a resubscribe
    (resubscribe_refusal), and unsubscribing someone who already reads unsubscribed.
    Subscribing someone already subscribed is allowed and changes nothing (HubSpot's v3 spec
    lists no error for it; its 200 is the status)."""
    if refusal := resubscribe_refusal(subscriber, definition, state, plan):
        return refusal
    if state is State.UNSUBSCRIBED and plan.reason is Reason.NO_STATUS_CHANGE:
        return f"{subscriber} is already unsubscribed to subscription {definition.id}"
    return None


def v1_refusal(subscriber: str, definition: Definition, state: State, plan: Plan) -> str | None:
    """What v1 refuses that v4 allows: a resubscribe (resubscribe_refusal), and resetting an
    opt-out to no choice (``NOT_OPTED``), which would undo it."""
    if refusal := resubscribe_refusal(subscriber, definition, state, plan):
        return refusal
    if state is State.NOT_SPECIFIED and plan.previous is State.UNSUBSCRIBED:
        return (
            f"subscription {definition.id} for {subscriber} cannot be reset because they "
            "have unsubscribed"
        )
    return None


def subscribe_all_refusal(
    subscriber: str, definition: Definition, state: State, plan: Plan
) -> str | None:
    """v1's subscribe-to-all (``{"subscribed": true}``) cannot undo an opt-out of all email."""
    if any(w.wide_type is WideType.PORTAL_WIDE for w in plan.lifted):
        return f"{subscriber} cannot be subscribed because they have unsubscribed from all email"
    return None


def keeps_opt_out(plan: Plan) -> bool:
    """Subscribe-to-all leaves a type the subscriber opted out of (or its brand) as it is:
    v1 has no undo for an opt-out."""
    return plan.reason is Reason.RESUBSCRIBE_OCCURRED
