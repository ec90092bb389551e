"""SQL of a data subject's access request (issue 16): what the store holds about one address
beyond its statuses and history (those have their own queries). Part of SqlRepository."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from commprefs.store.models import idempotency_keys
from commprefs.store.queries import Queries


class SubjectQueries(Queries):
    """store/interface.py's Subjects."""

    async def idempotency_records_holding(
        self, portal_id: int, needles: tuple[bytes, ...]
    ) -> list[dict[str, Any]]:
        """The portal's remembered replies whose key or stored body holds any of ``needles``.

        Streamed and searched here rather than by the database: a bytes search is spelled
        differently by each, the records live a day at most (COMMPREFS_IDEMPOTENCY_TTL_SECONDS),
        and an access request is rare."""
        query = (
            select(idempotency_keys)
            .where(idempotency_keys.c.portal_id == portal_id)
            .order_by(idempotency_keys.c.created_at)
        )
        found = []
        async for row in self.conn.stream(query):
            haystack = (row.idempotency_key.encode(), bytes(row.body or b""))
            if any(needle in part for needle in needles for part in haystack):
                found.append(dict(row._mapping))
        return found
