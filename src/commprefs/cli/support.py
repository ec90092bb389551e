"""What every ``commprefs`` command shares: options, settings, running a service call, output.

Commands live in this package, one module per concern (serve.py, portals.py, definitions.py,
tokens.py, links.py, ledger.py, webhooks.py, transfer.py); main.py assembles them, and all of
them report errors the same way through ``cli.main.main``.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import os
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from pydantic import ValidationError

from commprefs.config import Settings
from commprefs.domain.clock import InstantError, parse_instant
from commprefs.services import Services

T = TypeVar("T")

DatabaseOption = Annotated[
    str | None,
    typer.Option("--database", help="sqlite:///path.db, sqlite:///:memory: or postgresql://…"),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
PortalOption = Annotated[int, typer.Option("--portal", help="Portal id.")]
# Consent context (issue 16): who runs a command that changes statuses.
ActorOption = Annotated[
    str | None,
    typer.Option("--actor", help="Who acts, for the ledger (default: the OS user)."),
]


class CliError(Exception):
    """A one-line error for the user; exit code 1."""


def settings_for(database: str | None, **overrides: Any) -> Settings:
    values = {k: v for k, v in overrides.items() if v is not None}
    if database is not None:
        values["database_url"] = database
    try:
        return Settings(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise CliError(f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None


def run_admin(
    database: str | None,
    action: Callable[[Services], Awaitable[T]],
    settings: Settings | None = None,
    **overrides: Any,
) -> T:
    """Migrate, run one service call, close the database."""

    async def main() -> T:
        services = Services.build(settings or settings_for(database, **overrides))
        try:
            await services.upgrade()
            return await action(services)
        finally:
            await services.close()

    return asyncio.run(main())


def instant_option(option: str, text: str) -> int:
    """The epoch milliseconds an option's time stands for (clock.parse_instant's rule)."""
    try:
        return parse_instant(text)
    except InstantError as error:
        raise CliError(f"{option}: {error}") from None


def acting_user(actor: str | None) -> dict[str, Any]:
    """The consent context of a command: ``--actor``, or the user the process runs as."""
    if actor is not None and actor.strip():
        return {"actor": actor.strip()[:200]}
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for the uid (a bare container)
        user = f"uid {os.getuid()}"
    return {"actor": user}


def emit(as_json: bool, payload: dict[str, Any], line: str) -> None:
    typer.echo(json.dumps(payload) if as_json else line)
