"""SQL of the administration over HTTP (issue 17): portals listed, business units renamed,
subscription types changed, audit records, import jobs and their rejected rows
(store/interface.py's Administration)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from commprefs.domain.admin import AdminActor, AuditRecord, ImportJob, JobState
from commprefs.domain.preferences import Definition, Portal
from commprefs.store.models import (
    admin_audit,
    business_units,
    import_jobs,
    import_rejects,
    portals,
    subscription_definitions,
)
from commprefs.store.queries import Queries
from commprefs.store.tenant_queries import _definition

# Rejected rows keep bytes that were not UTF-8 as lone surrogates (transfer/formats.py): JSON
# with ASCII escapes carries them through the database and back unchanged.
_dumps = json.dumps


def audit_record(row: Any) -> AuditRecord:
    return AuditRecord(
        row.id,
        row.portal_id,
        row.token_id,
        row.user_id,
        row.action,
        row.target,
        json.loads(row.detail),
        row.request_id,
        row.created_at,
    )


def _job(row: Any) -> ImportJob:
    return ImportJob(
        id=row.id,
        portal_id=row.portal_id,
        token_id=row.token_id,
        format=row.format,
        state=JobState(row.state),
        rows=row.rows,
        imported=row.imported,
        rejected=row.rejected,
        header=json.loads(row.header),
        error=row.error,
        request_id=row.request_id,
        created_at=row.created_at,
        finished_at=row.finished_at,
    )


class AdminQueries(Queries):
    """store/interface.py's Administration."""

    async def list_portals(self) -> list[Portal]:
        rows = await self.conn.execute(select(portals).order_by(portals.c.id))
        return [Portal(id=r.id, name=r.name, gdpr=bool(r.gdpr)) for r in rows]

    async def rename_business_unit(self, portal_id: int, unit_id: int, name: str) -> bool:
        result = await self.conn.execute(
            update(business_units)
            .where(business_units.c.portal_id == portal_id, business_units.c.id == unit_id)
            .values(name=name)
        )
        return bool(result.rowcount)

    async def update_definition(
        self, portal_id: int, definition_id: int, values: dict[str, Any]
    ) -> Definition | None:
        """Set ``values`` on one type; None when its new name is taken in its business unit."""
        try:
            async with self.conn.begin_nested():
                result = await self.conn.execute(
                    update(subscription_definitions)
                    .where(
                        subscription_definitions.c.portal_id == portal_id,
                        subscription_definitions.c.id == definition_id,
                    )
                    .values(**values)
                    .returning(subscription_definitions)
                )
                return _definition(result.one())
        except IntegrityError:
            return None

    # -- audit ---------------------------------------------------------------------------------

    async def append_audit(
        self, actor: AdminActor, action: str, target: str, detail: dict[str, Any], now: int
    ) -> None:
        await self.conn.execute(
            insert(admin_audit).values(
                portal_id=actor.portal_id,
                token_id=actor.token_id,
                user_id=actor.user_id,
                action=action,
                target=target[:200],
                detail=_dumps(detail, sort_keys=True),
                request_id=actor.request_id[:64],
                created_at=now,
            )
        )

    async def audit_records(
        self, portal_id: int | None, after: int, limit: int
    ) -> list[AuditRecord]:
        portal = (
            admin_audit.c.portal_id.is_(None)
            if portal_id is None
            else admin_audit.c.portal_id == portal_id
        )
        rows = await self.conn.execute(
            select(admin_audit)
            .where(portal, admin_audit.c.id > after)
            .order_by(admin_audit.c.id)
            .limit(limit)
        )
        return [audit_record(r) for r in rows]

    # -- import jobs ---------------------------------------------------------------------------

    async def create_import_job(
        self, portal_id: int, token_id: int | None, fmt: str, request_id: str, now: int
    ) -> ImportJob:
        result = await self.conn.execute(
            insert(import_jobs)
            .values(
                portal_id=portal_id,
                token_id=token_id,
                format=fmt,
                state=JobState.RUNNING.value,
                rows=0,
                imported=0,
                rejected=0,
                header="[]",
                request_id=request_id,
                created_at=now,
            )
            .returning(import_jobs)
        )
        return _job(result.one())

    async def update_import_job(self, job_id: int, values: dict[str, Any]) -> None:
        if "header" in values:
            values = {**values, "header": _dumps(values["header"])}
        await self.conn.execute(
            update(import_jobs).where(import_jobs.c.id == job_id).values(**values)
        )

    async def import_job(self, portal_id: int, job_id: int) -> ImportJob | None:
        row = (
            await self.conn.execute(
                select(import_jobs).where(
                    import_jobs.c.portal_id == portal_id, import_jobs.c.id == job_id
                )
            )
        ).first()
        return _job(row) if row else None

    async def import_jobs(self, portal_id: int, limit: int) -> list[ImportJob]:
        rows = await self.conn.execute(
            select(import_jobs)
            .where(import_jobs.c.portal_id == portal_id)
            .order_by(import_jobs.c.id.desc())
            .limit(limit)
        )
        return [_job(row) for row in rows]

    async def append_import_rejects(
        self, job_id: int, first: int, rows: Sequence[dict[str, Any]]
    ) -> None:
        if rows:
            await self.conn.execute(
                insert(import_rejects),
                [
                    {"job_id": job_id, "n": first + i, "row": _dumps(row)}
                    for i, row in enumerate(rows)
                ],
            )

    async def import_reject_rows(self, job_id: int) -> AsyncIterator[dict[str, Any]]:
        statement = (
            select(import_rejects.c.row)
            .where(import_rejects.c.job_id == job_id)
            .order_by(import_rejects.c.n)
        )
        async for (row,) in self.conn.stream(statement):
            found: dict[str, Any] = json.loads(row)
            yield found

    async def count_import_jobs_running(self) -> int:
        found = await self.conn.execute(
            select(func.count())
            .select_from(import_jobs)
            .where(import_jobs.c.state == JobState.RUNNING.value)
        )
        return int(found.scalar_one())
