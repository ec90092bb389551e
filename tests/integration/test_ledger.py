"""The consent ledger: history and "as of" over /commprefs/v1 and the CLI, on both databases."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from commprefs.domain.clock import iso_ms
from tests.support import cli, pages, v3
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


def test_history_and_state_as_of_follow_changes_from_every_entry_point(
    server: Server, http: httpx.Client, factory: Factory, tmp_path: Path
) -> None:
    tenant = factory.tenant(types=3)
    news, offers, updates = tenant.definitions
    v4 = V4(http, "/communication-preferences/v4", tenant)
    subscriber = email("audit")
    link = pages.generate(http, tenant, subscriber, subscriptionId=news.id)["unsubscribeSingleUrl"]
    moments = [now_ms()]
    reads = [v4.statuses(subscriber).json()["results"]]
    requests = []

    steps = [
        lambda: v3.change(http, tenant, "subscribe", subscriber, updates.id),
        lambda: v4.update(
            subscriber,
            news.id,
            "SUBSCRIBED",
            legalBasis="CONSENT_WITH_NOTICE",
            legalBasisExplanation="Ticked the box on the signup form",
        ),
        lambda: httpx.post(link, data=pages.ONE_CLICK),  # from the mail provider
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
        (e["api"], e["subscriptionId"], e["wideStatusType"], e["oldStatus"], e["newStatus"])
        for e in entries
    ]
    assert changes == [
        ("v3", updates.id, None, "NOT_SPECIFIED", "SUBSCRIBED"),
        ("v4", news.id, None, "NOT_SPECIFIED", "SUBSCRIBED"),
        ("pages", news.id, None, "SUBSCRIBED", "UNSUBSCRIBED"),
        ("v4", None, "PORTAL_WIDE", "SUBSCRIBED", "UNSUBSCRIBED"),
        ("v4", offers.id, None, "NOT_SPECIFIED", "UNSUBSCRIBED"),
        ("v4", updates.id, None, "SUBSCRIBED", "UNSUBSCRIBED"),
        ("v4", None, "PORTAL_WIDE", "UNSUBSCRIBED", "SUBSCRIBED"),
        ("v4", offers.id, None, "UNSUBSCRIBED", "SUBSCRIBED"),
        ("import", offers.id, None, "SUBSCRIBED", "UNSUBSCRIBED"),
    ]
    assert [e["requestId"] for e in entries] == [
        *requests[:3],
        *[requests[3]] * 3,
        *[requests[4]] * 2,
        requests[5],
    ]
    sequences = [e["sequence"] for e in entries]
    assert sequences == sorted(sequences)
    assert {e["subscriberIdString"] for e in entries} == {subscriber}
    assert all(len(e["hash"]) == 64 for e in entries)
    by_token = [e for e in entries if e["api"] in ("v3", "v4")]
    assert {(e["tokenName"], e["tokenId"]) for e in by_token} == {
        ("test token", factory.token_ids[tenant.token])
    }
    assert entries[1]["legalBasis"] == "CONSENT_WITH_NOTICE"
    assert entries[1]["legalBasisExplanation"] == "Ticked the box on the signup form"
    assert entries[1]["subscriptionName"] == news.name
    assert (entries[2]["source"], entries[2]["tokenId"]) == ("One-click unsubscribe", None)
    assert (entries[-1]["source"], entries[-1]["tokenId"]) == ("Shop", None)
    assert entries[-1]["occurredAt"] == iso_ms(moments[-2])
    assert entries[-1]["recordedAt"] > entries[-1]["occurredAt"]

    # At each moment the ledger gives back exactly what a read said then.
    for moment, read in zip(moments, reads, strict=True):
        rebuilt = state(http, tenant, subscriber, asOf=str(moment))
        assert by_type(rebuilt["statuses"]) == by_type(read)
    assert state(http, tenant, subscriber, asOf=str(moments[0]))["wideStatuses"] == []
    wide_then = state(http, tenant, subscriber, asOf=str(moments[4]))["wideStatuses"]
    assert [(w["wideStatusType"], w["status"]) for w in wide_then] == [
        ("PORTAL_WIDE", "UNSUBSCRIBED")
    ]
    # ISO instants work as well as epoch milliseconds; no asOf means now.
    last = datetime.fromtimestamp(moments[-1] / 1000, UTC).isoformat()
    iso = state(http, tenant, subscriber, asOf=last)
    assert by_type(iso["statuses"]) == by_type(reads[-1])
    assert by_type(state(http, tenant, subscriber)["statuses"]) == by_type(reads[-1])


def test_each_prefix_records_its_own_api_for_every_operation_that_writes(
    http: httpx.Client, factory: Factory
) -> None:
    """v4 and 2026-03 serve the same operations, declared once: the ledger still names the prefix
    that each change came through."""
    tenant = factory.tenant(types=1)
    (news,) = tenant.definitions
    for api in ("v4", "2026-03"):
        client = V4(http, f"/communication-preferences/{api}", tenant)
        one, many, everything, batch_everything = (email(f"{api}-{n}") for n in range(4))
        change = {"channel": "EMAIL", "statusState": "SUBSCRIBED", "subscriptionId": news.id}
        responses = [
            client.update(one, news.id, "SUBSCRIBED"),
            client.batch("write", {"inputs": [{**change, "subscriberIdString": many}]}),
            client.unsubscribe_all(everything),
            client.batch("unsubscribe-all", {"inputs": [batch_everything]}),
        ]
        assert [r.status_code for r in responses] == [200] * 4, [r.text for r in responses]
        for subscriber in (one, many, everything, batch_everything):
            entries = history(http, tenant, subscriber).json()["results"]
            assert entries, subscriber
            assert {e["api"] for e in entries} == {api}, subscriber


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
