"""Driver errors that mean "the database cannot be used", as one domain error.

The only module that knows sqlite3's, asyncpg's and SQLAlchemy's exceptions: the store's
connections and transactions (store/database.py, store/postgres.py) translate through it, and
everyone above catches ``DatabaseUnavailable`` alone. What counts: a connection that cannot be
made (a missing directory, a file that is not a database, a PostgreSQL server that refuses, a
database that does not exist or takes no connections), and a database that fails under a
statement (read-only, corrupt, full, I/O errors, busy past every retry; PostgreSQL connection,
resource and operator-intervention errors, a connection cut). Any other driver error (a
constraint, a mistake in SQL) is a bug and is left as it is.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Literal

import asyncpg

from commprefs.domain.errors import CommprefsError
from commprefs.domain.urls import redacted_url

# Primary result codes (https://sqlite.org/rescode.html) of a database that cannot be used.
_SQLITE_CODES = frozenset(
    {
        sqlite3.SQLITE_PERM,
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_NOMEM,
        sqlite3.SQLITE_READONLY,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_CORRUPT,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_PROTOCOL,
        sqlite3.SQLITE_NOLFS,
        sqlite3.SQLITE_AUTH,
        sqlite3.SQLITE_NOTADB,
    }
)
# SQLSTATE classes: connection exception, invalid authorization, invalid catalog name (no such
# database), insufficient resources, operator intervention (terminated, shutting down), system.
_POSTGRES_CLASSES = frozenset({"08", "28", "3D", "53", "57", "58"})


class DatabaseUnavailable(CommprefsError):
    """503: the database cannot be used. Clients get a message that does not say where the
    database is; ``str()`` (what the CLI prints and the logs show) names it, password masked,
    with the driver's reason."""

    status_code = 503
    category = "SERVICE_UNAVAILABLE"
    retry_after_seconds = 5

    def __init__(self, url: str, reason: str) -> None:
        super().__init__("The service cannot use its database at the moment; please try again.")
        self.database = redacted_url(url)
        self.reason = reason

    def __str__(self) -> str:
        return f"the database {self.database} cannot be used: {self.reason}"


def unavailable_reason(exc: BaseException) -> str | None:
    """Why ``exc`` (or the driver error it wraps) says the database cannot be used; None when it
    says something else."""
    for cause in _causes(exc):
        if isinstance(cause, sqlite3.Error):
            code = getattr(cause, "sqlite_errorcode", None)
            return _first_line(cause) if code is not None and code & 0xFF in _SQLITE_CODES else None
        if isinstance(cause, asyncpg.PostgresError):
            state = str(getattr(cause, "sqlstate", "") or "")
            return _first_line(cause) if state[:2] in _POSTGRES_CLASSES else None
        if isinstance(cause, asyncpg.InterfaceError):
            # asyncpg's word for a connection that went away under a statement.
            return _first_line(cause) if "connection is closed" in str(cause) else None
        if isinstance(cause, asyncpg.InternalClientError):
            # What a pooled connection says when the server cut it while it was idle: the
            # server's last message ("terminating connection") arrived unasked and left the
            # protocol waiting for an end that never comes.
            return f"the connection was cut ({_first_line(cause)})"
    return None


class Translated:
    """``with Translated(url):`` turns a driver error that means the database cannot be used
    into ``DatabaseUnavailable``; every other exception passes unchanged. Holds nothing but the
    URL, so one instance serves every transaction (a class: cheaper than a generator's context
    manager on the request path)."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, _tb: TracebackType | None
    ) -> Literal[False]:
        if not isinstance(exc, Exception) or isinstance(exc, DatabaseUnavailable):
            return False  # nothing, a cancellation, or already translated (when connecting)
        reason = unavailable_reason(exc)
        if reason is None:
            return False
        raise DatabaseUnavailable(self.url, reason) from exc


@contextmanager
def connecting(url: str) -> Iterator[None]:
    """Around opening a connection, where any failure (refused, unknown host, timed out, no such
    database, a bad address) means the database cannot be used."""
    try:
        yield
    except Exception as exc:
        raise DatabaseUnavailable(url, unavailable_reason(exc) or _first_line(exc)) from exc


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc``, then what it wraps: SQLAlchemy's ``orig``, the adapted driver error's cause."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = getattr(current, "orig", None) or current.__cause__


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
