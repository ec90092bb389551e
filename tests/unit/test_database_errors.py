"""Which driver errors mean "the database cannot be used" (store/errors.py), on errors the real
drivers raise: those become DatabaseUnavailable, one line with the password masked; a
constraint or a mistake in SQL passes unchanged."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import asyncpg
import pytest
import sqlalchemy
from sqlalchemy.exc import DBAPIError

from commprefs.store.errors import DatabaseUnavailable, Translated, connecting, unavailable_reason

URL = "postgresql://app:s3cret@db.internal:5432/prefs"


def sqlite_error(path: str, *statements: str, uri: bool = False) -> sqlite3.Error:
    try:
        with closing(sqlite3.connect(path, uri=uri)) as conn:
            for statement in statements:
                conn.execute(statement)
    except sqlite3.Error as error:
        return error
    raise AssertionError("no error")


def test_sqlite_errors_of_a_database_that_cannot_be_used(tmp_path: Path) -> None:
    (tmp_path / "junk.db").write_bytes(b"x" * 4096)
    with closing(sqlite3.connect(tmp_path / "ro.db")) as made:
        made.execute("CREATE TABLE t (x)")
    unusable = {
        "unable to open database file": sqlite_error(str(tmp_path / "none" / "x.db")),
        "file is not a database": sqlite_error(str(tmp_path / "junk.db"), "SELECT 1 FROM t"),
        "attempt to write a readonly database": sqlite_error(
            f"file:{tmp_path / 'ro.db'}?mode=ro", "INSERT INTO t VALUES (1)", uri=True
        ),
    }
    for reason, error in unusable.items():
        assert unavailable_reason(error) == reason


def test_sqlite_errors_that_are_bugs_pass_unchanged(tmp_path: Path) -> None:
    path = str(tmp_path / "x.db")
    bugs = [
        sqlite_error(path, "SELEC 1"),
        sqlite_error(path, "SELECT * FROM no_such_table"),
        sqlite_error(
            path,
            "CREATE TABLE u (x UNIQUE)",
            "INSERT INTO u VALUES (1)",
            "INSERT INTO u VALUES (1)",
        ),
    ]
    for error in bugs:
        assert unavailable_reason(error) is None
        with pytest.raises(type(error)), Translated(URL):
            raise error


def test_postgresql_errors_by_their_class() -> None:
    unusable = [
        asyncpg.InvalidCatalogNameError('database "prefs" does not exist'),
        asyncpg.AdminShutdownError("terminating connection due to administrator command"),
        asyncpg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),
        asyncpg.TooManyConnectionsError("sorry, too many clients already"),
        asyncpg.InterfaceError("cannot call Connection.fetch(): connection is closed"),
    ]
    for error in unusable:
        assert unavailable_reason(error) == str(error)
    bugs = [
        asyncpg.UniqueViolationError("duplicate key value violates unique constraint"),
        asyncpg.PostgresSyntaxError('syntax error at or near "SELEC"'),
        asyncpg.InterfaceError("cannot perform operation: another operation is in progress"),
    ]
    for error in bugs:
        assert unavailable_reason(error) is None


def test_a_wrapped_driver_error_is_found_inside_sqlalchemys(tmp_path: Path) -> None:
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'none' / 'x.db'}")
    with pytest.raises(DBAPIError) as raised:
        engine.connect()
    assert unavailable_reason(raised.value) == "unable to open database file"


def test_the_error_is_one_line_naming_the_database_without_its_password() -> None:
    with pytest.raises(DatabaseUnavailable) as raised, Translated(URL):
        raise asyncpg.CannotConnectNowError("the database system is starting up\nDETAIL: …")
    error = raised.value
    assert str(error) == (
        "the database postgresql://app:***@db.internal:5432/prefs cannot be used: "
        "the database system is starting up"
    )
    assert (error.status_code, error.category) == (503, "SERVICE_UNAVAILABLE")
    assert "db.internal" not in error.message


def test_an_error_translated_when_connecting_passes_as_it_is() -> None:
    with pytest.raises(DatabaseUnavailable) as raised, Translated(URL), connecting(URL):
        raise asyncpg.InvalidCatalogNameError('database "prefs" does not exist')
    assert isinstance(raised.value.__cause__, asyncpg.InvalidCatalogNameError)
