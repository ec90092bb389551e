"""``commprefs links rotate-key|keys|headers``: preference-page links and their signing keys."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from commprefs.cli.support import (
    DatabaseOption,
    JsonOption,
    PortalOption,
    run_admin,
)
from commprefs.domain.admin_bodies import render_key
from commprefs.domain.clock import iso_ms

links_app = typer.Typer(help="Preference-page links and their signing keys.", no_args_is_help=True)


def _key_rows(keys: list[Any]) -> list[dict[str, Any]]:
    return [render_key(k) for k in keys]


def _print_keys(as_json: bool, keys: list[Any]) -> None:
    rows = _key_rows(keys)
    if as_json:
        typer.echo(json.dumps({"keys": rows}))
        return
    for row in rows:
        role = "signs new links" if row["signing"] else "verifies only"
        until = row["verifiesUntil"]
        expiry = f"until {iso_ms(until)}" if until is not None else "while kept"
        typer.echo(f"{row['kid']}\t{role}\tverifies {expiry}")


@links_app.command("rotate-key")
def links_rotate_key(as_json: JsonOption = False, database: DatabaseOption = None) -> None:
    """Sign new links with a fresh key; links signed before keep working for the grace period
    (COMMPREFS_LINK_KEY_GRACE_DAYS). Keys are never printed."""
    _print_keys(as_json, run_admin(database, lambda s: s.links.rotate_key()))


@links_app.command("keys")
def links_keys(as_json: JsonOption = False, database: DatabaseOption = None) -> None:
    """List the keys that verify links now (ids and dates, never the keys)."""
    _print_keys(as_json, run_admin(database, lambda s: s.links.keys()))


@links_app.command("headers")
def links_headers(
    portal: PortalOption,
    email: Annotated[str, typer.Option("--email", help="The recipient's address.")],
    business_unit: Annotated[int, typer.Option("--business-unit", min=0)] = 0,
    subscription: Annotated[
        int | None, typer.Option("--subscription", help="Unsubscribe from this type only.")
    ] = None,
    language: Annotated[str | None, typer.Option("--language")] = None,
    public_url: Annotated[
        str | None, typer.Option("--public-url", help="Base URL of the links.")
    ] = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Print ready List-Unsubscribe and List-Unsubscribe-Post header values for one recipient."""
    links = run_admin(
        database,
        lambda s: s.links.generate(portal, email, business_unit, subscription, language),
        public_url=public_url,
    )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "List-Unsubscribe": links.list_unsubscribe,
                    "List-Unsubscribe-Post": links.list_unsubscribe_post,
                    "managePreferencesUrl": links.manage_url,
                }
            )
        )
        return
    typer.echo(f"List-Unsubscribe: {links.list_unsubscribe}")
    typer.echo(f"List-Unsubscribe-Post: {links.list_unsubscribe_post}")
