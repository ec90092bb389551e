"""SQL of OAuth (issue 14): apps, authorization codes, access and refresh tokens
(store/interface.py's OAuthStore)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert, select, update

from commprefs.domain.oauth import AuthorizationCode, IssuedToken, OAuthApp
from commprefs.domain.tokens import TokenRecord
from commprefs.store.models import oauth_apps, oauth_codes, oauth_tokens, tokens
from commprefs.store.queries import Queries


def _app(row: Any) -> OAuthApp:
    return OAuthApp(
        id=row.id,
        portal_id=row.portal_id,
        name=row.name,
        client_id=row.client_id,
        redirect_uri=row.redirect_uri,
        scopes=frozenset(row.scopes.split()),
        created_at=row.created_at,
        client_secret_sha256=row.client_secret_sha256,
    )


def _issued(row: Any) -> IssuedToken:
    return IssuedToken(
        id=row.id,
        app_id=row.app_id,
        token_id=row.token_id,
        user_id=row.user_id,
        created_at=row.created_at,
        ends_at=row.ends_at,
    )


class OAuthQueries(Queries):
    """store/interface.py's OAuthStore."""

    async def create_oauth_app(
        self,
        portal_id: int,
        name: str,
        client_id: str,
        client_secret_sha256: str,
        redirect_uri: str,
        scopes: Iterable[str],
        now: int,
    ) -> OAuthApp:
        result = await self.conn.execute(
            insert(oauth_apps)
            .values(
                portal_id=portal_id,
                name=name,
                client_id=client_id,
                client_secret_sha256=client_secret_sha256,
                redirect_uri=redirect_uri,
                scopes=" ".join(sorted(scopes)),
                created_at=now,
            )
            .returning(oauth_apps)
        )
        return _app(result.one())

    async def oauth_app(
        self, app_id: int | None = None, client_id: str | None = None
    ) -> OAuthApp | None:
        query = select(oauth_apps)
        if app_id is not None:
            query = query.where(oauth_apps.c.id == app_id)
        if client_id is not None:
            query = query.where(oauth_apps.c.client_id == client_id)
        for row in await self.conn.execute(query):
            return _app(row)
        return None

    async def list_oauth_apps(self, portal_id: int | None = None) -> list[OAuthApp]:
        query = select(oauth_apps).order_by(oauth_apps.c.id)
        if portal_id is not None:
            query = query.where(oauth_apps.c.portal_id == portal_id)
        return [_app(row) for row in await self.conn.execute(query)]

    async def create_oauth_code(self, **values: Any) -> None:
        """A code from its columns (code_sha256, app_id, scopes, redirect_uri, user_id,
        created_at, expires_at)."""
        scopes = " ".join(sorted(values.pop("scopes")))
        await self.conn.execute(insert(oauth_codes).values(scopes=scopes, **values))

    async def oauth_code(self, code_sha256: str) -> AuthorizationCode | None:
        rows = await self.conn.execute(
            select(oauth_codes).where(oauth_codes.c.code_sha256 == code_sha256)
        )
        for row in rows:
            return AuthorizationCode(
                id=row.id,
                app_id=row.app_id,
                scopes=frozenset(row.scopes.split()),
                redirect_uri=row.redirect_uri,
                user_id=row.user_id,
                expires_at=row.expires_at,
                used_at=row.used_at,
            )
        return None

    async def redeem_oauth_code(self, code_id: int, now: int) -> bool:
        return await self._end_once(oauth_codes.c.id, code_id, oauth_codes.c.used_at, now)

    async def _end_once(self, key: Any, row_id: int, ended: Any, now: int) -> bool:
        """Sets ``ended`` of one row to ``now`` if it is still null: whether this call did (the
        guard that makes a code single-use and a rotation happen once, under concurrency)."""
        result = await self.conn.execute(
            update(key.table).where(key == row_id, ended.is_(None)).values({ended: now})
        )
        return bool(result.rowcount)

    async def create_oauth_token(self, **values: Any) -> None:
        """A token from its columns (kind, app_id, token_id, secret_sha256, user_id,
        created_at, ends_at)."""
        await self.conn.execute(insert(oauth_tokens).values(**values))

    async def oauth_token(
        self, kind: str, secret_sha256: str
    ) -> tuple[IssuedToken, TokenRecord] | None:
        query = (
            select(oauth_tokens, tokens.c.portal_id, tokens.c.name, tokens.c.hint)
            .add_columns(
                tokens.c.secret_sha256.label("grant_sha256"),
                tokens.c.scopes,
                tokens.c.created_at.label("granted_at"),
                tokens.c.revoked_at,
            )
            .join(tokens, tokens.c.id == oauth_tokens.c.token_id)
            .where(oauth_tokens.c.kind == kind, oauth_tokens.c.secret_sha256 == secret_sha256)
        )
        for row in await self.conn.execute(query):
            grant = TokenRecord(
                id=row.token_id,
                portal_id=row.portal_id,
                name=row.name,
                hint=row.hint,
                scopes=frozenset(row.scopes.split()),
                created_at=row.granted_at,
                revoked_at=row.revoked_at,
                secret_sha256=row.grant_sha256,
            )
            return _issued(row), grant
        return None

    async def rotate_refresh_token(self, token_row_id: int, now: int) -> bool:
        """Ends a current refresh token; False when it was rotated out already."""
        return await self._end_once(oauth_tokens.c.id, token_row_id, oauth_tokens.c.ends_at, now)
