"""Administration of portals, business units and subscription definitions (CLI-facing)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from commprefs.domain.brand_rules import brand_colour, brand_logo_url
from commprefs.domain.branding import Branding
from commprefs.domain.clock import Clock
from commprefs.domain.errors import Conflict, InvalidInput
from commprefs.domain.faults import unknown_business_unit
from commprefs.domain.languages import normalise_language
from commprefs.domain.preferences import BusinessUnit, Definition, Portal, Translation
from commprefs.portals.checks import require_business_unit, require_definition, require_portal
from commprefs.store.interface import Repository, Transactions

DEFAULT_UNIT_NAME = "Account"
EXAMPLE_DEFINITIONS = (
    ("Marketing Information", "Marketing offers and updates.", "Marketing"),
    ("One to One", "One to one emails.", "Sales"),
)


@dataclass(frozen=True)
class Bootstrap:
    """What a first start on an empty database created."""

    portal: Portal
    definitions: list[Definition]


class PortalService:
    def __init__(self, database: Transactions[Repository], clock: Clock) -> None:
        self.database = database
        self.clock = clock

    async def create_portal(
        self, name: str, gdpr: bool = False, portal_id: int | None = None
    ) -> Portal:
        """``portal_id``: an id of the caller's choosing (an emulator's seed), else the next."""
        name = _required_text("name", name)
        async with self.database.write() as repo:
            if portal_id is not None and await repo.get_portal(portal_id) is not None:
                raise Conflict(f"A portal with id {portal_id} exists already.")
            return await _create_portal(repo, name, gdpr, self.clock.now_ms(), portal_id)

    async def bootstrap_if_empty(self) -> Bootstrap | None:
        """On an empty database: portal "Default", business unit 0 and two example types."""
        async with self.database.write() as repo:
            if await repo.count_portals():
                return None
            now = self.clock.now_ms()
            portal = await _create_portal(repo, "Default", False, now)
            definitions = [
                await repo.create_definition_unchecked(
                    portal_id=portal.id,
                    business_unit_id=0,
                    name=name,
                    description=description,
                    purpose=purpose,
                    communication_method="Email",
                    is_active=True,
                    is_default=False,
                    is_internal=False,
                    created_at=now,
                    updated_at=now,
                )
                for name, description, purpose in EXAMPLE_DEFINITIONS
            ]
            return Bootstrap(portal, definitions)

    async def create_business_unit(
        self, portal_id: int, name: str, unit_id: int | None = None
    ) -> BusinessUnit:
        """``unit_id``: an id of the caller's choosing (an emulator's seed), else the next."""
        name = _required_text("name", name)
        async with self.database.write() as repo:
            await require_portal(repo, portal_id)
            if unit_id is not None and await repo.get_business_unit(portal_id, unit_id):
                raise Conflict(f"Business unit {unit_id} exists already.")
            return await repo.create_business_unit(portal_id, name, self.clock.now_ms(), unit_id)

    # -- reads and changes the admin API adds (issue 17) -----------------------------------------

    async def portals(self) -> list[Portal]:
        async with self.database.read() as repo:
            return await repo.list_portals()

    async def business_units(self, portal_id: int) -> list[Branding]:
        """Every business unit of the portal with its branding, in id order."""
        async with self.database.read() as repo:
            await require_portal(repo, portal_id)
            units = await repo.business_units(portal_id)
            found = [await repo.branding(portal_id, unit.id) for unit in units]
        return [branding for branding in found if branding is not None]

    async def rename_business_unit(self, portal_id: int, unit_id: int, name: str) -> Branding:
        name = _required_text("name", name)
        async with self.database.write() as repo:
            await require_portal(repo, portal_id)
            if not await repo.rename_business_unit(portal_id, unit_id, name):
                raise unknown_business_unit(unit_id)
            branding = await repo.branding(portal_id, unit_id)
        if branding is None:  # pragma: no cover - renamed in this same transaction
            raise unknown_business_unit(unit_id)
        return branding

    async def definitions(
        self, portal_id: int, business_unit_id: int | None = None
    ) -> list[tuple[Definition, list[Translation]]]:
        """Every type of the portal (active or not) with its translations."""
        async with self.database.read() as repo:
            await require_portal(repo, portal_id)
            await require_business_unit(repo, portal_id, business_unit_id)
            found = await repo.definitions(portal_id, business_unit_id)
            translations = await repo.translations([d.id for d in found])
        return [(d, translations[d.id]) for d in found]

    async def update_definition(
        self, portal_id: int, definition_id: int, changes: DefinitionChanges
    ) -> Definition:
        """Set what ``changes`` gives (None: left as it is); ``is_active`` False deactivates
        (reads and writes no longer show the type; its statuses are kept), True reactivates."""
        values = changes.checked()
        async with self.database.write() as repo:
            await require_portal(repo, portal_id)
            current = await require_definition(repo, portal_id, definition_id)
            if not values:
                return current
            values["updated_at"] = self.clock.now_ms()
            updated = await repo.update_definition(portal_id, definition_id, values)
            if updated is None:
                raise _name_taken(values["name"], current.business_unit_id)
            return updated

    async def create_definition(
        self,
        portal_id: int,
        name: str,
        description: str,
        business_unit_id: int = 0,
        purpose: str = "",
        communication_method: str = "Email",
        is_internal: bool = False,
        is_default: bool = False,
        is_active: bool = True,
        definition_id: int | None = None,
        created_at: int | None = None,
        updated_at: int | None = None,
    ) -> Definition:
        """``definition_id``, ``created_at``, ``updated_at``: of the caller's choosing (an
        emulator's seed, HubSpot-like ids), else the next id and now."""
        name = _required_text("name", name)
        DefinitionChanges(
            description=description, purpose=purpose, communication_method=communication_method
        ).checked()
        async with self.database.write() as repo:
            await require_portal(repo, portal_id)
            await require_business_unit(repo, portal_id, business_unit_id)
            given: dict[str, int] = {}
            if definition_id is not None:
                if await repo.get_definition(portal_id, definition_id) is not None:
                    raise Conflict(f"A subscription type with id {definition_id} exists already.")
                given["id"] = definition_id
            now = self.clock.now_ms()
            created = now if created_at is None else created_at
            definition = await repo.create_definition(
                **given,
                portal_id=portal_id,
                business_unit_id=business_unit_id,
                name=name,
                description=description,
                purpose=purpose,
                communication_method=communication_method,
                is_active=is_active,
                is_default=is_default,
                is_internal=is_internal,
                created_at=created,
                updated_at=created if updated_at is None else updated_at,
            )
            if definition is None:
                raise _name_taken(name, business_unit_id)
            return definition

    async def set_branding(
        self,
        portal_id: int,
        unit_id: int,
        name: str | None = None,
        colour: str | None = None,
        logo_url: str | None = None,
    ) -> Branding:
        """Set what is given; an empty value goes back to the default."""
        values = {
            column: checked
            for column, value, check in (
                ("brand_name", name, _brand_name),
                ("brand_colour", colour, brand_colour),
                ("brand_logo_url", logo_url, brand_logo_url),
            )
            if value is not None
            for checked in [check(value.strip()) if value.strip() else None]
        }
        async with self.database.write() as repo:
            await require_portal(repo, portal_id)
            if values and not await repo.set_branding(portal_id, unit_id, values):
                raise unknown_business_unit(unit_id)
            branding = await repo.branding(portal_id, unit_id)
        if branding is None:
            raise unknown_business_unit(unit_id)
        return branding

    async def translate_definition(
        self,
        portal_id: int,
        definition_id: int,
        language: str,
        name: str,
        description: str,
        at: int | None = None,
    ) -> Translation:
        """Add or replace one language's name and description of a subscription type (``at``:
        when, if not now: an emulator's seed)."""
        code = normalise_language(language)
        if code is None:
            raise InvalidInput.field("language", "A language code is required.", "MISSING_FIELD")
        name = _required_text("name", name)
        description = _optional_text("description", description, MAX_DESCRIPTION)
        async with self.database.write() as repo:
            await require_portal(repo, portal_id)
            await require_definition(repo, portal_id, definition_id)
            return await repo.put_translation(
                definition_id, code, name, description, self.clock.now_ms() if at is None else at
            )


MAX_DESCRIPTION = 10_000
MAX_LABEL = 100  # purpose, communication method: the columns' width


@dataclass(frozen=True)
class DefinitionChanges:
    """What may change of a subscription type; None leaves a field as it is."""

    name: str | None = None
    description: str | None = None
    purpose: str | None = None
    communication_method: str | None = None
    is_internal: bool | None = None
    is_default: bool | None = None
    is_active: bool | None = None

    def checked(self) -> dict[str, Any]:
        """The column values to set, each checked (a 400 naming the field otherwise)."""
        values: dict[str, Any] = {}
        if self.name is not None:
            values["name"] = _required_text("name", self.name)
        for column, field, value, limit in (
            ("description", "description", self.description, MAX_DESCRIPTION),
            ("purpose", "purpose", self.purpose, MAX_LABEL),
            ("communication_method", "communicationMethod", self.communication_method, MAX_LABEL),
        ):
            if value is not None:
                values[column] = _optional_text(field, value, limit)
        for column, flag in (
            ("is_internal", self.is_internal),
            ("is_default", self.is_default),
            ("is_active", self.is_active),
        ):
            if flag is not None:
                values[column] = flag
        return values


def _name_taken(name: str, business_unit_id: int) -> Conflict:
    return Conflict(
        f"A subscription type named {name!r} already exists in business unit {business_unit_id}."
    )


def _optional_text(field: str, value: str, limit: int) -> str:
    if "\x00" in value:
        raise InvalidInput.field(field, f"{field} must not contain NUL characters.")
    if len(value) > limit:
        raise InvalidInput.field(field, f"{field} is at most {limit} characters.")
    return value


def _brand_name(value: str) -> str:
    return _required_text("name", value)


async def _create_portal(
    repo: Repository, name: str, gdpr: bool, now: int, portal_id: int | None = None
) -> Portal:
    portal = await repo.create_portal(name, gdpr, now, portal_id)
    await repo.create_business_unit(portal.id, DEFAULT_UNIT_NAME, now, unit_id=0)
    return portal


def _required_text(field: str, value: str) -> str:
    value = value.strip()
    if "\x00" in value:
        raise InvalidInput.field(field, f"{field} must not contain NUL characters.")
    if not value:
        raise InvalidInput.field(field, f"{field} must not be empty.", "MISSING_FIELD")
    if len(value) > 200:
        raise InvalidInput.field(field, f"{field} is at most 200 characters.")
    return value
