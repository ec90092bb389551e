"""The emulator's request journal and injected faults, over HTTP against ``serve --emulator``
(issue 15): HubSpot's own SDK retries through 429s and the journal shows every try; a faulted
write changes nothing; matches, counts, delays and defaults; bad specs are 400s; the journal's
filters, its bound, and that no credential ever reaches it; the control API's own document
(schemathesis runs over it in tests/integration/test_fuzzing.py)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hubspot_sdk import HubSpot

from tests.support.emulator import served_emulator, subscription
from tests.support.factories import Factory, Tenant, email
from tests.support.server import Server

JOURNAL_SIZE = 40
V4 = "/communication-preferences/v4"
# hubspot-sdk calls the date-versioned API.
SDK_UNSUBSCRIBE_ALL = (
    "post-/communication-preferences/2026-03/statuses/{subscriberIdString}/unsubscribe-all"
)
READ_STATUSES = f"get-{V4}/statuses/{{subscriberIdString}}"


@pytest.fixture(scope="module")
def emulator(module_sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("emulator") / "server.log"
    env = {"COMMPREFS_JOURNAL_SIZE": str(JOURNAL_SIZE)}
    with served_emulator(module_sqlite_url, log, **env) as server:
        yield server


@pytest.fixture
def http(emulator: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.url, timeout=30.0) as client:
        client.delete("/_commprefs/faults").raise_for_status()
        client.delete("/_commprefs/requests").raise_for_status()
        yield client


@pytest.fixture
def tenant(module_factory: Factory) -> Tenant:
    return module_factory.tenant(types=2)


def fault(http: httpx.Client, **spec: Any) -> int:
    added = http.post("/_commprefs/faults", json=spec)
    assert added.status_code == 201, added.text
    fault_id: int = added.json()["id"]
    return fault_id


def journal(http: httpx.Client, **filters: Any) -> list[dict[str, Any]]:
    listed = http.get("/_commprefs/requests", params=filters)
    assert listed.status_code == 200, listed.text
    results: list[dict[str, Any]] = listed.json()["results"]
    return results


def statuses(http: httpx.Client, tenant: Tenant, subscriber: str) -> dict[str, Any]:
    read = http.get(
        f"{V4}/statuses/{subscriber}", params={"channel": "EMAIL"}, headers=tenant.headers
    )
    assert read.status_code == 200, read.text
    return {str(s["subscriptionId"]): s["status"] for s in read.json()["results"]}


def test_the_sdks_retry_gets_through_two_429s_and_the_journal_shows_three_requests(
    http: httpx.Client, emulator: Server, tenant: Tenant
) -> None:
    # Retry-After as HubSpot's SDK reads it (it honours fractions), so the test waits 0.2 s.
    fault_id = fault(
        http, operationId=SDK_UNSUBSCRIBE_ALL, status=429, times=2, headers={"Retry-After": "0.1"}
    )
    subscriber = email()
    client = HubSpot(access_token=tenant.token, base_url=emulator.url, max_retries=2)

    response = client.communication_preferences.unsubscribe_all(subscriber, channel="EMAIL")

    assert response.status == "COMPLETE"
    tries = journal(http, operation=SDK_UNSUBSCRIBE_ALL)
    assert [t["status"] for t in tries] == [429, 429, 200]
    assert [t["fault"] for t in tries] == [fault_id, fault_id, None]
    assert {t["path"] for t in tries} == {
        f"/communication-preferences/2026-03/statuses/{subscriber}/unsubscribe-all"
    }
    assert tries[0]["responseBody"]["policyName"] == "TEN_SECONDLY_ROLLING"
    assert tries[0]["id"] < tries[1]["id"] < tries[2]["id"]
    listed = http.get("/_commprefs/faults").json()["results"]
    assert [(f["id"], f["hits"], f["active"]) for f in listed] == [(fault_id, 2, False)]


def test_a_503_fault_leaves_the_state_untouched(
    http: httpx.Client, tenant: Tenant, module_factory: Factory
) -> None:
    subscriber = email()
    before = statuses(http, tenant, subscriber)
    fault_id = fault(http, method="post", path=f"{V4}/statuses/*", status=503)
    change = subscription(tenant)

    refused = http.post(f"{V4}/statuses/{subscriber}", json=change, headers=tenant.headers)

    assert refused.status_code == 503
    body = refused.json()
    assert body["status"] == "error"
    assert body["category"] == "SERVICE_UNAVAILABLE"
    assert body["correlationId"] == refused.headers["x-hubspot-correlation-id"]
    assert statuses(http, tenant, subscriber) == before
    assert module_factory.ledger(tenant.portal, subscriber) == []
    (entry,) = journal(http, method="POST")
    assert entry["fault"] == fault_id
    assert entry["requestBody"] == change
    assert entry["responseBody"] == body
    # The fault answered once (times defaults to 1): the same write now goes through.
    again = http.post(f"{V4}/statuses/{subscriber}", json=change, headers=tenant.headers)
    assert again.status_code == 200


def test_default_answers_are_hubspots_error_bodies(http: httpx.Client, tenant: Tenant) -> None:
    path = f"{V4}/statuses/{email()}"
    fault(http, path=path, status=429)
    limited = http.get(path, params={"channel": "EMAIL"}, headers=tenant.headers)
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "1"
    assert limited.json()["category"] == "RATE_LIMITS"
    assert limited.json()["errorType"] == "RATE_LIMIT"
    assert limited.json()["message"] == "You have reached your ten_secondly_rolling limit."
    categories = {
        500: "INTERNAL_ERROR",
        502: "BAD_GATEWAY",
        503: "SERVICE_UNAVAILABLE",
        504: "GATEWAY_TIMEOUT",
    }
    for status, category in categories.items():
        fault(http, path=path, status=status)
        answer = http.get(path, params={"channel": "EMAIL"}, headers=tenant.headers)
        assert answer.status_code == status
        assert answer.headers["content-type"] == "application/json"
        assert answer.json()["category"] == category
        assert answer.json()["correlationId"] == answer.headers["x-hubspot-correlation-id"]


def test_a_fault_may_give_its_own_body_and_headers(http: httpx.Client, tenant: Tenant) -> None:
    path = f"{V4}/statuses/{email()}"
    fault(
        http,
        path=path,
        status=502,
        body="<html>Bad gateway</html>",
        headers={"Content-Type": "text/html"},
    )
    fault(http, path=path, status=500, body={"oops": True}, headers={"X-Should-Retry": "false"})
    fault(http, path=path, status=504, body=None)

    html = http.get(path, params={"channel": "EMAIL"}, headers=tenant.headers)
    assert (html.status_code, html.headers["content-type"], html.text) == (
        502,
        "text/html",
        "<html>Bad gateway</html>",
    )
    own = http.get(path, params={"channel": "EMAIL"}, headers=tenant.headers)
    assert (own.status_code, own.json(), own.headers["x-should-retry"]) == (
        500,
        {"oops": True},
        "false",
    )
    empty = http.get(path, params={"channel": "EMAIL"}, headers=tenant.headers)
    assert (empty.status_code, empty.content) == (504, b"")


def test_after_lets_requests_through_and_times_zero_lasts_until_removed(
    http: httpx.Client, tenant: Tenant
) -> None:
    path = f"{V4}/statuses/{email()}"
    fault_id = fault(http, path=path, status=500, after=2, times=0)

    def read() -> int:
        return http.get(path, params={"channel": "EMAIL"}, headers=tenant.headers).status_code

    assert [read() for _ in range(5)] == [200, 200, 500, 500, 500]
    (listed,) = http.get("/_commprefs/faults").json()["results"]
    assert (listed["seen"], listed["hits"], listed["active"]) == (5, 3, True)
    assert http.delete(f"/_commprefs/faults/{fault_id}").status_code == 204
    assert read() == 200
    assert http.get("/_commprefs/faults").json()["results"] == []
    missing = http.delete(f"/_commprefs/faults/{fault_id}")
    assert missing.status_code == 404
    assert missing.json()["category"] == "OBJECT_NOT_FOUND"


def test_a_fault_matches_by_method_and_operation(http: httpx.Client, tenant: Tenant) -> None:
    subscriber = email()
    fault(http, operationId=READ_STATUSES, status=500, times=0)
    fault(http, method="DELETE", path="/**", status=500, times=0)
    change = subscription(tenant)
    write = http.post(f"{V4}/statuses/{subscriber}", json=change, headers=tenant.headers)
    assert write.status_code == 200
    read = http.get(
        f"{V4}/statuses/{subscriber}", params={"channel": "EMAIL"}, headers=tenant.headers
    )
    assert read.status_code == 500
    other_version = http.get(
        f"/communication-preferences/2026-03/statuses/{subscriber}",
        params={"channel": "EMAIL"},
        headers=tenant.headers,
    )
    assert other_version.status_code == 200  # another operation of the document


def test_a_delay_alone_serves_late_and_with_a_status_answers_late(
    http: httpx.Client, tenant: Tenant
) -> None:
    subscriber = email()
    path = f"{V4}/statuses/{subscriber}/unsubscribe-all"
    fault(http, path=path, delayMs=300)
    started = time.monotonic()
    served = http.post(path, params={"channel": "EMAIL"}, headers=tenant.headers)
    assert served.status_code == 200
    assert time.monotonic() - started >= 0.3
    assert set(statuses(http, tenant, subscriber).values()) == {"UNSUBSCRIBED"}

    fault(http, path=path, delayMs=300, status=503)
    started = time.monotonic()
    answered = http.post(path, params={"channel": "EMAIL"}, headers=tenant.headers)
    assert answered.status_code == 503
    assert time.monotonic() - started >= 0.3
    tries = journal(http, method="POST")
    assert [t["durationMs"] >= 299 for t in tries] == [True, True], tries
    assert all(t["fault"] is not None for t in tries)


@pytest.mark.parametrize(
    ("spec", "field"),
    [
        ({"status": 200}, "status"),
        ({"status": "429"}, "status"),
        ({}, "status"),
        ({"body": {"a": 1}, "delayMs": 10}, "status"),
        ({"status": 500, "delayMs": 300_001}, "delayMs"),
        ({"status": 500, "times": -1}, "times"),
        ({"status": 500, "after": 1.5}, "after"),
        ({"status": 500, "method": "FETCH"}, "method"),
        ({"status": 500, "path": "statuses/*"}, "path"),
        ({"status": 500, "operationId": "get-/nowhere"}, "operationId"),
        ({"status": 500, "headers": {"Content-Length": "3"}}, "headers.Content-Length"),
        ({"status": 500, "headers": {"X-A": "line\r\nInjected: yes"}}, "headers.X-A"),
        ({"status": 500, "headers": {"bad name": "x"}}, "headers"),
        ({"status": 500, "tims": 2}, "tims"),
    ],
)
def test_an_invalid_fault_is_a_400_naming_the_field(
    http: httpx.Client, spec: dict[str, Any], field: str
) -> None:
    refused = http.post("/_commprefs/faults", json=spec)
    assert refused.status_code == 400, refused.text
    body = refused.json()
    assert body["status"] == "error"
    assert body["category"] == "VALIDATION_ERROR"
    assert field in [e.get("in") for e in body["errors"]]
    assert http.get("/_commprefs/faults").json()["results"] == []


def test_the_journal_filters(http: httpx.Client, tenant: Tenant) -> None:
    first, second = email(), email()
    http.get(f"{V4}/statuses/{first}", params={"channel": "EMAIL"}, headers=tenant.headers)
    http.post(
        f"{V4}/statuses/{first}/unsubscribe-all",
        params={"channel": "EMAIL"},
        headers=tenant.headers,
    )
    since = http.get("/_commprefs/clock").json()["now"]
    time.sleep(0.002)  # the next request arrives at least a millisecond later
    http.get(f"{V4}/statuses/{second}", params={"channel": "EMAIL"}, headers=tenant.headers)
    http.get(f"{V4}/statuses/{second}")  # no token: 401
    http.get("/no/such/path")

    assert [e["path"] for e in journal(http, method="post")] == [
        f"{V4}/statuses/{first}/unsubscribe-all"
    ]
    assert len(journal(http, path=f"{V4}/statuses/*")) == 3
    assert len(journal(http, path=f"{V4}/**")) == 4
    assert [e["query"] for e in journal(http, operation=READ_STATUSES)] == [
        {"channel": "EMAIL"}
    ] * 2 + [{}]
    (unauthenticated,) = journal(http, status=401)
    assert unauthenticated["responseBody"]["category"] == "INVALID_AUTHENTICATION"
    assert [e["path"] for e in journal(http, since=since)] == [
        f"{V4}/statuses/{second}",
        f"{V4}/statuses/{second}",
        "/no/such/path",
    ]
    (missing,) = journal(http, status=404)
    assert missing["operation"] is None
    assert [e["path"] for e in journal(http, limit=1)] == ["/no/such/path"]
    # The control API, the documents and the pages are not HubSpot's API: never journaled.
    http.get("/openapi.json")
    http.get("/preferences/not-a-link")
    assert len(journal(http)) == 5
    bad = http.get("/_commprefs/requests", params={"since": "yesterday"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["in"] == "since"
    assert http.delete("/_commprefs/requests").status_code == 204
    assert journal(http) == []


def test_the_journal_keeps_the_last_requests_within_its_size(http: httpx.Client) -> None:
    for n in range(JOURNAL_SIZE + 5):
        http.get(f"/no/such/path/{n}")
    listed = http.get("/_commprefs/requests").json()
    assert (listed["capacity"], listed["dropped"]) == (JOURNAL_SIZE, 5)
    paths = [e["path"] for e in listed["results"]]
    assert paths == [f"/no/such/path/{n}" for n in range(5, JOURNAL_SIZE + 5)]


def test_no_credential_ever_reaches_the_journal(
    http: httpx.Client, tenant: Tenant, module_factory: Factory
) -> None:
    token_id = module_factory.token_ids[tenant.token]
    path = f"{V4}/statuses/{email()}"
    http.get(path, params={"channel": "EMAIL"}, headers=tenant.headers)
    http.get(
        path, params={"channel": "EMAIL"}, headers={"Authorization": "Bearer cpat-not-a-token"}
    )
    http.get(path, params={"channel": "EMAIL"}, auth=("user", "basic-password"))
    fault(http, path=path, status=503)
    http.get(path, params={"channel": "EMAIL"}, headers=tenant.headers)  # answered by the fault

    raw = http.get("/_commprefs/requests").text
    for secret in (
        tenant.token,
        "cpat-not-a-token",
        "basic-password",
        "dXNlcjpiYXNpYy1wYXNzd29yZA",
    ):
        assert secret not in raw
    entries = journal(http)
    assert [e["headers"]["authorization"] for e in entries] == [
        f"Bearer <token {token_id}: test token>",
        "Bearer <unknown token>",
        "<redacted>",
        f"Bearer <token {token_id}: test token>",
    ]
    assert entries[0]["token"] == {"id": token_id, "name": "test token"}
    assert entries[1]["token"] is None


def test_the_control_api_has_its_own_document(http: httpx.Client) -> None:
    control = http.get("/_commprefs/openapi.json")
    assert control.status_code == 200
    operations = {
        operation["operationId"]
        for methods in control.json()["paths"].values()
        for operation in methods.values()
    }
    assert operations >= {
        "applySeed",
        "readSeedSchema",
        "reset",
        "readState",
        "listRequests",
        "clearRequests",
        "addFault",
        "listFaults",
        "clearFaults",
        "removeFault",
        "readClock",
        "setClock",
        "advanceClock",
        "resetClock",
    }
    served = http.get("/openapi.json").json()
    assert not [path for path in served["paths"] if path.startswith("/_commprefs")]
    for path in ("/_commprefs/requests", "/_commprefs/faults", "/_commprefs/clock"):
        assert http.get(path).status_code == 200  # no token needed
