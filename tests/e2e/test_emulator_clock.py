"""The emulator's controllable clock, over HTTP against ``serve --emulator`` (issue 15): a frozen
clock makes responses carry the same timestamps (envelopes, statuses, the ledger, change events
and their signatures); a link signed with a rotated-out key expires after the grace period, an
Idempotency-Key after its time to live, and a rate-limit window passes, all by advancing the
clock rather than by waiting."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from commprefs.domain.clock import parse_instant
from commprefs.domain.link_signing import DAY_MS
from tests.support.emulator import served_emulator, subscription
from tests.support.factories import Factory, Tenant, email
from tests.support.pages import generate
from tests.support.receiver import Receiver
from tests.support.server import Server

V4 = "/communication-preferences/v4"
RATE_LIMIT = 5
TTL_SECONDS = 60
FROZEN_AT = "2030-01-01T00:00:00.000Z"
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def emulator(module_sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("emulator-clock") / "server.log"
    env = {
        "COMMPREFS_RATE_LIMIT": str(RATE_LIMIT),  # per token: each test has its own
        "COMMPREFS_IDEMPOTENCY_TTL_SECONDS": str(TTL_SECONDS),
        "COMMPREFS_WEBHOOK_POLL_SECONDS": "0.1",
    }
    with served_emulator(module_sqlite_url, log, "--webhooks", **env) as server:
        yield server


@pytest.fixture
def http(emulator: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.url, timeout=30.0) as client:
        yield client
        client.delete("/_commprefs/clock").raise_for_status()


@pytest.fixture
def tenant(module_factory: Factory) -> Tenant:
    return module_factory.tenant(types=2)


def set_clock(http: httpx.Client, **setting: Any) -> dict[str, Any]:
    answer = http.put("/_commprefs/clock", json=setting)
    assert answer.status_code == 200, answer.text
    reading: dict[str, Any] = answer.json()
    return reading


def advance(http: httpx.Client, seconds: float) -> dict[str, Any]:
    answer = http.post("/_commprefs/clock/advance", json={"seconds": seconds})
    assert answer.status_code == 200, answer.text
    reading: dict[str, Any] = answer.json()
    return reading


def subscribe(
    http: httpx.Client, tenant: Tenant, subscriber: str, **headers: str
) -> httpx.Response:
    change = subscription(tenant)
    return http.post(
        f"{V4}/statuses/{subscriber}", json=change, headers={**tenant.headers, **headers}
    )


def times_of(body: dict[str, Any], subscription_id: int) -> set[str]:
    """The envelope's times and the time of the subscriber's status of that type (the others
    were never chosen: they read as of when their type was made)."""
    found = {body["requestedAt"], body["startedAt"], body["completedAt"]}
    chosen = [r for r in body["results"] if r["subscriptionId"] == subscription_id]
    return found | {result["timestamp"] for result in chosen}


def test_a_frozen_clock_makes_two_responses_carry_the_same_timestamps(
    http: httpx.Client, tenant: Tenant
) -> None:
    reading = set_clock(http, now="2030-01-01T00:00:00Z", frozen=True)
    assert reading == {
        "now": FROZEN_AT,
        "nowMs": parse_instant(FROZEN_AT),
        "frozen": True,
        "realTime": False,
    }
    subscriber, chosen = email(), tenant.definitions[0].id
    first = subscribe(http, tenant, subscriber)
    second = http.get(
        f"{V4}/statuses/{subscriber}", params={"channel": "EMAIL"}, headers=tenant.headers
    )
    assert first.status_code == second.status_code == 200
    assert times_of(first.json(), chosen) == {FROZEN_AT}
    assert times_of(second.json(), chosen) == {FROZEN_AT}
    history = http.get(
        f"/commprefs/v1/subscribers/{subscriber}/history",
        params={"channel": "EMAIL"},
        headers=tenant.headers,
    ).json()
    assert [entry["recordedAt"] for entry in history["results"]] == [FROZEN_AT]
    (entry,) = http.get("/_commprefs/requests", params={"method": "POST", "limit": 1}).json()[
        "results"
    ]
    assert entry["receivedAt"] == FROZEN_AT

    moved = advance(http, 1.5)
    assert (moved["now"], moved["frozen"]) == ("2030-01-01T00:00:01.500Z", True)
    third = subscribe(http, tenant, email())
    assert times_of(third.json(), chosen) == {"2030-01-01T00:00:01.500Z"}


def test_a_set_clock_runs_on_unless_frozen_and_delete_returns_to_real_time(
    http: httpx.Client,
) -> None:
    running = set_clock(http, now="2031-06-01T12:00:00Z")
    assert (running["frozen"], running["realTime"]) == (False, False)
    later = http.get("/_commprefs/clock").json()
    assert later["nowMs"] >= running["nowMs"]
    assert later["nowMs"] - running["nowMs"] < 60_000
    frozen_here = set_clock(http, frozen=True)  # no "now": where it is
    assert frozen_here["nowMs"] - running["nowMs"] < 60_000
    real = http.delete("/_commprefs/clock").json()
    assert (real["frozen"], real["realTime"]) == (False, True)
    assert real["nowMs"] < running["nowMs"]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PUT", "/_commprefs/clock", {"now": "soon"}, "now"),
        ("PUT", "/_commprefs/clock", {"now": "10000-01-01T00:00:00Z"}, "now"),
        ("PUT", "/_commprefs/clock", {"frozen": True, "speed": 2}, "speed"),
        ("POST", "/_commprefs/clock/advance", {"seconds": -1}, "seconds"),
        ("POST", "/_commprefs/clock/advance", {"seconds": "a day"}, "seconds"),
        ("POST", "/_commprefs/clock/advance", {}, "seconds"),
    ],
)
def test_a_bad_clock_setting_is_a_400_naming_the_field(
    http: httpx.Client, method: str, path: str, body: dict[str, Any], field: str
) -> None:
    before = http.get("/_commprefs/clock").json()
    refused = http.request(method, path, json=body)
    assert refused.status_code == 400, refused.text
    assert refused.json()["category"] == "VALIDATION_ERROR"
    assert field in [e.get("in") for e in refused.json()["errors"]]
    assert http.get("/_commprefs/clock").json()["realTime"] == before["realTime"]


def test_advancing_past_the_last_instant_is_refused(http: httpx.Client) -> None:
    set_clock(http, now="9999-12-31T00:00:00Z", frozen=True)
    refused = http.post("/_commprefs/clock/advance", json={"seconds": 2 * 86_400})
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["in"] == "seconds"
    assert http.get("/_commprefs/clock").json()["now"] == "9999-12-31T00:00:00.000Z"


def test_a_rotated_out_keys_links_expire_when_the_clock_passes_the_grace_period(
    http: httpx.Client, tenant: Tenant, module_factory: Factory
) -> None:
    old = generate(http, tenant, email())
    rotated_at = module_factory.services.clock.now_ms()
    module_factory.run(module_factory.services.links.rotate_key())
    new = generate(http, tenant, email())

    def page(links: dict[str, str]) -> int:
        return http.get(urlsplit(links["managePreferencesUrl"]).path).status_code

    set_clock(http, now=str(rotated_at + 89 * DAY_MS), frozen=True)
    assert (page(old), page(new)) == (200, 200)
    advance(http, 2 * 86_400)  # day 91: past the 90 days' grace
    assert (page(old), page(new)) == (410, 200)
    http.delete("/_commprefs/clock")
    assert page(old) == 200  # the same link, in real time: still within its grace


def test_an_idempotency_key_expires_when_the_clock_passes_its_time_to_live(
    http: httpx.Client, tenant: Tenant
) -> None:
    set_clock(http, now="2030-01-01T00:00:00Z", frozen=True)
    subscriber = email()
    path = f"{V4}/statuses/{subscriber}/unsubscribe-all"
    keyed = {**tenant.headers, "Idempotency-Key": "clock-test-key"}

    def unsubscribe_all() -> httpx.Response:
        return http.post(path, params={"channel": "EMAIL", "verbose": "true"}, headers=keyed)

    first = unsubscribe_all()
    assert first.status_code == 200
    advance(http, TTL_SECONDS - 1)
    replayed = unsubscribe_all()
    assert replayed.headers.get("idempotent-replayed") == "true"
    assert replayed.content == first.content
    advance(http, 2)  # past the time to live: the key is forgotten, the request runs again
    ran_again = unsubscribe_all()
    assert ran_again.status_code == 200
    assert "idempotent-replayed" not in ran_again.headers
    reasons = {r["setStatusSuccessReason"] for r in ran_again.json()["results"]}
    assert reasons == {"NO_STATUS_CHANGE"}
    assert {r["setStatusSuccessReason"] for r in first.json()["results"]} == {
        "UNSUBSCRIBE_FROM_ALL_OCCURRED"
    }


def test_the_rate_limit_window_follows_the_clock(http: httpx.Client, tenant: Tenant) -> None:
    window_follows_the_clock(http, tenant)


def test_a_rate_limit_window_in_redis_follows_the_clock(
    module_sqlite_url: str, tmp_path: Path, tenant: Tenant
) -> None:
    env = {"COMMPREFS_RATE_LIMIT": str(RATE_LIMIT), "COMMPREFS_REDIS_URL": REDIS_URL}
    with (
        served_emulator(module_sqlite_url, tmp_path / "redis.log", **env) as server,
        httpx.Client(base_url=server.url, timeout=30.0) as http,
    ):
        window_follows_the_clock(http, tenant)


def window_follows_the_clock(http: httpx.Client, tenant: Tenant) -> None:
    set_clock(http, now="2030-01-01T00:00:00Z", frozen=True)
    path = f"{V4}/statuses/{email()}"

    def read() -> httpx.Response:
        return http.get(path, params={"channel": "EMAIL"}, headers=tenant.headers)

    assert [read().status_code for _ in range(RATE_LIMIT)] == [200] * RATE_LIMIT
    refused = read()
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "10"  # the frozen clock: a whole window to go
    advance(http, 9.9)
    assert read().status_code == 429
    advance(http, 0.1)
    assert read().status_code == 200
    # Set back: calls made "in the future" no longer count against the window.
    set_clock(http, now="2029-12-31T00:00:00Z", frozen=True)
    assert [read().status_code for _ in range(RATE_LIMIT)] == [200] * RATE_LIMIT


def test_change_events_and_their_signatures_follow_the_clock(
    http: httpx.Client, tenant: Tenant, module_factory: Factory
) -> None:
    set_clock(http, now=FROZEN_AT, frozen=True)
    receiver = Receiver()
    try:
        module_factory.run(module_factory.services.webhooks.add(tenant.portal.id, receiver.url))
        assert subscribe(http, tenant, email()).status_code == 200
        (event,) = receiver.wait_for_events(1)
        (delivery,) = receiver.acknowledged()
    finally:
        receiver.close()
    assert event["recordedAt"] == FROZEN_AT
    assert delivery.headers["x-commprefs-timestamp"] == str(parse_instant(FROZEN_AT) // 1000)
