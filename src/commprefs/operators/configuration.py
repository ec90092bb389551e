"""The console's changes of a portal's configuration: subscription types, brands, tokens. Each
runs on the services the CLI uses, in one transaction with the record of who made it
(console_actions; status changes are recorded in the ledger instead), and only for admins.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from commprefs.auth.service import TokenService
from commprefs.domain.clock import Clock
from commprefs.domain.errors import Conflict, InvalidInput, NotFound
from commprefs.domain.faults import unknown_subscription
from commprefs.domain.operators import ConsoleUser
from commprefs.domain.preferences import Definition, Translation
from commprefs.domain.tokens import TokenRecord
from commprefs.operators.service import require_admin
from commprefs.portals.service import PortalService
from commprefs.store.interface import Transactions
from commprefs.store.repository import SqlRepository
from commprefs.store.transactions import OpenTransaction


@dataclass(frozen=True)
class _Audited:
    """The services bound to one transaction, and a way to record the change in it."""

    portals: PortalService
    tokens: TokenService
    repo: SqlRepository
    user: ConsoleUser
    request_id: str
    now: int

    async def record(self, action: str, detail: str) -> None:
        await self.repo.record_console_action(self.user, action, detail, self.request_id, self.now)


class ConsoleConfiguration:
    def __init__(self, database: Transactions[SqlRepository], clock: Clock) -> None:
        self.database = database
        self.clock = clock

    @asynccontextmanager
    async def _audited(self, user: ConsoleUser, request_id: str) -> AsyncIterator[_Audited]:
        require_admin(user)
        async with self.database.write() as repo:
            bound = OpenTransaction(repo)
            yield _Audited(
                PortalService(bound, self.clock),
                TokenService(bound, self.clock),
                repo,
                user,
                request_id,
                self.clock.now_ms(),
            )

    async def create_definition(
        self,
        user: ConsoleUser,
        request_id: str,
        name: str,
        description: str,
        business_unit_id: int,
        purpose: str,
    ) -> Definition:
        async with self._audited(user, request_id) as done:
            created = await done.portals.create_definition(
                user.portal_id, name, description, business_unit_id, purpose=purpose
            )
            await done.record("type created", f"type {created.id}: {created.name}")
        return created

    async def edit_definition(
        self,
        user: ConsoleUser,
        request_id: str,
        definition_id: int,
        name: str,
        description: str,
        purpose: str,
        active: bool,
    ) -> None:
        """Rename, describe, (de)activate a type. A deactivated type is no longer read or offered;
        the choices recorded for it stay, and come back with it."""
        name = " ".join(name.split())
        if not name or len(name) > 200 or "\x00" in name + description:
            raise InvalidInput.field("name", "A name has 1 to 200 characters.")
        async with self._audited(user, request_id) as done:
            values = {
                "name": name,
                "description": description.strip(),
                "purpose": purpose.strip()[:100],
                "is_active": active,
                "updated_at": done.now,
            }
            edited = await done.repo.edit_definition(user.portal_id, definition_id, values)
            if edited is None:
                raise Conflict(f"Another type of that brand is named {name!r}.")
            if not edited:
                raise unknown_subscription(definition_id)
            state = "active" if active else "inactive"
            await done.record("type edited", f"type {definition_id}: {name} ({state})")

    async def translate(
        self,
        user: ConsoleUser,
        request_id: str,
        definition_id: int,
        language: str,
        name: str,
        description: str,
    ) -> Translation:
        async with self._audited(user, request_id) as done:
            saved = await done.portals.translate_definition(
                user.portal_id, definition_id, language, name, description
            )
            await done.record(
                "type translated", f"type {definition_id}: {saved.language_code} {saved.name}"
            )
        return saved

    async def create_business_unit(self, user: ConsoleUser, request_id: str, name: str) -> int:
        async with self._audited(user, request_id) as done:
            unit = await done.portals.create_business_unit(user.portal_id, name)
            await done.record("brand created", f"brand {unit.id}: {unit.name}")
        return unit.id

    async def set_branding(
        self,
        user: ConsoleUser,
        request_id: str,
        unit_id: int,
        name: str,
        colour: str,
        logo_url: str,
    ) -> None:
        async with self._audited(user, request_id) as done:
            branding = await done.portals.set_branding(
                user.portal_id, unit_id, name, colour, logo_url
            )
            shown = ", ".join(v for v in (branding.name, branding.colour, branding.logo_url) if v)
            await done.record("brand styled", f"brand {unit_id}: {shown or 'defaults'}")

    async def create_token(
        self, user: ConsoleUser, request_id: str, name: str, scopes: Iterable[str]
    ) -> tuple[TokenRecord, str]:
        async with self._audited(user, request_id) as done:
            record, secret = await done.tokens.create(user.portal_id, scopes, name)
            # The record names the token, never its secret.
            await done.record("token created", f"token {record.id}: {record.name}")
        return record, secret

    async def revoke_token(self, user: ConsoleUser, request_id: str, token_id: int) -> None:
        """Revoke one of the user's portal's tokens (another portal's is not found)."""
        async with self._audited(user, request_id) as done:
            mine = await done.tokens.list(user.portal_id)
            if not any(t.id == token_id and t.active for t in mine):
                raise NotFound(f"No active token with id {token_id}.")
            await done.tokens.revoke(token_id)
            await done.record("token revoked", f"token {token_id}")
