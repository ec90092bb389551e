"""What the ledger answers: a subscriber's history, and the health of a portal's chain."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from commprefs.domain.preferences import Channel, State, Status, WideStatus, WideType

# The kind of ledger entry that records an erasure (and the type of its change event).
ERASED = "subscriber.erased"
SOURCE_ERASED = "Erased on request"
# The API recorded for imported changes (transfer/), which may not bring an erased address back.
IMPORT_API = "import"


@dataclass(frozen=True)
class ErasureRecord:
    """The ledger entry of an erasure: that it happened, when and by whom; of the subscriber
    only the keyed hash (domain/sealing.py subject_hash), which downstream systems match on."""

    portal_id: int
    subject_hash: str
    channel: Channel
    source: str
    api: str
    token_id: int | None
    request_id: str
    created_at: int


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded change, with the names of the subscription type and token it involved."""

    seq: int
    subscriber: str
    channel: Channel
    subscription_id: int | None
    subscription_name: str | None
    wide_type: WideType | None
    business_unit_id: int | None
    old_status: State
    new_status: State
    legal_basis: str | None
    legal_basis_explanation: str | None
    source: str
    api: str
    token_id: int | None
    token_name: str | None
    request_id: str
    created_at: int
    occurred_at: int | None
    hash: str
    # The consent context of the change (domain/consent.py); None on entries from before it.
    context: Mapping[str, Any] | None = None
    # Its hash in the cleartext chain, for an entry migrated by revision 0008 (its event's id).
    legacy_hash: str | None = None


@dataclass(frozen=True)
class HistoryPage:
    subscriber: str
    entries: list[HistoryEntry]
    next_after: int | None  # the seq to continue after, when there is more


@dataclass(frozen=True)
class TimelinePage:
    """A page of a portal's changes, newest first (v1's timeline): each item is the entries one
    request recorded for one subscriber, in the order recorded. ``next_before`` is the seq to
    continue below; ``has_more`` says whether anything is there."""

    items: list[list[HistoryEntry]]
    has_more: bool
    next_before: int


@dataclass(frozen=True)
class StateAsOf:
    """A subscriber's effective statuses at a moment, rebuilt from the ledger alone."""

    subscriber: str
    channel: Channel
    as_of: int
    statuses: list[Status]
    wide_statuses: list[WideStatus]


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    message: str


@dataclass
class ChainReport:
    """The result of checking one portal's chain; ``problems`` is empty when it is intact."""

    portal_id: int
    entries: int = 0
    head_seq: int = 0
    head_hash: str = ""
    # The last entry migrated by revision 0008 and its hash in the cleartext chain: the head
    # ``ledger verify`` printed before then (0 and "" when none was migrated).
    legacy_head_seq: int = 0
    legacy_head_hash: str = ""
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems
