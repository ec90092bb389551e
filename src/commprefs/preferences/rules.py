"""Pure rules: how stored choices and wide opt-outs combine into what the API reports."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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
