"""Values of portal administration that only the pages need: branding."""

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
