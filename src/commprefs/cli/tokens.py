"""``commprefs tokens create|list|revoke``: access tokens (secrets are shown once, never listed)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from commprefs.cli.support import DatabaseOption, JsonOption, PortalOption, emit, run_admin

tokens_app = typer.Typer(help="Access tokens.", no_args_is_help=True)


@tokens_app.command("create")
def tokens_create(
    portal: PortalOption,
    scopes: Annotated[str, typer.Option("--scopes", help="Comma-separated scopes.")],
    name: Annotated[str, typer.Option("--name")] = "",
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Create an access token; its secret is printed once."""
    record, secret = run_admin(database, lambda s: s.tokens.create(portal, scopes.split(","), name))
    emit(
        as_json,
        {"id": record.id, "token": secret, "scopes": sorted(record.scopes), "name": record.name},
        f"token {record.id} ({record.name}): {secret}",
    )


@tokens_app.command("list")
def tokens_list(
    portal: Annotated[int | None, typer.Option("--portal")] = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """List tokens (never their secrets)."""
    records = run_admin(database, lambda s: s.tokens.list(portal))
    rows = [
        {
            "id": r.id,
            "portalId": r.portal_id,
            "name": r.name,
            "hint": r.hint + "…",
            "scopes": sorted(r.scopes),
            "revoked": not r.active,
        }
        for r in records
    ]
    if as_json:
        typer.echo(json.dumps({"tokens": rows}))
        return
    for row in rows:
        state = "revoked" if row["revoked"] else "active"
        typer.echo(f"{row['id']}\tportal {row['portalId']}\t{row['hint']}\t{state}\t{row['name']}")


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: Annotated[int, typer.Argument(metavar="ID")],
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Revoke a token at once."""
    run_admin(database, lambda s: s.tokens.revoke(token_id))
    emit(as_json, {"id": token_id, "revoked": True}, f"token {token_id} revoked")
