"""Issuing, checking and revoking access tokens.

Secrets are random (256 bits) with a recognisable prefix, stored only as SHA-256 and compared in
constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import replace

from commprefs.domain.clock import Clock
from commprefs.domain.errors import (
    ErrorDetail,
    InvalidInput,
    MissingScopes,
    NotFound,
    Unauthenticated,
)
from commprefs.domain.tokens import (
    ALL_SCOPES,
    GRANTABLE_SCOPES,
    INSTANCE_SCOPE,
    NO_CREDENTIALS,
    ScopeRule,
    TokenRecord,
)
from commprefs.portals.checks import require_portal
from commprefs.store.interface import Repository, Transactions

TOKEN_PREFIX = "cpat-"  # noqa: S105 - a public marker that makes leaked tokens easy to find


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


class TokenService:
    def __init__(self, database: Transactions[Repository], clock: Clock) -> None:
        self.database = database
        self.clock = clock

    async def create(
        self, portal_id: int, scopes: Iterable[str], name: str = "", secret: str | None = None
    ) -> tuple[TokenRecord, str]:
        """A new token; ``secret``: one of the caller's choosing (an emulator's known token,
        ``serve --token``), else a random one."""
        wanted = sorted({s.strip() for s in scopes if s.strip()})
        unknown = [s for s in wanted if s not in GRANTABLE_SCOPES]
        if unknown or not wanted:
            raise InvalidInput.field(
                "scopes",
                f"Unknown scopes {unknown}; choose from {list(GRANTABLE_SCOPES)}"
                if unknown
                else "At least one scope is required.",
            )
        return await self._issue(portal_id, wanted, name, secret)

    async def create_instance(self, name: str = "") -> tuple[TokenRecord, str]:
        """A token of the instance rather than of a portal: it may create portals and manage
        the link signing keys, and nothing else (its only scope is the instance scope)."""
        return await self._issue(None, [INSTANCE_SCOPE], name)

    async def _issue(
        self, portal_id: int | None, scopes: list[str], name: str, secret: str | None = None
    ) -> tuple[TokenRecord, str]:
        if len(name) > 200 or "\x00" in name:
            raise InvalidInput.field("name", "name has at most 200 characters, none of them NUL.")
        if secret is not None:
            check_known_secret(secret)
        secret = secret or TOKEN_PREFIX + secrets.token_urlsafe(32)
        async with self.database.write() as repo:
            if portal_id is not None:
                await require_portal(repo, portal_id)
            if await repo.token_by_digest(digest(secret)) is not None:
                raise InvalidInput.field(
                    "value",
                    "A token with this value exists already (a revoked one is never reused).",
                )
            record = await self._insert(repo, portal_id, scopes, name, secret)
        return record, secret

    async def _insert(
        self, repo: Repository, portal_id: int | None, scopes: list[str], name: str, secret: str
    ) -> TokenRecord:
        return await repo.create_token(
            portal_id,
            name.strip() or f"token {secret[len(TOKEN_PREFIX) :][:6]}",
            digest(secret),
            # Enough to tell tokens apart, never much of a secret the operator chose.
            secret[: len(TOKEN_PREFIX) + 4] if secret.startswith(TOKEN_PREFIX) else secret[:4],
            scopes,
            self.clock.now_ms(),
        )

    async def ensure_known(self, known: Iterable[str], name: str) -> list[TokenRecord]:
        """Each of these secrets as a token, created with every scope in the first portal if
        missing (``serve --token``): so a suite's fixed token works against any database.
        Nothing on a database without portals."""
        wanted = list(dict.fromkeys(known))
        for secret in wanted:
            check_known_secret(secret)
        records = []
        async with self.database.write() as repo:
            portals = await repo.list_portals()
            for secret in wanted if portals else []:
                found = await repo.token_by_digest(digest(secret))
                if found is None:
                    found = await self._insert(repo, portals[0].id, list(ALL_SCOPES), name, secret)
                records.append(found)
        return records

    async def list(self, portal_id: int | None = None) -> list[TokenRecord]:
        async with self.database.read() as repo:
            return await repo.list_tokens(portal_id)

    async def revoke(self, token_id: int, portal_id: int | None = None) -> TokenRecord:
        """Revoke a token at once: any (the CLI), or only one of ``portal_id``'s (the admin
        API: another portal's token is as unknown as a missing one)."""
        now = self.clock.now_ms()
        async with self.database.write() as repo:
            found = next((t for t in await repo.list_tokens(portal_id) if t.id == token_id), None)
            if found is None or not await repo.revoke_token(token_id, now):
                raise NotFound(f"No active token with id {token_id}.")
        return replace(found, revoked_at=now)

    async def authenticate(self, secret: str | None) -> TokenRecord:
        """The active token whose secret this is, or Unauthenticated."""
        if not secret or len(secret) > 512:
            raise Unauthenticated(NO_CREDENTIALS)
        wanted = digest(secret)
        async with self.database.read() as repo:
            record = await repo.token_by_digest(wanted)
        # The index lookup finds the row; the constant-time comparison is what grants access.
        if (
            record is None
            or not record.active
            or not hmac.compare_digest(wanted, record.secret_sha256)
        ):
            raise Unauthenticated(NO_CREDENTIALS)
        return record


def check_known_secret(secret: str) -> None:
    """A secret given by the operator (``--token``, a seed) is what a client can send."""
    printable = secret.isascii() and secret.isprintable() and " " not in secret
    if not printable or not 1 <= len(secret) <= 512:
        raise InvalidInput.field(
            "value", "A token is 1 to 512 printable ASCII characters without spaces."
        )


def authorize(token: TokenRecord, rule: ScopeRule) -> int:
    """The portal ``token`` may act in under ``rule``, or MissingScopes (an instance token has
    no portal: it is refused every portal's operation)."""
    if rule.allows(token.scopes) and token.portal_id is not None:
        return token.portal_id
    raise missing_scopes(token, rule)


def authorize_instance(token: TokenRecord, rule: ScopeRule) -> None:
    """Instance operations: only an instance token holding ``rule``'s scopes."""
    if token.portal_id is not None or not rule.allows(token.scopes):
        raise missing_scopes(token, rule)


def missing_scopes(token: TokenRecord, rule: ScopeRule) -> MissingScopes:
    return MissingScopes(
        "This app hasn't been granted all required scopes to make this call.",
        [
            ErrorDetail(
                message="One or more of the following scopes are required.",
                context={"requiredGranularScopes": list(rule.shown)},
            )
        ],
        context={"missingScopes": rule.missing(token.scopes)},
    )
