"""``commprefs webhooks add|list|remove|run|replay``."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
from typing import Annotated, Any

import typer

from commprefs.cli.support import (
    DatabaseOption,
    JsonOption,
    PortalOption,
    emit,
    instant_option,
    run_admin,
    settings_for,
)
from commprefs.config import Settings
from commprefs.domain.admin_bodies import render_rewind, render_webhook_state
from commprefs.domain.clock import iso_ms
from commprefs.domain.urls import redacted_url
from commprefs.domain.webhooks import WebhookState
from commprefs.observability.logs import use_json_logs
from commprefs.services import Services
from commprefs.webhooks.worker import DeliveryWorker

webhooks_app = typer.Typer(
    help="Webhooks: change events POSTed to your endpoints.", no_args_is_help=True
)


@webhooks_app.command("add")
def add(
    portal: PortalOption,
    url: Annotated[str, typer.Option("--url", help="Where to POST the portal's events.")],
    secret: Annotated[
        str | None, typer.Option("--secret", help="HMAC key to sign with; made up if absent.")
    ] = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Send the portal's future change events to URL (see README: signature headers)."""
    webhook = run_admin(database, lambda s: s.webhooks.add(portal, url, secret))
    emit(
        as_json,
        {
            "id": webhook.id,
            "portalId": webhook.portal_id,
            "url": redacted_url(webhook.url),
            "secret": webhook.secret,
        },
        f"webhook {webhook.id} for portal {webhook.portal_id}: {redacted_url(webhook.url)}\n"
        f"signing secret (shown once): {webhook.secret}",
    )


@webhooks_app.command("list")
def list_webhooks(
    portal: Annotated[int | None, typer.Option("--portal")] = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Webhooks with their delivery state (never their secrets)."""
    states = run_admin(database, lambda s: s.webhooks.endpoints(portal))
    if as_json:
        typer.echo(json.dumps({"webhooks": [_state_json(s) for s in states]}))
        return
    for state in states:
        webhook = state.webhook
        line = (
            f"{webhook.id}\tportal {webhook.portal_id}\t{redacted_url(webhook.url)}\t"
            f"delivered #{webhook.delivered_seq}\t{state.pending} pending"
        )
        if webhook.last_error:
            line += f"\t{webhook.attempts} failed attempts, last: {webhook.last_error}"
        typer.echo(line)


def _state_json(state: WebhookState) -> dict[str, Any]:
    return render_webhook_state(state)


@webhooks_app.command("remove")
def remove(
    webhook_id: Annotated[int, typer.Argument(metavar="ID")],
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Stop sending events to a webhook and forget it."""
    run_admin(database, lambda s: s.webhooks.remove(webhook_id))
    emit(as_json, {"id": webhook_id, "removed": True}, f"webhook {webhook_id} removed")


@webhooks_app.command("replay")
def replay(
    portal: PortalOption,
    since: Annotated[str, typer.Option("--since", help="ISO-8601 instant (or epoch ms).")],
    webhook: Annotated[int | None, typer.Option("--webhook", help="Only this webhook.")] = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Deliver again every event recorded since a moment (same event ids)."""
    at = instant_option("--since", since)
    rewinds = run_admin(database, lambda s: s.webhooks.replay(portal, at, webhook))
    if as_json:
        typer.echo(json.dumps({"webhooks": [render_rewind(r) for r in rewinds]}))
        return
    if not rewinds:
        typer.echo(f"nothing to replay: no webhook of portal {portal} is past {iso_ms(at)}")
    for rewind in rewinds:
        typer.echo(
            f"webhook {rewind.webhook_id}: {rewind.events} events from #{rewind.after + 1} "
            "will be delivered again"
        )


@webhooks_app.command("run")
def run(database: DatabaseOption = None) -> None:
    """Deliver events until stopped (Ctrl-C or SIGTERM). Any number may run at once."""
    settings = settings_for(database)
    if settings.log_format == "json":  # issue 17
        use_json_logs()
    else:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    asyncio.run(_deliver_until_stopped(settings))


async def _deliver_until_stopped(settings: Settings) -> None:
    services = Services.build(settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(stop_signal, stop.set)
    try:
        await services.upgrade()
        await DeliveryWorker(services.webhooks, settings).run(stop)
    finally:
        await services.close()
