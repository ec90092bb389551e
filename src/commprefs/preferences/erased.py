"""Erased addresses stay suppressed (issue 16): an address whose statuses were erased reads as
opted out of all email, portal-wide, with source "Erased on request", through every API; an
import of it is refused; only a new explicit SUBSCRIBED write (new consent) records it again,
which lifts the suppression and starts a fresh history (a new data key).

Erasure deletes every status row of the address, so only an address with no rows at all can be
an erased one: the suppressions (by keyed hash, store/subject_queries.py) are looked up for
those alone, and the reads of living subscribers pay nothing for them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import replace

from commprefs.domain.errors import CommprefsError
from commprefs.domain.faults import erased_on_request
from commprefs.domain.ledger import IMPORT_API, SOURCE_ERASED
from commprefs.domain.outcomes import BatchOutcome
from commprefs.domain.preferences import (
    Actor,
    Channel,
    Reason,
    State,
    Status,
    StoredStatus,
    WideStatus,
    WideType,
)
from commprefs.domain.subscribers import subscriber_key
from commprefs.store.interface import Erasures


def erased_opt_out(subscriber: str, channel: Channel, erased_at: int) -> WideStatus:
    """What stands for an erasure in the rules: the opt-out of all email it put in force."""
    return WideStatus(
        subscriber, channel, WideType.PORTAL_WIDE, 0, State.UNSUBSCRIBED, SOURCE_ERASED, erased_at
    )


async def suppress_erased(
    repo: Erasures,
    portal_id: int,
    channel: Channel,
    wides: dict[str, list[WideStatus]],
    stored: Mapping[str, Mapping[int, StoredStatus]] | None = None,
) -> dict[str, int]:
    """Give each erased subscriber among ``wides`` (read for keys that have no rows) its
    erasure's opt-out, in place; the erased ones and when they were erased."""
    unknown = [key for key, rows in wides.items() if not rows and not (stored and stored.get(key))]
    if not unknown:
        return {}
    erased = await repo.erased(portal_id, unknown)
    for key, when in erased.items():
        wides[key] = [erased_opt_out(key, channel, when)]
    return erased


def is_import(actor: Actor) -> bool:
    return actor.api == IMPORT_API


def untouched(
    actor: Actor, key: str, position: int, statuses: list[Status], outcome: BatchOutcome
) -> list[Status] | None:
    """An erased subscriber's change that is not new consent: refused for an import (None, the
    error in ``outcome``), else nothing changes and ``statuses``, as they read, are the answer."""
    if is_import(actor):
        outcome.errors.append((position, erased_on_request(key)))
        return None
    return [replace(s, reason=Reason.NO_STATUS_CHANGE) for s in statuses]


def first_positions(subscribers: Sequence[str]) -> dict[str, int]:
    """Where each valid address first comes in a batch, by its key."""
    positions: dict[str, int] = {}
    for index, address in enumerate(subscribers):
        with contextlib.suppress(CommprefsError):
            positions.setdefault(subscriber_key(address), index)
    return positions
