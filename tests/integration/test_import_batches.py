"""An import commits 1,000 rows to a transaction (README, "Import and export"), whatever the rows
are: interrupted by its database mid-way, it has applied whole batches of rows in file order and
nothing of the batch it was in, so that what it did is plain (the first N x 1,000 rows) and the
rest can be imported again. PostgreSQL, whose server cuts the import's session mid-batch.
"""

from __future__ import annotations

import csv
import random
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import cli
from tests.support.databases import postgres_database
from tests.support.factories import Factory, Tenant
from tests.support.faults import DRIVER_WORDS
from tests.support.ledger_rows import entries_per_subscriber
from tests.support.outage import session_cut
from tests.support.server import Server

V4 = "/communication-preferences/v4"
BATCH = 1000  # the README's rows to a transaction
ROWS = 2 * BATCH + 500
COLUMNS = ["email", "subscriptionId", "wideStatusType", "status"]


@pytest.fixture
def database_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


@pytest.fixture
def tenant(database_url: str) -> Iterator[Tenant]:
    factory = Factory(database_url)
    yield factory.tenant(types=1)
    factory.close()


def mixed_rows(tenant: Tenant, path: Path) -> list[str]:
    """Rows that alternate a type's status and an opt-out of all, each of its own address (the
    service applies the two kinds separately); the addresses in file order."""
    definition = tenant.definitions[0].id
    addresses = [f"row-{index:05d}@example.com" for index in range(ROWS)]
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for index, address in enumerate(addresses):
            if index % 2:
                writer.writerow([address, "", "PORTAL_WIDE", "UNSUBSCRIBED"])
            else:
                writer.writerow([address, definition, "", "SUBSCRIBED"])
    return addresses


def applied(database_url: str, portal_id: int) -> set[str]:
    return set(entries_per_subscriber(database_url, portal_id))


def test_an_import_cut_off_mid_way_keeps_whole_batches_in_file_order(
    database_url: str, tenant: Tenant, tmp_path: Path
) -> None:
    rows = tmp_path / "mixed.csv"
    addresses = mixed_rows(tenant, rows)
    # The session ends as the second batch writes its 300th opt-out (the 1,600th row or so).
    cut_at = BATCH // 2 + 300

    with session_cut(database_url, "wide_statuses", "INSERT", holding=cut_at):
        done = cli.run(
            *("import", str(rows), "--portal", str(tenant.portal.id), "--no-progress"),
            *("--database", database_url),
        )

    assert done.returncode == 1, done.stdout + done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    for word in DRIVER_WORDS:
        assert word not in done.stderr
    assert applied(database_url, tenant.portal.id) == set(addresses[:BATCH])

    again = cli.run(
        *("import", str(rows), "--portal", str(tenant.portal.id), "--no-progress"),
        *("--database", database_url),
    )
    assert again.returncode == 0, again.stderr
    assert applied(database_url, tenant.portal.id) == set(addresses)


def test_an_import_of_mixed_rows_and_api_writes_to_the_same_subscribers_do_not_deadlock(
    database_url: str, tenant: Tenant, tmp_path: Path
) -> None:
    """A batch holds the ledger's head from its first run to its commit; were it to wait for a
    subscriber's lock after that, a writer holding that lock and waiting for the head would make
    a cycle, which PostgreSQL breaks by failing one of them."""
    rows = tmp_path / "mixed.csv"
    addresses = mixed_rows(tenant, rows)
    shared = addresses[::50]  # written by both, all through the import
    definition = tenant.definitions[0].id
    answers: list[int | str] = []
    importing = threading.Event()

    def write_meanwhile(seed: int) -> None:
        chooser = random.Random(seed)  # noqa: S311 - seeded: which rows to write, not secrets
        with httpx.Client(base_url=served.url, timeout=60.0) as client:
            while importing.is_set():
                inputs = [
                    {
                        "subscriberIdString": address,
                        "channel": "EMAIL",
                        "statusState": chooser.choice(["SUBSCRIBED", "UNSUBSCRIBED"]),
                        "subscriptionId": definition,
                    }
                    for address in chooser.sample(shared, 4)
                ]
                try:
                    answer = client.post(
                        f"{V4}/statuses/batch/write",
                        json={"inputs": inputs},
                        headers=tenant.headers,
                    )
                except httpx.HTTPError as error:  # the server cut the connection
                    answers.append(repr(error))
                else:
                    answers.append(answer.status_code)

    served = Server(database_url, tmp_path / "serve.log")
    with served:
        importing.set()
        writers = [threading.Thread(target=write_meanwhile, args=(n,)) for n in range(4)]
        for writer in writers:
            writer.start()
        try:
            done = cli.run(
                *("import", str(rows), "--portal", str(tenant.portal.id), "--no-progress"),
                *("--database", database_url),
            )
        finally:
            importing.clear()
            for writer in writers:
                writer.join()
        errors = served.server_errors()

    assert done.returncode == 0, done.stdout + done.stderr
    assert answers, "no write ran during the import"
    assert set(answers) == {200}
    assert errors == []
