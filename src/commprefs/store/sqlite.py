"""SQLite connections for the event loop: a small pool of driver connections, transactions begun
and ended by hand, and SQLAlchemy only where a statement is a Core construct.

Checking a connection out of SQLAlchemy's pool and beginning through its events cost ~30 µs per
transaction, two transactions a request; a pooled ``sqlite3`` connection with our own ``BEGIN``
costs ~2 µs. Each driver connection keeps one SQLAlchemy connection of its own, made the first
time a Core statement needs it (store/connection.py), so both kinds of statement share the
transaction.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from typing import Any

from sqlalchemy import create_engine
from sqlalchemy.engine import Connection
from sqlalchemy.pool import StaticPool

# How long a writer waits for another process's write transaction before giving up.
BUSY_TIMEOUT_MS = 30_000
# Readers in WAL mode wait only in rare cases (another process recovering the WAL); they may
# block the loop that long at most.
READER_BUSY_TIMEOUT_MS = 1_000
_BUSY_BACKOFF_S = (0.001, 0.002, 0.005, 0.01, 0.02, 0.05)
_IDLE_KEPT = 8


def database_path(url: str) -> str:
    """``sqlite:///x.db`` → ``x.db``; ``sqlite://`` and ``sqlite:///:memory:`` → ``:memory:``."""
    path = url.split("://", 1)[1]
    path = path[1:] if path.startswith("/") else path
    return path.split("?", 1)[0] or ":memory:"


class PooledConnection:
    """One driver connection and, once needed, the SQLAlchemy connection over it."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.raw = raw
        self._core: Connection | None = None

    def core(self) -> Connection:
        """The SQLAlchemy connection, inside the transaction already begun on ``raw``."""
        if self._core is None:
            raw = self.raw
            engine = create_engine("sqlite+pysqlite://", creator=lambda: raw, poolclass=StaticPool)
            self._core = engine.connect()
        if not self._core.in_transaction():
            # The driver needs no BEGIN from SQLAlchemy (pysqlite's begin is a no-op): this only
            # tells SQLAlchemy that a transaction is open, for savepoints and Alembic.
            self._core.begin()
        return self._core

    def end(self, commit: bool) -> None:
        core = self._core
        if core is not None and core.in_transaction():
            # Ends the driver's transaction too (the DBAPI commit/rollback).
            core.commit() if commit else core.rollback()
        if self.raw.in_transaction:
            self.raw.commit() if commit else self.raw.rollback()

    def close(self) -> None:
        if self._core is not None:
            self._core.close()
            self._core.engine.dispose()
        self.raw.close()


class SqlitePool:
    def __init__(self, url: str, busy_timeout_ms: int) -> None:
        self.path = database_path(url)
        self.memory = self.path == ":memory:"
        self.busy_timeout_ms = busy_timeout_ms
        self._idle: list[PooledConnection] = []
        # An in-memory database is one connection: every other would see an empty database of
        # its own (Database queues readers behind writers for it).
        self._shared = self._connect() if self.memory else None

    def _connect(self) -> PooledConnection:
        raw = sqlite3.connect(
            self.path,
            timeout=self.busy_timeout_ms / 1000,
            # Transactions are ours: BEGIN (IMMEDIATE for writers) and COMMIT are sent by hand.
            isolation_level=None,
            # Connections move between tasks, never between threads, but the event loop may
            # close one from another thread at interpreter exit.
            check_same_thread=False,
        )
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA synchronous=NORMAL")
        raw.execute("PRAGMA foreign_keys=ON")
        # Deleted content is overwritten with zeros, not left in free space: an erased address
        # (issue 16) must not stay readable in the file.
        raw.execute("PRAGMA secure_delete=ON")
        raw.execute(f"PRAGMA busy_timeout={self.busy_timeout_ms}")
        if not self.memory:
            # Checkpoints run in a thread (Checkpointer), not inside a request's COMMIT.
            raw.execute("PRAGMA wal_autocheckpoint=0")
        return PooledConnection(raw)

    def acquire(self) -> PooledConnection:
        if self._shared is not None:
            return self._shared
        if self._idle:
            return self._idle.pop()
        return self._connect()

    def release(self, conn: PooledConnection) -> None:
        if conn is self._shared:
            return
        if len(self._idle) < _IDLE_KEPT:
            self._idle.append(conn)
        else:
            conn.close()

    async def begin(self, writer: bool, deadline_ms: int = BUSY_TIMEOUT_MS) -> PooledConnection:
        """A connection with a transaction begun on it; a writer's ``BEGIN IMMEDIATE`` that
        finds another process writing is retried after an awaited pause, up to the deadline."""
        conn = self.acquire()
        deadline = time.monotonic() + deadline_ms / 1000
        attempt = 0
        while True:
            try:
                conn.raw.execute("BEGIN IMMEDIATE" if writer else "BEGIN")
                return conn
            except sqlite3.OperationalError as error:
                if not _is_busy(error) or time.monotonic() > deadline:
                    self.release(conn)
                    raise
            await asyncio.sleep(_BUSY_BACKOFF_S[min(attempt, len(_BUSY_BACKOFF_S) - 1)])
            attempt += 1

    def dispose(self) -> None:
        while self._idle:
            self._idle.pop().close()
        if self._shared is not None:
            self._shared.close()
            self._shared = None


def copy_sqlite_file(source: str, target: str) -> None:
    """A copy of the SQLite database at ``source`` at ``target`` (SQLite's online backup, which
    copies what the write-ahead log holds too): the emulator's baselines."""
    reading, writing = sqlite3.connect(source), sqlite3.connect(target)
    try:
        reading.backup(writing)
    finally:
        writing.close()
        reading.close()


def _is_busy(error: Any) -> bool:
    return "database is locked" in str(error) or "database is busy" in str(error)


class Checkpointer:
    """Copies the write-ahead log back into the database file from a worker thread.

    SQLite's automatic checkpoint runs inside whichever COMMIT crosses 1,000 WAL pages: that
    request pays for writing every page back (~70 µs per write on average, and a spike for the
    unlucky one). Here a PASSIVE checkpoint (it never waits for, nor blocks, readers and
    writers) runs on a connection of its own every ``every`` commits, off the event loop."""

    def __init__(self, path: str, every: int = 64) -> None:
        self.path = path
        self.every = every
        self._commits = 0
        self._running: asyncio.Future[None] | None = None
        self._conn: sqlite3.Connection | None = None

    def committed(self) -> None:
        self._commits += 1
        if self._commits >= self.every and self._running is None:
            self._commits = 0
            loop = asyncio.get_running_loop()
            self._running = loop.run_in_executor(None, self._checkpoint)
            self._running.add_done_callback(self._done)

    def _done(self, future: asyncio.Future[None]) -> None:
        self._running = None
        # A failed checkpoint is retried by the next one; the log only grows meanwhile.
        future.exception()

    def _checkpoint(self) -> None:
        if self._conn is None:
            self._conn = sqlite3.connect(
                self.path, timeout=0, isolation_level=None, check_same_thread=False
            )
        self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    async def truncate(self) -> bool:
        """Copy the whole log back and empty the ``-wal`` file (after an erasure: its earlier
        frames still hold the pages as they were). False when readers kept it from finishing."""
        if self._running is not None:
            await asyncio.wait([self._running])
        return await asyncio.get_running_loop().run_in_executor(None, self._truncate)

    def _truncate(self) -> bool:
        conn = sqlite3.connect(self.path, timeout=5, isolation_level=None)
        try:
            busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            return not busy
        finally:
            conn.close()

    async def close(self) -> None:
        if self._running is not None:
            await asyncio.wait([self._running])
        if self._conn is not None:
            self._conn.close()
            self._conn = None
