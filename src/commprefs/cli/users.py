"""``commprefs users create|list|disable``: the web console's users (one portal each, admin or
viewer). A password comes from a prompt or from ``--password-file``, never from the command line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from commprefs.cli.support import (
    CliError,
    DatabaseOption,
    JsonOption,
    PortalOption,
    emit,
    run_admin,
)

users_app = typer.Typer(help="Console users.", no_args_is_help=True)


def _password(password_file: Path | None) -> str:
    if password_file is None:
        # On stderr, so that with --json stdout is exactly one JSON object.
        entered: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
        return entered
    try:
        lines = password_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise CliError(f"--password-file: {error}") from None
    return lines[0] if lines else ""


@users_app.command("create")
def users_create(
    portal: PortalOption,
    email: Annotated[str, typer.Option("--email", help="The user's address (the login).")],
    role: Annotated[str, typer.Option("--role", help="admin (reads and changes) or viewer.")],
    password_file: Annotated[
        Path | None, typer.Option("--password-file", help="Read the password from this file.")
    ] = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Create a console user of one portal."""
    password = _password(password_file)
    user = run_admin(database, lambda s: s.operators.create_user(portal, email, role, password))
    emit(
        as_json,
        {"id": user.id, "portalId": user.portal_id, "email": user.email, "role": user.role.value},
        f"user {user.id} ({user.email}, {user.role.value}) of portal {user.portal_id}",
    )


@users_app.command("list")
def users_list(
    portal: Annotated[int | None, typer.Option("--portal")] = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """List console users (never their passwords)."""
    users = run_admin(database, lambda s: s.operators.list_users(portal))
    rows = [
        {
            "id": u.id,
            "portalId": u.portal_id,
            "email": u.email,
            "role": u.role.value,
            "disabled": not u.active,
        }
        for u in users
    ]
    if as_json:
        typer.echo(json.dumps({"users": rows}))
        return
    for row in rows:
        state = "disabled" if row["disabled"] else "active"
        typer.echo(f"{row['id']}\tportal {row['portalId']}\t{row['role']}\t{state}\t{row['email']}")


@users_app.command("disable")
def users_disable(
    user_id: Annotated[int, typer.Argument(metavar="ID")],
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Disable a console user; its sessions end at once."""
    run_admin(database, lambda s: s.operators.disable_user(user_id))
    emit(as_json, {"id": user_id, "disabled": True}, f"user {user_id} disabled")
