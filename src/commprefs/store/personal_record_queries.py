"""SQL of what an erasure (issue 16) removes besides keys and statuses, and what an access
request lists of it: pending double opt-in confirmations with their mails, the rejected rows of
admin import jobs that hold the address, and the remembered replies (Idempotency-Keys) that hold
it. Part of SqlRepository, under store/subject_queries.py."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, delete, or_, select, update

from commprefs.store.models import confirmation_mails, confirmations, import_jobs, import_rejects
from commprefs.store.queries import Queries

# What an erased address becomes in a rejected import row (the row, its line and error stay).
ERASED_MARK = "[erased]"


def _redacted(value: Any, pattern: re.Pattern[str]) -> Any:
    if isinstance(value, str):
        return pattern.sub(ERASED_MARK, value)
    if isinstance(value, dict):
        return {k: _redacted(v, pattern) for k, v in value.items()}
    if isinstance(value, list):
        return [_redacted(v, pattern) for v in value]
    return value


class PersonalRecordQueries(Queries):
    async def import_rejects_holding(
        self, portal_id: int, spellings: Sequence[str]
    ) -> list[dict[str, Any]]:
        """The portal's rejected import rows that hold any spelling (in any case): job id, row
        number and the row's fields. Matched by the database first (a case-folded LIKE), then
        here, exactly."""
        needles = sorted({s.lower() for s in spellings})
        if not needles:
            return []
        text = import_rejects.c.row
        query = (
            select(import_rejects.c.job_id, import_rejects.c.n, text)
            .join(import_jobs, import_jobs.c.id == import_rejects.c.job_id)
            .where(
                import_jobs.c.portal_id == portal_id,
                or_(*(text.ilike(f"%{_like(n)}%", escape="\\") for n in needles)),
            )
            .order_by(import_rejects.c.job_id, import_rejects.c.n)
        )
        return [
            {"job_id": found.job_id, "n": found.n, "row": json.loads(found.row)}
            for found in await self.conn.execute(query)
            if any(needle in found.row.lower() for needle in needles)
        ]

    async def forget_personal_records(
        self, portal_id: int, subscriber: str, spellings: Sequence[str]
    ) -> None:
        """Erasure: the subscriber's confirmations and their mails deleted; its address cut out
        of rejected import rows (replaced by ERASED_MARK)."""
        mine = select(confirmations.c.id).where(
            confirmations.c.portal_id == portal_id, confirmations.c.subscriber == subscriber
        )
        await self.conn.execute(
            delete(confirmation_mails).where(confirmation_mails.c.confirmation_id.in_(mine))
        )
        await self.conn.execute(
            delete(confirmations).where(
                confirmations.c.portal_id == portal_id, confirmations.c.subscriber == subscriber
            )
        )
        longest_first = sorted(set(spellings), key=len, reverse=True)
        pattern = re.compile("|".join(map(re.escape, longest_first)), re.IGNORECASE)
        for found in await self.import_rejects_holding(portal_id, spellings):
            await self.conn.execute(
                update(import_rejects)
                .where(
                    and_(
                        import_rejects.c.job_id == found["job_id"], import_rejects.c.n == found["n"]
                    )
                )
                .values(row=json.dumps(_redacted(found["row"], pattern)))
            )


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
