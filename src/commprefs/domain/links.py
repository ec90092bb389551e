"""Values and errors of signed preference-page links. No SQL, no HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field

from commprefs.domain.errors import CommprefsError


@dataclass(frozen=True)
class SigningKey:
    """A stored key. ``secret`` never leaves the service: not in repr, logs or output."""

    id: int
    created_at: int
    retired_at: int | None
    secret: str = field(repr=False)


@dataclass(frozen=True)
class KeyInfo:
    """What an operator may see of a key: never the secret."""

    kid: str
    created_at: int | None
    retired_at: int | None
    verifies_until: int | None  # None: for as long as it is kept
    signing: bool
    configured: bool


@dataclass(frozen=True)
class LinkClaims:
    """What a link grants: this subscriber's preferences in this portal and business unit."""

    portal_id: int
    subscriber: str
    business_unit_id: int
    subscription_id: int | None = None
    language: str | None = None


@dataclass(frozen=True)
class VerifiedLink:
    """A link whose signature checked out, with the key that signed it (for CSRF tokens)."""

    token: str
    claims: LinkClaims
    kid: str
    secret: bytes = field(repr=False)


@dataclass(frozen=True)
class GeneratedLinks:
    subscriber: str
    token: str
    manage_url: str
    unsubscribe_all_url: str
    unsubscribe_single_url: str | None

    @property
    def list_unsubscribe(self) -> str:
        """RFC 2369 ``List-Unsubscribe`` value: the most specific unsubscribe URL."""
        return f"<{self.unsubscribe_single_url or self.unsubscribe_all_url}>"

    @property
    def list_unsubscribe_post(self) -> str:
        """RFC 8058 ``List-Unsubscribe-Post`` value: the URL takes a one-click POST."""
        return "List-Unsubscribe=One-Click"


class InvalidLink(CommprefsError):
    """404: the link was altered, is from elsewhere, or no longer points at anything."""

    status_code = 404
    category = "OBJECT_NOT_FOUND"


class ExpiredLink(CommprefsError):
    """410: the link was genuine, but its signing key has retired past the grace period."""

    status_code = 410
    category = "OBJECT_NOT_FOUND"


class FormExpired(CommprefsError):
    """403: a page form came back without a valid CSRF token (stale, forged or no cookie)."""

    status_code = 403
    category = "VALIDATION_ERROR"
