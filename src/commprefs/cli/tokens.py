"""``commprefs tokens create|list|revoke``: access tokens (secrets are shown once, never listed)."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from commprefs.cli.support import CliError, DatabaseOption, JsonOption, emit, run_admin

tokens_app = typer.Typer(help="Access tokens.", no_args_is_help=True)


@tokens_app.command("create")
def tokens_create(
    portal: Annotated[int | None, typer.Option("--portal", help="Portal id.")] = None,
    scopes: Annotated[str, typer.Option("--scopes", help="Comma-separated scopes.")] = "",
    name: Annotated[str, typer.Option("--name")] = "",
    instance: Annotated[
        bool,
        typer.Option(
            "--instance", help="A token of the instance (creates portals, rotates link keys)."
        ),
    ] = False,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Create an access token (of a portal, or with --instance of the instance); its secret is
    printed once."""
    if instance:
        if portal is not None or scopes:
            raise CliError("--instance takes neither --portal nor --scopes")
        record, secret = run_admin(database, lambda s: s.tokens.create_instance(name))
    elif portal is None:
        raise CliError("--portal is required (or --instance)")
    else:
        chosen = portal
        record, secret = run_admin(
            database, lambda s: s.tokens.create(chosen, scopes.split(","), name)
        )
    emit(
        as_json,
        {
            "id": record.id,
            "token": secret,
            "scopes": sorted(record.scopes),
            "name": record.name,
            "portalId": record.portal_id,
        },
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
        owner = "instance" if row["portalId"] is None else f"portal {row['portalId']}"
        typer.echo(f"{row['id']}\t{owner}\t{row['hint']}\t{state}\t{row['name']}")


@tokens_app.command("revoke")
def tokens_revoke(
    token_id: Annotated[int, typer.Argument(metavar="ID")],
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Revoke a token at once."""
    run_admin(database, lambda s: s.tokens.revoke(token_id))
    emit(as_json, {"id": token_id, "revoked": True}, f"token {token_id} revoked")
