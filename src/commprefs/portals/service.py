"""Administration of portals, business units and subscription definitions (CLI-facing)."""

from __future__ import annotations

from dataclasses import dataclass

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
                raise Conflict(
                    f"A subscription type named {name!r} already exists in business unit "
                    f"{business_unit_id}."
                )
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
        async with self.database.write() as repo:
            await require_portal(repo, portal_id)
            await require_definition(repo, portal_id, definition_id)
            return await repo.put_translation(
                definition_id, code, name, description, self.clock.now_ms() if at is None else at
            )


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
