"""The console's overview at scale: load N subscribers (default 1,000,000) with one status each
over five subscription types, an opt-out of all email for 5 % of them (portal-wide and per
brand) and a ledger entry per status spread over 120 days in seq order, straight into the tables
(the fast way to a big database; the rows are not hash-chained, which no query here reads), then
time the overview's queries and the subscriber search through the real services, in-process.
The first overview of a portal also counts its past 89 days into the day counts, once.

    python -m bench.console_dashboard [--subscribers 1000000] [--backends sqlite,postgres]

Reported per backend: the load time, and the median of five runs of each query and of the
whole overview (DashboardService.overview), in milliseconds, after one warm-up run.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg

from bench.data import fresh_database
from commprefs.config import Settings
from commprefs.domain.preferences import Channel
from commprefs.services import Services
from commprefs.store.migrate import upgrade

TYPES = 5
DAY_MS = 86_400_000
RUNS = 5
NOW = int(time.time() * 1000)
LEDGER_COLUMNS = (
    "portal_id, subscriber, channel, subscription_id, wide_type, business_unit_id, old_status, "
    "new_status, legal_basis, legal_basis_explanation, source, api, token_id, request_id, "
    "created_at, occurred_at, seq, prev_hash, hash"
)


def address(n: int) -> str:
    return f"subscriber{n:07d}@example{n % 97}.com"


def status_rows(portal: int, types: list[int], count: int) -> Iterator[tuple[Any, ...]]:
    for n in range(count):
        state = "SUBSCRIBED" if n % 3 else "UNSUBSCRIBED"
        basis = "CONSENT_WITH_NOTICE" if state == "SUBSCRIBED" else None
        yield (portal, address(n), "EMAIL", types[n % TYPES], state, "Import", basis, None, NOW)


def wide_rows(portal: int, unit: int, count: int) -> Iterator[tuple[Any, ...]]:
    for n in range(0, count, 20):  # 5 %: every 20th subscriber; half portal-wide, half a brand
        wide, scope = ("PORTAL_WIDE", 0) if n % 40 == 0 else ("BUSINESS_UNIT_WIDE", unit)
        yield (portal, address(n), "EMAIL", wide, scope, "UNSUBSCRIBED", "Import", NOW)


def ledger_rows(portal: int, types: list[int], count: int) -> Iterator[tuple[Any, ...]]:
    for n in range(count):
        state = "SUBSCRIBED" if n % 3 else "UNSUBSCRIBED"
        basis = "CONSENT_WITH_NOTICE" if state == "SUBSCRIBED" else None
        at = NOW - 120 * DAY_MS + n * (120 * DAY_MS // count)  # in chain order, as written
        source = ("Import", "Preference page", "Public status API")[n % 3]
        yield (
            portal, address(n), "EMAIL", types[n % TYPES], None, None, "NOT_SPECIFIED", state,
            basis, None, source, "v4", None, f"bench-{n}", at, None, n + 1, "0" * 64, "0" * 64,
        )  # fmt: skip


async def prepare(url: str) -> tuple[int, list[int], int]:
    services = Services.build(Settings(database_url=url))
    try:
        await upgrade(services.database)
        portal = await services.portals.create_portal("bench")
        unit = await services.portals.create_business_unit(portal.id, "Brand")
        types = [
            (
                await services.portals.create_definition(
                    portal.id, f"Type {n}", "bench", unit.id if n == 0 else 0
                )
            ).id
            for n in range(TYPES)
        ]
        return portal.id, types, unit.id
    finally:
        await services.close()


STATUS_SQL = (
    "INSERT INTO subscription_statuses (portal_id, subscriber, channel, subscription_id, status, "
    "source, legal_basis, legal_basis_explanation, updated_at) VALUES ({})"
)
WIDE_SQL = (
    "INSERT INTO wide_statuses (portal_id, subscriber, channel, wide_type, business_unit_id, "
    "status, source, updated_at) VALUES ({})"
)
LEDGER_SQL = "INSERT INTO ledger (" + LEDGER_COLUMNS + ") VALUES ({})"  # noqa: S608 - constants


def load(url: str, portal: int, types: list[int], unit: int, count: int) -> None:
    tables = [
        (STATUS_SQL, 9, status_rows(portal, types, count)),
        (WIDE_SQL, 8, wide_rows(portal, unit, count)),
        (LEDGER_SQL, 19, ledger_rows(portal, types, count)),
    ]
    if url.startswith("sqlite"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
            for statement, width, rows in tables:
                db.executemany(statement.format(", ".join("?" * width)), rows)
            db.execute("ANALYZE")
        return
    with psycopg.connect(url) as db:
        for statement, _, rows in tables:
            columns = statement.split("(", 1)[1].split(")", 1)[0]
            table = statement.split()[2]
            with db.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        db.commit()
    # As autovacuum leaves a table in production: statistics and the visibility map, which
    # index-only scans need.
    with psycopg.connect(url, autocommit=True) as db:
        db.execute("VACUUM ANALYZE")


async def timed(action: Callable[[], Awaitable[Any]]) -> float:
    await action()  # warm-up
    runs = []
    for _ in range(RUNS):
        started = time.perf_counter()
        await action()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs)


async def measure(url: str, portal: int) -> dict[str, float]:
    services = Services.build(Settings(database_url=url))
    db = services.database
    email = Channel.EMAIL

    def query(name: str, *args: Any) -> Callable[[], Awaitable[Any]]:
        async def run() -> Any:
            async with db.read() as repo:
                return await getattr(repo, name)(*args)

        return run

    try:
        started = time.perf_counter()
        await services.dashboard.overview(portal)
        first = (time.perf_counter() - started) * 1000
        figures = {
            "first overview (counts 89 past days once)": first,
            "addresses (count)": await timed(query("count_addresses", portal, email)),
            "statuses per type and state": await timed(query("stored_counts", portal, email)),
            "covered by opt-outs of all": await timed(query("covered_counts", portal, email)),
            "changes of today (ledger)": await timed(
                query("changes_since", portal, NOW // DAY_MS * DAY_MS)
            ),
            "changes of past days (counted)": await timed(
                query("day_counts", portal, NOW // DAY_MS - 89, NOW // DAY_MS - 1)
            ),
            "opt-outs of all per brand": await timed(query("opt_outs_by_scope", portal, email)),
            "subscriber search (prefix)": await timed(
                query("subscribers_with_prefix", portal, "subscriber00123", 50)
            ),
            "whole overview": await timed(lambda: services.dashboard.overview(portal)),
        }
        overview = await services.dashboard.overview(portal)
        print(f"  {overview.addresses:,} addresses, {sum(d.opt_outs for d in overview.days):,}"
              " opt-outs in 90 days")  # fmt: skip
        return figures
    finally:
        await services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for backend in options.backends.split(","):
            with fresh_database(backend, Path(folder)) as url:
                portal, types, unit = asyncio.run(prepare(url))
                started = time.perf_counter()
                load(url, portal, types, unit, options.subscribers)
                print(f"{backend}: loaded {options.subscribers:,} subscribers in "
                      f"{time.perf_counter() - started:.0f} s")  # fmt: skip
                for name, ms in asyncio.run(measure(url, portal)).items():
                    print(f"  {name:<42} {ms:8.1f} ms")


if __name__ == "__main__":
    main()
