"""State survives a restart of the server, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.support.factories import Factory, email
from tests.support.server import Server


def test_an_opt_out_survives_a_restart(database_url: str, tmp_path: Path) -> None:
    factory = Factory(database_url)
    try:
        tenant = factory.tenant(types=2)
    finally:
        factory.close()
    subscriber = email()
    path = f"/communication-preferences/v4/statuses/{subscriber}/unsubscribe-all"
    params = {"channel": "EMAIL", "verbose": "true"}

    first = Server(database_url, tmp_path / "first.log").start()
    try:
        before = httpx.post(first.url + path, params=params, headers=tenant.headers).json()
    finally:
        first.stop()
    second = Server(database_url, tmp_path / "second.log").start()
    try:
        after = httpx.post(second.url + path, params=params, headers=tenant.headers).json()
    finally:
        second.stop()

    assert {r["setStatusSuccessReason"] for r in before["results"]} == {
        "UNSUBSCRIBE_FROM_ALL_OCCURRED"
    }
    assert {r["setStatusSuccessReason"] for r in after["results"]} == {"NO_STATUS_CHANGE"}
