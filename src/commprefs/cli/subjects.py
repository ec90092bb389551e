"""``commprefs subjects``: data subjects' rights (GDPR, issue 16) from the command line.

``export``: everything held about one address (Art. 15), as the one JSON document that
``GET /commprefs/v1/subscribers/{email}/export`` answers. ``erase``: its erasure (Art. 17),
recorded in the ledger with API ``cli`` and no token (the operator acts)."""

from __future__ import annotations

import json
import uuid
from typing import Annotated

import typer

from commprefs.cli.support import DatabaseOption, JsonOption, PortalOption, emit, run_admin
from commprefs.domain.bodies import render_erasure
from commprefs.domain.preferences import Actor

subjects_app = typer.Typer(help="Data subjects' requests (GDPR).", no_args_is_help=True)

CLI_API = "cli"


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


@subjects_app.command("erase")
def erase(
    portal: PortalOption,
    email: Annotated[str, typer.Option("--email", help="The address to erase.")],
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Erase a subscriber: its data key destroyed (ledger entries stay, unreadable), its
    statuses, pending confirmations and import rejects deleted, the address suppressed by keyed
    hash until new consent."""
    actor = Actor(portal, None, f"cli-{uuid.uuid4()}", CLI_API)
    erased = run_admin(database, lambda s: s.erasure.erase(actor, email))
    body = render_erasure(erased.subject_hash, erased.erased_at)
    emit(as_json, body, f"erased: subscriber hash {erased.subject_hash} at {body['erasedAt']}")
