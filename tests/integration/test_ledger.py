"""The consent ledger: history and "as of" over /commprefs/v1 and the CLI, on both databases."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from commprefs.clock import iso_ms
from tests.support import cli
from tests.support.factories import Factory, Tenant, email
from tests.support.server import Server
from tests.support.v4 import V4

LEDGER = "/commprefs/v1"


def now_ms() -> int:
    time.sleep(0.005)  # the next change is recorded at a later millisecond than this moment
    moment = time.time_ns() // 1_000_000
    time.sleep(0.005)
    return moment


def history(http: httpx.Client, tenant: Tenant, subscriber: str, **params: Any) -> httpx.Response:
    return http.get(
        f"{LEDGER}/subscribers/{subscriber}/history",
        params={"channel": "EMAIL", **params},
        headers=tenant.headers,
    )


def state(http: httpx.Client, tenant: Tenant, subscriber: str, **params: Any) -> dict[str, Any]:
    response = http.get(
        f"{LEDGER}/subscribers/{subscriber}/state",
        params={"channel": "EMAIL", **params},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def by_type(results: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {r["subscriptionId"]: r for r in results}


def test_history_and_state_as_of_follow_every_change(
    server: Server, http: httpx.Client, factory: Factory, tmp_path: Path
) -> None:
    tenant = factory.tenant(types=2)
    news, offers = tenant.definitions
    v4 = V4(http, "/communication-preferences/v4", tenant)
    subscriber = email("audit")
    moments = [now_ms()]
    reads = [v4.statuses(subscriber).json()["results"]]
    requests = []

    steps = [
        lambda: v4.update(
            subscriber,
            news.id,
            "SUBSCRIBED",
            legalBasis="CONSENT_WITH_NOTICE",
            legalBasisExplanation="Ticked the box on the signup form",
        ),
        lambda: v4.unsubscribe_all(subscriber),
        lambda: v4.update(subscriber, offers.id, "SUBSCRIBED"),
    ]
    for step in steps:
        response = step()
        assert response.status_code == 200, response.text
        requests.append(response.headers["x-hubspot-correlation-id"])
        moments.append(now_ms())
        reads.append(v4.statuses(subscriber).json()["results"])
    # Then an import says they left the offers list, a moment ago, on the shop's own system.
    left_at = datetime.fromtimestamp(moments[-1] / 1000, UTC)
    records = tmp_path / "shop.csv"
    records.write_text(
        "email,subscriptionName,status,timestamp,source\n"
        f"{subscriber},{offers.name},UNSUBSCRIBED,{left_at.isoformat()},Shop\n"
    )
    imported = cli.json_of(
        "import",
        "--portal",
        str(tenant.portal.id),
        str(records),
        "--no-progress",
        "--database",
        server.database_url,
    )
    assert imported["imported"] == 1
    requests.append(imported["requestId"])
    moments.append(now_ms())
    reads.append(v4.statuses(subscriber).json()["results"])

    entries = history(http, tenant, subscriber.upper()).json()["results"]
    changes = [
        (e["subscriptionId"], e["wideStatusType"], e["oldStatus"], e["newStatus"]) for e in entries
    ]
    assert changes == [
        (news.id, None, "NOT_SPECIFIED", "SUBSCRIBED"),
        (None, "PORTAL_WIDE", "SUBSCRIBED", "UNSUBSCRIBED"),
        (news.id, None, "SUBSCRIBED", "UNSUBSCRIBED"),
        (offers.id, None, "NOT_SPECIFIED", "UNSUBSCRIBED"),
        (None, "PORTAL_WIDE", "UNSUBSCRIBED", "SUBSCRIBED"),
        (offers.id, None, "UNSUBSCRIBED", "SUBSCRIBED"),
        (offers.id, None, "SUBSCRIBED", "UNSUBSCRIBED"),
    ]
    assert [e["requestId"] for e in entries] == [
        requests[0],
        *[requests[1]] * 3,
        *[requests[2]] * 2,
        requests[3],
    ]
    assert (entries[-1]["api"], entries[-1]["source"]) == ("import", "Shop")
    assert entries[-1]["occurredAt"] == iso_ms(moments[-2])
    assert entries[-1]["recordedAt"] > entries[-1]["occurredAt"]
    assert entries[-1]["tokenId"] is None  # the command line acts without a token
    assert entries[0]["legalBasis"] == "CONSENT_WITH_NOTICE"
    assert entries[0]["legalBasisExplanation"] == "Ticked the box on the signup form"
    assert entries[0]["subscriptionName"] == news.name
    sequences = [e["sequence"] for e in entries]
    assert sequences == sorted(sequences)
    for entry in entries[:-1]:
        assert entry["subscriberIdString"] == subscriber
        assert entry["source"] == "Public status API"
        assert entry["api"] == "v4"
        assert entry["tokenName"] == "test token"
        assert entry["tokenId"] == factory.token_ids[tenant.token]
        assert len(entry["hash"]) == 64

    # At each moment the ledger gives back exactly what a read said then.
    for moment, read in zip(moments, reads, strict=True):
        rebuilt = state(http, tenant, subscriber, asOf=str(moment))
        assert by_type(rebuilt["statuses"]) == by_type(read)
    assert state(http, tenant, subscriber, asOf=str(moments[0]))["wideStatuses"] == []
    wide_then = state(http, tenant, subscriber, asOf=str(moments[2]))["wideStatuses"]
    assert [(w["wideStatusType"], w["status"]) for w in wide_then] == [
        ("PORTAL_WIDE", "UNSUBSCRIBED")
    ]
    # ISO instants work as well as epoch milliseconds; no asOf means now.
    last = datetime.fromtimestamp(moments[-1] / 1000, UTC).isoformat()
    iso = state(http, tenant, subscriber, asOf=last)
    assert by_type(iso["statuses"]) == by_type(reads[-1])
    assert by_type(state(http, tenant, subscriber)["statuses"]) == by_type(reads[-1])


def test_history_pages_in_order(http: httpx.Client, factory: Factory) -> None:
    tenant = factory.tenant(types=3)
    v4 = V4(http, "/communication-preferences/v4", tenant)
    subscriber = email()
    assert v4.unsubscribe_all(subscriber).status_code == 200  # four entries

    first = history(http, tenant, subscriber, limit=3).json()
    rest = history(http, tenant, subscriber, limit=3, after=first["paging"]["next"]["after"])
    assert len(first["results"]) == 3
    assert "paging" not in rest.json()
    everything = history(http, tenant, subscriber).json()["results"]
    assert first["results"] + rest.json()["results"] == everything
    assert len(everything) == 4


def test_ledger_api_refuses_bad_input_in_hubspots_error_body(
    http: httpx.Client, factory: Factory
) -> None:
    tenant = factory.tenant(types=1)
    bad_time = http.get(
        f"{LEDGER}/subscribers/{email()}/state",
        params={"channel": "EMAIL", "asOf": "yesterday"},
        headers=tenant.headers,
    )
    assert bad_time.status_code == 400
    assert bad_time.json()["errors"][0]["in"] == "asOf"
    assert bad_time.json()["category"] == "VALIDATION_ERROR"

    bad_address = history(http, tenant, "not-an-address")
    assert bad_address.status_code == 400
    assert bad_address.json()["status"] == "error"

    bad_limit = history(http, tenant, email(), limit=0)
    assert bad_limit.status_code == 400
    assert bad_limit.json()["errors"][0]["in"] == "limit"

    anonymous = http.get(f"{LEDGER}/subscribers/{email()}/history", params={"channel": "EMAIL"})
    assert anonymous.status_code == 401
    assert anonymous.json()["category"] == "INVALID_AUTHENTICATION"


def test_a_token_sees_only_its_own_portals_ledger(http: httpx.Client, factory: Factory) -> None:
    mine, theirs = factory.tenant(types=1), factory.tenant(types=1)
    subscriber = email()
    assert V4(http, "/communication-preferences/v4", mine).unsubscribe_all(subscriber).is_success

    assert history(http, theirs, subscriber).json()["results"] == []
    assert state(http, theirs, subscriber)["wideStatuses"] == []
    assert len(history(http, mine, subscriber).json()["results"]) == 2


def test_history_from_the_command_line(
    server: Server, http: httpx.Client, factory: Factory
) -> None:
    tenant = factory.tenant(types=1)
    subscriber = email()
    v4 = V4(http, "/communication-preferences/v4", tenant)
    assert v4.update(subscriber, tenant.definitions[0].id, "SUBSCRIBED").is_success
    between = now_ms()
    assert v4.unsubscribe_all(subscriber).is_success
    db = ("--database", server.database_url)
    portal = str(tenant.portal.id)

    listed = cli.json_of("history", "--portal", portal, "--email", subscriber, *db)
    assert listed == history(http, tenant, subscriber).json()
    text = cli.run("history", "--portal", portal, "--email", subscriber, *db)
    assert text.returncode == 0, text.stderr
    assert len(text.stdout.strip().splitlines()) == 3
    assert "NOT_SPECIFIED -> SUBSCRIBED" in text.stdout

    then = cli.json_of(
        "history", "--portal", portal, "--email", subscriber, "--as-of", str(between), *db
    )
    assert [s["status"] for s in then["statuses"]] == ["SUBSCRIBED"]
    bad = cli.run("history", "--portal", portal, "--email", subscriber, "--as-of", "soon", *db)
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: --as-of")


def test_concurrent_writers_extend_one_unbroken_chain(server: Server, factory: Factory) -> None:
    tenant = factory.tenant(types=2)
    subscribers = [email("busy") for _ in range(40)]

    def opt_out(subscriber: str) -> int:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            v4 = V4(client, "/communication-preferences/v4", tenant)
            return v4.unsubscribe_all(subscriber).status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(opt_out, subscribers)) == {200}

    report = cli.json_of(
        "ledger", "verify", "--portal", str(tenant.portal.id), "--database", server.database_url
    )
    assert report["intact"] is True
    assert report["portals"][0]["entries"] == 3 * len(subscribers)
    assert report["portals"][0]["headSequence"] == 3 * len(subscribers)
