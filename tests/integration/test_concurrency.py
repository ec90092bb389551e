"""32 concurrent writers on the same subscriber and on overlapping batches, on SQLite and
PostgreSQL: no lost update, one ledger entry per acknowledged change, never a 5xx."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter, defaultdict
from typing import Any

import httpx

from tests.support.factories import Factory, Tenant, email
from tests.support.server import Server

WRITERS = 32
# Contention comes from WRITERS: all 32 are in flight against the same rows in every round. 50
# rounds (1,600 requests a scenario) still make each writer collide with every other many times;
# 200 rounds took 30 s a scenario and added only repeats of the same collisions.
ROUNDS = 50
V4 = "/communication-preferences/v4"


async def _drive(
    server: Server, tenant: Tenant, requests: list[list[tuple[str, Any]]]
) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=WRITERS, max_keepalive_connections=WRITERS)
    async with httpx.AsyncClient(
        base_url=server.url, headers=tenant.headers, limits=limits, timeout=120
    ) as client:

        async def writer(plan: list[tuple[str, Any]]) -> list[httpx.Response]:
            return [await client.post(path, json=body) for path, body in plan]

        done = await asyncio.gather(*(writer(plan) for plan in requests))
    return list(itertools.chain.from_iterable(done))


def _check_ledger_against_acknowledged(
    factory: Factory,
    tenant: Tenant,
    acknowledged: Counter[tuple[str, int]],
    final: dict[tuple[str, int], str],
) -> None:
    for (subscriber, subscription_id), changes in acknowledged.items():
        entries = [
            e
            for e in factory.ledger(tenant.portal, subscriber)
            if e.subscription_id == subscription_id
        ]
        # Exactly one entry per acknowledged change, and the entries form one unbroken chain.
        assert len(entries) == changes
        for before, after in itertools.pairwise(entries):
            assert after.old_status == before.new_status
        assert final[(subscriber, subscription_id)] == entries[-1].new_status


def _final_states(
    http: httpx.Client, tenant: Tenant, subscribers: list[str]
) -> dict[tuple[str, int], str]:
    response = http.post(
        f"{V4}/statuses/batch/read",
        params={"channel": "EMAIL"},
        json={"inputs": subscribers},
        headers=tenant.headers,
    )
    assert response.status_code == 200
    return {
        (row["subscriberIdString"], status["subscriptionId"]): status["status"]
        for row in response.json()["results"]
        for status in row["statuses"]
    }


def test_concurrent_updates_of_one_subscriber_lose_nothing(
    server: Server, factory: Factory, http: httpx.Client
) -> None:
    tenant = factory.tenant(types=1)
    subscriber = email()
    kind = tenant.definitions[0].id
    plans = [
        [
            (
                f"{V4}/statuses/{subscriber}",
                {
                    "channel": "EMAIL",
                    "subscriptionId": kind,
                    "statusState": "SUBSCRIBED" if (writer + n) % 2 else "UNSUBSCRIBED",
                },
            )
            for n in range(ROUNDS)
        ]
        for writer in range(WRITERS)
    ]

    responses = asyncio.run(_drive(server, tenant, plans))

    assert Counter(r.status_code for r in responses) == {200: WRITERS * ROUNDS}
    changed = sum(
        r.json()["results"][0]["setStatusSuccessReason"] != "NO_STATUS_CHANGE" for r in responses
    )
    final = _final_states(http, tenant, [subscriber])
    _check_ledger_against_acknowledged(
        factory, tenant, Counter({(subscriber, kind): changed}), final
    )


def test_concurrent_overlapping_batches_lose_nothing(
    server: Server, factory: Factory, http: httpx.Client
) -> None:
    tenant = factory.tenant(types=2)
    subscribers = [email() for _ in range(6)]
    kinds = [d.id for d in tenant.definitions]
    plans = []
    for writer in range(WRITERS):
        plan = []
        for n in range(ROUNDS):
            # Each batch touches four of the six subscribers, overlapping with every other writer.
            start = (writer + n) % len(subscribers)
            chosen = [subscribers[(start + k) % len(subscribers)] for k in range(4)]
            state = "SUBSCRIBED" if (writer + n) % 2 else "UNSUBSCRIBED"
            plan.append(
                (
                    f"{V4}/statuses/batch/write",
                    {
                        "inputs": [
                            {
                                "subscriberIdString": s,
                                "channel": "EMAIL",
                                "statusState": state,
                                "subscriptionId": kinds[(n + k) % 2],
                            }
                            for k, s in enumerate(chosen)
                        ]
                    },
                )
            )
        plans.append(plan)

    responses = asyncio.run(_drive(server, tenant, plans))

    assert Counter(r.status_code for r in responses) == {200: WRITERS * ROUNDS}
    acknowledged: Counter[tuple[str, int]] = Counter()
    for response in responses:
        body = response.json()
        assert "errors" not in body
        for result in body["results"]:
            if result["setStatusSuccessReason"] != "NO_STATUS_CHANGE":
                acknowledged[(result["subscriberIdString"], result["subscriptionId"])] += 1
    final = _final_states(http, tenant, subscribers)
    touched: dict[str, set[int]] = defaultdict(set)
    for subscriber, kind in acknowledged:
        touched[subscriber].add(kind)
    assert len(touched) == len(subscribers)
    _check_ledger_against_acknowledged(factory, tenant, acknowledged, final)
