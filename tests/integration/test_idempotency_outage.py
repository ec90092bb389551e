"""A keyed write (``Idempotency-Key``) whose PostgreSQL session is cut at each step of its one
transaction: the claim of the key, the operation's write, the recording of the reply, the commit.

Each is the same 503 in HubSpot's error body as an un-keyed write whose database fails, logged in
one line without a traceback; nothing of it is kept (neither the key nor the write), and the
retry with the same key, once the database is back, runs and is then replayed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.support.databases import postgres_database
from tests.support.factories import Factory, Tenant, email
from tests.support.faults import assert_unavailable
from tests.support.ledger_rows import entries_per_subscriber
from tests.support.outage import session_cut
from tests.support.raw_sql import execute
from tests.support.server import Server

OPT_OUT = "/communication-preferences/v4/statuses/{}/unsubscribe-all"

# Where the session is cut: (table, event, at commit).
STEPS: dict[str, tuple[str, str, bool]] = {
    "claim": ("idempotency_keys", "INSERT", False),
    "operation": ("ledger", "INSERT", False),
    "reply": ("idempotency_keys", "UPDATE", False),
    "commit": ("ledger", "INSERT", True),
}


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def served(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(database_url, tmp_path_factory.mktemp("logs") / "outage.log").start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def tenant(served: Server) -> Iterator[Tenant]:
    factory = Factory(served.database_url)
    yield factory.tenant(types=2)
    factory.close()


@pytest.fixture
def http(served: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.url, timeout=30.0) as client:
        yield client


def opt_out(http: httpx.Client, tenant: Tenant, subscriber: str, key: str | None) -> httpx.Response:
    headers = {**tenant.headers, **({"Idempotency-Key": key} if key else {})}
    return http.post(OPT_OUT.format(subscriber), params={"channel": "EMAIL"}, headers=headers)


def without_correlation(answer: httpx.Response) -> dict[str, Any]:
    body: dict[str, Any] = answer.json()
    return {name: value for name, value in body.items() if name != "correlationId"}


def ledger_rows(database_url: str, tenant: Tenant, subscriber: str) -> int:
    return entries_per_subscriber(database_url, tenant.portal.id)[subscriber]


def stored_keys(database_url: str, key: str) -> int:
    rows = execute(
        database_url, "SELECT count(*) FROM idempotency_keys WHERE idempotency_key = ?", (key,)
    )
    return int(rows[0][0])


@pytest.fixture(scope="module")
def unkeyed_failure(database_url: str, served: Server, tenant: Tenant) -> httpx.Response:
    """What an un-keyed write gets when its database fails under it."""
    with (
        httpx.Client(base_url=served.url, timeout=30.0) as client,
        session_cut(database_url, "ledger", "INSERT"),
    ):
        answer = opt_out(client, tenant, email(), None)
    assert_unavailable(answer, "postgresql")
    return answer


@pytest.mark.parametrize("step", list(STEPS))
def test_a_keyed_write_whose_database_fails_is_a_503_that_keeps_nothing_and_its_retry_runs(
    database_url: str,
    served: Server,
    tenant: Tenant,
    http: httpx.Client,
    unkeyed_failure: httpx.Response,
    step: str,
) -> None:
    subscriber, key = email(), f"outage-{step}-{uuid.uuid4()}"
    log_before = len(served.log())
    table, event, at_commit = STEPS[step]

    with session_cut(database_url, table, event, at_commit):
        failed = opt_out(http, tenant, subscriber, key)

    assert_unavailable(failed, "postgresql")
    assert without_correlation(failed) == without_correlation(unkeyed_failure)
    assert "idempotent-replayed" not in failed.headers
    assert ledger_rows(database_url, tenant, subscriber) == 0
    assert stored_keys(database_url, key) == 0
    logged = served.log()[log_before:]
    assert served.server_errors(log_before) == [], logged
    correlation = failed.headers["x-hubspot-correlation-id"]
    said = [line for line in logged.splitlines() if correlation in line]
    assert len(said) == 1, logged
    assert "cannot be used" in said[0]

    retry = opt_out(http, tenant, subscriber, key)
    assert retry.status_code == 200, retry.text
    assert "idempotent-replayed" not in retry.headers
    assert ledger_rows(database_url, tenant, subscriber) == 3  # the opt-out of all and both types
    replay = opt_out(http, tenant, subscriber, key)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.content == retry.content
    assert ledger_rows(database_url, tenant, subscriber) == 3
