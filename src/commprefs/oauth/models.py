"""What the OAuth service hands its entry points: a new app with its secret once, a code issued,
the consent page to show, a token's metadata (introspection), and the form a token request is."""

from __future__ import annotations

from dataclasses import dataclass

from commprefs.domain.oauth import OAuthApp


@dataclass(frozen=True)
class CreatedApp:
    app: OAuthApp
    client_secret: str  # shown once, stored only as SHA-256


@dataclass(frozen=True)
class IssuedCode:
    code: str
    redirect_uri: str
    expires_in: int  # seconds


@dataclass(frozen=True)
class ConsentPage:
    app: OAuthApp
    portal_name: str
    scopes: list[str]
    redirect_uri: str
    state: str | None
    csrf: str


@dataclass(frozen=True)
class ConsentForm:
    """What the consent page posts back."""

    client_id: str | None
    redirect_uri: str | None
    scope: str | None
    state: str | None
    approver_token: str | None
    approved: bool
    csrf: str | None
    cookie: str | None


@dataclass(frozen=True)
class TokenRequest:
    """The fields of ``POST /oauth/v1/token`` (form-encoded), each as sent or None."""

    grant_type: str | None
    client_id: str | None
    client_secret: str | None
    redirect_uri: str | None = None
    code: str | None = None
    refresh_token: str | None = None


@dataclass(frozen=True)
class TokenInfo:
    """An access or refresh token's metadata, as HubSpot's introspection shows it."""

    token: str
    token_type: str  # "access" or "refresh"
    hub_id: int
    app_id: int
    client_id: str
    user_id: int
    scopes: list[str]
    expires_in: int | None  # access tokens only
