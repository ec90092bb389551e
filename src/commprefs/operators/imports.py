"""Imports and exports started from the console. An upload becomes a job that runs in the
server process on the import service (the CLI's rules, batches and ledger entries), with the
console user named in the source of rows that bring none; the console polls its progress and
offers its rejected rows for download. Jobs live in the process that runs them (the newest
``KEEP_JOBS`` per process); their rejects are files in a temporary folder of that process.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

from commprefs.domain.errors import CommprefsError, InvalidInput, NotFound
from commprefs.domain.operators import ConsoleUser
from commprefs.domain.transfer import Rejection
from commprefs.operators.service import require_admin
from commprefs.transfer.formats import RecordReader, RejectsWriter, format_of, row_writer
from commprefs.transfer.schemas import COLUMNS, SUPPRESSION_COLUMNS
from commprefs.transfer.service import ExportService, ImportService

log = logging.getLogger("commprefs.console")
KEEP_JOBS = 20


@dataclass
class ImportJob:
    id: str
    portal_id: int
    filename: str
    format: str
    size: int
    bytes_read: int = 0
    rows: int = 0
    imported: int = 0
    rejected: int = 0
    done: bool = False
    error: str | None = None
    rejects: Path | None = field(default=None, repr=False)

    @property
    def percent(self) -> int:
        if self.done:
            return 100
        return min(99, self.bytes_read * 100 // self.size) if self.size else 0


class ConsoleTransfers:
    def __init__(self, imports: ImportService, exports: ExportService) -> None:
        self.imports = imports
        self.exports = exports
        self.jobs: dict[str, ImportJob] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._folder: Path | None = None

    def start_import(
        self, user: ConsoleUser, filename: str, data: bytes | None, chosen: str | None
    ) -> ImportJob:
        require_admin(user)
        if data is None:
            raise InvalidInput.field("file", "Choose a file to import.", "MISSING_FIELD")
        fmt = format_of(filename or "upload.csv", chosen or None)
        job = ImportJob(uuid.uuid4().hex, user.portal_id, filename or "upload", fmt, len(data))
        self._keep(job)
        source = f"{user.actor_name}: import of {job.filename}"[:200]
        task = asyncio.get_running_loop().create_task(self._run(job, data, source))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return job

    def job(self, user: ConsoleUser, job_id: str) -> ImportJob:
        found = self.jobs.get(job_id)
        if found is None or found.portal_id != user.portal_id:
            raise NotFound("There is no such import in this portal (or it was long ago).")
        return found

    def portal_jobs(self, user: ConsoleUser) -> list[ImportJob]:
        return [j for j in reversed(self.jobs.values()) if j.portal_id == user.portal_id]

    def _keep(self, job: ImportJob) -> None:
        self.jobs[job.id] = job
        while len(self.jobs) > KEEP_JOBS:
            oldest = self.jobs.pop(next(iter(self.jobs)))
            if oldest.rejects is not None:
                oldest.rejects.unlink(missing_ok=True)

    async def _run(self, job: ImportJob, data: bytes, source: str) -> None:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="commprefs-console-"))
        reader = RecordReader(io.BytesIO(data), "csv" if job.format == "csv" else "ndjson")
        path = self._folder / f"{job.id}.rejects.{job.format}"
        writer = RejectsWriter(path, reader.format)

        def reject(rejection: Rejection) -> None:
            writer.header = writer.header or reader.header
            writer.write(rejection)
            job.rejects = path

        def advanced(rows: int) -> None:
            job.rows, job.bytes_read = rows, reader.bytes_read

        try:
            report = await self.imports.run(job.portal_id, reader, reject, advanced, source)
            job.rows, job.imported, job.rejected = report.rows, report.imported, report.rejected
        except CommprefsError as error:
            job.error = error.message
        except Exception:
            log.exception("console import %s failed", job.id)
            job.error = "The import stopped on an error of ours; the rows before it are saved."
        finally:
            writer.close()
            job.done = True

    async def export(
        self, user: ConsoleUser, kind: str, fmt: str
    ) -> Callable[[], AsyncIterator[str]]:
        """The rows of an export as text chunks, for a streamed download."""
        chosen = format_of("export", fmt)
        columns: tuple[str, ...]
        if kind == "suppression":
            columns, rows = SUPPRESSION_COLUMNS, self.exports.suppression(user.portal_id)
        elif kind == "statuses":
            columns, rows = COLUMNS, self.exports.statuses(user.portal_id)
        else:
            raise NotFound("There is no such export.")
        first = await anext(rows, None)  # a fault (its portal, the database) before any byte

        async def chunks() -> AsyncIterator[str]:
            buffer = io.StringIO()
            writer = row_writer(chosen, buffer, columns)
            async with contextlib.aclosing(rows):
                if first is not None:
                    writer.write(first)
                async for row in rows:
                    writer.write(row)
                    if buffer.tell() > 64 * 1024:
                        yield _drain(buffer)
            yield _drain(buffer)

        return chunks


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
