"""OAuth test data (issue 14): apps, codes and token pairs made through the OAuth service, and
a clock that tests move by hand, for an app served in-process (tests/support/inprocess.py)."""

from __future__ import annotations

import time
from collections.abc import Iterable

from commprefs.domain.oauth import TokenPair
from commprefs.domain.preferences import Portal
from commprefs.domain.tokens import ALL_SCOPES
from commprefs.oauth.models import CreatedApp, TokenRequest
from commprefs.oauth.service import OAuthService
from tests.support.factories import Factory

REDIRECT_URI = "https://app.example.com/oauth/callback"


class ManualClock:
    """Real time plus however far a test has moved it: never slept, only advanced."""

    def __init__(self) -> None:
        self.offset_ms = 0

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000 + self.offset_ms

    def advance(self, seconds: float) -> None:
        self.offset_ms += int(seconds * 1000)


class _Ago:
    def __init__(self, seconds: float) -> None:
        self.offset_ms = int(seconds * 1000)

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000 - self.offset_ms


def create_app(factory: Factory, portal: Portal, scopes: Iterable[str] = ALL_SCOPES) -> CreatedApp:
    return factory.run(
        factory.services.oauth.create_app(portal.id, "Test app", REDIRECT_URI, scopes)
    )


def token_pair(
    factory: Factory,
    portal: Portal,
    scopes: Iterable[str] = ALL_SCOPES,
    issued_ago_seconds: float = 0,
) -> TokenPair:
    """An access and refresh token of a new app of ``portal`` holding ``scopes``, issued that
    long ago (past the access token's lifetime: an expired one)."""
    services = factory.services
    oauth = OAuthService(
        services.database, _Ago(issued_ago_seconds), services.settings, services.links.form_secret
    )
    created = create_app(factory, portal, scopes)
    issued = factory.run(oauth.authorize(created.app.id))
    request = TokenRequest(
        "authorization_code", created.app.client_id, created.client_secret, REDIRECT_URI,
        issued.code,
    )  # fmt: skip
    return factory.run(oauth.exchange(request))
