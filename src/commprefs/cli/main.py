"""The ``commprefs`` command: serve, migrate, and administration of portals and tokens.

Admin commands print one readable line, or with ``--json`` exactly one JSON object on stdout.
Errors are one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

import typer

from commprefs.cli import ledger as ledger_commands
from commprefs.cli.support import (
    CliError,
    DatabaseOption,
    JsonOption,
    PortalOption,
    emit,
    run_admin,
    settings_for,
)
from commprefs.cli.transfer import export_app, import_statuses
from commprefs.cli.webhooks import webhooks_app
from commprefs.domain.clock import iso_ms
from commprefs.domain.errors import CommprefsError
from commprefs.domain.tokens import ALL_SCOPES
from commprefs.portals.service import Bootstrap
from commprefs.services import Services

app = typer.Typer(
    help="commprefs: email subscription preferences, HubSpot-compatible.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
portals_app = typer.Typer(help="Portals (tenants).", no_args_is_help=True)
units_app = typer.Typer(help="Business units (brands).", no_args_is_help=True)
definitions_app = typer.Typer(help="Subscription types.", no_args_is_help=True)
tokens_app = typer.Typer(help="Access tokens.", no_args_is_help=True)
app.add_typer(portals_app, name="portals")
app.add_typer(units_app, name="business-units")
app.add_typer(definitions_app, name="definitions")
app.add_typer(tokens_app, name="tokens")
app.add_typer(ledger_commands.ledger_app, name="ledger")
app.command("history")(ledger_commands.history)
app.add_typer(webhooks_app, name="webhooks")
app.command("import")(import_statuses)
app.add_typer(export_app, name="export")
links_app = typer.Typer(help="Preference-page links and their signing keys.", no_args_is_help=True)
app.add_typer(links_app, name="links")


def portal_json(portal: Any) -> dict[str, Any]:
    return {"id": portal.id, "name": portal.name, "gdpr": portal.gdpr}


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8080,
    public_url: Annotated[
        str | None, typer.Option("--public-url", help="Base URL of preference-page links.")
    ] = None,
    database: DatabaseOption = None,
    webhooks: Annotated[
        bool | None, typer.Option("--webhooks", help="Also deliver webhook events.")
    ] = None,
    rate_limit: Annotated[
        int | None,
        typer.Option(
            "--rate-limit", min=0, help="Calls per 10 s per token (HubSpot: 190); 0 is off."
        ),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            min=1,
            max=64,
            help="Server processes, each with its own connection pool (production: PostgreSQL).",
        ),
    ] = 1,
) -> None:
    """Migrate the database, then serve the API."""
    import uvicorn

    from commprefs.api.http_limits import limited_protocol
    from commprefs.api.ratelimit import check_redis
    from commprefs.app import create_app

    overrides = {"rate_limit": rate_limit, "webhook_worker": webhooks}
    settings = settings_for(database, public_url=public_url, **overrides)
    if "public_url" not in settings.model_fields_set:  # neither --public-url nor the variable
        literal = f"[{host}]" if ":" in host else host  # an IPv6 address
        settings = settings_for(database, public_url=f"http://{literal}:{port}", **overrides)
    if settings.rate_limit and settings.redis_url:
        try:
            asyncio.run(check_redis(settings.redis_url))
        except RuntimeError as exc:
            raise CliError(str(exc)) from None
    announce = _first_token_announcer(f"http://{host}:{port}")
    server_options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_level": "info",
        "access_log": False,
        "http": limited_protocol(settings),
        "timeout_keep_alive": settings.keep_alive_timeout,
    }
    memory = Services.in_memory(settings)
    if memory and workers > 1:
        raise CliError("an in-memory database cannot be shared by several worker processes")
    if not memory:
        # Migrate and seed once, here: a database that cannot be used is one line before the
        # server starts (not uvicorn's traceback of a failed start-up), and exactly one process
        # creates and prints a first token. Each worker's own start-up migration then finds
        # the schema current. An in-memory database lives in the server alone.
        run_admin(database, lambda services: _bootstrap(services, announce), settings)
    if workers == 1:
        first_start = announce if memory else None
        asgi = create_app(settings, on_first_start=first_start, migrated=not memory)
        uvicorn.run(asgi, **server_options)
        return
    os.environ.update(settings.environment())
    uvicorn.run(
        "commprefs.app:create_app_from_environment",
        factory=True,
        workers=workers,
        **{**server_options, "http": "commprefs.api.http_limits:EnvironmentLimitedProtocol"},
    )


def _first_token_announcer(base: str) -> Callable[[Services, Bootstrap], Awaitable[None]]:
    async def announce(services: Services, created: Bootstrap) -> None:
        _, secret = await services.tokens.create(created.portal.id, ALL_SCOPES, "first token")
        example = (
            f"curl -X POST -H {shlex.quote('Authorization: Bearer ' + secret)} "
            f"'{base}/communication-preferences/v4/statuses/jane@example.com/unsubscribe-all"
            "?channel=EMAIL&verbose=true'"
        )
        typer.echo(
            f"Created portal {created.portal.name!r} (id {created.portal.id}) with business "
            f"unit 0 and {len(created.definitions)} subscription types.\n"
            f"First access token (every scope; shown once, stored only as a hash):\n\n"
            f"  {secret}\n\nTry it:\n\n  {example}\n"
        )
        sys.stdout.flush()

    return announce


async def _bootstrap(
    services: Services, announce: Callable[[Services, Bootstrap], Awaitable[None]]
) -> None:
    created = await services.portals.bootstrap_if_empty()
    if created is not None:
        await announce(services, created)


@app.command()
def migrate(database: DatabaseOption = None) -> None:
    """Bring the database schema to the newest version."""

    async def nothing(_services: Services) -> None:
        return None

    run_admin(database, nothing)
    typer.echo("database is up to date")


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
    from commprefs.api.v4.schemas import render_definition

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
    from commprefs.api.v4.schemas import render_translation

    made = run_admin(
        database,
        lambda s: s.portals.translate_definition(portal, definition, language, name, description),
    )
    emit(
        as_json,
        render_translation(made),
        f"subscription type {definition} translated to {made.language_code}",
    )


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


# -- preference pages: branding and links ------------------------------------------------------


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


def _key_rows(keys: list[Any]) -> list[dict[str, Any]]:
    return [
        {
            "kid": k.kid,
            "signing": k.signing,
            "configured": k.configured,
            "createdAt": k.created_at,
            "retiredAt": k.retired_at,
            "verifiesUntil": k.verifies_until,
        }
        for k in keys
    ]


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
    settings = settings_for(database)
    if settings.link_signing_key.get_secret_value().strip():
        raise CliError(
            "COMMPREFS_LINK_SIGNING_KEY is set, so it signs the links: to rotate it, set a new "
            "key and move the old one to COMMPREFS_LINK_PREVIOUS_SIGNING_KEYS."
        )
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


def main(argv: list[str] | None = None) -> None:
    command = typer.main.get_command(app)
    try:
        command.main(args=argv, prog_name="commprefs", standalone_mode=False)
    except typer.Abort:
        sys.exit(130)
    except typer.TyperException as exc:  # Typer's usage errors (its vendored click's)
        message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
        typer.echo(f"error: {message}", err=True)
        sys.exit(getattr(exc, "exit_code", 2))
    except (CommprefsError, CliError) as exc:  # a database that cannot be used is one too
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(1)
