"""Issuing, checking and revoking access tokens.

Secrets are random (256 bits) with a recognisable prefix, stored only as SHA-256 and compared in
constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable

from commprefs.domain.clock import Clock
from commprefs.domain.errors import (
    ErrorDetail,
    InvalidInput,
    MissingScopes,
    NotFound,
    Unauthenticated,
)
from commprefs.domain.tokens import GRANTABLE_SCOPES, ScopeRule, TokenRecord
from commprefs.portals.checks import require_portal
from commprefs.store.interface import Repository, Transactions

TOKEN_PREFIX = "cpat-"  # noqa: S105 - a public marker that makes leaked tokens easy to find
_NO_CREDENTIALS = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and you "
    "can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


class TokenService:
    def __init__(self, database: Transactions[Repository], clock: Clock) -> None:
        self.database = database
        self.clock = clock

    async def create(
        self, portal_id: int, scopes: Iterable[str], name: str = ""
    ) -> tuple[TokenRecord, str]:
        wanted = sorted({s.strip() for s in scopes if s.strip()})
        unknown = [s for s in wanted if s not in GRANTABLE_SCOPES]
        if unknown or not wanted:
            raise InvalidInput.field(
                "scopes",
                f"Unknown scopes {unknown}; choose from {list(GRANTABLE_SCOPES)}"
                if unknown
                else "At least one scope is required.",
            )
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        async with self.database.write() as repo:
            await require_portal(repo, portal_id)
            record = await repo.create_token(
                portal_id,
                name or f"token {secret[len(TOKEN_PREFIX) :][:6]}",
                digest(secret),
                secret[: len(TOKEN_PREFIX) + 4],
                wanted,
                self.clock.now_ms(),
            )
        return record, secret

    async def list(self, portal_id: int | None = None) -> list[TokenRecord]:
        async with self.database.read() as repo:
            return await repo.list_tokens(portal_id)

    async def revoke(self, token_id: int) -> None:
        async with self.database.write() as repo:
            if not await repo.revoke_token(token_id, self.clock.now_ms()):
                raise NotFound(f"No active token with id {token_id}.")

    async def authenticate(self, secret: str | None) -> TokenRecord:
        """The active token whose secret this is, or Unauthenticated."""
        if not secret or len(secret) > 512:
            raise Unauthenticated(_NO_CREDENTIALS)
        wanted = digest(secret)
        async with self.database.read() as repo:
            record = await repo.token_by_digest(wanted)
        # The index lookup finds the row; the constant-time comparison is what grants access.
        if (
            record is None
            or not record.active
            or not hmac.compare_digest(wanted, record.secret_sha256)
        ):
            raise Unauthenticated(_NO_CREDENTIALS)
        return record


def authorize(token: TokenRecord, rule: ScopeRule) -> None:
    if rule.allows(token.scopes):
        return
    raise MissingScopes(
        "This app hasn't been granted all required scopes to make this call.",
        [
            ErrorDetail(
                message="One or more of the following scopes are required.",
                context={"requiredGranularScopes": list(rule.shown)},
            )
        ],
        context={"missingScopes": rule.missing(token.scopes)},
    )
