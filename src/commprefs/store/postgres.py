"""PostgreSQL connections: a pool of asyncpg connections per process, and SQLAlchemy only where a
statement is a Core construct.

Checking a connection out of SQLAlchemy's async pool cost ~40 µs of CPU (its events, greenlet
hand-offs and the driver adaption), two checkouts a request; handing out a kept asyncpg
connection costs ~2 µs. As for SQLite (store/sqlite.py), each driver connection gets one
SQLAlchemy connection of its own the first time a Core statement needs it, in autocommit mode:
BEGIN and COMMIT are Database's, sent on the driver connection, so both kinds of statement share
the transaction.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import StaticPool

from commprefs.store.errors import connecting


def driver_dsn(url: str) -> str:
    """``postgresql+anything://…`` → ``postgresql://…`` (what asyncpg takes)."""
    scheme, rest = url.split("://", 1)
    return f"{scheme.split('+', 1)[0]}://{rest}"


class PooledPostgres:
    """One asyncpg connection and, once needed, the SQLAlchemy connection over it."""

    def __init__(self, driver: Any) -> None:
        self.driver = driver  # asyncpg.Connection
        self._engine: AsyncEngine | None = None
        self._core: AsyncConnection | None = None

    async def core(self) -> AsyncConnection:
        if self._core is None:
            driver = self.driver

            async def this_connection() -> Any:
                return driver

            self._engine = create_async_engine(
                "postgresql+asyncpg://",
                async_creator=this_connection,
                poolclass=StaticPool,
                isolation_level="AUTOCOMMIT",
            )
            self._core = await self._engine.connect()
        return self._core

    async def close(self) -> None:
        try:
            if self._engine is not None:
                # Disposing the engine closes the driver connection it was made over.
                if self._core is not None:
                    await self._core.close()
                await self._engine.dispose()
            if not self.driver.is_closed():
                await self.driver.close()
        except Exception:  # noqa: BLE001 - whatever broke it, the socket is dropped
            # A session the server cut or that broke cannot be closed politely: drop its socket.
            self.driver.terminate()


class PostgresPool:
    """At most ``2 * size`` connections at once (as SQLAlchemy's pool_size + max_overflow were);
    up to ``size`` kept open between requests."""

    def __init__(self, url: str, size: int) -> None:
        self.url = url
        self.dsn = driver_dsn(url)
        self.size = size
        self._slots = asyncio.Semaphore(2 * size)
        self._idle: list[PooledPostgres] = []
        self._closed = False

    async def acquire(self) -> PooledPostgres:
        await self._slots.acquire()
        try:
            while self._idle:
                conn = self._idle.pop()
                if not conn.driver.is_closed():
                    return conn
                await conn.close()  # went away while idle (terminated, a restart): let go of it
            with connecting(self.url):
                return PooledPostgres(await asyncpg.connect(self.dsn))
        except BaseException:
            self._slots.release()
            raise

    async def release(self, conn: PooledPostgres, reusable: bool = True) -> None:
        """Back to the pool; a connection whose session state is unknown is closed instead."""
        try:
            keep = reusable and not self._closed and len(self._idle) < self.size
            if keep and not conn.driver.is_closed():
                self._idle.append(conn)
                return
            await conn.close()
        finally:
            self._slots.release()

    async def dispose(self) -> None:
        self._closed = True
        while self._idle:
            await self._idle.pop().close()


class PlannerStatistics:
    """Refreshes PostgreSQL's statistics of the status tables while they grow through the API.

    Until a table has statistics, PostgreSQL plans the lookups of a batch (``subscriber =
    ANY($3)``) as scans: on a new database loaded through batch/write, one lookup of 100
    subscribers took 97 ms at 100,000 rows instead of 0.5 ms, and the load slowed to 3,000
    statuses/s. Autovacuum fixes it eventually (a minute or more); this runs ANALYZE from the
    process that writes, in the background, each time the rows it has written double (1,000,
    2,000, 4,000, ...), so a few times per order of magnitude, whatever writes them: the batch API,
    the import, the pages."""

    FIRST = 1_000
    TABLES = "subscription_statuses, wide_statuses, ledger"

    def __init__(self, pool: PostgresPool) -> None:
        self.pool = pool
        self._written = 0
        self._next = self.FIRST
        self._running: asyncio.Task[None] | None = None

    def written(self, rows: int) -> None:
        self._written += rows
        if self._written >= self._next and self._running is None:
            self._next = 2 * self._written
            self._running = asyncio.get_running_loop().create_task(self._analyze())
            self._running.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._running = None
        if not task.cancelled():
            # A failed ANALYZE (the database going away) is retried at the next threshold.
            task.exception()

    async def _analyze(self) -> None:
        conn = await self.pool.acquire()
        reusable = False
        try:
            await conn.driver.execute(f"ANALYZE {self.TABLES}")
            reusable = True
        finally:
            await self.pool.release(conn, reusable)

    async def close(self) -> None:
        if self._running is not None:
            await asyncio.wait([self._running])
