"""``commprefs subjects erase``: erasure of a data subject (GDPR Art. 17, issue 16) from the
command line, recorded in the ledger with API ``cli`` and no token (the operator acts)."""

from __future__ import annotations

import uuid
from typing import Annotated

import typer

from commprefs.cli.support import DatabaseOption, JsonOption, PortalOption, emit, run_admin
from commprefs.domain.bodies import render_erasure
from commprefs.domain.preferences import Actor

subjects_app = typer.Typer(help="Data subjects' rights: erasure.", no_args_is_help=True)

CLI_API = "cli"


@subjects_app.command("erase")
def erase(
    portal: PortalOption,
    email: Annotated[str, typer.Option("--email", help="The address to erase.")],
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Erase a subscriber: its data key destroyed (ledger entries stay, unreadable), its
    statuses deleted, the address suppressed by keyed hash until new consent."""
    actor = Actor(portal, None, f"cli-{uuid.uuid4()}", CLI_API)
    erased = run_admin(database, lambda s: s.erasure.erase(actor, email))
    body = render_erasure(erased.subject_hash, erased.erased_at)
    emit(as_json, body, f"erased: subscriber hash {erased.subject_hash} at {body['erasedAt']}")
