"""SQL of Idempotency-Keys: claims, and the replies they replay (store/interface.py's
IdempotencyKeys)."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from commprefs.store.interface import IdempotentReply
from commprefs.store.models import idempotency_keys
from commprefs.store.queries import Queries


class IdempotencyQueries(Queries):
    """store/interface.py's IdempotencyKeys."""

    async def claim_idempotency_key(
        self, portal_id: int, key: str, fingerprint: str, now: int, expired_before: int
    ) -> IdempotentReply | None:
        """Claim ``key`` in this transaction: None when it is ours, else what holds it.

        A concurrent claim of the same key waits here until the holder's transaction ends
        (PostgreSQL: the unique index; SQLite: writers are serialised).
        """
        await self.conn.execute(
            delete(idempotency_keys).where(
                idempotency_keys.c.portal_id == portal_id,
                idempotency_keys.c.idempotency_key == key,
                idempotency_keys.c.created_at < expired_before,
            )
        )
        inserted = await self.conn.execute(
            self._upsert(idempotency_keys)
            .values(
                portal_id=portal_id, idempotency_key=key, fingerprint=fingerprint, created_at=now
            )
            .on_conflict_do_nothing(index_elements=["portal_id", "idempotency_key"])
            .returning(idempotency_keys.c.created_at)
        )
        if inserted.first() is not None:
            return None
        row = (
            await self.conn.execute(
                select(idempotency_keys).where(
                    idempotency_keys.c.portal_id == portal_id,
                    idempotency_keys.c.idempotency_key == key,
                )
            )
        ).one()
        return IdempotentReply(row.fingerprint, row.status_code, row.content_type, row.body)

    async def record_idempotent_reply(
        self, portal_id: int, key: str, status_code: int, content_type: str, body: bytes
    ) -> None:
        await self.conn.execute(
            update(idempotency_keys)
            .where(
                idempotency_keys.c.portal_id == portal_id,
                idempotency_keys.c.idempotency_key == key,
            )
            .values(status_code=status_code, content_type=content_type, body=body)
        )

    async def purge_idempotency_keys(self, expired_before: int) -> None:
        await self.conn.execute(
            delete(idempotency_keys).where(idempotency_keys.c.created_at < expired_before)
        )
