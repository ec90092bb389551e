"""OAuth apps and their credentials as values, and the refusals of HubSpot's OAuth v1 API.

Every secret (client secret, authorization code, access and refresh token) carries a prefix that
says what it is, so that a leaked one is easy to find and an access token is told apart from a
commprefs token before any lookup. Only their SHA-256 is stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlunsplit

from commprefs.domain.errors import CommprefsError, InvalidInput, Unauthenticated
from commprefs.domain.tokens import ALL_SCOPES
from commprefs.domain.urls import UnsafeUrl, normalise

CLIENT_SECRET_PREFIX = "cpocs-"  # noqa: S105 - public markers, not secrets
CODE_PREFIX = "cpoac-"
ACCESS_TOKEN_PREFIX = "cpoat-"  # noqa: S105
REFRESH_TOKEN_PREFIX = "cport-"  # noqa: S105
# Who approved a grant when nobody signed in: `commprefs apps authorize`, run by the operator.
OPERATOR_USER_ID = 0


def is_access_token(secret: str | None) -> bool:
    return bool(secret) and str(secret).startswith(ACCESS_TOKEN_PREFIX)


def checked_scopes(scopes: Iterable[str], allowed: Iterable[str] = ALL_SCOPES) -> list[str]:
    """The scopes asked for, sorted, if there are some and all are ``allowed``."""
    wanted = sorted({s.strip() for s in scopes if s.strip()})
    unknown = [s for s in wanted if s not in set(allowed)]
    if unknown or not wanted:
        raise InvalidInput.field(
            "scopes",
            f"Unknown scopes {unknown}; choose from {sorted(allowed)}"
            if unknown
            else "At least one scope is required.",
        )
    return wanted


def redirect_uri(raw: str) -> str:
    """An app's redirect URI, checked and normalised as other URLs are (domain/urls.py)."""
    try:
        return urlunsplit(normalise(raw.strip(), ("https", "http"), ip_literals=True))
    except UnsafeUrl as unsafe:
        raise InvalidInput.field("redirectUri", f"The redirect URI {unsafe}.") from None


@dataclass(frozen=True)
class OAuthApp:
    id: int
    portal_id: int
    name: str
    client_id: str
    redirect_uri: str
    scopes: frozenset[str]
    created_at: int
    client_secret_sha256: str = ""


@dataclass(frozen=True)
class AuthorizationCode:
    id: int
    app_id: int
    scopes: frozenset[str]
    redirect_uri: str
    user_id: int
    expires_at: int
    used_at: int | None


@dataclass(frozen=True)
class IssuedToken:
    """An access or refresh token row. ``token_id`` is the grant: the commprefs token (tokens
    table) that stands for the app's access to the portal, whose scopes and revocation rule."""

    id: int
    app_id: int
    token_id: int
    user_id: int
    created_at: int
    ends_at: int | None  # access: when it expires; refresh: when it was rotated out


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int  # seconds


class OAuthRefusal(CommprefsError):
    """A refused token request, in HubSpot's OAuth shape: ``status`` is the reason's code
    (``BAD_AUTH_CODE``…), not ``"error"``."""

    def __init__(self, reason: str, message: str, status_code: int = 400) -> None:
        super().__init__(message)
        self.reason = reason
        self.status_code = status_code


def bad_grant_type() -> OAuthRefusal:
    return OAuthRefusal("BAD_GRANT_TYPE", "missing or unknown grant type")


def bad_client() -> OAuthRefusal:
    # One answer for an unknown client id and a wrong secret: it does not tell which ids exist.
    return OAuthRefusal("BAD_CLIENT_ID", "missing or invalid client id")


def bad_auth_code() -> OAuthRefusal:
    return OAuthRefusal("BAD_AUTH_CODE", "missing or unknown auth code")


def expired_auth_code() -> OAuthRefusal:
    return OAuthRefusal("EXPIRED_AUTH_CODE", "auth code is expired")


def bad_redirect_uri() -> OAuthRefusal:
    return OAuthRefusal("BAD_REDIRECT_URI", "missing or invalid redirect URI")


def mismatched_redirect_uri() -> OAuthRefusal:
    return OAuthRefusal(
        "MISMATCH_REDIRECT_URI_AUTH_CODE", "redirect URI does not match initial auth code URI"
    )


def bad_refresh_token() -> OAuthRefusal:
    return OAuthRefusal("BAD_REFRESH_TOKEN", "missing or invalid refresh token")


def unknown_access_token() -> OAuthRefusal:
    return OAuthRefusal("BAD_ACCESS_TOKEN", "missing or invalid access token", 404)


class ExpiredAuthentication(Unauthenticated):
    """401 for an OAuth access token past its expiry, in HubSpot's words."""

    category = "EXPIRED_AUTHENTICATION"

    @classmethod
    def since(cls, expired_ms: int) -> ExpiredAuthentication:
        minutes = max(0, expired_ms) // 60_000
        return cls(f"The OAuth token used to make this call expired {minutes} minute(s) ago.")
