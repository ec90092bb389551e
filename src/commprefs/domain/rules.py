"""Pure rules: how stored choices and wide opt-outs combine into what the API reports."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple

from commprefs.domain.preferences import (
    SOURCE_NOT_SPECIFIED,
    Channel,
    Definition,
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
    # An opt-out covers a type unless the type is UNSUBSCRIBED itself (its own record is read).
    if opt_out is not None and (stored is None or stored.status is not State.UNSUBSCRIBED):
        return Reading(
            definition,
            State.UNSUBSCRIBED,
            opt_out.source,
            None,
            None,
            opt_out.updated_at,
            opt_out.wide_type,
        )
    if stored is None:
        return Reading(
            definition, State.NOT_SPECIFIED, SOURCE_NOT_SPECIFIED, None, None, definition.created_at
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
