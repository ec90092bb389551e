"""Test data made through the services, in the test process, against the server's database.

Each test makes its own portal, so tests never see each other's data.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from commprefs.auth.models import ALL_SCOPES
from commprefs.config import Settings
from commprefs.preferences.models import BusinessUnit, Definition, Portal
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
        self.loop = asyncio.new_event_loop()
        self.services = Services.build(Settings(database_url=database_url))
        self.token_ids: dict[str, int] = {}
        self.run(upgrade(self.services.database))

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def close(self) -> None:
        self.run(self.services.database.dispose())
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

    def ledger(self, portal: Portal, subscriber: str) -> list[Any]:
        async def read() -> list[Any]:
            async with self.services.database.read() as repo:
                return await repo.ledger_for(portal.id, subscriber)

        return self.run(read())


def email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"
