"""Bench data: a fresh database, a portal with ten subscription types and a token, and stored
subscribers loaded through the public batch-write API (100 inputs per call)."""

from __future__ import annotations

import asyncio
import itertools
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
import psycopg

from commprefs.config import Settings
from commprefs.domain.tokens import ALL_SCOPES
from commprefs.services import Services
from commprefs.store.migrate import upgrade

POSTGRES_ADMIN_URL = os.environ.get(
    "COMMPREFS_BENCH_POSTGRES_URL", "postgresql://root@127.0.0.1:5432/test"
)
SUBSCRIPTION_TYPES = 10
BATCH_INPUTS = 100
BATCH_WRITE = "/communication-preferences/v4/statuses/batch/write"


@contextmanager
def fresh_database(backend: str, folder: Path) -> Iterator[str]:
    """An empty SQLite file, or a new PostgreSQL database dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:8]}.db'}"
        return
    name = f"commprefs_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_ADMIN_URL.rpartition('/')[0]}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass(frozen=True)
class BenchTenant:
    portal_id: int
    token: str
    type_ids: list[int]


def make_tenant(database_url: str) -> BenchTenant:
    """Created through the services (as the CLI would), before the server starts."""

    async def create() -> BenchTenant:
        services = Services.build(Settings(database_url=database_url))
        try:
            await upgrade(services.database)
            portal = await services.portals.create_portal("Bench")
            types = [
                await services.portals.create_definition(
                    portal.id, f"Bench type {n}", f"Subscription type {n} of the benchmark"
                )
                for n in range(1, SUBSCRIPTION_TYPES + 1)
            ]
            _, token = await services.tokens.create(portal.id, ALL_SCOPES, "bench")
            return BenchTenant(portal.id, token, [t.id for t in types])
        finally:
            await services.database.dispose()

    return asyncio.run(create())


def stored_subscriber(number: int) -> str:
    """The address the Lua scripts pick from: sub-<i>@bench.example, i in [0, count)."""
    return f"sub-{number}@bench.example"


@dataclass
class Load:
    """What a load through the batch-write API stored, and how fast."""

    subscribers: int = 0
    statuses: int = 0
    seconds: float = 0.0
    calls: int = 0
    error: str | None = None
    steps: list[dict[str, float | int]] = field(default_factory=list)

    @property
    def statuses_per_s(self) -> float:
        return self.statuses / self.seconds if self.seconds else 0.0


def batch_bodies(
    first: int, last: int, tenant: BenchTenant, per_subscriber: int
) -> Iterator[tuple[bytes, int]]:
    """Request bodies of at most 100 inputs for subscribers [first, last), with their sizes;
    made as they are sent, so that a million subscribers never sit in memory at once."""
    inputs = (
        {
            "subscriberIdString": stored_subscriber(n),
            "channel": "EMAIL",
            "statusState": "SUBSCRIBED" if (n + k) % 2 else "UNSUBSCRIBED",
            "subscriptionId": tenant.type_ids[(n + k) % len(tenant.type_ids)],
        }
        for n in range(first, last)
        for k in range(per_subscriber)
    )
    while chunk := list(itertools.islice(inputs, BATCH_INPUTS)):
        yield orjson.dumps({"inputs": chunk}), len(chunk)


def _problem(response: httpx.Response, sent: int) -> str | None:
    if response.status_code != 200:
        return f"POST {BATCH_WRITE} answered {response.status_code}: {response.text[:300]}"
    body = orjson.loads(response.content)
    if body.get("numErrors") or body.get("errors"):
        return f"POST {BATCH_WRITE} reported errors: {str(body.get('errors'))[:300]}"
    if len(body.get("results", ())) != sent:
        return f"POST {BATCH_WRITE} answered {len(body.get('results', ()))} results for {sent}"
    return None


def load(
    url: str,
    tenant: BenchTenant,
    first: int,
    last: int,
    per_subscriber: int,
    into: Load,
    concurrency: int = 4,
) -> None:
    """Store subscribers [first, last) with ``per_subscriber`` statuses each; adds to ``into``.
    Stops at the first failed call and records why in ``into.error``."""
    bodies = batch_bodies(first, last, tenant, per_subscriber)
    headers = {"Authorization": f"Bearer {tenant.token}", "Content-Type": "application/json"}

    async def send_all() -> None:
        limits = httpx.Limits(max_connections=concurrency)
        async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:

            async def worker() -> None:
                for body, sent in bodies:
                    if into.error is not None:
                        return
                    response = await client.post(BATCH_WRITE, content=body, headers=headers)
                    into.calls += 1
                    problem = _problem(response, sent)
                    if problem is not None:
                        into.error = problem
                        return
                    into.statuses += sent

            await asyncio.gather(*(worker() for _ in range(concurrency)))

    started = time.perf_counter()
    before = into.statuses
    asyncio.run(send_all())
    elapsed = time.perf_counter() - started
    into.seconds += elapsed
    if into.error is None:
        into.subscribers = last
    into.steps.append(
        {
            "to_subscribers": last,
            "statuses": into.statuses - before,
            "seconds": round(elapsed, 2),
            "statuses_per_s": round((into.statuses - before) / elapsed, 1),
        }
    )
