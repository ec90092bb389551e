"""Bring a database to the newest schema with Alembic, the only source of the schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from commprefs.store.database import Database

MIGRATIONS = Path(__file__).with_name("migrations")
# Any fixed number: several server processes starting at once migrate one at a time.
_PG_MIGRATION_LOCK = 7_236_115_001


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})"))
    command.upgrade(alembic_config(connection), "head")


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def upgrade(database: Database) -> None:
    before = await current_revision(database)
    await database.run_sync(_upgrade, writer=True)
    if before != head_revision():
        # A revision may have dropped data (0008: the cleartext ledger): SQLite's log must not
        # keep the pages as they were.
        await database.forget_log()


async def current_revision(database: Database) -> str | None:
    return await database.run_sync(_current)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()
