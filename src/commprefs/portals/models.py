"""Values of portal administration that only some entry points need: branding, translations."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Branding:
    """How a business unit's hosted pages look. ``None`` fields fall back to the defaults."""

    portal_id: int
    business_unit_id: int
    unit_name: str
    name: str | None
    colour: str | None
    logo_url: str | None


@dataclass(frozen=True)
class Translation:
    """A subscription type's name and description in one language."""

    definition_id: int
    language_code: str
    name: str
    description: str
    created_at: int
    updated_at: int
