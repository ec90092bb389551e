"""``commprefs apps create|list|authorize``: OAuth apps (issue 14). A client secret and a code
are shown once; only their SHA-256 is kept."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from commprefs.cli.support import DatabaseOption, JsonOption, PortalOption, emit, run_admin
from commprefs.domain.oauth import OPERATOR_USER_ID

apps_app = typer.Typer(help="OAuth apps.", no_args_is_help=True)


@apps_app.command("create")
def apps_create(
    portal: PortalOption,
    name: Annotated[str, typer.Option("--name")],
    redirect_uri: Annotated[str, typer.Option("--redirect-uri")],
    scopes: Annotated[str, typer.Option("--scopes", help="Comma-separated scopes.")],
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Create an OAuth app; its client secret is printed once."""
    created = run_admin(
        database,
        lambda s: s.oauth.create_app(portal, name, redirect_uri, scopes.split(",")),
    )
    app = created.app
    emit(
        as_json,
        {
            "id": app.id,
            "portalId": app.portal_id,
            "name": app.name,
            "clientId": app.client_id,
            "clientSecret": created.client_secret,
            "redirectUri": app.redirect_uri,
            "scopes": sorted(app.scopes),
        },
        f"app {app.id} ({app.name}): client id {app.client_id}, "
        f"client secret {created.client_secret}",
    )


@apps_app.command("list")
def apps_list(
    portal: Annotated[int | None, typer.Option("--portal")] = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """List OAuth apps (never their secrets)."""
    rows = [
        {
            "id": a.id,
            "portalId": a.portal_id,
            "name": a.name,
            "clientId": a.client_id,
            "redirectUri": a.redirect_uri,
            "scopes": sorted(a.scopes),
        }
        for a in run_admin(database, lambda s: s.oauth.list_apps(portal))
    ]
    if as_json:
        typer.echo(json.dumps({"apps": rows}))
        return
    for row in rows:
        typer.echo(f"{row['id']}\tportal {row['portalId']}\t{row['clientId']}\t{row['name']}")


@apps_app.command("authorize")
def apps_authorize(
    app_id: Annotated[int, typer.Option("--app", help="The app's id.")],
    scopes: Annotated[
        str | None, typer.Option("--scopes", help="Comma-separated; default: the app's.")
    ] = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Approve an app for its portal, as its owner: prints an authorization code to exchange
    at POST /oauth/v1/token (once, before it expires)."""
    wanted = scopes.split(",") if scopes is not None else None
    issued = run_admin(
        database, lambda s: s.oauth.authorize(app_id, wanted, user_id=OPERATOR_USER_ID)
    )
    emit(
        as_json,
        {"code": issued.code, "redirectUri": issued.redirect_uri, "expiresIn": issued.expires_in},
        f"code {issued.code} (expires in {issued.expires_in} s)",
    )
