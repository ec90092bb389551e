"""What a service runs its statements in: ``Transactions``, the interface every service is given
(``Database`` is one), and ``OpenTransaction``, one write transaction already open, offered
through the same interface so that a service can run inside it without knowing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol

from commprefs.store.repository import Repository


class Transactions(Protocol):
    """Hands out a repository inside a transaction for the length of an ``async with`` block."""

    def read(self) -> AbstractAsyncContextManager[Repository]:
        """A read: each statement sees committed data (PostgreSQL: each its own snapshot)."""
        ...

    def write(self) -> AbstractAsyncContextManager[Repository]:
        """A write: all of it kept when the block ends, none of it on any error."""
        ...

    def snapshot(self) -> AbstractAsyncContextManager[Repository]:
        """A read whose statements all see one snapshot of the database."""
        ...


class OpenTransaction:
    """One write transaction, opened and ended by its owner, as ``Transactions``: a ``write()``
    is a savepoint of it (still all or nothing on its own, and kept only if the whole is
    committed); ``read()`` and ``snapshot()`` are the transaction itself, which sees its own
    writes and, being one transaction, one snapshot."""

    def __init__(self, repo: Repository) -> None:
        self.repo = repo

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Repository]:
        async with self.repo.conn.begin_nested():
            yield self.repo

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Repository]:
        yield self.repo

    def snapshot(self) -> AbstractAsyncContextManager[Repository]:
        return self.read()
