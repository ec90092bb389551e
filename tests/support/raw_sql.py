"""Plain SQL straight at a test database, past the service: how an attacker would edit it."""

from __future__ import annotations

import sqlite3
from typing import Any

import psycopg


def execute(url: str, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Run one statement in its own committed transaction; the rows it returns, if any.

    Parameters are written ``?`` (SQLite) and rewritten for PostgreSQL.
    """
    if url.startswith("sqlite"):
        with sqlite3.connect(url.split(":///", 1)[1]) as conn:
            cursor = conn.execute(statement, params)
            return cursor.fetchall()
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(statement.replace("?", "%s"), params)  # type: ignore[arg-type]
        return cursor.fetchall() if cursor.description else []


def disable_append_only(url: str) -> None:
    """Remove the database's own guard, as someone with full access to it could."""
    if url.startswith("sqlite"):
        execute(url, "DROP TRIGGER ledger_append_only_update")
        execute(url, "DROP TRIGGER ledger_append_only_delete")
    else:
        execute(url, "ALTER TABLE ledger DISABLE TRIGGER ledger_append_only")
