"""Import jobs: an upload to the admin API answered at once with a job, while the existing
ImportService applies it in the background. The job's progress and its rejected rows are written
to the database as each batch commits, so that any server process can answer a poll and a
download of the rejects (in the upload's format and columns, as ``commprefs import`` writes them).

A job whose process stops (killed, restarted) stays RUNNING: its batches so far are applied, the
rest is not; upload the file again (rows already applied are refused or change nothing).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
from collections.abc import AsyncIterator, Mapping
from typing import Any, BinaryIO

from commprefs.domain.admin import AdminActor, ImportJob, JobState
from commprefs.domain.clock import Clock
from commprefs.domain.errors import CommprefsError, InvalidInput, NotFound
from commprefs.domain.faults import missing_portal
from commprefs.domain.transfer import ImportReport, Rejection
from commprefs.portals.checks import require_portal
from commprefs.store.interface import Transactions
from commprefs.store.repository import SqlRepository
from commprefs.transfer.formats import REJECT_COLUMNS, Format, RecordReader, reject_row
from commprefs.transfer.service import DEFAULT_SOURCE, ImportService, new_import_id

log = logging.getLogger("commprefs.admin")
RECENT_JOBS = 50


class ImportJobs:
    def __init__(
        self, database: Transactions[SqlRepository], clock: Clock, imports: ImportService
    ) -> None:
        self.database = database
        self.clock = clock
        self.imports = imports
        self._running: set[asyncio.Task[None]] = set()

    async def start(
        self,
        actor: AdminActor,
        upload: BinaryIO,
        fmt: Format,
        source: str = DEFAULT_SOURCE,
        match_by_name: bool = False,
        context: Mapping[str, Any] | None = None,
    ) -> ImportJob:
        """Record a job and start applying a copy of ``upload`` (a request's file closes with
        its request; the job reads on after the answer, and closes its copy when done).
        ``context``: what the caller knows of the import (its file name, the console user), in
        the consent context of each change it makes (transfer/service.py)."""
        portal_id = _portal(actor)
        source = source.strip() or DEFAULT_SOURCE
        if len(source) > 200 or "\x00" in source:
            raise InvalidInput.field("source", "source has at most 200 characters, none NUL.")
        kept = tempfile.TemporaryFile()  # noqa: SIM115 - the job closes it when done
        try:
            shutil.copyfileobj(upload, kept)
            kept.seek(0)
            return await self._start(actor, portal_id, kept, fmt, source, match_by_name, context)
        except BaseException:
            kept.close()
            raise

    async def _start(
        self,
        actor: AdminActor,
        portal_id: int,
        upload: BinaryIO,
        fmt: Format,
        source: str,
        match_by_name: bool,
        context: Mapping[str, Any] | None,
    ) -> ImportJob:
        request_id = new_import_id()
        async with self.database.write() as repo:
            await require_portal(repo, portal_id)
            job = await repo.create_import_job(
                portal_id, actor.token_id, fmt, request_id, self.clock.now_ms()
            )
            await repo.append_audit(
                actor,
                "import.start",
                f"import {job.id}",
                {"format": fmt, "source": source, "match": "name" if match_by_name else "id"},
                self.clock.now_ms(),
            )
        task = asyncio.create_task(self._run(job, upload, source, match_by_name, context))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return job

    async def job(self, portal_id: int, job_id: int) -> ImportJob:
        async with self.database.read() as repo:
            found = await repo.import_job(portal_id, job_id)
        if found is None:
            raise NotFound(f"No import with id {job_id}.")
        return found

    async def jobs(self, portal_id: int) -> list[ImportJob]:
        async with self.database.read() as repo:
            return await repo.import_jobs(portal_id, RECENT_JOBS)

    async def rejects(
        self, portal_id: int, job_id: int
    ) -> tuple[ImportJob, list[str], AsyncIterator[dict[str, Any]]]:
        """The job, the rejects file's columns, and its rows so far (streamed, in file order)."""
        job = await self.job(portal_id, job_id)
        columns = [*job.header, *REJECT_COLUMNS] if job.format == "csv" else []

        async def rows() -> AsyncIterator[dict[str, Any]]:
            async with self.database.snapshot() as repo:
                async for row in repo.import_reject_rows(job.id):
                    yield row

        return job, columns, rows()

    async def wait(self) -> None:
        """Until every job of this process has finished (tests; shutting down)."""
        while self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    async def close(self) -> None:
        """Stop this process's jobs: each keeps what it committed and stays RUNNING."""
        for task in list(self._running):
            task.cancel()
        await self.wait()

    async def _run(
        self,
        job: ImportJob,
        upload: BinaryIO,
        source: str,
        by_name: bool,
        context: Mapping[str, Any] | None,
    ) -> None:
        fmt: Format = "csv" if job.format == "csv" else "ndjson"
        reader = RecordReader(upload, fmt)
        pending: list[dict[str, Any]] = []
        written = 0

        def reject(rejection: Rejection) -> None:
            pending.append(reject_row(rejection, fmt, reader.header))

        async def checkpoint(report: ImportReport) -> None:
            nonlocal written
            async with self.database.write() as repo:
                await repo.append_import_rejects(job.id, written, pending)
                await repo.update_import_job(job.id, _progress(report, reader.header))
            written += len(pending)
            pending.clear()

        outcome: dict[str, Any] = {"state": JobState.COMPLETE.value}
        try:
            report = await self.imports.run(
                job.portal_id,
                reader,
                reject,
                source=source,
                match_by_name=by_name,
                token_id=job.token_id,
                request_id=job.request_id,
                checkpoint=checkpoint,
                context=context,
            )
            outcome.update(_progress(report, reader.header))
        except CommprefsError as error:
            outcome = _failed(error.message, written + len(pending))
        except Exception:  # the job must end FAILED, whatever stopped it
            log.exception("import %s stopped by an internal error", job.id)
            outcome = _failed("An internal error stopped it.", written + len(pending))
        finally:
            upload.close()
        with contextlib.suppress(CommprefsError):  # the database may be what stopped it
            async with self.database.write() as repo:
                await repo.append_import_rejects(job.id, written, pending)
                await repo.update_import_job(
                    job.id, {**outcome, "finished_at": self.clock.now_ms()}
                )


def _failed(message: str, rejected: int) -> dict[str, Any]:
    return {"state": JobState.FAILED.value, "error": message, "rejected": rejected}


def _progress(report: ImportReport, header: list[str]) -> dict[str, Any]:
    return {
        "rows": report.rows,
        "imported": report.imported,
        "rejected": report.rejected,
        "header": header,
    }


def _portal(actor: AdminActor) -> int:
    if actor.portal_id is None:  # pragma: no cover - the routes authorise a portal's token
        raise missing_portal()
    return actor.portal_id
