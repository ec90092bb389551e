"""The steps the preferences service shares between its calls: input checks and the ledger entry
a change makes. What any service checks about the ids it is given is in portals/checks.py, the
faults' words in domain/faults.py, the coverage of wide opt-outs in domain/rules.py."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from commprefs.domain.clock import iso_ms
from commprefs.domain.errors import CommprefsError, InvalidInput
from commprefs.domain.faults import check_legal_basis_value
from commprefs.domain.outcomes import BatchOutcome
from commprefs.domain.preferences import (
    Actor,
    Channel,
    Definition,
    LedgerEntry,
    Portal,
    State,
    StatusChange,
    StoredStatus,
    WideStatus,
    WideType,
)
from commprefs.domain.rules import covers
from commprefs.domain.subscribers import subscriber_key


def times_by_key(
    subscribers: Sequence[str], occurred_at: Sequence[int | None] | None
) -> dict[str, int]:
    """When each (valid) subscriber's change happened, where the caller says so."""
    found: dict[str, int] = {}
    for address, when in zip(subscribers, occurred_at or (), strict=False):
        if when is not None:
            with contextlib.suppress(CommprefsError):
                found[subscriber_key(address)] = when
    return found


def newer_choice(
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
        times += [w.updated_at for w in wides if covers(w, definition.business_unit_id)]
    if not times or max(times) <= change.occurred_at:
        return None
    return InvalidInput.field(
        "timestamp",
        f"A later choice ({iso_ms(max(times))}) is on record for subscription "
        f"{definition.id}; this change is from {iso_ms(change.occurred_at)}.",
        "STALE",
    )


def check_batch_size(inputs: Sequence[object], max_inputs: int) -> None:
    if len(inputs) > max_inputs:
        raise InvalidInput.field(
            "inputs",
            f"A batch takes at most {max_inputs} inputs; {len(inputs)} were sent.",
            "TOO_MANY_INPUTS",
        )


def valid_subscribers(raw: Sequence[str], outcome: BatchOutcome) -> list[str]:
    keys = []
    for index, address in enumerate(raw):
        try:
            keys.append(subscriber_key(address))
        except CommprefsError as error:
            outcome.errors.append((index, error))
    return keys


def same_scope(a: WideStatus, b: WideStatus) -> bool:
    return a.wide_type is b.wide_type and a.business_unit_id == b.business_unit_id


def check_legal_basis(portal: Portal, change: StatusChange) -> None:
    """A legal basis given is a real one, whoever calls (the wire models check it too, in
    their words); in a GDPR portal, subscribing needs one and its explanation."""
    check_legal_basis_value(change.legal_basis)
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


def ledger_entry(
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
        context=actor.context,
    )
