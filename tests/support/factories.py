"""Test data made through the services, in the test process, against the server's database.

Each test makes its own portal, so tests never see each other's data.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import uuid
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, TypeVar

from commprefs.config import Settings
from commprefs.domain.branding import Branding
from commprefs.domain.preferences import Actor, BusinessUnit, Channel, Definition, Portal, Status
from commprefs.domain.tokens import ALL_SCOPES
from commprefs.services import Services
from commprefs.store.migrate import upgrade

T = TypeVar("T")
_counter = itertools.count(1)


@dataclass
class Tenant:
    """A portal with a token and some subscription types, ready for a test."""

    portal: Portal
    token: str
    definitions: list[Definition]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class Factory:
    """Creates portals, business units, definitions and tokens in a real database."""

    def __init__(self, database_url: str) -> None:
        # The factory's loop runs in its own thread, so that tests whose thread already runs a
        # loop (Playwright's sync API does) can still make data.
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.services = Services.build(Settings(database_url=database_url))
        self.token_ids: dict[str, int] = {}
        self.run(upgrade(self.services.database))

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result()

    def close(self) -> None:
        self.run(self.services.database.dispose())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()

    def portal(self, gdpr: bool = False, name: str | None = None) -> Portal:
        return self.run(
            self.services.portals.create_portal(name or f"portal {next(_counter)}", gdpr)
        )

    def business_unit(self, portal: Portal, name: str | None = None) -> BusinessUnit:
        return self.run(
            self.services.portals.create_business_unit(portal.id, name or f"brand {next(_counter)}")
        )

    def definition(
        self, portal: Portal, business_unit_id: int = 0, active: bool = True, **fields: Any
    ) -> Definition:
        n = next(_counter)
        return self.run(
            self.services.portals.create_definition(
                portal.id,
                fields.pop("name", f"Type {n}"),
                fields.pop("description", f"Subscription type {n}"),
                business_unit_id,
                is_active=active,
                **fields,
            )
        )

    def token(self, portal: Portal, scopes: Iterable[str] = ALL_SCOPES) -> str:
        record, secret = self.run(self.services.tokens.create(portal.id, scopes, "test token"))
        self.token_ids[secret] = record.id
        return secret

    def revoke(self, secret: str) -> None:
        self.run(self.services.tokens.revoke(self.token_ids[secret]))

    def tenant(self, types: int = 2, gdpr: bool = False) -> Tenant:
        portal = self.portal(gdpr=gdpr)
        return Tenant(portal, self.token(portal), [self.definition(portal) for _ in range(types)])

    def ledger(self, portal: Portal, subscriber: str) -> list[SimpleNamespace]:
        """The subscriber's ledger rows (columns as attributes), personal fields opened."""

        async def read() -> list[dict[str, Any]]:
            async with self.services.database.read() as repo:
                return await repo.ledger_for(portal.id, subscriber)

        return [SimpleNamespace(**row) for row in self.run(read())]

    # -- preference pages ----------------------------------------------------------------------

    def statuses(
        self, portal: Portal, subscriber: str, business_unit_id: int | None = None
    ) -> dict[int, Status]:
        """What E2 reads, by subscription id (through the service: the same rules)."""
        actor = Actor(portal.id, token_id=None, request_id="factory", api="test")
        outcome = self.run(
            self.services.preferences.get_statuses(
                actor, subscriber, Channel.EMAIL, business_unit_id
            )
        )
        return {s.definition.id: s for s in outcome.statuses}

    def brand(self, portal: Portal, unit_id: int = 0, **values: str) -> Branding:
        return self.run(self.services.portals.set_branding(portal.id, unit_id, **values))

    def translate(self, definition: Definition, language: str, name: str, description: str) -> None:
        self.run(
            self.services.portals.translate_definition(
                definition.portal_id, definition.id, language, name, description
            )
        )


def email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"
