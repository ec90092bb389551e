"""The console's value types: its users and their roles, sessions, login throttling, and the
overview's figures. Pure values; the rules that use them are in operators/."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from commprefs.domain.admin import AuditRecord
from commprefs.domain.errors import CommprefsError


class Role(StrEnum):
    ADMIN = "admin"  # reads and changes
    VIEWER = "viewer"  # reads only


@dataclass(frozen=True)
class ConsoleUser:
    id: int
    portal_id: int
    email: str
    role: Role
    created_at: int
    disabled_at: int | None
    password_hash: str = field(default="", repr=False)

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    @property
    def can_change(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def actor_name(self) -> str:
        """How the ledger names this user as the actor of a change."""
        return f"console user {self.id} ({self.email})"


@dataclass(frozen=True)
class ConsoleSession:
    """A logged-in browser: its user and the CSRF token every form of the session carries."""

    secret_sha256: str
    user: ConsoleUser
    csrf: str
    created_at: int
    last_seen_at: int


@dataclass(frozen=True)
class RecentChange:
    """An audit record of the portal (admin_audit: a change made in the console or over the
    admin API, or a console login) as the overview lists it, with the acting user's address
    when a console user acted."""

    record: AuditRecord
    user_email: str | None

    @property
    def who(self) -> str:
        if self.user_email is not None:
            return self.user_email
        if self.record.token_id is not None:
            return f"token {self.record.token_id}"
        return "the instance"


@dataclass(frozen=True)
class LoginFailures:
    email: str
    failures: int
    first_failure_at: int
    locked_until: int | None


@dataclass(frozen=True)
class TypeCounts:
    """Addresses per state of one subscription type, as the API would read them."""

    subscription_id: int
    name: str
    business_unit_id: int
    active: bool
    subscribed: int
    unsubscribed: int
    never_chosen: int


@dataclass(frozen=True)
class DayCounts:
    day: str  # YYYY-MM-DD (UTC)
    opt_ins: int
    opt_outs: int


@dataclass(frozen=True)
class WebhookLag:
    webhook_id: int
    url: str
    backlog: int
    lag_ms: int | None  # age of the oldest event not yet acknowledged
    last_error: str | None
    attempts: int = 0  # failed attempts at the next batch since the last success
    last_attempt_at: int | None = None


@dataclass(frozen=True)
class ChainState:
    head_seq: int
    head_hash: str
    verified_at: int | None
    verified_seq: int | None
    intact: bool | None


@dataclass(frozen=True)
class Overview:
    addresses: int
    types: list[TypeCounts]
    days: list[DayCounts]
    by_source: list[tuple[str, int]]
    by_legal_basis: list[tuple[str, int]]
    opt_outs_by_brand: list[tuple[int, str, int]]  # (business unit id, name, count); 0 = all
    chain: ChainState
    webhooks: list[WebhookLag]
    actions: list[RecentChange] = field(default_factory=list)


class LoginThrottled(CommprefsError):
    """429: too many failed logins for one address; refused until the lock-out ends."""

    status_code = 429
    category = "RATE_LIMITS"


class NotAllowed(CommprefsError):
    """403: the console user's role may not do this (viewers only read)."""

    status_code = 403
    category = "MISSING_SCOPES"
