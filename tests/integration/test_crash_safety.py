"""Crash safety: the server is killed with SIGKILL at random moments while it acknowledges writes,
then restarted, many times over. Every write acknowledged with a 2xx must be there, exactly once;
a write cut off by the kill is all there or not at all; an acknowledged Idempotency-Key replays
its response after the restart; the database passes its integrity check. SQLite and PostgreSQL.

Set COMMPREFS_CRASH_SEED to replay a run; the seed is in every failure message.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import threading
import time
import uuid
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from tests.support.factories import Factory, Tenant, email
from tests.support.ledger_rows import entries_per_subscriber
from tests.support.server import Server

CYCLES = 20
WORKERS = 4
TYPES = 3
OPT_OUT = "/communication-preferences/v4/statuses/{}/unsubscribe-all"
VERBOSE = {"channel": "EMAIL", "verbose": "true"}


@dataclass
class Writes:
    acknowledged: dict[str, tuple[str | None, bytes]] = field(default_factory=dict)
    cut_off: dict[str, str | None] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def drive(
    url: str, tenant: Tenant, writes: Writes, stop: threading.Event, acked: threading.Event
) -> None:
    """Opt out new subscribers one after another, half of them with an Idempotency-Key."""
    with httpx.Client(base_url=url, timeout=30.0) as client:
        keyed = False
        while not stop.is_set():
            subscriber, keyed = email("crash"), not keyed
            key = f"crash-{uuid.uuid4()}" if keyed else None
            headers = {**tenant.headers, **({"Idempotency-Key": key} if key else {})}
            try:
                response = client.post(OPT_OUT.format(subscriber), params=VERBOSE, headers=headers)
            except httpx.TransportError:
                with writes.lock:
                    writes.cut_off[subscriber] = key
                return
            with writes.lock:
                if response.status_code == 200:
                    writes.acknowledged[subscriber] = (key, response.content)
                    acked.set()
                else:
                    writes.refused.append(f"{response.status_code} {response.text}")


def rows(database_url: str, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    if database_url.startswith("sqlite"):
        with closing(sqlite3.connect(database_url.removeprefix("sqlite:///"))) as conn:
            return conn.execute(sql.replace("%s", "?"), params).fetchall()
    with psycopg.connect(database_url) as conn:
        return conn.execute(sql, params).fetchall()  # type: ignore[arg-type]


def integrity_problems(database_url: str) -> list[tuple[Any, ...]]:
    if not database_url.startswith("sqlite"):
        return []  # PostgreSQL's own recovery; its data is checked by `state_of`
    found = rows(database_url, "PRAGMA integrity_check")
    return [r for r in found if r != ("ok",)] + rows(database_url, "PRAGMA foreign_key_check")


def state_of(database_url: str, portal_id: int) -> dict[str, tuple[int, int, int]]:
    """Per subscriber: ledger entries, active wide opt-outs, UNSUBSCRIBED types."""
    ledger = list(entries_per_subscriber(database_url, portal_id).items())
    wide = rows(
        database_url,
        "SELECT subscriber, count(*) FROM wide_statuses WHERE portal_id = %s "
        "AND wide_type = 'PORTAL_WIDE' AND status = 'UNSUBSCRIBED' GROUP BY subscriber",
        portal_id,
    )
    types = rows(
        database_url,
        "SELECT subscriber, count(*) FROM subscription_statuses WHERE portal_id = %s "
        "AND status = 'UNSUBSCRIBED' GROUP BY subscriber",
        portal_id,
    )
    found: dict[str, list[int]] = {}
    for column, counts in enumerate((ledger, wide, types)):
        for subscriber, count in counts:
            found.setdefault(subscriber, [0, 0, 0])[column] = count
    return {s: (c[0], c[1], c[2]) for s, c in found.items()}


COMPLETE = (1 + TYPES, 1, TYPES)  # one ledger entry per change, the opt-out, every type


def test_acknowledged_writes_survive_sigkill(database_url: str, tmp_path: Path) -> None:
    seed = int(os.environ.get("COMMPREFS_CRASH_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)  # noqa: S311 - kill moments, replayable by seed; nothing secret
    factory = Factory(database_url)
    try:
        tenant = factory.tenant(types=TYPES)
    finally:
        factory.close()
    writes = Writes()

    for cycle in range(CYCLES):
        server = Server(database_url, tmp_path / f"cycle-{cycle}.log").start()
        stop, acked = threading.Event(), threading.Event()
        workers = [
            threading.Thread(target=drive, args=(server.url, tenant, writes, stop, acked))
            for _ in range(WORKERS)
        ]
        for worker in workers:
            worker.start()
        # A random moment once writes flow (a fresh server's first write is slow to come).
        assert acked.wait(timeout=30), f"seed {seed}, cycle {cycle}: no write acknowledged"
        time.sleep(rng.uniform(0.0, 0.4))
        server.stop(signal.SIGKILL)
        stop.set()
        for worker in workers:
            worker.join(timeout=30)
        assert integrity_problems(database_url) == [], f"seed {seed}, cycle {cycle}"

    print(  # figures for the README, seen with `pytest -s`
        f"crash safety ({database_url.split(':')[0]}): {CYCLES} SIGKILLs, "
        f"{len(writes.acknowledged)} acknowledged writes, {len(writes.cut_off)} cut off"
    )
    assert writes.refused == [], f"seed {seed}"
    state = state_of(database_url, tenant.portal.id)
    lost = {s: state.get(s) for s in writes.acknowledged if state.get(s) != COMPLETE}
    assert lost == {}, f"seed {seed}: acknowledged writes missing or applied twice"
    partial = {s: state[s] for s in writes.cut_off if s in state and state[s] != COMPLETE}
    assert partial == {}, f"seed {seed}: writes cut off by the kill were half-applied"

    final = Server(database_url, tmp_path / "final.log").start()
    try:
        with httpx.Client(base_url=final.url, timeout=30.0) as client:

            def retry(subscriber: str, key: str) -> httpx.Response:
                headers = {**tenant.headers, "Idempotency-Key": key}
                return client.post(OPT_OUT.format(subscriber), params=VERBOSE, headers=headers)

            for subscriber, (key, content) in writes.acknowledged.items():
                if key is not None:
                    replayed = retry(subscriber, key)
                    assert replayed.headers.get("idempotent-replayed") == "true", f"seed {seed}"
                    assert replayed.content == content, f"seed {seed}"
            for subscriber, cut_key in writes.cut_off.items():
                if cut_key is not None:
                    answered = retry(subscriber, cut_key)
                    assert answered.status_code == 200, f"seed {seed}: {answered.text}"
    finally:
        final.stop()
    state = state_of(database_url, tenant.portal.id)
    retried = [s for s, k in writes.cut_off.items() if k is not None]
    assert {s: state.get(s) for s in retried} == dict.fromkeys(retried, COMPLETE), f"seed {seed}"
    assert integrity_problems(database_url) == [], f"seed {seed}"
