"""``commprefs serve`` and ``commprefs migrate``, and the announcement of the first token that
``serve`` makes when it seeds an empty database."""

from __future__ import annotations

import shlex
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated

import typer

from commprefs.cli.emulator import KNOWN_TOKEN_NAME, emulated
from commprefs.cli.support import CliError, DatabaseOption, run_admin, settings_for
from commprefs.domain.tokens import ALL_SCOPES
from commprefs.portals.service import Bootstrap
from commprefs.services import Services


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
    emulator: Annotated[
        bool | None,
        typer.Option(
            "--emulator",
            help="For test suites: the control API under /_commprefs/ (seed, reset, state, "
            "request journal, faults, clock); "
            "a fresh temporary SQLite database unless --database is given.",
        ),
    ] = None,
    token: Annotated[
        list[str] | None,
        typer.Option(
            "--token",
            help="A known access token (repeatable): every scope, in the first portal.",
        ),
    ] = None,
    seed: Annotated[
        str | None,
        typer.Option("--seed", help="The emulator's seed document (YAML or JSON file)."),
    ] = None,
) -> None:
    """Migrate the database, then serve the API."""
    from commprefs.app import check_rate_limit_store, run_server  # the HTTP stack: serve only

    overrides = {
        "rate_limit": rate_limit,
        "webhook_worker": webhooks,
        # Emulator mode and known tokens (issue 15)
        "emulator": emulator,
        "token": ",".join(token) if token else None,
        "seed": seed,
    }
    settings = settings_for(database, public_url=public_url, **overrides)
    if settings.emulator:  # Emulator mode (issue 15): one process, its own database
        if workers > 1:  # its journal, faults and clock live in that process
            raise CliError("the emulator runs one process (--workers 1)")
        database, overrides = emulated(settings, database, overrides)
        settings = settings_for(database, public_url=public_url, **overrides)
    if "public_url" not in settings.model_fields_set:  # neither --public-url nor the variable
        literal = f"[{host}]" if ":" in host else host  # an IPv6 address
        settings = settings_for(database, public_url=f"http://{literal}:{port}", **overrides)
    try:
        check_rate_limit_store(settings)
    except RuntimeError as exc:
        raise CliError(str(exc)) from None
    # With JSON logs (issue 17) stdout carries log lines only: the token goes to the terminal.
    announce = _first_token_announcer(
        f"http://{host}:{port}", settings.known_tokens, settings.log_format == "json"
    )
    memory = Services.in_memory(settings)
    if memory and workers > 1:
        raise CliError("an in-memory database cannot be shared by several worker processes")
    if settings.emulator:  # the emulator migrates and seeds in the server (emulator/service.py)
        run_server(settings, host, port, 1)
        return
    if not memory:
        # Migrate and seed once, here: a database that cannot be used is one line before the
        # server starts (not uvicorn's traceback of a failed start-up), and exactly one process
        # creates and prints a first token. Each worker's own start-up migration then finds
        # the schema current. An in-memory database lives in the server alone.
        run_admin(database, lambda services: _bootstrap(services, announce), settings)
    first_start = announce if memory else None  # a real database was seeded just above
    run_server(settings, host, port, workers, on_first_start=first_start, migrated=not memory)


def _first_token_announcer(
    base: str, known_tokens: list[str], to_stderr: bool = False
) -> Callable[[Services, Bootstrap], Awaitable[None]]:
    async def announce(services: Services, created: Bootstrap) -> None:
        if known_tokens:  # the operator's tokens stand in for a random first one
            await services.tokens.ensure_known(known_tokens, KNOWN_TOKEN_NAME)
            typer.echo(
                f"Created portal {created.portal.name!r} (id {created.portal.id}) with business "
                f"unit 0, {len(created.definitions)} subscription types and the known tokens."
            )
            sys.stdout.flush()
            return
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
            f"  {secret}\n\nTry it:\n\n  {example}\n",
            err=to_stderr,
        )
        sys.stdout.flush()

    return announce


async def _bootstrap(
    services: Services, announce: Callable[[Services, Bootstrap], Awaitable[None]]
) -> None:
    created = await services.portals.bootstrap_if_empty()
    if created is not None:
        await announce(services, created)
    # Known tokens (issue 15): on a database of an earlier run too.
    await services.tokens.ensure_known(services.settings.known_tokens, KNOWN_TOKEN_NAME)


def migrate(database: DatabaseOption = None) -> None:
    """Bring the database schema to the newest version."""

    async def nothing(_services: Services) -> None:
        return None

    run_admin(database, nothing)
    typer.echo("database is up to date")
