"""Webhook endpoints and the events queued for them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Webhook:
    id: int
    portal_id: int
    url: str
    secret: str
    created_at: int
    delivered_seq: int  # every event of the portal up to this seq has been acknowledged
    attempts: int  # failed attempts at the next batch since the last success
    next_attempt_at: int
    last_attempt_at: int | None
    last_error: str | None

    @property
    def secret_hint(self) -> str:
        return self.secret[:10] + "…"


@dataclass(frozen=True)
class WebhookState:
    """A webhook with how far behind its portal's events it is."""

    webhook: Webhook
    pending: int


@dataclass(frozen=True)
class OutboxEvent:
    """A change event, made from one ledger entry when it is sent (domain/events.py)."""

    portal_id: int
    seq: int
    event_id: str
    created_at: int
    payload: str  # the event's JSON, exactly as it is sent


@dataclass(frozen=True)
class Rewind:
    """What a replay did to one webhook: its cursor moved back from ``before`` to ``after``."""

    webhook_id: int
    before: int
    after: int

    @property
    def events(self) -> int:
        return self.before - self.after
