"""SQL of erasure (issue 16): portal secrets, subscribers' data keys, suppressions by keyed hash,
and the erasure itself (store/interface.py's Subjects); what an access request reads beyond
statuses and history (store/subject_interface.py's AccessRequests).

The crypto is domain/sealing.py's; here it is only applied: a subscriber's data key is found by
the keyed hash of its address (made with the portal's secret) and unwrapped with that secret.
Erasure deletes the key (crypto-shredding), the status rows that hold the address in clear and
the idempotency records whose stored reply holds it, and records the suppression.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, text

from commprefs.domain.sealing import new_secret, subject_hash, unwrap_key, wrap_key
from commprefs.store import statements
from commprefs.store.models import (
    erased_subscribers,
    idempotency_keys,
    portal_secrets,
    subscriber_keys,
    subscription_statuses,
    wide_statuses,
)
from commprefs.store.personal_record_queries import PersonalRecordQueries

# Idempotency records whose stored reply (bytes) or key (a client's choice) holds a spelling of
# the address.
_HOLDS_SQLITE = text(
    "DELETE FROM idempotency_keys WHERE portal_id = :portal_id "
    "AND (instr(body, :needle) > 0 OR instr(lower(idempotency_key), lower(:key)) > 0)"
)
_HOLDS_POSTGRESQL = text(
    "DELETE FROM idempotency_keys WHERE portal_id = :portal_id "
    "AND (position(CAST(:needle AS bytea) IN body) > 0 "
    "OR position(lower(:key) IN lower(idempotency_key)) > 0)"
)

DataKey = tuple[int, bytes]  # (subscriber_keys.id, the data key itself)


class SubjectQueries(PersonalRecordQueries):
    """store/interface.py's Subjects and store/subject_interface.py's AccessRequests."""

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

    async def portal_secret(self, portal_id: int) -> bytes | None:
        """The portal's secret (cached: it never changes once committed)."""
        cached = self.secrets.get(portal_id)
        if cached is not None:
            return cached
        for (secret,) in await self.conn.fetch(statements.PORTAL_SECRET, (portal_id,)):
            self.secrets[portal_id] = bytes(secret)
            return bytes(secret)
        return None

    async def create_portal_secret(self, portal_id: int, now: int) -> bytes:
        """Written with the portal itself (not cached until read back committed)."""
        secret = new_secret()
        await self.conn.execute(
            insert(portal_secrets).values(portal_id=portal_id, secret=secret, created_at=now)
        )
        return secret

    async def _secret(self, portal_id: int, now: int) -> bytes:
        secret = await self.portal_secret(portal_id)
        return secret if secret is not None else await self.create_portal_secret(portal_id, now)

    async def subjects(self, portal_id: int, subscribers: Iterable[str]) -> dict[str, str]:
        """The keyed hash of each subscriber key; empty when the portal has no secret yet."""
        secret = await self.portal_secret(portal_id)
        if secret is None:
            return {}
        return {s: subject_hash(secret, s) for s in subscribers}

    async def data_keys(
        self, portal_id: int, subscribers: Sequence[str], now: int
    ) -> dict[str, DataKey]:
        """Each subscriber's data key, made (and stored wrapped) for those who have none."""
        secret = await self._secret(portal_id, now)
        subjects = {subject_hash(secret, s): s for s in subscribers}
        found = await self._wrapped(portal_id, list(subjects))
        keys = {
            subject: (key_id, unwrap_key(secret, portal_id, subject, wrapped))
            for subject, (key_id, wrapped) in found.items()
        }
        made: dict[str, tuple[bytes, bytes]] = {}  # subject -> (wrapped, data key)
        for subject in subjects:
            if subject not in found:
                data_key = new_secret()
                made[subject] = (wrap_key(secret, portal_id, subject, data_key), data_key)
        taken = list(made)
        if len(made) == 1:  # most writes: one statement, its id back
            ((subject, (wrapped, data_key)),) = made.items()
            rows = await self.conn.fetch(
                statements.ADD_SUBSCRIBER_KEY, (portal_id, subject, wrapped, now)
            )
            if rows:
                keys[subject], taken = (int(rows[0][0]), data_key), []
        elif made:
            await self.conn.execute_many(
                statements.ADD_SUBSCRIBER_KEYS,
                [(portal_id, subject, wrapped, now) for subject, (wrapped, _) in made.items()],
            )
        # The ids of the others; a key another writer made first (PostgreSQL) is that one's.
        for subject, (key_id, wrapped) in (await self._wrapped(portal_id, taken)).items():
            ours, data_key = made[subject]
            if wrapped != ours:
                data_key = unwrap_key(secret, portal_id, subject, wrapped)
            keys[subject] = (key_id, data_key)
        return {subjects[subject]: key for subject, key in keys.items()}

    async def _wrapped(self, portal_id: int, subjects: list[str]) -> dict[str, tuple[int, bytes]]:
        if not subjects:
            return {}
        rows = await self.conn.fetch(statements.SUBSCRIBER_KEYS, (portal_id, subjects))
        return {subject: (key_id, bytes(wrapped)) for subject, key_id, wrapped in rows}

    async def keys_by_id(self, portal_id: int, key_ids: Iterable[int | None]) -> dict[int, bytes]:
        """The data keys that still exist among ``key_ids`` (erased ones are simply absent)."""
        wanted = sorted({k for k in key_ids if k is not None})
        secret = await self.portal_secret(portal_id)
        if not wanted or secret is None:
            return {}
        rows = await self.conn.execute(
            select(subscriber_keys).where(
                subscriber_keys.c.portal_id == portal_id,
                subscriber_keys.c.id.in_(bindparam("ids", expanding=True)),
            ),
            {"ids": wanted},
        )
        return {
            row.id: unwrap_key(secret, portal_id, row.subject, bytes(row.wrapped_key))
            for row in rows
        }

    async def portal_keys(self, portal_id: int) -> dict[int, bytes]:
        """Every living data key of the portal (ledger verify of migrated entries)."""
        secret = await self.portal_secret(portal_id)
        if secret is None:
            return {}
        query = select(subscriber_keys).where(subscriber_keys.c.portal_id == portal_id)
        return {
            row.id: unwrap_key(secret, portal_id, row.subject, bytes(row.wrapped_key))
            async for row in self.conn.stream(query)
        }

    async def current_key_id(self, portal_id: int, subscriber: str) -> int | None:
        """The id of the subscriber's living data key: its history is the entries under it."""
        subject = (await self.subjects(portal_id, [subscriber])).get(subscriber)
        if subject is None:
            return None
        for _, key_id, _ in await self.conn.fetch(
            statements.SUBSCRIBER_KEYS, (portal_id, [subject])
        ):
            return int(key_id)
        return None

    async def erased(self, portal_id: int, subscribers: Sequence[str]) -> dict[str, int]:
        """The subscribers among these that were erased and not subscribed since: when."""
        if not subscribers:
            return {}
        subjects = await self.subjects(portal_id, subscribers)
        if not subjects:
            return {}
        by_subject = {subject: s for s, subject in subjects.items()}
        rows = await self.conn.fetch(statements.ERASED_SUBJECTS, (portal_id, list(by_subject)))
        return {by_subject[subject]: int(erased_at) for subject, erased_at in rows}

    async def lift_erasures(self, portal_id: int, subscribers: Sequence[str]) -> None:
        """New explicit consent: the suppressions of these subscribers end."""
        subjects = list((await self.subjects(portal_id, subscribers)).values())
        if subjects:
            await self.conn.execute(
                delete(erased_subscribers).where(
                    erased_subscribers.c.portal_id == portal_id,
                    erased_subscribers.c.subject.in_(subjects),
                )
            )

    async def erase_subscriber(
        self, portal_id: int, subscriber: str, spellings: Sequence[str], now: int
    ) -> str:
        """Destroy what holds the address (its data key, status rows, the idempotency records
        whose reply or key holds any of ``spellings``, its confirmations, its place in rejected
        import rows) and suppress it; its keyed hash."""
        subject = subject_hash(await self._secret(portal_id, now), subscriber)
        for table in (subscription_statuses, wide_statuses):
            await self.conn.execute(
                delete(table).where(
                    table.c.portal_id == portal_id, table.c.subscriber == subscriber
                )
            )
        await self.conn.execute(
            delete(subscriber_keys).where(
                subscriber_keys.c.portal_id == portal_id, subscriber_keys.c.subject == subject
            )
        )
        holds = _HOLDS_SQLITE if self.dialect == "sqlite" else _HOLDS_POSTGRESQL
        for spelling in dict.fromkeys(spellings):
            await self.conn.execute(
                holds, {"portal_id": portal_id, "needle": spelling.encode(), "key": spelling}
            )
        await self.forget_personal_records(portal_id, subscriber, spellings)
        await self.conn.execute(
            self._upsert(erased_subscribers)
            .values(portal_id=portal_id, subject=subject, erased_at=now)
            .on_conflict_do_update(index_elements=["portal_id", "subject"], set_={"erased_at": now})
        )
        return subject
