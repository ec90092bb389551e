"""Engines and transactions for SQLite (default) and PostgreSQL, through one code path.

SQLite: WAL journal, foreign keys on, and writers serialised in-process by a lock and across
processes by ``BEGIN IMMEDIATE`` with a busy timeout, so that "database is locked" never reaches a
client. PostgreSQL: a pooled asyncpg engine; concurrent writers to one subscriber are ordered by
advisory locks taken in the repository.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from commprefs.store.repository import Repository

SQLITE_BUSY_TIMEOUT_MS = 30_000

# The request transaction of the running task, if one is open (see Database.request_transaction).
_request_transaction: ContextVar[tuple[Database, Repository] | None] = ContextVar(
    "commprefs_request_transaction", default=None
)


def async_url(url: str) -> str:
    """Map the user-facing URL (``sqlite:///x.db``, ``postgresql://…``) to a driver URL."""
    scheme, rest = url.split("://", 1)
    base = scheme.split("+", 1)[0]
    if base == "sqlite":
        return f"sqlite+aiosqlite://{rest}"
    return f"postgresql+asyncpg://{rest}"


def is_memory(url: str) -> bool:
    return url.startswith("sqlite") and (":memory:" in url or url.rstrip("/").endswith("sqlite:"))


def make_engine(url: str, pool_size: int = 10) -> AsyncEngine:
    driver_url = async_url(url)
    if driver_url.startswith("sqlite"):
        kwargs: dict[str, Any] = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
        if is_memory(url):
            # One shared connection, or every connection would see its own empty database.
            kwargs["poolclass"] = StaticPool
        engine = create_async_engine(driver_url, **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_async_engine(
        driver_url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=False
    )


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from the driver so that BEGIN is ours (IMMEDIATE for writers).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        writer = conn.get_execution_options().get("commprefs_writer", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


class Database:
    """Hands out repositories inside transactions: ``read()`` and ``write()``."""

    def __init__(self, url: str, pool_size: int = 10) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size)
        self.dialect = self.engine.dialect.name
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
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(commprefs_writer=writer)
            async with conn.begin():
                yield Repository(conn)

    @asynccontextmanager
    async def connection(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.connect() as conn:
            yield conn

    async def dispose(self) -> None:
        await self.engine.dispose()
