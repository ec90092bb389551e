"""Import: records validated row by row and applied through the preferences service, so that its
rules, the ledger and change events apply to every row. Export: statuses and suppression lists,
streamed from one consistent snapshot.

An import applies rows in file order, in batches of the service's batch size
(``IMPORT_BATCH_SIZE``); each batch is one transaction, whatever kinds of row it mixes, so a row
is applied whole or not at all, and an import that stops has applied whole batches. Rejected
rows go to ``reject`` with the column at fault and why; the rest of the file goes on.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping
from typing import Any

from commprefs.domain.clock import Clock
from commprefs.domain.errors import CommprefsError, InvalidInput
from commprefs.domain.ledger import IMPORT_API
from commprefs.domain.outcomes import BatchOutcome
from commprefs.domain.preferences import Actor, Channel
from commprefs.domain.subscribers import subscriber_key
from commprefs.domain.transfer import ImportReport, OptOutRow, RawRecord, Rejection, TypeRow
from commprefs.portals.checks import require_business_unit, require_definition, require_portal
from commprefs.preferences.service import PreferencesService
from commprefs.store.interface import Repository, Transactions
from commprefs.store.repository import SqlRepository
from commprefs.store.transactions import OpenTransaction
from commprefs.transfer.schemas import (
    RowContext,
    RowError,
    opt_out_row,
    parse_row,
    status_row,
    suppression_row,
)

IMPORT_BATCH_SIZE = 1000  # rows per transaction: an import's throughput against writers' waits
DEFAULT_SOURCE = "Import"

Row = TypeRow | OptOutRow


def new_import_id() -> str:
    """An import's request id, recorded with each of its ledger entries."""
    return f"import-{uuid.uuid4()}"


class ImportService:
    """Applies each batch through a preferences service bound to the batch's transaction: the
    same rules as the API, in larger transactions than an API batch may ask for."""

    def __init__(
        self,
        database: Transactions[SqlRepository],
        clock: Clock,
        batch_size: int = IMPORT_BATCH_SIZE,
    ) -> None:
        self.database = database
        self.clock = clock
        self.batch_size = batch_size

    async def run(
        self,
        portal_id: int,
        records: Iterable[RawRecord],
        reject: Callable[[Rejection], None],
        progress: Callable[[int], None] | None = None,
        source: str = DEFAULT_SOURCE,
        match_by_name: bool = False,
        token_id: int | None = None,
        request_id: str | None = None,
        checkpoint: Callable[[ImportReport], Awaitable[None]] | None = None,
        context: Mapping[str, Any] | None = None,
    ) -> ImportReport:
        """``token_id`` is who acted, recorded in the ledger (the admin API's imports; none for
        the CLI's); ``checkpoint`` is awaited after each batch has committed (the admin API's
        import jobs record their progress there); ``context``: what the caller knows of the
        import (its file name, who runs it), kept with the import's id in the consent context of
        every change it makes."""
        started = time.perf_counter()
        import_id = request_id or new_import_id()
        consent = {**(context or {}), "via": "import", "importId": import_id}
        actor = Actor(portal_id, token_id, import_id, IMPORT_API, consent)
        report = ImportReport(actor.request_id)
        rows_context = await self._context(portal_id, source, match_by_name)
        batch: list[Row] = []

        def rejected(record: RawRecord, field: str | None, message: str) -> None:
            report.rejected += 1
            reject(Rejection(record, field, message))

        async def flush() -> None:
            # PostgreSQL's statistics follow the import as it fills the tables: the store
            # refreshes them for any bulk write (store/postgres.py PlannerStatistics).
            await self._apply(actor, batch, report, rejected)
            batch.clear()
            if progress is not None:
                progress(report.rows)
            if checkpoint is not None:
                await checkpoint(report)

        for record in records:
            report.rows += 1
            try:
                row = parse_row(record, rows_context)
            except RowError as error:
                rejected(record, error.field, error.message)
                continue
            batch.append(row)
            if len(batch) >= self.batch_size:
                await flush()
        await flush()
        report.seconds = time.perf_counter() - started
        return report

    async def _context(self, portal_id: int, source: str, match_by_name: bool) -> RowContext:
        async with self.database.read() as repo:
            await require_portal(repo, portal_id)
            definitions = await repo.definitions(portal_id)
            units = await repo.business_units(portal_id)
        return RowContext(
            {d.id: d for d in definitions},
            {u.id for u in units},
            source,
            self.clock.now_ms(),
            match_by_name,
        )

    async def _apply(
        self,
        actor: Actor,
        rows: list[Row],
        report: ImportReport,
        rejected: Callable[[RawRecord, str | None, str], None],
    ) -> None:
        """Apply one batch in one transaction, in order: runs of type rows together, runs of
        opt-outs of one scope and source together, each a savepoint of it (the service's own
        write). Its rejections are reported once it has committed."""
        refused: list[tuple[Row, CommprefsError]] = []
        async with self.database.write() as repo:
            # Every subscriber of the batch first, in the store's order: a run's own locks are
            # then held already, so the batch never waits for one while it holds the ledger's
            # head (taken by each run's entries), which a writer holding it could be waiting for.
            await repo.lock_subscribers(actor.portal_id, _keys(rows))
            preferences = PreferencesService(OpenTransaction(repo), self.clock, self.batch_size)
            start = 0
            while start < len(rows):
                end = start + 1
                while end < len(rows) and _same_run(rows[start], rows[end]):
                    end += 1
                run = rows[start:end]
                outcome = await self._apply_run(preferences, actor, run)
                refused.extend((run[index], error) for index, error in outcome.errors)
                start = end
        for row, error in refused:
            detail = error.details[0] if error.details else None
            rejected(row.record, _column(detail.in_ if detail else None), error.message)
        report.imported += len(rows) - len(refused)

    @staticmethod
    async def _apply_run(
        preferences: PreferencesService, actor: Actor, run: list[Row]
    ) -> BatchOutcome:
        first = run[0]
        if isinstance(first, TypeRow):
            changes = [row.change for row in run if isinstance(row, TypeRow)]
            return await preferences.update_statuses(actor, changes, first.change.source or "")
        opt_outs = [row for row in run if isinstance(row, OptOutRow)]
        return await preferences.unsubscribe_all_many(
            actor,
            [row.subscriber for row in opt_outs],
            Channel.EMAIL,
            first.business_unit_id,
            first.source,
            occurred_at=[row.occurred_at for row in opt_outs],
        )


def _keys(rows: list[Row]) -> list[str]:
    """The subscriber keys of the rows that have one (the others are rejected by their run)."""
    keys = []
    for row in rows:
        address = row.change.subscriber if isinstance(row, TypeRow) else row.subscriber
        with contextlib.suppress(CommprefsError):
            keys.append(subscriber_key(address))
    return keys


def _same_run(first: Row, other: Row) -> bool:
    if isinstance(first, TypeRow):
        return isinstance(other, TypeRow)
    return (
        isinstance(other, OptOutRow)
        and other.business_unit_id == first.business_unit_id
        and other.source == first.source
    )


# The service names wire fields; the report names the file's columns.
_COLUMNS = {"subscriberIdString": "email", "subscriptionId": "subscriptionId"}


def _column(field: str | None) -> str | None:
    return _COLUMNS.get(field, field) if field else None


class ExportService:
    def __init__(self, database: Transactions[Repository]) -> None:
        self.database = database

    async def statuses(self, portal_id: int) -> AsyncGenerator[dict[str, Any], None]:
        """Every chosen status per type, then every opt-out of all in force: the rows an import
        needs to rebuild the same state (in this order: types first, then opt-outs)."""
        async with self.database.snapshot() as repo:
            await require_portal(repo, portal_id)
            async for row in repo.stored_choices(portal_id, Channel.EMAIL):
                yield status_row(row)
            async for row in repo.active_opt_outs(portal_id, Channel.EMAIL):
                yield opt_out_row(row)

    async def suppression(
        self,
        portal_id: int,
        subscription_id: int | None = None,
        business_unit_id: int | None = None,
    ) -> AsyncGenerator[dict[str, Any], None]:
        """Every address that must not be sent email: of any kind (opted out portal-wide), of a
        brand, or of one subscription type. Each address once, with its widest reason."""
        async with self.database.snapshot() as repo:
            await require_portal(repo, portal_id)
            if subscription_id is not None:
                if business_unit_id is not None:
                    raise InvalidInput.field(
                        "businessUnitId", "Give a subscription type or a business unit, not both."
                    )
                definition = await require_definition(repo, portal_id, subscription_id)
                business_unit_id = definition.business_unit_id
            else:
                await require_business_unit(repo, portal_id, business_unit_id)
            previous = None
            async for row in repo.suppressed(
                portal_id, Channel.EMAIL, business_unit_id, subscription_id
            ):
                if row.subscriber != previous:
                    previous = row.subscriber
                    yield suppression_row(row)
