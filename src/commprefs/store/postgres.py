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
        if self._engine is not None:
            # Disposing the engine closes the driver connection it was made over.
            if self._core is not None:
                await self._core.close()
            await self._engine.dispose()
        if not self.driver.is_closed():
            await self.driver.close()


class PostgresPool:
    """At most ``2 * size`` connections at once (as SQLAlchemy's pool_size + max_overflow were);
    up to ``size`` kept open between requests."""

    def __init__(self, url: str, size: int) -> None:
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
