"""Consent context on every change, and the access export (issue 16), on both databases: a
subscriber changed through v3, v4, the pages (form and one-click) and an import; the export over
HTTP and the CLI holds every change with its context, the statuses, the change events and the
remembered reply that names the address. This server trusts no proxy: X-Forwarded-For is
ignored and the TCP peer's address is kept whole."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from commprefs.domain.consent import link_identifier
from tests.support import cli, pages, v3
from tests.support.factories import Factory, email
from tests.support.imports import import_file
from tests.support.server import Server
from tests.support.v4 import V4

V1 = "/commprefs/v1"
FORGED = {"X-Forwarded-For": "203.0.113.9"}


def test_every_change_keeps_its_context_and_the_export_holds_them_all(
    server: Server, http: httpx.Client, factory: Factory, tmp_path: Path
) -> None:
    tenant = factory.tenant(types=3)
    news, offers, updates = tenant.definitions
    webhook = factory.run(factory.services.webhooks.add(tenant.portal.id, "http://127.0.0.1:9/"))
    v4 = V4(http, "/communication-preferences/v4", tenant)
    subscriber = email("context")
    agent = {"User-Agent": "ShopBackend/2.1", **FORGED}
    token_id = factory.token_ids[tenant.token]

    by_v3 = v3.change(http, tenant, "subscribe", subscriber, updates.id)
    assert by_v3.status_code == 200, by_v3.text
    by_v4 = http.post(
        f"/communication-preferences/v4/statuses/{subscriber}",
        json={"channel": "EMAIL", "statusState": "SUBSCRIBED", "subscriptionId": news.id},
        headers={**tenant.headers, **agent, "Idempotency-Key": f"signup-{subscriber}"},
    )
    assert by_v4.status_code == 200, by_v4.text
    links = pages.generate(http, tenant, subscriber, language="de", subscriptionId=news.id)
    manage = http.get(links["managePreferencesUrl"], headers={"User-Agent": "Firefox/140.0"})
    saved = http.post(
        links["managePreferencesUrl"],
        data={
            "csrf": pages.form_value(manage.text, "csrf"),
            "shown": [str(news.id), str(offers.id)],
            "subscribed": [str(offers.id)],
        },
        headers={"User-Agent": "Firefox/140.0", **FORGED},
    )
    assert saved.status_code == 200, saved.text
    one_click = httpx.post(
        links["unsubscribeAllUrl"], data=pages.ONE_CLICK, headers={"User-Agent": "Gmail/1"}
    )
    assert one_click.status_code == 200
    records = tmp_path / "crm-export.csv"
    records.write_text(f"email,subscriptionId,status\n{subscriber},{updates.id},SUBSCRIBED\n")
    _, imported = import_file(server, tenant, records, "--actor", "ops@shop.example")
    assert imported["imported"] == 1

    exported = http.get(f"{V1}/subscribers/{subscriber.upper()}/export", headers=tenant.headers)
    assert exported.status_code == 200, exported.text
    document = exported.json()
    contexts = [(e["api"], e["context"]) for e in document["history"]]
    # One request's entries share its context: each request once, in order.
    distinct = [c for i, c in enumerate(contexts) if i == 0 or contexts[i - 1] != c]
    api_context = {
        "via": "api",
        "tokenId": token_id,
        "tokenName": "test token",
        "ip": "127.0.0.1",  # not the forged X-Forwarded-For: nobody's proxy is trusted here
    }
    page = {"via": "pages", "linkId": _link_id(links), "language": "de", "ip": "127.0.0.1"}
    assert distinct == [
        ("v3", {**api_context, "userAgent": http.headers["user-agent"]}),
        ("v4", {**api_context, "userAgent": "ShopBackend/2.1"}),
        ("pages", {**page, "page": "manage", "form": "preferences", "userAgent": "Firefox/140.0"}),
        (
            "pages",
            {**page, "page": "unsubscribe-all", "form": "one-click", "userAgent": "Gmail/1"},
        ),
        (
            "import",
            {
                "via": "import",
                "importId": imported["requestId"],
                "fileName": "crm-export.csv",
                "actor": "ops@shop.example",
            },
        ),
    ]
    assert links["managePreferencesUrl"].rsplit("/", 1)[-1] not in exported.text  # no token
    assert document["subscriberIdString"] == subscriber
    assert document["statuses"] == v4.statuses(subscriber).json()["results"]
    assert {s["subscriptionId"]: s["status"] for s in document["statuses"]} == {
        news.id: "UNSUBSCRIBED",  # by the form
        offers.id: "UNSUBSCRIBED",  # by the one-click opt-out of all
        updates.id: "SUBSCRIBED",  # by the import, which lifted that opt-out
    }
    # Every opt-out of all on record, the lifted one too (the API reads only those in force).
    assert [(w["wideStatusType"], w["status"]) for w in document["wideStatuses"]] == [
        ("PORTAL_WIDE", "SUBSCRIBED")
    ]
    events = document["webhookEvents"]
    assert [e["sequence"] for e in events] == [e["sequence"] for e in document["history"]]
    assert all(e["awaitingAcknowledgement"] == [webhook.id] for e in events)
    [reply] = document["idempotencyRecords"]
    assert reply["idempotencyKey"] == f"signup-{subscriber}"
    assert reply["body"]["results"][0]["subscriberIdString"] == subscriber

    # The CLI prints the same document, and `history` the same contexts.
    printed = cli.run(
        "subjects",
        "export",
        "--portal",
        str(tenant.portal.id),
        "--email",
        subscriber,
        "--database",
        server.database_url,
    )
    assert printed.returncode == 0, printed.stderr
    assert _without_time(json.loads(printed.stdout)) == _without_time(document)
    # Gone again, so that other modules' delivery workers never try its unreachable endpoint.
    factory.run(factory.services.webhooks.remove(webhook.id))
    lines = cli.run(
        "history",
        "--portal",
        str(tenant.portal.id),
        "--email",
        subscriber,
        "--database",
        server.database_url,
    ).stdout.splitlines()
    assert len(lines) == len(contexts)
    assert '"actor": "ops@shop.example"' in lines[-1]
    assert '"userAgent": "ShopBackend/2.1"' in lines[1]

    verified = cli.json_of(
        "ledger", "verify", "--portal", str(tenant.portal.id), "--database", server.database_url
    )
    assert verified["intact"] is True


def _link_id(links: dict[str, str]) -> str:
    token = links["managePreferencesUrl"].rsplit("/", 1)[-1]
    return link_identifier(token)


def _without_time(document: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in document.items() if key != "exportedAt"}
