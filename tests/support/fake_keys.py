"""An in-memory stand-in for the repository's idempotency-key methods and the transactions they
run in, for unit tests of the idempotency service (idempotency/service.py).

The rows and their rules are those of store/repository.py's SQL; transactions are as on SQLite:
one writer at a time (a second waits for the first to end), and a write works on a copy of the
committed rows that becomes them when its block ends, or is dropped on any error.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from commprefs.store.interface import IdempotentReply


@dataclass(frozen=True)
class KeyRow:
    fingerprint: str
    created_at: int
    status_code: int | None = None
    content_type: str | None = None
    body: bytes | None = None


Rows = dict[tuple[int, str], KeyRow]  # by (portal id, key)


class FakeKeyRepository:
    """The idempotency-key methods of store/interface.py's IdempotencyKeys, over ``rows``."""

    def __init__(self, rows: Rows) -> None:
        self.rows = rows

    async def claim_idempotency_key(
        self, portal_id: int, key: str, fingerprint: str, now: int, expired_before: int
    ) -> IdempotentReply | None:
        held = self.rows.get((portal_id, key))
        if held is None or held.created_at < expired_before:
            self.rows[(portal_id, key)] = KeyRow(fingerprint, now)
            return None
        return IdempotentReply(held.fingerprint, held.status_code, held.content_type, held.body)

    async def record_idempotent_reply(
        self, portal_id: int, key: str, status_code: int, content_type: str, body: bytes
    ) -> None:
        held = self.rows.get((portal_id, key))
        if held is not None:
            self.rows[(portal_id, key)] = KeyRow(
                held.fingerprint, held.created_at, status_code, content_type, body
            )

    async def portal_secret(self, portal_id: int) -> bytes | None:
        return None  # fingerprints are kept as given (their keying is the SQL store's test)

    async def purge_idempotency_keys(self, expired_before: int) -> None:
        for expired in [k for k, row in self.rows.items() if row.created_at < expired_before]:
            del self.rows[expired]


class FakeTransactions:
    """``Transactions`` (store/interface.py) over FakeKeyRepository."""

    def __init__(self) -> None:
        self.committed: Rows = {}
        self.writes = 0  # write transactions begun
        self._writer = asyncio.Lock()

    @asynccontextmanager
    async def write(self) -> AsyncIterator[FakeKeyRepository]:
        async with self._writer:
            self.writes += 1
            working = dict(self.committed)  # rows are frozen: a shallow copy is a snapshot
            yield FakeKeyRepository(working)
            self.committed = working

    @asynccontextmanager
    async def read(self) -> AsyncIterator[FakeKeyRepository]:
        yield FakeKeyRepository(dict(self.committed))

    snapshot = read  # one writer at a time: any read sees one state
