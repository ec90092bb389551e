"""Token records and the scope rules of each operation (reference §6.2)."""

from __future__ import annotations

from dataclasses import dataclass, field

# HubSpot's 401 for a missing, unknown or revoked credential (commprefs or OAuth token alike).
NO_CREDENTIALS = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you "
    "can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)


@dataclass(frozen=True)
class TokenRecord:
    id: int
    # None for an instance token (``commprefs tokens create --instance``): it belongs to no
    # portal and may only do what the instance scope allows (create portals, link keys).
    portal_id: int | None
    name: str
    hint: str
    scopes: frozenset[str]
    created_at: int
    revoked_at: int | None
    secret_sha256: str = field(default="", repr=False)

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class ScopeRule:
    """Any one of ``alternatives`` grants access; each alternative needs all of its scopes.

    ``shown`` is what a 403 lists in ``requiredGranularScopes`` (HubSpot's current family).
    """

    alternatives: tuple[frozenset[str], ...]
    shown: tuple[str, ...]

    def allows(self, granted: frozenset[str]) -> bool:
        return any(needed <= granted for needed in self.alternatives)

    def missing(self, granted: frozenset[str]) -> list[str]:
        return sorted(set(self.shown) - granted)


def _rule(shown: tuple[str, ...], *alternatives: tuple[str, ...]) -> ScopeRule:
    return ScopeRule(tuple(frozenset(a) for a in alternatives), shown)


_CP = "communication_preferences"
READ_DEFINITIONS = _rule(
    (f"{_CP}.read", f"{_CP}.read_write"),
    (f"{_CP}.read",),
    (f"{_CP}.read_write",),
    ("subscriptions-definition-read",),
)
READ_STATUS = _rule(
    (f"{_CP}.read", f"{_CP}.read_write"),
    (f"{_CP}.read",),
    (f"{_CP}.read_write",),
    ("subscriptions-status-read",),
)
WRITE_STATUS = _rule(
    (f"{_CP}.write", f"{_CP}.read_write"),
    (f"{_CP}.write",),
    (f"{_CP}.read_write",),
    ("subscriptions-status-write",),
)
GENERATE_LINKS = _rule(
    (f"{_CP}.read", f"{_CP}.write", f"{_CP}.read_write"),
    (f"{_CP}.read", f"{_CP}.write"),
    (f"{_CP}.read_write",),
    ("subscriptions-status-read", "subscriptions-status-write"),
)
BATCH_READ = _rule(
    (f"{_CP}.statuses.batch.read",),
    (f"{_CP}.statuses.batch.read",),
    ("subscription-status-batch-read",),
)
BATCH_WRITE = _rule(
    (f"{_CP}.statuses.batch.write",),
    (f"{_CP}.statuses.batch.write",),
    ("subscription-status-batch-write",),
)
# Issue 16 (our /commprefs/v1 extensions) reuse HubSpot's families: the access export and the list
# of pending confirmations read what a status read reads; asking for a double opt-in is a write.
EXPORT_SUBJECT = READ_STATUS
READ_CONFIRMATIONS = READ_STATUS
REQUEST_CONFIRMATION = WRITE_STATUS

# Email Subscriptions v1 (issue 14): HubSpot names its legacy scope ``content``; our v3/v4
# families grant the same reads and writes there too.
V1_SCOPE = "content"


def _with_v1(rule: ScopeRule) -> ScopeRule:
    return ScopeRule((*rule.alternatives, frozenset({V1_SCOPE})), (V1_SCOPE,))


V1_READ_DEFINITIONS = _with_v1(READ_DEFINITIONS)
V1_READ_STATUS = _with_v1(READ_STATUS)
V1_WRITE_STATUS = _with_v1(WRITE_STATUS)

# Ours (issue 17, the admin API): a portal's administration over HTTP, and the instance's.
ADMIN_SCOPE = "commprefs.admin"
INSTANCE_SCOPE = "commprefs.instance"
ADMIN = _rule((ADMIN_SCOPE,), (ADMIN_SCOPE,))
INSTANCE = _rule((INSTANCE_SCOPE,), (INSTANCE_SCOPE,))

# Every scope a portal's token may hold (the instance scope is only for instance tokens).
ALL_SCOPES: tuple[str, ...] = (
    f"{_CP}.read",
    f"{_CP}.write",
    f"{_CP}.read_write",
    f"{_CP}.statuses.batch.read",
    f"{_CP}.statuses.batch.write",
    "subscriptions-definition-read",
    "subscriptions-status-read",
    "subscriptions-status-write",
    "subscription-status-batch-read",
    "subscription-status-batch-write",
    V1_SCOPE,
    ADMIN_SCOPE,
)

# Erasure (issue 16): ours, in no default token (the first token has ALL_SCOPES only); a token
# is given it only by naming it (`commprefs tokens create --scopes commprefs.subjects.erase`).
ERASE_SCOPE = "commprefs.subjects.erase"
ERASE_SUBJECTS = _rule((ERASE_SCOPE,), (ERASE_SCOPE,))
GRANTABLE_SCOPES: tuple[str, ...] = (*ALL_SCOPES, ERASE_SCOPE)
