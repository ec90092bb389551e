"""Engines and transactions for SQLite (default) and PostgreSQL, through one code path.

SQLite: WAL journal, foreign keys on, and statements run on synchronous connections in the event
loop (store/connection.py says why). Writers are serialised in-process by a lock and across
processes by ``BEGIN IMMEDIATE``; a busy database is waited for with an awaited back-off, never
inside a statement, so "database is locked" never reaches a client and never stalls the loop.
PostgreSQL: a pooled asyncpg engine; concurrent writers to one subscriber are ordered by
advisory locks taken in the repository.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from commprefs.store.connection import (
    AsyncStoreConnection,
    StoreConnection,
    SyncStoreConnection,
)
from commprefs.store.repository import Repository

T = TypeVar("T")

# How long a writer waits for another process's write transaction before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000
# Readers in WAL mode wait only in rare cases (another process recovering the WAL); they may
# block the loop that long at most.
SQLITE_READER_BUSY_TIMEOUT_MS = 1_000
_BUSY_BACKOFF_S = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05)

# The request transaction of the running task, if one is open (see Database.request_transaction).
_request_transaction: ContextVar[tuple[Database, Repository] | None] = ContextVar(
    "commprefs_request_transaction", default=None
)


def driver_url(url: str) -> str:
    """Map the user-facing URL (``sqlite:///x.db``, ``postgresql://…``) to a driver URL."""
    scheme, rest = url.split("://", 1)
    base = scheme.split("+", 1)[0]
    if base == "sqlite":
        return f"sqlite+pysqlite://{rest}"
    return f"postgresql+asyncpg://{rest}"


def is_memory(url: str) -> bool:
    return url.startswith("sqlite") and (":memory:" in url or url.rstrip("/").endswith("sqlite:"))


def make_sqlite_engine(url: str, busy_timeout_ms: int) -> Engine:
    kwargs: dict[str, Any] = {
        # Connections move between tasks, never between threads, but the event loop may close
        # one from another thread at interpreter exit.
        "connect_args": {"timeout": busy_timeout_ms / 1000, "check_same_thread": False},
    }
    if is_memory(url):
        # One shared connection, or every connection would see its own empty database.
        kwargs["poolclass"] = StaticPool
    else:
        kwargs["pool_size"] = 5
        kwargs["max_overflow"] = 50
    engine = create_engine(driver_url(url), **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that BEGIN is ours (IMMEDIATE for writers).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        writer = conn.get_execution_options().get("commprefs_writer", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine


def _is_busy(error: OperationalError) -> bool:
    return "database is locked" in str(error.orig) or "database is busy" in str(error.orig)


class Database:
    """Hands out repositories inside transactions: ``read()`` and ``write()``."""

    def __init__(self, url: str, pool_size: int = 10) -> None:
        self.url = url
        self.dialect = "sqlite" if url.startswith("sqlite") else "postgresql"
        self._async_engine: AsyncEngine | None = None
        self._reader: Engine | None = None
        self._writer: Engine | None = None
        if self.dialect == "sqlite":
            if is_memory(url):
                self._reader = self._writer = make_sqlite_engine(url, SQLITE_BUSY_TIMEOUT_MS)
            else:
                self._reader = make_sqlite_engine(url, SQLITE_READER_BUSY_TIMEOUT_MS)
                # No busy timeout: a busy BEGIN IMMEDIATE is retried with an awaited back-off.
                self._writer = make_sqlite_engine(url, 0)
        else:
            self._async_engine = create_async_engine(
                driver_url(url), pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False
            )
        sqlite = self.dialect == "sqlite"
        self._write_lock: asyncio.Lock | None = asyncio.Lock() if sqlite else None
        # An in-memory database is one connection: readers must queue behind writers too.
        self._read_lock = self._write_lock if is_memory(url) else None

    def _ambient(self) -> Repository | None:
        current = _request_transaction.get()
        return current[1] if current is not None and current[0] is self else None

    @asynccontextmanager
    async def request_transaction(self) -> AsyncIterator[Repository]:
        """One write transaction that every ``write()`` and ``read()`` of the running task joins
        until the block ends: a ``write()`` inside becomes a savepoint (still atomic on its own),
        and the whole is committed, or rolled back, once. Used to commit a write together with
        what answers its retries (api/idempotency.py)."""
        async with self.write() as repo:
            token = _request_transaction.set((self, repo))
            try:
                yield repo
            finally:
                _request_transaction.reset(token)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Repository]:
        """One write transaction: committed when the block ends, rolled back on any error."""
        ambient = self._ambient()
        if ambient is not None:
            async with ambient.conn.begin_nested():
                yield ambient
            return
        if self._write_lock is None:
            async with self._transaction(writer=True) as repo:
                yield repo
            return
        async with self._write_lock, self._transaction(writer=True) as repo:
            yield repo

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Repository]:
        ambient = self._ambient()
        if ambient is not None:
            yield ambient
            return
        if self._read_lock is None:
            async with self._transaction(writer=False) as repo:
                yield repo
            return
        async with self._read_lock, self._transaction(writer=False) as repo:
            yield repo

    @asynccontextmanager
    async def _transaction(self, writer: bool) -> AsyncIterator[Repository]:
        async with self._connection(writer) as conn:
            yield Repository(conn)

    @asynccontextmanager
    async def _connection(self, writer: bool) -> AsyncIterator[StoreConnection]:
        """A connection with a transaction open on it: committed at the end of the block."""
        if self._async_engine is not None:
            async with self._async_engine.connect() as async_conn, async_conn.begin():
                yield AsyncStoreConnection(async_conn)
            return
        engine = self._writer if writer else self._reader
        assert engine is not None
        conn = await self._begin_sqlite(engine, writer)
        try:
            yield SyncStoreConnection(conn)
        except BaseException:
            conn.rollback()
            raise
        else:
            conn.commit()
        finally:
            conn.close()

    async def _begin_sqlite(self, engine: Engine, writer: bool) -> Connection:
        deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
        attempt = 0
        while True:
            conn = engine.connect().execution_options(commprefs_writer=writer)
            try:
                conn.begin()
                return conn
            except OperationalError as error:
                conn.close()
                if not _is_busy(error) or time.monotonic() > deadline:
                    raise
            await asyncio.sleep(_BUSY_BACKOFF_S[min(attempt, len(_BUSY_BACKOFF_S) - 1)])
            attempt += 1

    async def run_sync(self, fn: Callable[[Connection], T], writer: bool = False) -> T:
        """``fn`` on a synchronous connection inside a transaction of its own, apart from any
        request transaction (Alembic, inspection)."""
        lock = self._write_lock if writer else self._read_lock
        async with contextlib.AsyncExitStack() as stack:
            if lock is not None:
                await stack.enter_async_context(lock)
            conn = await stack.enter_async_context(self._connection(writer))
            return await conn.run_sync(fn)
        raise AssertionError("unreachable")  # mypy: the stack does not swallow exceptions

    async def dispose(self) -> None:
        if self._async_engine is not None:
            await self._async_engine.dispose()
        for engine in {self._reader, self._writer} - {None}:
            assert engine is not None
            engine.dispose()
