"""What a service call did, with the times HubSpot's envelopes report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from commprefs.domain.errors import CommprefsError
from commprefs.domain.preferences import Status
from commprefs.domain.rules import Reading


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


@dataclass(frozen=True)
class V1Reading:
    """A subscriber as Email Subscriptions v1 reads them: the active types with a status
    (chosen, or covered by an opt-out; v1 leaves out types never chosen) and whether they opted
    out of all email."""

    subscriber: str
    statuses: list[Status]
    opted_out_of_all: bool
