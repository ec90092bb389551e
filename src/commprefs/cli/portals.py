"""``commprefs portals create`` and ``commprefs business-units create|brand``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from commprefs.cli.support import DatabaseOption, JsonOption, PortalOption, emit, run_admin

portals_app = typer.Typer(help="Portals (tenants).", no_args_is_help=True)
units_app = typer.Typer(help="Business units (brands).", no_args_is_help=True)


def portal_json(portal: Any) -> dict[str, Any]:
    return {"id": portal.id, "name": portal.name, "gdpr": portal.gdpr}


@portals_app.command("create")
def portals_create(
    name: str,
    gdpr: Annotated[bool, typer.Option("--gdpr", help="Require legal basis.")] = False,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Create a portal with business unit 0."""
    portal = run_admin(database, lambda s: s.portals.create_portal(name, gdpr))
    emit(as_json, portal_json(portal), f"portal {portal.id} {portal.name!r} created")


@units_app.command("create")
def business_units_create(
    name: str,
    portal: PortalOption,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Create a business unit (brand) in a portal."""
    unit = run_admin(database, lambda s: s.portals.create_business_unit(portal, name))
    emit(
        as_json,
        {"id": unit.id, "portalId": unit.portal_id, "name": unit.name},
        f"business unit {unit.id} {unit.name!r} created in portal {unit.portal_id}",
    )


@units_app.command("brand")
def business_units_brand(
    portal: PortalOption,
    unit: Annotated[int, typer.Option("--unit", min=0, help="Business unit id (0: the account).")],
    name: Annotated[str | None, typer.Option("--name", help="Name on the pages.")] = None,
    colour: Annotated[str | None, typer.Option("--colour", help="#rrggbb or #rgb.")] = None,
    logo_url: Annotated[str | None, typer.Option("--logo-url", help="An https image URL.")] = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Brand a business unit's preference pages; an empty value restores the default."""
    branding = run_admin(
        database, lambda s: s.portals.set_branding(portal, unit, name, colour, logo_url)
    )
    payload = {
        "portalId": branding.portal_id,
        "businessUnitId": branding.business_unit_id,
        "name": branding.name,
        "colour": branding.colour,
        "logoUrl": branding.logo_url,
    }
    emit(as_json, payload, f"business unit {unit} of portal {portal} branded: {payload}")
