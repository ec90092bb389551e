"""Alembic environment. The service runs migrations on its own connection (``migrate.py``);
running ``alembic`` by hand works too, with ``-x url=sqlite:///commprefs.db``."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

from commprefs.store.models import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///commprefs.db")
    with create_engine(url).connect() as sync_connection:
        _run(sync_connection)
        sync_connection.commit()
