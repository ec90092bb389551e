"""Pure rules: how stored choices and wide opt-outs combine into what the API reports."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from commprefs.preferences.models import (
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


def covering_opt_out(definition: Definition, wides: Iterable[WideStatus]) -> WideStatus | None:
    """The active wide opt-out that covers a type: portal-wide, or the type's own brand."""
    for wide in wides:
        if wide.status is not State.UNSUBSCRIBED:
            continue
        if wide.wide_type is WideType.PORTAL_WIDE:
            return wide
        if wide.business_unit_id == definition.business_unit_id:
            return wide
    return None


def effective_status(
    subscriber: str,
    channel: Channel,
    definition: Definition,
    stored: StoredStatus | None,
    wides: Iterable[WideStatus],
) -> Status:
    """What a read reports for one type. A wide opt-out wins over a per-type choice."""
    opt_out = covering_opt_out(definition, wides)
    if stored is None:
        if opt_out is not None:
            return Status(
                subscriber,
                channel,
                definition,
                State.UNSUBSCRIBED,
                opt_out.source,
                None,
                None,
                opt_out.updated_at,
                covered_by=opt_out.wide_type,
            )
        return Status(
            subscriber,
            channel,
            definition,
            State.NOT_SPECIFIED,
            SOURCE_NOT_SPECIFIED,
            None,
            None,
            definition.created_at,
        )
    if opt_out is not None and stored.status is not State.UNSUBSCRIBED:
        return Status(
            subscriber,
            channel,
            definition,
            State.UNSUBSCRIBED,
            opt_out.source,
            None,
            None,
            opt_out.updated_at,
            covered_by=opt_out.wide_type,
        )
    return Status(
        subscriber,
        channel,
        definition,
        stored.status,
        stored.source,
        stored.legal_basis,
        stored.legal_basis_explanation,
        stored.updated_at,
        covered_by=opt_out.wide_type if opt_out else None,
    )


@dataclass(frozen=True)
class Plan:
    """What one status request does: the row to store (if any), wide opt-outs it lifts, and
    what the API reports back."""

    reason: Reason
    stored: StoredStatus | None
    previous: State
    lifted: tuple[WideStatus, ...] = ()


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
        if w.status is State.UNSUBSCRIBED
        and (
            w.wide_type is WideType.PORTAL_WIDE or w.business_unit_id == definition.business_unit_id
        )
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
