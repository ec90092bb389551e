"""A PostgreSQL database that goes away under a running server and worker, and comes back.

While it is away (connections terminated, new ones refused): every API call is a 503 in HubSpot's
error body, a page is a 503 page, the webhook worker logs one line per failed attempt, backing
off, and nobody prints a traceback or the password. Once it is back, calls succeed and the
events written since are delivered, without a restart.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support import cli
from tests.support.databases import postgres_database
from tests.support.factories import Factory, Tenant, email
from tests.support.faults import (
    PASSWORD,
    assert_backing_off,
    assert_one_line_records,
    assert_unavailable,
    wait_for_failures,
)
from tests.support.outage import refusing
from tests.support.receiver import Receiver
from tests.support.server import Server
from tests.support.worker import FAST_DELIVERY, Worker

V4 = "/communication-preferences/v4"


@pytest.fixture
def database_url() -> Iterator[str]:
    """A database of the test's own (it will be made unavailable), reached with a password."""
    with postgres_database() as url:
        yield url.replace("postgresql://root@", f"postgresql://root:{PASSWORD}@", 1)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


def seed(database_url: str, receiver: Receiver) -> tuple[Tenant, str]:
    """A tenant with a webhook to ``receiver``, and a preference-page link of a subscriber."""
    factory = Factory(database_url)
    try:
        tenant = factory.tenant(types=1)
        factory.run(factory.services.webhooks.add(tenant.portal.id, receiver.url))
        links = factory.run(factory.services.links.generate(tenant.portal.id, email()))
        return tenant, links.manage_url
    finally:
        factory.close()


def opt_out(client: httpx.Client, tenant: Tenant, **headers: str) -> httpx.Response:
    return client.post(
        f"{V4}/statuses/{email()}/unsubscribe-all",
        params={"channel": "EMAIL"},
        headers={**tenant.headers, **headers},
    )


def test_the_api_answers_503_while_the_database_is_away_and_recovers(
    database_url: str, receiver: Receiver, tmp_path: Path
) -> None:
    tenant, page = seed(database_url, receiver)
    served = Server(database_url, tmp_path / "serve.log", "--webhooks", **FAST_DELIVERY)
    served.start()
    try:
        with httpx.Client(base_url=served.url, timeout=30) as client:
            assert client.get(f"{V4}/definitions", headers=tenant.headers).status_code == 200
            with refusing(database_url):
                answers = [
                    client.get(f"{V4}/definitions", headers=tenant.headers),
                    opt_out(client, tenant),
                    opt_out(client, tenant, **{"Idempotency-Key": "outage-1"}),
                ]
                link = urlsplit(page)
                page_answer = client.get(f"{link.path}?{link.query}")
                wait_for_failures(served, 3)  # the in-server worker's
            for answer in answers:
                assert_unavailable(answer, "postgresql")
            assert page_answer.status_code == 503
            assert "text/html" in page_answer.headers["content-type"]

            assert opt_out(client, tenant).status_code == 200
            assert opt_out(client, tenant, **{"Idempotency-Key": "outage-1"}).status_code == 200
        assert len(receiver.wait_for_events(4)) == 4  # two opt-outs of all, each of one type
    finally:
        served.stop()
    log = served.log()
    assert "Traceback" not in log
    assert PASSWORD not in log
    assert "root:***@" in log
    # The failed opt-outs' lines name their path with the address masked (issue 16).
    assert "@example.com" not in log
    assert "/statuses/***/unsubscribe-all" in log


def test_the_worker_logs_one_line_per_failure_while_the_database_is_away_and_then_delivers(
    database_url: str, receiver: Receiver, tmp_path: Path
) -> None:
    tenant, _ = seed(database_url, receiver)
    worker = Worker(database_url, tmp_path / "worker.log").start()
    try:
        receiver.wait_until(lambda: "webhook delivery started" in worker.log())
        with refusing(database_url):
            failures = wait_for_failures(worker, 5)
            assert worker.process is not None
            assert worker.process.poll() is None, worker.log()
        rows = tmp_path / "rows.csv"
        definition = tenant.definitions[0].id
        rows.write_text(f"email,subscriptionId,status\n{email()},{definition},SUBSCRIBED\n")
        imported = cli.run(
            *("import", str(rows), "--portal", str(tenant.portal.id), "--no-progress"),
            *("--database", database_url),
        )
        assert imported.returncode == 0, imported.stderr
        assert len(receiver.wait_for_events(1)) == 1
    finally:
        worker.stop()
    assert_one_line_records(worker.log())
    assert_backing_off(failures)
    assert "root:***@" in failures[0]
