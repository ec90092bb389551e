"""Change events delivered to a real local endpoint by the real worker, on both databases."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from commprefs.domain.errors import InvalidInput, NotFound
from tests.support import cli
from tests.support.factories import Factory, Tenant, email
from tests.support.receiver import Receiver
from tests.support.server import Server
from tests.support.v4 import V4
from tests.support.worker import FAST_DELIVERY, Worker

V4_PREFIX = "/communication-preferences/v4"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    endpoint = Receiver()
    yield endpoint
    endpoint.close()


@pytest.fixture
def add_webhook(server: Server, factory: Factory) -> Iterator[Callable[..., dict[str, Any]]]:
    """``commprefs webhooks add``; every webhook made is removed after the test."""
    made: list[int] = []
    db = ("--database", server.database_url)

    def add(tenant: Tenant, url: str, *extra: str) -> dict[str, Any]:
        webhook: dict[str, Any] = cli.json_of(
            "webhooks", "add", "--portal", str(tenant.portal.id), "--url", url, *extra, *db
        )
        made.append(webhook["id"])
        return webhook

    yield add
    for webhook_id in made:
        factory.run(factory.services.webhooks.remove(webhook_id))


@pytest.fixture
def start_worker(server: Server, tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    started: list[Worker] = []

    def start(**env: str) -> Worker:
        worker = Worker(server.database_url, tmp_path / f"worker-{len(started)}.log", **env)
        started.append(worker.start())
        return worker

    yield start
    for worker in started:
        worker.stop()


def opt_out_all(http: httpx.Client, tenant: Tenant, subscribers: list[str]) -> list[str]:
    """Opt each subscriber out of all email; the request ids, one per subscriber."""
    v4 = V4(http, V4_PREFIX, tenant)
    answers = [v4.unsubscribe_all(s) for s in subscribers]
    assert {a.status_code for a in answers} == {200}
    return [a.headers["x-hubspot-correlation-id"] for a in answers]


def test_events_arrive_signed_in_ledger_order(
    http: httpx.Client,
    factory: Factory,
    receiver: Receiver,
    add_webhook: Callable[..., dict[str, Any]],
    start_worker: Callable[..., Worker],
) -> None:
    tenant = factory.tenant(types=2)
    webhook = add_webhook(tenant, receiver.url)
    subscriber = email()
    v4 = V4(http, V4_PREFIX, tenant)
    assert v4.update(subscriber, tenant.definitions[0].id, "SUBSCRIBED").is_success
    [opt_out_request] = opt_out_all(http, tenant, [subscriber])
    start_worker()

    events = receiver.wait_for_events(4)

    ledger = http.get(
        f"/commprefs/v1/subscribers/{subscriber}/history",
        params={"channel": "EMAIL"},
        headers=tenant.headers,
    ).json()["results"]
    assert [e["sequence"] for e in events] == [1, 2, 3, 4]
    assert [e["ledgerHash"] for e in events] == [entry["hash"] for entry in ledger]
    assert [(e["type"], e["oldStatus"], e["newStatus"]) for e in events] == [
        ("subscription_status.changed", "NOT_SPECIFIED", "SUBSCRIBED"),
        ("wide_status.changed", "SUBSCRIBED", "UNSUBSCRIBED"),
        ("subscription_status.changed", "SUBSCRIBED", "UNSUBSCRIBED"),
        ("subscription_status.changed", "NOT_SPECIFIED", "UNSUBSCRIBED"),
    ]
    assert events[1]["wideStatusType"] == "PORTAL_WIDE"
    assert events[1]["requestId"] == opt_out_request
    for event in events:
        assert str(uuid.UUID(event["id"])) == event["id"]
        assert event["portalId"] == tenant.portal.id
        assert event["subscriberIdString"] == subscriber
        assert event["source"] == "Public status API"
    assert len({e["id"] for e in events}) == 4

    for delivery in receiver.acknowledged():
        stamp = delivery.headers["x-commprefs-timestamp"]
        assert abs(int(stamp) - time.time()) < 60
        expected = hmac.new(
            webhook["secret"].encode(), stamp.encode() + b"." + delivery.body, hashlib.sha256
        ).hexdigest()
        assert delivery.headers["x-commprefs-signature"] == f"v1={expected}"
        assert delivery.headers["x-commprefs-webhook-id"] == str(webhook["id"])
        assert delivery.headers["content-type"] == "application/json"


def test_a_failing_endpoint_is_retried_with_growing_waits_and_blocks_no_other(
    server: Server,
    http: httpx.Client,
    factory: Factory,
    add_webhook: Callable[..., dict[str, Any]],
    start_worker: Callable[..., Worker],
) -> None:
    tenant = factory.tenant(types=1)
    flaky, healthy = Receiver(), Receiver()
    try:
        flaky.fail_next(4)
        flaky_hook = add_webhook(tenant, flaky.url)
        add_webhook(tenant, healthy.url)
        opt_out_all(http, tenant, [email()])
        start_worker()

        assert len(healthy.wait_for_events(2, timeout=10)) == 2
        events = flaky.wait_for_events(2, timeout=30)
        attempts = flaky.deliveries
    finally:
        flaky.close()
        healthy.close()

    assert [e["sequence"] for e in events] == [1, 2]
    assert [d.status for d in attempts] == [500, 500, 500, 500, 200]
    assert [d.headers["x-commprefs-attempt"] for d in attempts] == ["1", "2", "3", "4", "5"]
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(attempts)]
    # Waits of 0.2 s · 2ⁿ⁻¹, each shortened by up to half at random: 0.1-0.2, …, 0.8-1.6 s.
    assert gaps[0] < gaps[3]
    assert gaps[3] >= 0.8
    listed = cli.json_of(
        "webhooks", "list", "--portal", str(tenant.portal.id), "--database", server.database_url
    )["webhooks"]
    mine = next(w for w in listed if w["id"] == flaky_hook["id"])
    assert (mine["pendingEvents"], mine["failedAttempts"], mine["lastError"]) == (0, 0, None)


def test_the_delivery_state_shows_a_failing_endpoint(
    server: Server,
    http: httpx.Client,
    factory: Factory,
    receiver: Receiver,
    add_webhook: Callable[..., dict[str, Any]],
    start_worker: Callable[..., Worker],
) -> None:
    tenant = factory.tenant(types=1)
    receiver.failing = True
    webhook = add_webhook(tenant, receiver.url)
    opt_out_all(http, tenant, [email()])
    start_worker()
    receiver.wait_until(lambda: len(receiver.deliveries) >= 2)

    listed = cli.json_of(
        "webhooks", "list", "--portal", str(tenant.portal.id), "--database", server.database_url
    )["webhooks"]
    assert [w["id"] for w in listed] == [webhook["id"]]
    assert listed[0]["pendingEvents"] == 2
    assert listed[0]["failedAttempts"] >= 1
    assert listed[0]["lastError"].startswith("HTTP 503")
    assert webhook["secret"] not in str(listed)


def test_nothing_is_lost_when_the_worker_is_killed(
    http: httpx.Client,
    factory: Factory,
    receiver: Receiver,
    add_webhook: Callable[..., dict[str, Any]],
    start_worker: Callable[..., Worker],
) -> None:
    tenant = factory.tenant(types=2)
    add_webhook(tenant, receiver.url)
    opt_out_all(http, tenant, [email() for _ in range(20)])  # 60 events
    receiver.delay = 0.03
    small_batches = {"COMMPREFS_WEBHOOK_BATCH_SIZE": "4"}
    first = start_worker(**small_batches)
    receiver.wait_until(lambda: len(receiver.events()) >= 16)
    first.stop(signal.SIGKILL)  # mid-delivery, no chance to tidy up
    opt_out_all(http, tenant, [email() for _ in range(10)])  # 30 more while nobody delivers
    start_worker(**small_batches)

    events = receiver.wait_for_events(90, timeout=60)

    first_seen: dict[str, dict[str, Any]] = {}
    for event in events:
        # A batch cut off by the kill may come again: with the same ids and the same content.
        assert first_seen.setdefault(event["id"], event) == event
    sequences = [e["sequence"] for e in first_seen.values()]
    assert sequences == list(range(1, 91))


def test_replay_sends_events_again_from_a_moment(
    server: Server,
    http: httpx.Client,
    factory: Factory,
    receiver: Receiver,
    add_webhook: Callable[..., dict[str, Any]],
    start_worker: Callable[..., Worker],
) -> None:
    tenant = factory.tenant(types=1)
    webhook = add_webhook(tenant, receiver.url)
    start_worker()
    opt_out_all(http, tenant, [email()])
    before = receiver.wait_for_events(2)
    time.sleep(0.01)
    moment = time.time_ns() // 1_000_000
    time.sleep(0.01)
    opt_out_all(http, tenant, [email(), email()])
    everything = receiver.wait_for_events(6)
    assert len(everything) == 6

    db = ("--database", server.database_url)
    portal = ("--portal", str(tenant.portal.id))
    replayed = cli.json_of("webhooks", "replay", *portal, "--since", str(moment), *db)
    assert replayed == {"webhooks": [{"id": webhook["id"], "fromSequence": 3, "events": 4}]}
    receiver.wait_until(lambda: len(receiver.events()) == 10)
    assert receiver.events()[6:] == everything[2:]

    # From before the first event: everything again, in order, with the same ids.
    cli.json_of("webhooks", "replay", *portal, "--since", "2000-01-01T00:00:00Z", *db)
    receiver.wait_until(lambda: len(receiver.events()) == 16)
    assert receiver.events()[10:] == before + everything[2:]


def test_serve_with_webhooks_delivers_too(
    database_url: str,
    tmp_path: Path,
    factory: Factory,
    receiver: Receiver,
    add_webhook: Callable[..., dict[str, Any]],
) -> None:
    tenant = factory.tenant(types=1)
    add_webhook(tenant, receiver.url)
    served = Server(database_url, tmp_path / "serve.log", "--webhooks", **FAST_DELIVERY).start()
    try:
        with httpx.Client(base_url=served.url, timeout=30) as client:
            opt_out_all(client, tenant, [email()])
        assert len(receiver.wait_for_events(2)) == 2
    finally:
        served.stop()


def test_webhook_administration_refuses_bad_input(server: Server, factory: Factory) -> None:
    tenant = factory.tenant(types=1)
    webhooks = factory.services.webhooks
    db = ("--database", server.database_url)
    portal = ("--portal", str(tenant.portal.id))
    for args in [
        ("webhooks", "add", *portal, "--url", "ftp://example.com/x", *db),
        ("webhooks", "replay", *portal, "--since", "last week", *db),
        ("webhooks", "remove", "999999", *db),
    ]:
        done = cli.run(*args)
        assert done.returncode == 1, args
        assert done.stderr.startswith("error: "), (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, (args, done.stderr)

    with pytest.raises(NotFound):
        factory.run(webhooks.add(999_999, "http://127.0.0.1/x"))
    with pytest.raises(InvalidInput, match="16 to 200"):
        factory.run(webhooks.add(tenant.portal.id, "http://127.0.0.1/x", "short"))
    with pytest.raises(NotFound):
        factory.run(webhooks.replay(tenant.portal.id, 0, webhook_id=999_999))
    chosen = factory.run(webhooks.add(tenant.portal.id, "https://hooks.example.com/in", "s" * 32))
    assert chosen.secret == "s" * 32
    factory.run(webhooks.remove(chosen.id))
    with pytest.raises(NotFound):
        factory.run(webhooks.remove(chosen.id))


def test_a_webhook_urls_password_is_masked_wherever_the_url_is_shown(
    server: Server,
    http: httpx.Client,
    factory: Factory,
    receiver: Receiver,
    add_webhook: Callable[..., dict[str, Any]],
    start_worker: Callable[..., Worker],
) -> None:
    password = "hook-pw-2718"
    url = receiver.url.replace("http://", f"http://hooks:{password}@", 1)
    masked = receiver.url.replace("http://", "http://hooks:***@", 1)
    tenant = factory.tenant(types=1)
    db = ("--database", server.database_url)
    portal = ("--portal", str(tenant.portal.id))
    receiver.failing = True
    shown: list[str] = []

    added = add_webhook(tenant, url)
    shown.append(json.dumps(added))
    assert added["url"] == masked
    as_text = cli.run("webhooks", "add", *portal, "--url", url, *db)
    assert as_text.returncode == 0, as_text.stderr
    shown.append(as_text.stdout + as_text.stderr)
    assert masked in as_text.stdout
    refused = cli.run("webhooks", "add", *portal, "--url", url.replace("http", "ftp", 1), *db)
    assert refused.returncode == 1
    shown.append(refused.stdout + refused.stderr)

    opt_out_all(http, tenant, [email()])
    worker = start_worker()
    receiver.wait_until(lambda: len(receiver.deliveries) >= 4)  # both webhooks failed twice
    listed = cli.json_of("webhooks", "list", *portal, *db)
    assert {w["url"] for w in listed["webhooks"]} == {masked}
    assert all(w["lastError"] for w in listed["webhooks"])
    shown.append(json.dumps(listed))
    as_lines = cli.run("webhooks", "list", *portal, *db)
    shown.append(as_lines.stdout + as_lines.stderr)
    assert masked in as_lines.stdout
    basic = base64.b64encode(f"hooks:{password}".encode()).decode()
    assert {d.headers["authorization"] for d in receiver.deliveries} == {f"Basic {basic}"}
    # The worker serves every portal of the shared database: its lines about this test's two
    # webhooks are the ones that name the receiver.
    host = receiver.url.split("://", 1)[1].split("/", 1)[0]
    failed = [line for line in worker.log().splitlines() if "failed" in line and host in line]
    assert failed
    assert all(masked in line for line in failed), failed
    shown.append(worker.log())

    for output in shown:
        assert password not in output
    for listed_webhook in listed["webhooks"]:
        if listed_webhook["id"] != added["id"]:
            factory.run(factory.services.webhooks.remove(listed_webhook["id"]))
