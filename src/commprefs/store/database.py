"""Engines and transactions for SQLite (default) and PostgreSQL, through one code path.

SQLite: WAL journal, foreign keys on, and statements run on synchronous connections in the event
loop (store/connection.py says why). Writers are serialised in-process by a lock and across
processes by ``BEGIN IMMEDIATE``; a busy database is waited for with an awaited back-off, never
inside a statement, so "database is locked" never reaches a client and never stalls the loop.
PostgreSQL: a pooled asyncpg engine; concurrent writers to one subscriber are ordered by
advisory locks taken in the repository. ``Database`` is the ``Transactions`` that services are
given (store/transactions.py): each ``read()``, ``write()`` and ``snapshot()`` is a transaction of
its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from sqlalchemy import MetaData, text
from sqlalchemy.engine import Connection

from commprefs.store.connection import (
    AsyncStoreConnection,
    StoreConnection,
    SyncStoreConnection,
)
from commprefs.store.errors import Translated
from commprefs.store.postgres import PlannerStatistics, PostgresPool
from commprefs.store.repository import SqlRepository
from commprefs.store.sqlite import (
    BUSY_TIMEOUT_MS,
    READER_BUSY_TIMEOUT_MS,
    Checkpointer,
    SqlitePool,
    database_path,
)

T = TypeVar("T")

_PG_BEGIN_WRITE = "BEGIN"
_PG_BEGIN_SNAPSHOT = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"


def is_memory(url: str) -> bool:
    return url.startswith("sqlite") and database_path(url) == ":memory:"


class Database:
    """Hands out repositories inside transactions: ``read()``, ``write()`` and ``snapshot()``."""

    def __init__(self, url: str, pool_size: int = 10) -> None:
        self.url = url
        self.dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
        self._faults = Translated(url)
        self._secrets: dict[int, bytes] = {}  # portals' secrets, once read (erasure)
        self._postgres: PostgresPool | None = None
        self._statistics: PlannerStatistics | None = None
        self._reader: SqlitePool | None = None
        self._writer: SqlitePool | None = None
        self._checkpointer: Checkpointer | None = None
        if self.dialect == "sqlite":
            if is_memory(url):
                self._reader = self._writer = SqlitePool(url, BUSY_TIMEOUT_MS)
            else:
                self._reader = SqlitePool(url, READER_BUSY_TIMEOUT_MS)
                # No busy timeout: a busy BEGIN IMMEDIATE is retried with an awaited back-off.
                self._writer = SqlitePool(url, 0)
                self._checkpointer = Checkpointer(self._writer.path)
        else:
            self._postgres = PostgresPool(url, pool_size)
            self._statistics = PlannerStatistics(self._postgres)
        sqlite = self.dialect == "sqlite"
        self._write_lock: asyncio.Lock | None = asyncio.Lock() if sqlite else None
        # An in-memory database is one connection: readers must queue behind writers too.
        self._read_lock = self._write_lock if is_memory(url) else None
        # For the metrics (issue 17): connections handed out now, and what is told of the
        # ledger entries each committed write appended.
        self.connections_in_use = 0
        self.on_ledger_written: Callable[[int], None] | None = None

    @asynccontextmanager
    async def write(self) -> AsyncIterator[SqlRepository]:
        """One write transaction: committed when the block ends, rolled back on any error."""
        if self._write_lock is None:
            async with self._transaction(writer=True) as repo:
                yield repo
            return
        async with self._write_lock, self._transaction(writer=True) as repo:
            yield repo

    @asynccontextmanager
    async def read(self) -> AsyncIterator[SqlRepository]:
        if self._read_lock is None:
            async with self._transaction(writer=False) as repo:
                yield repo
            return
        async with self._read_lock, self._transaction(writer=False) as repo:
            yield repo

    @asynccontextmanager
    async def _transaction(self, writer: bool) -> AsyncIterator[SqlRepository]:
        async with self._connection(writer) as conn:
            repo = SqlRepository(conn, self._secrets)
            yield repo
        if repo.ledger_appended and self.on_ledger_written is not None:  # committed
            self.on_ledger_written(repo.ledger_appended)

    @asynccontextmanager
    async def _connection(self, writer: bool) -> AsyncIterator[StoreConnection]:
        """A connection with a transaction open on it (PostgreSQL reads: see
        _postgres_connection), committed at the end of the block. A database that cannot be
        used, from the connection to the commit, is a DatabaseUnavailable (store/errors.py)."""
        if self._postgres is not None:
            async with self._postgres_connection(_PG_BEGIN_WRITE if writer else None) as conn:
                yield conn
            return
        pool = self._writer if writer else self._reader
        assert pool is not None
        with self._faults:
            pooled = await pool.begin(writer)
            self.connections_in_use += 1
            try:
                yield SyncStoreConnection(pooled)
            except BaseException:
                pooled.end(commit=False)
                raise
            else:
                pooled.end(commit=True)
                if writer and self._checkpointer is not None:
                    self._checkpointer.committed()
            finally:
                self.connections_in_use -= 1
                pool.release(pooled)

    @asynccontextmanager
    async def _postgres_connection(self, begin: str | None) -> AsyncIterator[StoreConnection]:
        """A pooled connection; with ``begin``, inside a transaction begun by it.

        Without one, each statement commits on its own. That is what a read needs: at READ
        COMMITTED (PostgreSQL's default) every statement of a transaction takes a fresh snapshot
        anyway, so a read transaction only added BEGIN and COMMIT, two of a read's round trips.
        Reads that need one snapshot across statements ask for it (``snapshot()``)."""
        assert self._postgres is not None
        with self._faults:
            pooled = await self._postgres.acquire()
            self.connections_in_use += 1
            reusable = False
            try:
                conn = AsyncStoreConnection(pooled)
                if begin is None:
                    yield conn
                else:
                    await pooled.driver.execute(begin)
                    try:
                        yield conn
                    except BaseException:
                        # If even the rollback fails, the session is in an unknown state: it is
                        # closed rather than handed to anyone else.
                        await pooled.driver.execute("ROLLBACK")
                        raise
                    await pooled.driver.execute("COMMIT")
                    if conn.rows_written and self._statistics is not None:
                        self._statistics.written(conn.rows_written)
                reusable = True
            finally:
                self.connections_in_use -= 1
                await self._postgres.release(pooled, reusable)

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[SqlRepository]:
        """A read whose statements all see one snapshot of the database (exports, ledger reads):
        REPEATABLE READ on PostgreSQL; any SQLite transaction is one already."""
        if self._postgres is None:
            async with self.read() as repo:
                yield repo
            return
        async with self._postgres_connection(_PG_BEGIN_SNAPSHOT) as conn:
            yield SqlRepository(conn, self._secrets)

    async def run_sync(self, fn: Callable[[Connection], T], writer: bool = False) -> T:
        """``fn`` on a synchronous connection inside a transaction of its own (Alembic,
        inspection)."""
        lock = self._write_lock if writer else self._read_lock
        async with lock or contextlib.nullcontext(), self._connection(writer) as conn:
            return await conn.run_sync(fn)

    # -- the emulator's reset (issue 15): the whole database replaced, never a row deleted -------

    async def copy_from(self, sqlite_path: str) -> None:
        """Make this SQLite database a copy of the one at ``sqlite_path``, page by page (SQLite's
        online backup) under the write lock: every table at once, the append-only ledger
        included, as a new file would be. Readers see the old or the new database, never a mix."""
        assert self._writer is not None, "copy_from is for SQLite databases"
        async with self._write_lock or contextlib.nullcontext():
            with self._faults:
                pooled = self._writer.acquire()
                try:
                    source = sqlite3.connect(sqlite_path)
                    try:
                        source.backup(pooled.raw)
                    finally:
                        source.close()
                finally:
                    self._writer.release(pooled)
            self._secrets.clear()  # the copy's portals have the copy's secrets (erasure)
        if self._checkpointer is not None:
            self._checkpointer.committed()

    async def drop_everything(self) -> None:
        """Drop every table, and the ledger's trigger function (PostgreSQL), so that migrating
        makes the database new: the emulator's reset where it cannot copy a file."""

        def drop(connection: Connection) -> None:
            tables = MetaData()
            tables.reflect(connection)
            tables.drop_all(connection)
            if connection.dialect.name == "postgresql":
                connection.execute(text("DROP FUNCTION IF EXISTS commprefs_ledger_append_only()"))

        await self.run_sync(drop, writer=True)
        self._secrets.clear()  # the portals' secrets went with their table (erasure)

    async def forget_log(self) -> None:
        """After an erasure: SQLite's write-ahead log copied back and emptied, so that it keeps
        no earlier page (PostgreSQL's own log is the server's; it is not readable by SQL)."""
        if self._checkpointer is not None:
            async with self._write_lock or contextlib.nullcontext():
                await self._checkpointer.truncate()

    async def dispose(self) -> None:
        if self._checkpointer is not None:
            await self._checkpointer.close()
        if self._statistics is not None:
            await self._statistics.close()
        with self._faults:
            if self._postgres is not None:
                await self._postgres.dispose()
            for pool in {self._reader, self._writer} - {None}:
                assert pool is not None
                pool.dispose()
