"""``commprefs subjects export``: everything held about one address (GDPR Art. 15, issue 16),
as the one JSON document that ``GET /commprefs/v1/subscribers/{email}/export`` answers."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from commprefs.cli.support import DatabaseOption, PortalOption, run_admin

subjects_app = typer.Typer(help="Data subjects' requests (GDPR).", no_args_is_help=True)


@subjects_app.command("export")
def export(
    portal: PortalOption,
    email: Annotated[str, typer.Option("--email", help="The subscriber's address.")],
    database: DatabaseOption = None,
) -> None:
    """Print one JSON document with everything held about the address: statuses and opt-outs,
    the full history with consent context, confirmations, change events, remembered replies."""
    document = run_admin(database, lambda s: s.subjects.export(portal, email))
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2))
