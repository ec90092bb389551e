"""``commprefs import`` and ``commprefs export statuses|suppression``."""

from __future__ import annotations

import contextlib
import json
import os
import stat
import sys
import time
from collections.abc import AsyncGenerator, Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, BinaryIO, TextIO

import typer

from commprefs.cli.progress import ProgressBar
from commprefs.cli.support import (
    ActorOption,
    CliError,
    DatabaseOption,
    JsonOption,
    PortalOption,
    acting_user,
    run_admin,
)
from commprefs.domain.transfer import Rejection
from commprefs.services import Services
from commprefs.transfer.formats import (
    RecordReader,
    RejectsWriter,
    format_of,
    row_writer,
)
from commprefs.transfer.schemas import COLUMNS, SUPPRESSION_COLUMNS
from commprefs.transfer.service import DEFAULT_SOURCE

REJECTED_EXIT_CODE = 2

FormatOption = Annotated[
    str | None, typer.Option("--format", help="csv or ndjson; by default from the file name.")
]
OutputOption = Annotated[str, typer.Option("--output", "-o", help="A file, or - for stdout.")]

export_app = typer.Typer(
    help="Export statuses or a suppression list, as CSV or NDJSON.", no_args_is_help=True
)


def import_statuses(
    file: Annotated[str, typer.Argument(metavar="FILE", help="CSV or NDJSON; - for stdin.")],
    portal: PortalOption,
    fmt: FormatOption = None,
    source: Annotated[
        str, typer.Option("--source", help="Recorded as the source of rows without one.")
    ] = DEFAULT_SOURCE,
    match: Annotated[
        str, typer.Option("--match", help="id: types by subscriptionId; name: by name only.")
    ] = "id",
    rejects: Annotated[
        Path | None,
        typer.Option("--rejects", help="Where to list rejected rows (default: FILE.rejects.*)."),
    ] = None,
    progress: Annotated[bool, typer.Option("--progress/--no-progress")] = True,
    actor: ActorOption = None,
    as_json: JsonOption = False,
    database: DatabaseOption = None,
) -> None:
    """Import statuses row by row through the same rules as the API (see README for columns).

    Exit code 0 when every row was imported, 2 when some were rejected (listed with line and
    reason in the rejects file, in the input's own format), 1 on an error that stopped it.
    """
    if match not in ("id", "name"):
        raise CliError(f"--match is id or name, not {match!r}")
    chosen = format_of(file, fmt)
    rejects_path = rejects or Path(
        f"{'import' if file == '-' else file}.rejects.{'csv' if chosen == 'csv' else 'ndjson'}"
    )
    with _input(file) as (raw, size):
        reader = RecordReader(raw, chosen)
        writer = RejectsWriter(rejects_path, chosen)
        bar = ProgressBar(sys.stderr, size) if progress else None

        def reject(rejection: Rejection) -> None:
            writer.header = writer.header or reader.header
            writer.write(rejection)

        def advanced(rows: int) -> None:
            if bar is not None:
                bar.update(reader.bytes_read, rows)

        try:
            report = run_admin(
                database,
                lambda s: s.imports.run(
                    portal,
                    reader,
                    reject,
                    advanced,
                    source,
                    match_by_name=match == "name",
                    context={"fileName": Path(file).name if file != "-" else "-"}
                    | acting_user(actor),
                ),
            )
        finally:
            writer.close()
        if bar is not None:
            bar.update(reader.bytes_read, report.rows, final=True)
    summary: dict[str, Any] = {
        "rows": report.rows,
        "imported": report.imported,
        "rejected": report.rejected,
        "rejectsFile": str(rejects_path) if report.rejected else None,
        "seconds": round(report.seconds, 3),
        "rowsPerSecond": round(report.rows_per_second),
        "requestId": report.request_id,
    }
    if as_json:
        typer.echo(json.dumps(summary))
    else:
        typer.echo(
            f"imported {report.imported:,} of {report.rows:,} rows in {report.seconds:.1f} s "
            f"({report.rows_per_second:,.0f} rows/s), request id {report.request_id}"
            + (
                f"; {report.rejected:,} rejected, listed in {rejects_path}"
                if report.rejected
                else ""
            )
        )
    if report.rejected:
        raise SystemExit(REJECTED_EXIT_CODE)


@contextlib.contextmanager
def _input(file: str) -> Iterator[tuple[BinaryIO, int | None]]:
    if file == "-":
        yield sys.stdin.buffer, None
        return
    try:
        stream = Path(file).open("rb")  # noqa: SIM115 - closed below, after the whole import
    except OSError as exc:
        raise CliError(f"{file}: {exc.strerror}") from None
    with stream:
        info = os.fstat(stream.fileno())
        yield stream, info.st_size if stat.S_ISREG(info.st_mode) else None


@export_app.command("statuses")
def export_statuses(
    portal: PortalOption,
    output: OutputOption = "-",
    fmt: FormatOption = None,
    database: DatabaseOption = None,
) -> None:
    """Every chosen status and opt-out of all: the rows ``commprefs import`` takes back."""
    _export(database, output, fmt, COLUMNS, lambda s: s.exports.statuses(portal))


@export_app.command("suppression")
def export_suppression(
    portal: PortalOption,
    subscription: Annotated[
        int | None, typer.Option("--subscription", help="Who must not get this type.")
    ] = None,
    business_unit: Annotated[
        int | None, typer.Option("--business-unit", help="Who must not get this brand's email.")
    ] = None,
    output: OutputOption = "-",
    fmt: FormatOption = None,
    database: DatabaseOption = None,
) -> None:
    """Every address that must not be sent email (any), a brand's, or one type's."""
    _export(
        database,
        output,
        fmt,
        SUPPRESSION_COLUMNS,
        lambda s: s.exports.suppression(portal, subscription, business_unit),
    )


def _export(
    database: str | None,
    output: str,
    fmt: str | None,
    columns: tuple[str, ...],
    rows_of: Callable[[Services], AsyncGenerator[dict[str, Any], None]],
) -> None:
    chosen = format_of(output, fmt)
    started = time.perf_counter()

    async def write(services: Services) -> int:
        count = 0
        with _output(output) as stream:
            writer = row_writer(chosen, stream, columns)
            async with contextlib.aclosing(rows_of(services)) as rows:
                async for row in rows:
                    writer.write(row)
                    count += 1
        return count

    try:
        count = run_admin(database, write)
    except BrokenPipeError:
        # The reader stopped early (`| head`): like any Unix tool, stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return
    seconds = time.perf_counter() - started
    target = "stdout" if output == "-" else output
    typer.echo(
        f"exported {count:,} rows to {target} in {seconds:.1f} s ({count / seconds:,.0f} rows/s)",
        err=True,
    )


@contextlib.contextmanager
def _output(output: str) -> Iterator[TextIO]:
    """stdout, or a file that appears whole or not at all (written aside, then renamed)."""
    if output == "-":
        yield sys.stdout
        sys.stdout.flush()
        return
    target = Path(output)
    partial = target.with_name(target.name + ".partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as stream:
            yield stream
        partial.replace(target)
    except OSError as exc:
        raise CliError(f"{output}: {exc.strerror}") from None
    finally:
        partial.unlink(missing_ok=True)
