"""Pure rules: how stored choices and wide opt-outs combine into what the API reports."""

from __future__ import annotations

from collections.abc import Iterable

from commprefs.preferences.models import (
    SOURCE_NOT_SPECIFIED,
    Channel,
    Definition,
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
