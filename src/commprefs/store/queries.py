"""What each group of queries (store/*_queries.py) stands on: one connection, with one
transaction open on it. Each group uses only this and its own members, so any one of them can be
built on a connection and used alone; SqlRepository (store/repository.py) is all of them."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from commprefs.store.connection import StoreConnection


class Queries:
    def __init__(self, conn: StoreConnection, secrets: dict[int, bytes] | None = None) -> None:
        self.conn = conn
        self.dialect = conn.dialect_name
        self.ledger_appended = 0  # entries this transaction appended (Database: the metrics)
        # Portals' secrets read so far (store/subject_queries.py): shared by a Database's
        # repositories, as a secret never changes once committed.
        self.secrets: dict[int, bytes] = {} if secrets is None else secrets

    def _upsert(self, table: Any) -> Any:
        """An INSERT that can take ``on_conflict_do_…`` in this connection's dialect."""
        return pg_insert(table) if self.dialect == "postgresql" else sqlite_insert(table)
