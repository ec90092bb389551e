"""What ``commprefs serve --emulator`` settles before it serves (issue 15): a fresh temporary
SQLite database unless one is given, the seed file read and checked (a bad one is one line, not
a failed start-up), and a token to print when the operator gave none."""

from __future__ import annotations

import asyncio
import atexit
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import Any

import typer

from commprefs.auth.service import TOKEN_PREFIX
from commprefs.cli.support import CliError
from commprefs.config import Settings
from commprefs.domain.errors import CommprefsError
from commprefs.emulator.seed import load_seed_file
from commprefs.emulator.service import KNOWN_TOKEN_NAME, check_seed

__all__ = ["KNOWN_TOKEN_NAME", "emulated"]


def emulated(
    settings: Settings, database: str | None, overrides: dict[str, Any]
) -> tuple[str | None, dict[str, Any]]:
    """The database and setting overrides the emulator serves with."""
    if database is None and "database_url" not in settings.model_fields_set:
        folder = tempfile.mkdtemp(prefix="commprefs-emulator-")
        atexit.register(shutil.rmtree, folder, True)
        database = f"sqlite:///{Path(folder) / 'emulator.db'}"
    seeded_tokens = 0
    document = None
    if settings.seed:
        try:
            document = load_seed_file(settings.seed)
        except OSError as error:
            raise CliError(f"--seed {settings.seed}: {error.strerror or error}") from None
        except CommprefsError as error:
            raise CliError(f"--seed {settings.seed}: {_where(error)}") from None
        seeded_tokens = len(document.tokens)
    try:  # what the services refuse: one line now rather than a failed start-up
        asyncio.run(check_seed(document, settings.known_tokens))
    except CommprefsError as error:
        where = f"--seed {settings.seed}" if document else "--token"
        raise CliError(f"{where}: {_where(error)}") from None
    if not settings.known_tokens and not seeded_tokens:
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        overrides = {**overrides, "token": secret}
        typer.echo(f"Emulator access token (every scope):\n\n  {secret}\n")
    return database, overrides


def _where(error: CommprefsError) -> str:
    return "; ".join(d.message for d in error.details) or error.message
