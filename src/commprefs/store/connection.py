"""The connection a Repository runs its statements on, for either kind of database.

PostgreSQL: SQLAlchemy's AsyncConnection on asyncpg (a network round trip per statement is worth
awaiting). SQLite: a plain synchronous SQLAlchemy connection whose statements run in the event
loop itself. A SQLite statement of this service takes microseconds; handing each one to a worker
thread and back, as aiosqlite does, cost 100-150 µs of CPU per statement and dominated every
request (bench/results/profile-W1-sqlite.txt). Writers never wait inside a statement: the write
connection has no busy timeout and Database retries a busy ``BEGIN IMMEDIATE`` with an awaited
back-off (store/database.py).
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

import orjson
from sqlalchemy.engine import Connection, CursorResult, Row
from sqlalchemy.sql.base import Executable

from commprefs.store.postgres import PooledPostgres
from commprefs.store.sqlite import PooledConnection
from commprefs.store.statements import Sql

T = TypeVar("T")

# Rows fetched per step of a stream; between steps a SQLite stream lets other tasks run.
STREAM_CHUNK = 2000


class StoreConnection(ABC):
    """What the repository needs of a connection; one transaction is open on it."""

    dialect_name: str  # "sqlite" or "postgresql"

    @abstractmethod
    async def execute(self, statement: Executable, parameters: Any = None) -> CursorResult[Any]:
        """Run one statement; the result is fully usable after the call (buffered or cursor)."""

    @abstractmethod
    async def fetch(self, statement: Sql, parameters: Sequence[Any]) -> Sequence[Sequence[Any]]:
        """Run one of store/statements.py's statements; its rows as tuples."""

    @abstractmethod
    async def execute_many(self, statement: Sql, rows: Sequence[Sequence[Any]]) -> None:
        """Run one of store/statements.py's statements once per row of parameters."""

    @abstractmethod
    def stream(self, statement: Executable) -> AsyncIterator[Row[Any]]:
        """The rows of one query, fetched in chunks rather than all at once."""

    @abstractmethod
    def begin_nested(self) -> AbstractAsyncContextManager[None]:
        """A savepoint: released when the block ends, rolled back to on any error."""

    @abstractmethod
    async def run_sync(self, fn: Callable[[Connection], T]) -> T:
        """Run ``fn`` with the underlying synchronous connection (Alembic, inspection)."""


class AsyncStoreConnection(StoreConnection):
    """A PostgreSQL connection: store/statements.py's statements on the asyncpg connection itself
    (its prepared-statement cache; SQLAlchemy's adaptation cost ~60 µs a statement), Core
    constructs through the SQLAlchemy connection over the same session (store/postgres.py).
    BEGIN and COMMIT are Database's (store/database.py)."""

    def __init__(self, pooled: PooledPostgres) -> None:
        self._pooled = pooled
        self._driver = pooled.driver
        self.dialect_name = "postgresql"
        # Rows this transaction wrote through execute_many (PlannerStatistics counts them).
        self.rows_written = 0

    async def execute(self, statement: Executable, parameters: Any = None) -> CursorResult[Any]:
        core = await self._pooled.core()
        return await core.execute(statement, parameters)

    async def fetch(self, statement: Sql, parameters: Sequence[Any]) -> Sequence[Sequence[Any]]:
        rows: list[Sequence[Any]] = await self._driver.fetch(statement.postgresql, *parameters)
        return rows

    async def execute_many(self, statement: Sql, rows: Sequence[Sequence[Any]]) -> None:
        await self._driver.executemany(statement.postgresql, rows)
        self.rows_written += len(rows)

    async def stream(self, statement: Executable) -> AsyncIterator[Row[Any]]:
        core = await self._pooled.core()
        result = await core.stream(statement.execution_options(yield_per=STREAM_CHUNK))
        async for row in result:
            yield row

    @asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        core = await self._pooled.core()
        async with core.begin_nested():
            yield

    async def run_sync(self, fn: Callable[[Connection], T]) -> T:
        core = await self._pooled.core()
        return await core.run_sync(fn)


class SyncStoreConnection(StoreConnection):
    """A SQLite transaction in the event loop: store/statements.py's statements on the driver
    connection, Core constructs on the SQLAlchemy connection over it (store/sqlite.py)."""

    def __init__(self, pooled: PooledConnection) -> None:
        self._pooled = pooled
        self._raw = pooled.raw
        self.dialect_name = "sqlite"

    async def execute(self, statement: Executable, parameters: Any = None) -> CursorResult[Any]:
        return self._pooled.core().execute(statement, parameters)

    async def fetch(self, statement: Sql, parameters: Sequence[Any]) -> Sequence[Sequence[Any]]:
        rows: list[tuple[Any, ...]] = self._raw.execute(
            statement.sqlite, [_sqlite_value(p) for p in parameters]
        ).fetchall()
        return rows

    async def execute_many(self, statement: Sql, rows: Sequence[Sequence[Any]]) -> None:
        self._raw.executemany(statement.sqlite, rows)

    async def stream(self, statement: Executable) -> AsyncIterator[Row[Any]]:
        core = self._pooled.core()
        result = core.execute(statement.execution_options(yield_per=STREAM_CHUNK))
        for rows in result.partitions():
            for row in rows:
                yield row
            # A long export must not hold the event loop: other requests run between chunks.
            await asyncio.sleep(0)

    @asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        with self._pooled.core().begin_nested():
            yield

    async def run_sync(self, fn: Callable[[Connection], T]) -> T:
        return fn(self._pooled.core())


def _sqlite_value(value: Any) -> Any:
    # A list parameter is "one of these" (store/statements.py): SQLite reads it with json_each.
    return orjson.dumps(value).decode() if isinstance(value, list) else value
