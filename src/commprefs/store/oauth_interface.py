"""The OAuth part of the repository interface (issue 14), kept beside store/interface.py, whose
``Repository`` includes it: apps, authorization codes, access and refresh tokens."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from commprefs.domain.oauth import AuthorizationCode, IssuedToken, OAuthApp
from commprefs.domain.tokens import TokenRecord


class OAuthStore(Protocol):
    """OAuth apps, codes and tokens (issue 14), secrets stored as SHA-256."""

    async def create_oauth_app(
        self,
        portal_id: int,
        name: str,
        client_id: str,
        client_secret_sha256: str,
        redirect_uri: str,
        scopes: Iterable[str],
        now: int,
    ) -> OAuthApp: ...

    async def oauth_app(
        self, app_id: int | None = None, client_id: str | None = None
    ) -> OAuthApp | None: ...

    async def list_oauth_apps(self, portal_id: int | None = None) -> list[OAuthApp]: ...

    async def create_oauth_code(self, **values: Any) -> None: ...

    async def oauth_code(self, code_sha256: str) -> AuthorizationCode | None: ...

    async def redeem_oauth_code(self, code_id: int, now: int) -> bool:
        """False when the code was redeemed already."""

    async def create_oauth_token(self, **values: Any) -> None: ...

    async def oauth_token(
        self, kind: str, secret_sha256: str
    ) -> tuple[IssuedToken, TokenRecord] | None:
        """The token of that kind and its grant."""

    async def rotate_refresh_token(self, token_row_id: int, now: int) -> bool: ...
