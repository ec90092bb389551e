"""``OpenTransaction``: one write transaction already open, offered as ``Transactions`` (the
interface every service is given, store/interface.py; ``Database`` is the other), so that a
service can run inside a request's transaction without knowing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from commprefs.store.repository import SqlRepository


class OpenTransaction:
    """One write transaction, opened and ended by its owner, as ``Transactions``: a ``write()``
    is a savepoint of it (still all or nothing on its own, and kept only if the whole is
    committed); ``read()`` and ``snapshot()`` are the transaction itself, which sees its own
    writes and, being one transaction, one snapshot."""

    def __init__(self, repo: SqlRepository) -> None:
        self.repo = repo

    @asynccontextmanager
    async def write(self) -> AsyncIterator[SqlRepository]:
        async with self.repo.conn.begin_nested():
            yield self.repo

    @asynccontextmanager
    async def read(self) -> AsyncIterator[SqlRepository]:
        yield self.repo

    def snapshot(self) -> AbstractAsyncContextManager[SqlRepository]:
        return self.read()
