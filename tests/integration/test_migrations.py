"""Alembic is the only source of the schema: its migrations produce exactly the declared tables."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Connection

from commprefs.store.database import Database
from commprefs.store.migrate import current_revision, head_revision, upgrade
from commprefs.store.models import metadata
from tests.support.databases import database


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, metadata))


async def _migrate_and_compare(url: str) -> tuple[list[Any], str | None]:
    db = Database(url)
    try:
        await upgrade(db)
        await upgrade(db)  # a second run is a no-op, as at every server start
        differences = await db.run_sync(_differences)
        return differences, await current_revision(db)
    finally:
        await db.dispose()


def test_migrations_produce_exactly_the_declared_tables(backend: str, tmp_path: Path) -> None:
    with database(backend, tmp_path) as url:
        differences, revision = asyncio.run(_migrate_and_compare(url))
    assert differences == []
    assert revision == head_revision()
