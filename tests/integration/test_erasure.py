"""Erasure (GDPR Art. 17, issue 16) over HTTP and the CLI, on SQLite and PostgreSQL: afterwards
the address is nowhere in the database (the raw SQLite file and its -wal, a pg_dump), the
ledger still verifies with the erased entries in place, a neighbour's history is byte for byte
the same, the address reads opted out of all everywhere and an import of it is refused, until a
new explicit consent starts a fresh history."""

from __future__ import annotations

import hashlib
import json
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from commprefs.domain.tokens import ERASE_SCOPE
from commprefs.domain.webhooks import Webhook
from commprefs.idempotency.service import fingerprint
from tests.support import cli, pages, v1, v3
from tests.support.factories import Factory, Tenant
from tests.support.imports import rejects
from tests.support.server import Server
from tests.support.v4 import V4

LEDGER = "/commprefs/v1"
V4_PREFIX = "/communication-preferences/v4"


def spellings(address: str) -> list[bytes]:
    """Every form in which the address could be found: as given, lower-cased, percent-encoded
    and as its plain SHA-256."""
    forms = {address, address.lower(), quote(address, safe=""), quote(address.lower(), safe="")}
    forms |= {hashlib.sha256(f.encode()).hexdigest() for f in (address, address.lower())}
    return sorted(f.encode() for f in forms)


def database_bytes(url: str) -> bytes:
    """What an attacker with the disk or a dump would read."""
    if url.startswith("sqlite"):
        path = Path(url.split(":///", 1)[1])
        parts = [path, path.with_name(path.name + "-wal")]
        return b"".join(p.read_bytes() for p in parts if p.exists())
    dumped = subprocess.run(["pg_dump", "--no-owner", url], capture_output=True, check=True)
    return dumped.stdout


def history(http: httpx.Client, tenant: Tenant, subscriber: str) -> httpx.Response:
    return http.get(
        f"{LEDGER}/subscribers/{quote(subscriber)}/history",
        params={"channel": "EMAIL"},
        headers=tenant.headers,
    )


def verify(server: Server, portal_id: int) -> dict[str, Any]:
    done = cli.run("ledger", "verify", "--json", "--database", server.database_url)
    assert done.returncode == 0, done.stdout + done.stderr
    portals = {p["portalId"]: p for p in json.loads(done.stdout)["portals"]}
    assert all(p["intact"] for p in portals.values())
    report: dict[str, Any] = portals[portal_id]
    return report


def events(factory: Factory, webhook: Webhook) -> list[dict[str, Any]]:
    found = factory.run(factory.services.webhooks.next_events(webhook, 1000))
    return [json.loads(event.payload) for event in found]


def test_erasure_leaves_no_trace_of_the_address_and_keeps_the_ledger_whole(
    server: Server, http: httpx.Client, factory: Factory, tmp_path: Path
) -> None:
    tenant = factory.tenant(types=2)
    news, offers = tenant.definitions
    v4 = V4(http, V4_PREFIX, tenant)
    webhook = factory.run(factory.services.webhooks.add(tenant.portal.id, "http://127.0.0.1:9/"))
    tag = uuid.uuid4().hex[:10]
    address = f"Erase.Me+{tag}@Example.COM"
    neighbour = f"stays-{tag}@example.com"

    # Changes through v4 (one with an Idempotency-Key, whose stored reply names the address),
    # v3, an opt-out of all and a batch write; the neighbour's around them.
    assert v4.reason(neighbour, news.id, "SUBSCRIBED") == "REQUESTED_CHANGE_OCCURRED"
    # A v1 change (issue 14) whose consent context holds this user agent.
    agent = {"User-Agent": f"EraseAgent/{tag}"}
    v1_change = http.put(
        f"{v1.V1}/{quote(address)}",
        json={"subscriptionStatuses": [{"id": offers.id, "subscribed": True}]},
        headers={**tenant.headers, **agent},
    )
    assert v1_change.status_code == 200, v1_change.text
    # The preference page's form (its context: the page, the link's id, IP and user agent).
    browser = {"User-Agent": f"ErasePage/{tag}"}
    links = pages.generate(http, tenant, address, subscriptionId=news.id)
    manage = http.get(links["managePreferencesUrl"], headers=browser)
    saved = http.post(
        links["managePreferencesUrl"],
        data={
            "csrf": pages.form_value(manage.text, "csrf"),
            "shown": [str(news.id), str(offers.id)],
            "subscribed": [str(offers.id)],  # news unticked: a change
        },
        headers=browser,
    )
    assert saved.status_code == 200, saved.text
    assert "Nothing needed changing" not in saved.text
    keyed = http.post(
        f"{V4_PREFIX}/statuses/{quote(address)}",
        json={
            "channel": "EMAIL",
            "statusState": "SUBSCRIBED",
            "subscriptionId": news.id,
            "legalBasis": "CONSENT_WITH_NOTICE",
            "legalBasisExplanation": f"{address} ticked the box",
        },
        headers={**tenant.headers, "Idempotency-Key": f"erase-{tag}"},
    )
    assert keyed.status_code == 200, keyed.text
    assert v3.change(http, tenant, "unsubscribe", address, offers.id).status_code == 200
    assert v4.unsubscribe_all(address, verbose="true").status_code == 200
    # A keyed write whose reply does not name the address: what is kept of it is keyed too.
    opt_out_path = f"{V4_PREFIX}/statuses/{quote(address)}/unsubscribe-all"
    kept = http.post(
        opt_out_path,
        params={"channel": "EMAIL"},
        headers={**tenant.headers, "Idempotency-Key": f"opt-out-{tag}"},
    )
    assert kept.status_code == 200, kept.text
    assert address.lower().encode() not in kept.content
    plain = fingerprint("POST", opt_out_path.encode(), b"channel=EMAIL", b"").encode()
    batch = {"inputs": [{"subscriberIdString": address, "channel": "EMAIL",
                         "statusState": "SUBSCRIBED", "subscriptionId": news.id}]}  # fmt: skip
    assert v4.batch("write", batch).status_code == 200
    assert v4.reason(neighbour, offers.id, "UNSUBSCRIBED") == "REQUESTED_CHANGE_OCCURRED"
    # Issue 16's and 17's records of the address: a keyed double opt-in request (its context
    # holds the user agent too) and an admin import that rejects a row of it.
    confirming = http.post(
        f"{LEDGER}/subscribers/{quote(address)}/confirmations",
        json={"subscriptionIds": [news.id]},
        headers={**tenant.headers, **agent, "Idempotency-Key": f"confirm-{tag}"},
    )
    assert confirming.status_code == 202, confirming.text
    job = _import_with_a_reject(http, tenant, f"{address},{news.id},MAYBE")
    exported = http.get(f"{LEDGER}/subscribers/{quote(address)}/export", headers=tenant.headers)
    before = exported.json()
    assert len(before["confirmations"]) == 1
    assert [r["importId"] for r in before["importRejects"]] == [job]
    assert {r["idempotencyKey"] for r in before["idempotencyRecords"]} == {
        f"erase-{tag}",
        f"confirm-{tag}",
    }
    agents = {(e["context"] or {}).get("userAgent") for e in before["history"]}
    assert {f"EraseAgent/{tag}", f"ErasePage/{tag}"} <= agents
    assert agent["User-Agent"].encode() in database_bytes(server.database_url)  # the scan sees it
    neighbour_before = history(http, tenant, neighbour)
    timeline_before = {item["recipient"] for item in v1.every_item(http, tenant, 100)}
    assert timeline_before == {neighbour, address.lower()}
    delivered_before = events(factory, webhook)
    erased_entries = len(history(http, tenant, address).json()["results"])
    assert erased_entries >= 5

    # No token without the new scope may erase, not even one with every other scope.
    refused = http.delete(f"{LEDGER}/subscribers/{quote(address)}", headers=tenant.headers)
    assert refused.status_code == 403, refused.text
    assert refused.json()["category"] == "MISSING_SCOPES"

    eraser = {"Authorization": f"Bearer {factory.token(tenant.portal, [ERASE_SCOPE])}"}
    # Keyed: what is remembered of the erasure's own reply holds no address either.
    erasing = {**eraser, "Idempotency-Key": f"erasure-{tag}"}
    erased = http.delete(f"{LEDGER}/subscribers/{quote(address)}", headers=erasing)
    assert erased.status_code == 200, erased.text
    replayed = http.delete(f"{LEDGER}/subscribers/{quote(address)}", headers=erasing)
    assert replayed.content == erased.content
    subject = erased.json()["subscriberHash"]
    assert len(subject) == 64
    assert subject != hashlib.sha256(address.lower().encode()).hexdigest()
    assert address.lower().encode() not in erased.content

    # 1. Nowhere in the database, in any spelling, nor its plain hash.
    stored = database_bytes(server.database_url)
    assert [form for form in spellings(address) if form in stored] == []
    assert plain not in stored
    # The consent contexts are sealed, and gone with the key.
    assert [a for a in (agent, browser) if a["User-Agent"].encode() in stored] == []
    after = http.get(f"{LEDGER}/subscribers/{quote(address)}/export", headers=tenant.headers)
    assert [after.json()[k] for k in ("confirmations", "importRejects", "idempotencyRecords")] == [
        [],
        [],
        [],
    ]
    cut = http.get(f"{LEDGER}/imports/{job}/rejects", headers=tenant.headers)
    assert cut.text.splitlines()[1].startswith("[erased],"), cut.text  # its line and error stay

    # 2. The chain verifies; the erased entries keep their place; the neighbour's history is
    # byte for byte the same.
    report = verify(server, tenant.portal.id)
    neighbours = len(neighbour_before.json()["results"])
    assert report["entries"] == erased_entries + neighbours + 1  # and the erasure's own
    assert history(http, tenant, neighbour).content == neighbour_before.content
    assert history(http, tenant, address).json()["results"] == []
    # v1's portal timeline lists the neighbour's changes, and nothing of the erased address.
    recipients = {item["recipient"] for item in v1.every_item(http, tenant, 100)}
    assert recipients == {neighbour}

    # 3. Suppressed: opted out of all, "Erased on request", through v4, v3 and the batch reads.
    read = v4.statuses(address).json()["results"]
    assert {(r["status"], r["source"]) for r in read} == {("UNSUBSCRIBED", "Erased on request")}
    wide = v4.wide(address).json()["results"]
    assert [(w["wideStatusType"], w["status"]) for w in wide] == [("PORTAL_WIDE", "UNSUBSCRIBED")]
    old_api = v3.statuses(http, tenant, address)
    assert {s["status"] for s in old_api.values()} == {"NOT_SUBSCRIBED"}
    assert {s["sourceOfStatus"] for s in old_api.values()} == {"PORTAL_WIDE_STATUS"}
    batch_read = v4.batch("read", {"inputs": [address]}).json()["results"]
    assert [{s["status"] for s in r["statuses"]} for r in batch_read] == [{"UNSUBSCRIBED"}]
    wide_read = v4.batch("unsubscribe-all/read", {"inputs": [address]}).json()["results"]
    assert [(w["wideStatusType"], w["status"]) for w in wide_read[0]["wideStatuses"]] == [
        ("PORTAL_WIDE", "UNSUBSCRIBED")
    ]
    # A change that is not new consent changes nothing; v3 cannot resubscribe.
    assert v4.reason(address, offers.id, "UNSUBSCRIBED") == "NO_STATUS_CHANGE"
    assert v3.change(http, tenant, "subscribe", address, news.id).status_code == 400
    refused_rows = rejects(
        server,
        tenant,
        tmp_path / "import.csv",
        [[address, news.id, "", "", "", "SUBSCRIBED", "", "", "", "import"]],
    )
    assert ["erased on request" in row["_error"] for row in refused_rows] == [True]
    stored = database_bytes(server.database_url)
    assert [form for form in spellings(address) if form in stored] == []

    # 4. The webhooks are told, with the keyed hash; the erased entries' events name nobody.
    # What a receiver was sent before lets it find what to erase: the same keyed hash.
    theirs = {e["subscriberHash"] for e in delivered_before if e["subscriberIdString"] != neighbour}
    assert theirs == {subject}
    sent = events(factory, webhook)
    assert [e["subscriberHash"] for e in sent if e["type"] == "subscriber.erased"] == [subject]
    named = {(e.get("subscriberIdString"), e["subscriberHash"] is None) for e in sent}
    assert named == {(None, True), (neighbour, False), (None, False)}  # (None, False): the erasure

    # New explicit consent: a fresh history, and the address is a subscriber again.
    assert v4.reason(address, news.id, "SUBSCRIBED") == "RESUBSCRIBE_OCCURRED"
    fresh = history(http, tenant, address).json()["results"]
    assert [e["newStatus"] for e in fresh] == ["SUBSCRIBED", "SUBSCRIBED"]
    assert v4.states(address)[news.id] == "SUBSCRIBED"
    verify(server, tenant.portal.id)


def _import_with_a_reject(http: httpx.Client, tenant: Tenant, row: str) -> int:
    """An admin API import job (issue 17) of one row it rejects; the job's id."""
    upload = http.post(
        f"{LEDGER}/imports",
        files={"file": ("statuses.csv", f"email,subscriptionId,status\n{row}\n", "text/csv")},
        headers=tenant.headers,
    )
    assert upload.status_code == 202, upload.text
    for _ in range(600):
        job: dict[str, Any] = http.get(
            f"{LEDGER}/imports/{upload.json()['id']}", headers=tenant.headers
        ).json()
        if job["state"] != "RUNNING":
            assert (job["state"], job["rejected"]) == ("COMPLETE", 1), job
            return int(job["id"])
        time.sleep(0.05)
    raise AssertionError(f"the import job did not finish: {job}")


def test_the_cli_erases_too_and_says_only_the_keyed_hash(
    server: Server, http: httpx.Client, factory: Factory
) -> None:
    tenant = factory.tenant(types=1)
    v4 = V4(http, V4_PREFIX, tenant)
    address = f"cli-{uuid.uuid4().hex[:10]}@example.com"
    assert v4.reason(address, tenant.definitions[0].id, "SUBSCRIBED") == "REQUESTED_CHANGE_OCCURRED"
    done = cli.run(
        *("subjects", "erase", "--portal", str(tenant.portal.id), "--email", address.upper()),
        *("--json", "--database", server.database_url),
    )
    assert done.returncode == 0, done.stderr
    assert address not in done.stdout.lower()
    assert len(json.loads(done.stdout)["subscriberHash"]) == 64
    assert v4.states(address) == {tenant.definitions[0].id: "UNSUBSCRIBED"}
    stored = database_bytes(server.database_url)
    assert [form for form in spellings(address) if form in stored] == []
    verify(server, tenant.portal.id)
