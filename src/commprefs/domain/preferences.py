"""Domain values. Plain dataclasses: no SQL, no HTTP."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Channel(StrEnum):
    EMAIL = "EMAIL"


class State(StrEnum):
    SUBSCRIBED = "SUBSCRIBED"
    UNSUBSCRIBED = "UNSUBSCRIBED"
    NOT_SPECIFIED = "NOT_SPECIFIED"


class WideType(StrEnum):
    PORTAL_WIDE = "PORTAL_WIDE"
    BUSINESS_UNIT_WIDE = "BUSINESS_UNIT_WIDE"


class Reason(StrEnum):
    NO_STATUS_CHANGE = "NO_STATUS_CHANGE"
    REQUESTED_CHANGE_OCCURRED = "REQUESTED_CHANGE_OCCURRED"
    RESUBSCRIBE_OCCURRED = "RESUBSCRIBE_OCCURRED"
    UNSUBSCRIBE_FROM_ALL_OCCURRED = "UNSUBSCRIBE_FROM_ALL_OCCURRED"


class LegalBasis(StrEnum):
    CONSENT_WITH_NOTICE = "CONSENT_WITH_NOTICE"
    LEGITIMATE_INTEREST_CLIENT = "LEGITIMATE_INTEREST_CLIENT"
    LEGITIMATE_INTEREST_OTHER = "LEGITIMATE_INTEREST_OTHER"
    LEGITIMATE_INTEREST_PQL = "LEGITIMATE_INTEREST_PQL"
    NON_GDPR = "NON_GDPR"
    PERFORMANCE_OF_CONTRACT = "PERFORMANCE_OF_CONTRACT"
    PROCESS_AND_STORE = "PROCESS_AND_STORE"


# The source recorded for a status nobody ever chose, as HubSpot shows it.
SOURCE_NOT_SPECIFIED = "Not specified"
SOURCE_PUBLIC_API = "Public status API"


@dataclass(frozen=True)
class Portal:
    id: int
    name: str
    gdpr: bool


@dataclass(frozen=True)
class BusinessUnit:
    portal_id: int
    id: int
    name: str


@dataclass(frozen=True)
class Definition:
    id: int
    portal_id: int
    business_unit_id: int
    name: str
    description: str
    purpose: str
    communication_method: str
    is_active: bool
    is_default: bool
    is_internal: bool
    created_at: int
    updated_at: int


@dataclass(frozen=True)
class StoredStatus:
    """A subscriber's recorded choice for one subscription type."""

    subscription_id: int
    status: State
    source: str
    legal_basis: str | None
    legal_basis_explanation: str | None
    updated_at: int


@dataclass(frozen=True)
class WideStatus:
    subscriber: str
    channel: Channel
    wide_type: WideType
    business_unit_id: int
    status: State
    source: str
    updated_at: int


@dataclass(frozen=True)
class Status:
    """A subscriber's effective status for one type, as the API reports it."""

    subscriber: str
    channel: Channel
    definition: Definition
    status: State
    source: str
    legal_basis: str | None
    legal_basis_explanation: str | None
    timestamp: int
    reason: Reason | None = None
    # The wide opt-out that makes this type read UNSUBSCRIBED, if any (v3's sourceOfStatus).
    covered_by: WideType | None = None


@dataclass(frozen=True)
class Actor:
    """Who asks for a change: recorded with every ledger entry."""

    portal_id: int
    token_id: int | None
    request_id: str
    api: str
    # The consent context of the changes it makes (domain/consent.py), kept in their entries.
    context: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class LedgerEntry:
    portal_id: int
    subscriber: str
    channel: Channel
    old_status: State
    new_status: State
    source: str
    api: str
    token_id: int | None
    request_id: str
    created_at: int
    subscription_id: int | None = None
    wide_type: WideType | None = None
    business_unit_id: int | None = None
    legal_basis: str | None = None
    legal_basis_explanation: str | None = None
    # When the change happened according to its source, if not when it is recorded (imports).
    occurred_at: int | None = None
    # Who, from where and through what (domain/consent.py); None on entries from before it.
    context: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class StatusChange:
    """A request to set one subscriber's status for one type (v4 E3/E10, v3, pages, import).

    ``subscriber`` is the address as sent; the service validates and normalises it.
    """

    subscriber: str
    subscription_id: int
    state: State
    channel: Channel = Channel.EMAIL
    legal_basis: str | None = None
    legal_basis_explanation: str | None = None
    # Set by imports: the change's own source (instead of the call's) and when it happened
    # (epoch ms, instead of now). A change older than the choice on record is refused.
    source: str | None = None
    occurred_at: int | None = None


@dataclass(frozen=True)
class Translation:
    definition_id: int
    language_code: str
    name: str
    description: str
    created_at: int
    updated_at: int
