"""A PostgreSQL database made unusable from outside, as an outage would: refusing connections and
cutting the open ones, or cutting the one session that reaches a chosen statement or commit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

from tests.support.databases import POSTGRES_ADMIN_URL

_END_SESSION = "session_ends_here"


def _name(database_url: str) -> str:
    return database_url.rpartition("/")[2]


@contextmanager
def refusing(database_url: str) -> Iterator[None]:
    """The database refuses new connections and its open ones are cut, until the block ends."""
    name = _name(database_url)
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )
    try:
        yield
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')


@contextmanager
def session_cut(
    database_url: str, table: str, event: str, at_commit: bool = False, holding: int = 0
) -> Iterator[None]:
    """Until the block ends, a session that runs ``event`` (INSERT, UPDATE) on ``table`` is
    terminated by the server there, as by an operator or a failover; ``at_commit`` waits for
    that session's COMMIT instead (a deferred trigger), so that nothing of it commits. With
    ``holding``, only once the table holds that many rows (as that session sees it)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(
            f"CREATE OR REPLACE FUNCTION {_END_SESSION}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN IF (SELECT count(*) FROM {table}) >= {holding} THEN"
            " PERFORM pg_terminate_backend(pg_backend_pid()); END IF; RETURN NEW; END $$"
        )
        when = (
            f"CONSTRAINT TRIGGER {_END_SESSION} AFTER {event} ON {table} "
            "DEFERRABLE INITIALLY DEFERRED"
            if at_commit
            else f"TRIGGER {_END_SESSION} BEFORE {event} ON {table}"
        )
        conn.execute(f"CREATE {when} FOR EACH ROW EXECUTE FUNCTION {_END_SESSION}()")
    try:
        yield
    finally:
        with psycopg.connect(database_url, autocommit=True) as conn:
            conn.execute(f"DROP TRIGGER {_END_SESSION} ON {table}")
