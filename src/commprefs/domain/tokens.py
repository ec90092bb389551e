"""Token records and the scope rules of each operation (reference §6.2)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TokenRecord:
    id: int
    portal_id: int
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
)

# Erasure (issue 16): ours, in no default token (the first token has ALL_SCOPES only); a token
# is given it only by naming it (`commprefs tokens create --scopes commprefs.subjects.erase`).
ERASE_SCOPE = "commprefs.subjects.erase"
ERASE_SUBJECTS = _rule((ERASE_SCOPE,), (ERASE_SCOPE,))
GRANTABLE_SCOPES: tuple[str, ...] = (*ALL_SCOPES, ERASE_SCOPE)
