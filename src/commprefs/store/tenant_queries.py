"""SQL of tenants and what they configure: portals, business units and their branding,
subscription definitions and translations (TenantQueries), tokens (TokenQueries), link signing
keys (SigningKeyQueries): store/interface.py's Tenants, Tokens and SigningKeys.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from commprefs.domain.branding import Branding
from commprefs.domain.links import SigningKey
from commprefs.domain.preferences import BusinessUnit, Definition, Portal, Translation
from commprefs.domain.sealing import new_secret
from commprefs.domain.tokens import TokenRecord
from commprefs.store import statements
from commprefs.store.models import (
    business_units,
    definition_translations,
    link_signing_keys,
    portal_secrets,
    portals,
    subscription_definitions,
    tokens,
)
from commprefs.store.queries import Queries


def _definition(row: Any) -> Definition:
    """From a row in statements.DEFINITION_COLUMNS order (a Core row has that order too)."""
    (id_, portal_id, unit_id, name, description, purpose, method, active, default, internal) = row[
        :10
    ]
    return Definition(
        id=id_,
        portal_id=portal_id,
        business_unit_id=unit_id,
        name=name,
        description=description,
        purpose=purpose,
        communication_method=method,
        # SQLite hands booleans back as 0 and 1.
        is_active=bool(active),
        is_default=bool(default),
        is_internal=bool(internal),
        created_at=row[10],
        updated_at=row[11],
    )


def _token(row: Any) -> TokenRecord:
    """From a row in statements.TOKEN_COLUMNS order."""
    id_, portal_id, name, secret_sha256, hint, scopes, created_at, revoked_at = row
    return TokenRecord(
        id=id_,
        portal_id=portal_id,
        name=name,
        hint=hint,
        scopes=frozenset(scopes.split()),
        created_at=created_at,
        revoked_at=revoked_at,
        secret_sha256=secret_sha256,
    )


class TenantQueries(Queries):
    """store/interface.py's Tenants."""

    # -- tenants -------------------------------------------------------------------------------

    async def create_portal(
        self, name: str, gdpr: bool, now: int, portal_id: int | None = None
    ) -> Portal:
        values: dict[str, Any] = {"name": name, "gdpr": gdpr, "created_at": now}
        if portal_id is not None:
            values["id"] = portal_id
        result = await self.conn.execute(insert(portals).values(**values).returning(portals.c.id))
        portal = Portal(id=result.scalar_one(), name=name, gdpr=gdpr)
        if portal_id is not None:
            await self._follow_given_id("portals")
        # Its secret (erasure, store/subject_queries.py) is made with it, in one transaction.
        await self.conn.execute(
            insert(portal_secrets).values(portal_id=portal.id, secret=new_secret(), created_at=now)
        )
        return portal

    async def get_portal(self, portal_id: int) -> Portal | None:
        for id_, name, gdpr in await self.conn.fetch(statements.PORTAL, (portal_id,)):
            return Portal(id=id_, name=name, gdpr=bool(gdpr))
        return None

    async def list_portals(self) -> list[Portal]:
        rows = await self.conn.execute(
            select(portals.c.id, portals.c.name, portals.c.gdpr).order_by(portals.c.id)
        )
        return [Portal(id=row.id, name=row.name, gdpr=bool(row.gdpr)) for row in rows]

    async def count_portals(self) -> int:
        return int(
            (await self.conn.execute(select(func.count()).select_from(portals))).scalar_one()
        )

    async def create_business_unit(
        self, portal_id: int, name: str, now: int, unit_id: int | None = None
    ) -> BusinessUnit:
        if unit_id is None:
            highest = await self.conn.execute(
                select(func.max(business_units.c.id)).where(business_units.c.portal_id == portal_id)
            )
            unit_id = int(highest.scalar_one() or 0) + 1
        await self.conn.execute(
            insert(business_units).values(
                portal_id=portal_id, id=unit_id, name=name, created_at=now
            )
        )
        return BusinessUnit(portal_id=portal_id, id=unit_id, name=name)

    async def get_business_unit(self, portal_id: int, unit_id: int) -> BusinessUnit | None:
        found = await self.conn.fetch(statements.BUSINESS_UNIT, (portal_id, unit_id))
        for portal, id_, name in found:
            return BusinessUnit(portal_id=portal, id=id_, name=name)
        return None

    # -- subscription definitions ----------------------------------------------------------------

    async def create_definition(self, **values: Any) -> Definition | None:
        """Insert a type; None when its name is taken in that business unit."""
        try:
            async with self.conn.begin_nested():
                return await self.create_definition_unchecked(**values)
        except IntegrityError:
            return None

    async def create_definition_unchecked(self, **values: Any) -> Definition:
        result = await self.conn.execute(
            insert(subscription_definitions).values(**values).returning(subscription_definitions)
        )
        definition = _definition(result.one())
        if "id" in values:
            await self._follow_given_id("subscription_definitions")
        return definition

    async def _follow_given_id(self, table: str) -> None:
        """After a row was inserted with an id of its own (a seed's): PostgreSQL's sequence moves
        past it, so the next generated id does not collide (SQLite takes the highest plus one)."""
        if self.dialect == "postgresql":
            await self.conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608 - a constant table name
                    f"(SELECT MAX(id) FROM {table}))"
                )
            )

    async def definitions(
        self, portal_id: int, business_unit_id: int | None = None, active_only: bool = False
    ) -> list[Definition]:
        statement = statements.DEFINITIONS[(business_unit_id is not None, active_only)]
        parameters = (portal_id,) if business_unit_id is None else (portal_id, business_unit_id)
        return [_definition(row) for row in await self.conn.fetch(statement, parameters)]

    async def get_definition(self, portal_id: int, definition_id: int) -> Definition | None:
        row = (
            await self.conn.execute(
                select(subscription_definitions).where(
                    subscription_definitions.c.portal_id == portal_id,
                    subscription_definitions.c.id == definition_id,
                )
            )
        ).first()
        return _definition(row) if row else None

    # -- branding, business units, translations ---------------------------------------------

    async def branding(self, portal_id: int, unit_id: int) -> Branding | None:
        row = (
            await self.conn.execute(
                select(business_units).where(
                    business_units.c.portal_id == portal_id, business_units.c.id == unit_id
                )
            )
        ).first()
        if row is None:
            return None
        return Branding(
            row.portal_id, row.id, row.name, row.brand_name, row.brand_colour, row.brand_logo_url
        )

    async def set_branding(self, portal_id: int, unit_id: int, values: dict[str, Any]) -> bool:
        """Set ``brand_*`` columns of one business unit; False when it does not exist."""
        result = await self.conn.execute(
            update(business_units)
            .where(business_units.c.portal_id == portal_id, business_units.c.id == unit_id)
            .values(**values)
        )
        return bool(result.rowcount)

    async def business_units(self, portal_id: int) -> list[BusinessUnit]:
        rows = await self.conn.execute(
            select(business_units)
            .where(business_units.c.portal_id == portal_id)
            .order_by(business_units.c.id)
        )
        return [BusinessUnit(portal_id=r.portal_id, id=r.id, name=r.name) for r in rows]

    async def translations(self, definition_ids: Sequence[int]) -> dict[int, list[Translation]]:
        found: dict[int, list[Translation]] = {i: [] for i in definition_ids}
        if not definition_ids:
            return found
        rows = await self.conn.execute(
            select(definition_translations)
            .where(definition_translations.c.definition_id.in_(list(definition_ids)))
            .order_by(definition_translations.c.language_code)
        )
        for r in rows:
            found[r.definition_id].append(
                Translation(
                    r.definition_id,
                    r.language_code,
                    r.name,
                    r.description,
                    r.created_at,
                    r.updated_at,
                )
            )
        return found

    async def put_translation(
        self, definition_id: int, language_code: str, name: str, description: str, now: int
    ) -> Translation:
        statement = self._upsert(definition_translations)
        await self.conn.execute(
            statement.values(
                definition_id=definition_id,
                language_code=language_code,
                name=name,
                description=description,
                created_at=now,
                updated_at=now,
            ).on_conflict_do_update(
                index_elements=["definition_id", "language_code"],
                set_={
                    "name": statement.excluded.name,
                    "description": statement.excluded.description,
                    "updated_at": statement.excluded.updated_at,
                },
            )
        )
        stored = await self.translations([definition_id])
        return next(t for t in stored[definition_id] if t.language_code == language_code)


class TokenQueries(Queries):
    """store/interface.py's Tokens."""

    async def create_token(
        self,
        portal_id: int | None,
        name: str,
        secret_sha256: str,
        hint: str,
        scopes: Iterable[str],
        now: int,
    ) -> TokenRecord:
        result = await self.conn.execute(
            insert(tokens)
            .values(
                portal_id=portal_id,
                name=name,
                secret_sha256=secret_sha256,
                hint=hint,
                scopes=" ".join(sorted(scopes)),
                created_at=now,
            )
            .returning(tokens)
        )
        return _token(result.one())

    async def token_by_digest(self, secret_sha256: str) -> TokenRecord | None:
        for row in await self.conn.fetch(statements.TOKEN_BY_DIGEST, (secret_sha256,)):
            return _token(row)
        return None

    async def list_tokens(self, portal_id: int | None = None) -> list[TokenRecord]:
        query = select(tokens).order_by(tokens.c.id)
        if portal_id is not None:
            query = query.where(tokens.c.portal_id == portal_id)
        return [_token(row) for row in await self.conn.execute(query)]

    async def revoke_token(self, token_id: int, now: int) -> bool:
        result = await self.conn.execute(
            update(tokens)
            .where(tokens.c.id == token_id, tokens.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return bool(result.rowcount)


class SigningKeyQueries(Queries):
    """store/interface.py's SigningKeys."""

    async def signing_keys(self) -> list[SigningKey]:
        rows = await self.conn.execute(select(link_signing_keys).order_by(link_signing_keys.c.id))
        return [SigningKey(r.id, r.created_at, r.retired_at, r.secret) for r in rows]

    async def add_signing_key(self, secret: str, now: int) -> None:
        await self.conn.execute(insert(link_signing_keys).values(secret=secret, created_at=now))

    async def retire_signing_keys(self, now: int) -> None:
        await self.conn.execute(
            update(link_signing_keys)
            .where(link_signing_keys.c.retired_at.is_(None))
            .values(retired_at=now)
        )
