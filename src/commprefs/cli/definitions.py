"""``commprefs definitions create|translate``: subscription types and their translations."""

from __future__ import annotations

from typing import Annotated

import typer

from commprefs.cli.support import DatabaseOption, JsonOption, PortalOption, emit, run_admin
from commprefs.domain.bodies import render_definition, render_translation

definitions_app = typer.Typer(help="Subscription types.", no_args_is_help=True)


@definitions_app.command("create")
def definitions_create(
    portal: PortalOption,
    name: Annotated[str, typer.Option("--name")],
    description: Annotated[str, typer.Option("--description")],
    business_unit: Annotated[int, typer.Option("--business-unit", min=0)] = 0,
    purpose: Annotated[str, typer.Option("--purpose")] = "",
    communication_method: Annotated[str, typer.Option("--communication-method")] = "Email",
    internal: Annotated[bool, typer.Option("--internal")] = False,
    default: Annotated[bool, typer.Option("--default")] = False,
    inactive: Annotated[bool, typer.Option("--inactive")] = False,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Create a subscription type."""
    created = run_admin(
        database,
        lambda s: s.portals.create_definition(
            portal,
            name,
            description,
            business_unit,
            purpose,
            communication_method,
            is_internal=internal,
            is_default=default,
            is_active=not inactive,
        ),
    )
    emit(
        as_json,
        render_definition(created),
        f"subscription type {created.id} {created.name!r} created in portal {portal}",
    )


@definitions_app.command("translate")
def definitions_translate(
    portal: PortalOption,
    definition: Annotated[int, typer.Option("--definition", help="Subscription type id.")],
    language: Annotated[str, typer.Option("--language", help="Language code, e.g. fr.")],
    name: Annotated[str, typer.Option("--name")],
    description: Annotated[str, typer.Option("--description")] = "",
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Add or replace a translation of a subscription type."""
    made = run_admin(
        database,
        lambda s: s.portals.translate_definition(portal, definition, language, name, description),
    )
    emit(
        as_json,
        render_translation(made),
        f"subscription type {definition} translated to {made.language_code}",
    )
