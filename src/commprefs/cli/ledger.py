"""``commprefs history`` and ``commprefs ledger verify``.

With ``--json`` they print the same shapes as the ``/commprefs/v1`` API (one JSON object).
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from commprefs.cli.support import (
    CliError,
    DatabaseOption,
    JsonOption,
    PortalOption,
    instant_option,
    run_admin,
)
from commprefs.domain.admin_bodies import render_chain_report
from commprefs.domain.bodies import render_history, render_state
from commprefs.domain.clock import iso_ms
from commprefs.domain.ledger import ChainReport, HistoryEntry, StateAsOf

ledger_app = typer.Typer(help="The consent ledger.", no_args_is_help=True)


def history(
    portal: PortalOption,
    email: Annotated[str, typer.Option("--email", help="The subscriber's address.")],
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Show the statuses at this ISO-8601 instant instead."),
    ] = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Every recorded change of a subscriber, oldest first; or the state at a moment."""
    if as_of is not None:
        at = instant_option("--as-of", as_of)
        state = run_admin(database, lambda s: s.ledger.state_as_of(portal, email, at))
        _print_state(state, as_json)
        return
    page = run_admin(database, lambda s: s.ledger.history(portal, email))
    if as_json:
        typer.echo(json.dumps(render_history(page)))
        return
    if not page.entries:
        typer.echo(f"no recorded changes for {page.subscriber} in portal {portal}")
    for entry in page.entries:
        typer.echo(_entry_line(entry))


def _entry_line(entry: HistoryEntry) -> str:
    if entry.subscription_id is not None:
        what = f"type {entry.subscription_id} {entry.subscription_name or ''!r}"
    else:
        scope = entry.wide_type.value if entry.wide_type else "?"
        what = f"{scope} (business unit {entry.business_unit_id})"
    parts = [
        f"#{entry.seq}",
        iso_ms(entry.created_at),
        what,
        f"{entry.old_status.value} -> {entry.new_status.value}",
        f"source {entry.source!r}",
        f"api {entry.api}",
        f"token {entry.token_id} {entry.token_name!r}" if entry.token_id else "no token",
        f"request {entry.request_id}",
    ]
    if entry.legal_basis:
        parts.append(f"legal basis {entry.legal_basis}: {entry.legal_basis_explanation or ''}")
    if entry.occurred_at is not None:
        parts.append(f"occurred {iso_ms(entry.occurred_at)}")
    if entry.context is not None:
        parts.append("context " + json.dumps(entry.context, sort_keys=True, ensure_ascii=False))
    return "  ".join(parts)


def _print_state(state: StateAsOf, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(render_state(state)))
        return
    typer.echo(f"{state.subscriber} as of {iso_ms(state.as_of)}")
    for wide in state.wide_statuses:
        typer.echo(
            f"  {wide.wide_type.value} (business unit {wide.business_unit_id}): "
            f"{wide.status.value} since {iso_ms(wide.updated_at)}, source {wide.source!r}"
        )
    for status in state.statuses:
        typer.echo(
            f"  type {status.definition.id} {status.definition.name!r}: {status.status.value} "
            f"since {iso_ms(status.timestamp)}, source {status.source!r}"
        )


@ledger_app.command("verify")
def verify(
    portal: Annotated[int | None, typer.Option("--portal", help="Only this portal.")] = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Recompute the hash chain; exit 1 if any entry was altered, removed or reordered.

    Keep the printed head (sequence and hash) somewhere else: it proves later that no entries
    were cut off the end.
    """
    reports = run_admin(database, lambda s: s.ledger.verify(portal))
    if as_json:
        intact = all(r.intact for r in reports)
        typer.echo(json.dumps({"intact": intact, "portals": [_report_json(r) for r in reports]}))
    else:
        for report in reports:
            typer.echo(_report_line(report))
    broken = [str(r.portal_id) for r in reports if not r.intact]
    if broken:
        raise CliError(f"the ledger of portal {', '.join(broken)} has been tampered with")


def _report_json(report: ChainReport) -> dict[str, Any]:
    return render_chain_report(report)


def _report_line(report: ChainReport) -> str:
    head = f"head #{report.head_seq} {report.head_hash or '-'}"
    if report.legacy_head_seq:
        head += f" (before erasure: #{report.legacy_head_seq} {report.legacy_head_hash})"
    if report.intact:
        return f"portal {report.portal_id}: intact, {report.entries} entries, {head}"
    problems = "; ".join(f"#{p.seq}: {p.message}" for p in report.problems)
    return f"portal {report.portal_id}: TAMPERED, {report.entries} entries, {head}; {problems}"
