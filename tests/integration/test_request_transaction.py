"""A request transaction (store/transactions.py OpenTransaction, which the idempotency service's
RequestTransaction is): the writes of a request commit together or not at all, and each write()
inside it stays atomic on its own (a savepoint). SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field

import pytest
from sqlalchemy.engine import Connection

from commprefs.store.database import Database
from commprefs.store.interface import Repository, Transactions
from commprefs.store.migrate import upgrade
from commprefs.store.transactions import OpenTransaction


class Boom(Exception):
    pass


@dataclass
class Seen:
    inside: str | None = None  # what a read() inside the transaction found
    outside_before_commit: set[str] = field(default_factory=set)
    after: set[str] = field(default_factory=set)


async def portal_names(db: Database) -> set[str]:
    """From a connection of its own, outside any request transaction."""

    def names(conn: Connection) -> set[str]:
        return {row[0] for row in conn.exec_driver_sql("SELECT name FROM portals")}

    return await db.run_sync(names)


async def write_then_fail(db: Transactions[Repository], name: str) -> None:
    async with db.write() as repo:
        await repo.create_portal(name, False, 0)
        raise Boom


async def run(url: str, kept: str, failed: str, fail_request: bool) -> Seen:
    db = Database(url)
    seen = Seen()
    try:
        await upgrade(db)
        try:
            async with db.write() as request_repo:
                request = OpenTransaction(request_repo)
                async with request.write() as repo:
                    portal = await repo.create_portal(kept, False, 0)
                with pytest.raises(Boom):
                    await write_then_fail(request, failed)
                async with request.read() as repo:
                    found = await repo.get_portal(portal.id)
                    seen.inside = found.name if found else None
                seen.outside_before_commit = await portal_names(db)
                if fail_request:
                    raise Boom
        except Boom:
            pass
        seen.after = await portal_names(db)
        return seen
    finally:
        await db.dispose()


def test_writes_commit_together_and_a_failed_write_rolls_back_alone(database_url: str) -> None:
    kept, failed = f"kept-{uuid.uuid4()}", f"failed-{uuid.uuid4()}"
    seen = asyncio.run(run(database_url, kept, failed, fail_request=False))
    assert seen.inside == kept
    assert kept not in seen.outside_before_commit
    assert kept in seen.after
    assert failed not in seen.after


def test_a_failure_of_the_request_rolls_back_every_write(database_url: str) -> None:
    kept, failed = f"kept-{uuid.uuid4()}", f"failed-{uuid.uuid4()}"
    seen = asyncio.run(run(database_url, kept, failed, fail_request=True))
    assert seen.inside == kept
    assert kept not in seen.after
    assert failed not in seen.after
