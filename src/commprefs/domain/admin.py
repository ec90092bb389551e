"""Values of the administration over HTTP (the admin API, issue 17): who acted, what an audit
record says, an import job's progress, and what a webhook's recent deliveries look like."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class AdminActor:
    """Who makes an administrative change: a token (of a portal, or the instance's: portal_id
    None) or, in the console, a user; ``request_id`` ties the record to the request."""

    portal_id: int | None
    token_id: int | None
    request_id: str
    user_id: int | None = None


@dataclass(frozen=True)
class AuditRecord:
    id: int
    portal_id: int | None
    token_id: int | None
    user_id: int | None
    action: str
    target: str
    detail: dict[str, Any]
    request_id: str
    created_at: int


class JobState(StrEnum):
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"


@dataclass(frozen=True)
class ImportJob:
    id: int
    portal_id: int
    token_id: int | None
    format: str
    state: JobState
    rows: int
    imported: int
    rejected: int
    header: list[str]
    error: str | None
    request_id: str
    created_at: int
    finished_at: int | None


@dataclass(frozen=True)
class Delivery:
    """One of a webhook's recent events and where its delivery stands: DELIVERED (acknowledged),
    FAILING (the next to send, whose last attempt failed) or PENDING."""

    sequence: int
    event_id: str
    recorded_at: int
    status: str


@dataclass(frozen=True)
class WebhookDeliveries:
    webhook_id: int
    delivered_sequence: int
    attempts: int
    last_attempt_at: int | None
    last_error: str | None
    next_attempt_at: int
    deliveries: list[Delivery] = field(default_factory=list)
