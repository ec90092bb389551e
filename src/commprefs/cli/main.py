"""The ``commprefs`` command: the Typer app assembled from this package's command modules (one
per concern), and ``main()``, the console script.

Admin commands print one readable line, or with ``--json`` exactly one JSON object on stdout.
Errors are one line on stderr and a non-zero exit, never a traceback: ``main()`` turns every
error a command raises into that.
"""

from __future__ import annotations

import sys

import typer

from commprefs.cli import ledger
from commprefs.cli.apps import apps_app
from commprefs.cli.definitions import definitions_app
from commprefs.cli.links import links_app
from commprefs.cli.portals import portals_app, units_app
from commprefs.cli.serve import migrate, serve
from commprefs.cli.subjects import subjects_app
from commprefs.cli.support import CliError
from commprefs.cli.tokens import tokens_app
from commprefs.cli.transfer import export_app, import_statuses
from commprefs.cli.users import users_app
from commprefs.cli.webhooks import webhooks_app
from commprefs.domain.errors import CommprefsError

app = typer.Typer(
    help="commprefs: email subscription preferences, HubSpot-compatible.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
# The order of `commprefs --help`: commands first, in this order, then the groups.
app.command("history")(ledger.history)
app.command("import")(import_statuses)
app.command()(serve)
app.command()(migrate)
app.add_typer(portals_app, name="portals")
app.add_typer(units_app, name="business-units")
app.add_typer(definitions_app, name="definitions")
app.add_typer(tokens_app, name="tokens")
app.add_typer(ledger.ledger_app, name="ledger")
app.add_typer(webhooks_app, name="webhooks")
app.add_typer(export_app, name="export")
app.add_typer(links_app, name="links")
app.add_typer(apps_app, name="apps")  # issue 14: OAuth apps
app.add_typer(subjects_app, name="subjects")  # issue 16: access requests, erasure
app.add_typer(users_app, name="users")  # the console's users (issue 17)


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
