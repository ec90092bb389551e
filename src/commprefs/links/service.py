"""Preference-page links: generate (E6), verify, rotate the signing key, CSRF tokens for forms.

Links are stateless: everything a page needs is in the signed token. Keys live in the database
(or the configuration) so that every server process verifies what any other one signed.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import quote

from commprefs.config import Settings
from commprefs.domain.clock import Clock
from commprefs.domain.errors import Conflict, ErrorDetail, InvalidInput
from commprefs.domain.faults import active_definition, other_unit
from commprefs.domain.languages import normalise_language
from commprefs.domain.link_signing import (
    DAY_MS,
    KeyRing,
    check_csrf,
    csrf_token,
    sign,
    sign_confirmation,
    verify,
    verify_confirmation,
)
from commprefs.domain.links import GeneratedLinks, KeyInfo, LinkClaims, VerifiedLink
from commprefs.domain.subscribers import subscriber_key
from commprefs.portals.checks import require_business_unit, require_portal
from commprefs.store.interface import Repository, Transactions

T = TypeVar("T")
PAGES_PATH = "/preferences"
CONFIGURED_KEY_SIGNS = (
    "COMMPREFS_LINK_SIGNING_KEY is set, so it signs the links: to rotate it, set a new "
    "key and move the old one to COMMPREFS_LINK_PREVIOUS_SIGNING_KEYS."
)


class LinkService:
    def __init__(
        self, database: Transactions[Repository], clock: Clock, settings: Settings
    ) -> None:
        self.database = database
        self.clock = clock
        self.public_url = settings.public_url
        self.configured_key = settings.link_signing_key.get_secret_value().strip()
        self.previous_keys = settings.previous_link_keys
        self.grace_ms = settings.link_key_grace_days * DAY_MS

    # -- generation (E6) -------------------------------------------------------------------------

    async def generate(
        self,
        portal_id: int,
        subscriber: str,
        business_unit_id: int = 0,
        subscription_id: int | None = None,
        language: str | None = None,
    ) -> GeneratedLinks:
        """Signed links for one subscriber; every invalid field is named in one 400."""
        details: list[ErrorDetail] = []
        key = _collect(details, lambda: subscriber_key(subscriber))
        code = _collect(details, lambda: normalise_language(language))
        async with self.database.read() as repo:
            await require_portal(repo, portal_id)
            details += await _scope_errors(repo, portal_id, business_unit_id, subscription_id)
            ring = await self._ring(repo)
        if details or key is None:
            raise InvalidInput("Invalid input: " + " ".join(d.message for d in details), details)
        if ring.signer is None:
            ring = await self._first_key()
        claims = LinkClaims(portal_id, key, business_unit_id, subscription_id, code)
        return self.links_for(sign(ring, claims), claims)

    def links_for(self, token: str, claims: LinkClaims) -> GeneratedLinks:
        base = f"{self.public_url}{PAGES_PATH}/{quote(token, safe='')}"
        single = f"{base}/unsubscribe" if claims.subscription_id is not None else None
        return GeneratedLinks(claims.subscriber, token, base, f"{base}/unsubscribe-all", single)

    # -- verification ----------------------------------------------------------------------------

    async def verify(self, token: str) -> VerifiedLink:
        async with self.database.read() as repo:
            ring = await self._ring(repo)
        claims, key = verify(ring, token, self.clock.now_ms())
        return VerifiedLink(token, claims, key.kid, key.secret)

    def csrf_for(self, link: VerifiedLink, nonce: str) -> str:
        return csrf_token(link.secret, link.token, nonce, self.clock.now_ms())

    def check_csrf(self, link: VerifiedLink, field: str | None, cookie: str | None) -> None:
        check_csrf(link.secret, link.token, field, cookie, self.clock.now_ms())

    async def form_secret(self) -> bytes:
        """The signing key, for the CSRF tokens of forms that have no link (the OAuth consent
        page, issue 14)."""
        async with self.database.read() as repo:
            ring = await self._ring(repo)
        if ring.signer is None:
            ring = await self._first_key()
        assert ring.signer is not None
        return ring.keys[ring.signer].secret

    # -- double opt-in (issue 16) ----------------------------------------------------------------

    async def confirmation_token(self, confirmation_id: str) -> str:
        """The token of a confirmation's link, signed with the key that signs links now."""
        async with self.database.read() as repo:
            ring = await self._ring(repo)
        if ring.signer is None:
            ring = await self._first_key()
        return sign_confirmation(ring, confirmation_id)

    async def verify_confirmation(self, token: str) -> tuple[str, bytes]:
        """The confirmation a genuine token names, and the key's secret (for CSRF tokens)."""
        async with self.database.read() as repo:
            ring = await self._ring(repo)
        confirmation_id, key = verify_confirmation(ring, token, self.clock.now_ms())
        return confirmation_id, key.secret

    # -- keys ------------------------------------------------------------------------------------

    async def rotate_key(self) -> list[KeyInfo]:
        """A new stored key signs from now on; the old ones verify for the grace period."""
        if self.configured_key:
            raise Conflict(CONFIGURED_KEY_SIGNS)
        async with self.database.write() as repo:
            now = self.clock.now_ms()
            await repo.retire_signing_keys(now)
            await repo.add_signing_key(secrets.token_urlsafe(32), now)
            ring = await self._ring(repo)
        return ring.info(self.clock.now_ms())

    async def keys(self) -> list[KeyInfo]:
        async with self.database.read() as repo:
            ring = await self._ring(repo)
        return ring.info(self.clock.now_ms())

    async def _ring(self, repo: Repository) -> KeyRing:
        stored = await repo.signing_keys()
        return KeyRing.build(stored, self.configured_key, self.previous_keys, self.grace_ms)

    async def _first_key(self) -> KeyRing:
        async with self.database.write() as repo:
            ring = await self._ring(repo)  # another process may have made it meanwhile
            if ring.signer is None:
                await repo.add_signing_key(secrets.token_urlsafe(32), self.clock.now_ms())
                ring = await self._ring(repo)
        return ring


def _collect(details: list[ErrorDetail], parse: Callable[[], T]) -> T | None:
    try:
        return parse()
    except InvalidInput as error:
        details.extend(error.details)
        return None


async def _scope_errors(
    repo: Repository, portal_id: int, business_unit_id: int, subscription_id: int | None
) -> list[ErrorDetail]:
    """What is wrong with the scope a link is for: each of its fields, in one list."""
    errors: list[ErrorDetail] = []
    try:
        await require_business_unit(repo, portal_id, business_unit_id)
    except InvalidInput as error:
        errors.extend(error.details)
    if subscription_id is None:
        return errors
    found = await repo.get_definition(portal_id, subscription_id)
    definition = _collect(errors, lambda: active_definition(found, subscription_id))
    if definition is not None and definition.business_unit_id != business_unit_id:
        errors.append(other_unit(definition, business_unit_id, "subscriptionId"))
    return errors
