"""Idempotency-Key on writes: a retry gets the first response and applies nothing; the same key
with another request is a 409; concurrent duplicates run once. SQLite and PostgreSQL."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.integration.test_errors_and_auth import assert_error_body
from tests.support.factories import Factory, Tenant, email
from tests.support.server import Server

OPT_OUT = "/communication-preferences/v4/statuses/{}/unsubscribe-all"
VERBOSE = {"channel": "EMAIL", "verbose": "true"}


@pytest.fixture
def tenant(factory: Factory) -> Tenant:
    return factory.tenant(types=2)


def keyed(tenant: Tenant, key: str) -> dict[str, str]:
    return {**tenant.headers, "Idempotency-Key": key}


def new_key() -> str:
    return f"key-{uuid.uuid4()}"


def reasons(response: httpx.Response) -> set[str]:
    return {r["setStatusSuccessReason"] for r in response.json()["results"]}


def test_a_retry_gets_the_first_response_and_applies_nothing(
    http: httpx.Client, tenant: Tenant, factory: Factory
) -> None:
    subscriber, key = email(), new_key()
    first = http.post(OPT_OUT.format(subscriber), params=VERBOSE, headers=keyed(tenant, key))
    ledger_after_first = factory.ledger(tenant.portal, subscriber)
    retry = http.post(OPT_OUT.format(subscriber), params=VERBOSE, headers=keyed(tenant, key))

    assert first.status_code == retry.status_code == 200
    assert retry.content == first.content
    assert reasons(retry) == {"UNSUBSCRIBE_FROM_ALL_OCCURRED"}
    assert retry.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert retry.headers["x-hubspot-correlation-id"] != first.headers["x-hubspot-correlation-id"]
    assert factory.ledger(tenant.portal, subscriber) == ledger_after_first
    assert len(ledger_after_first) == 3  # the wide opt-out and two types, once


def test_without_a_key_a_repeat_runs_again(http: httpx.Client, tenant: Tenant) -> None:
    subscriber = email()
    http.post(OPT_OUT.format(subscriber), params=VERBOSE, headers=tenant.headers)
    again = http.post(OPT_OUT.format(subscriber), params=VERBOSE, headers=tenant.headers)
    assert reasons(again) == {"NO_STATUS_CHANGE"}
    assert "idempotent-replayed" not in again.headers


@pytest.mark.parametrize(
    ("path_of", "params"),
    [
        (lambda first: first, {"channel": "EMAIL"}),  # same path, other query
        (lambda _first: email(), VERBOSE),  # other subscriber
    ],
    ids=["other-query", "other-path"],
)
def test_the_same_key_with_another_request_is_a_409_and_writes_nothing(
    http: httpx.Client, tenant: Tenant, factory: Factory, path_of: object, params: dict[str, str]
) -> None:
    subscriber, key = email(), new_key()
    assert http.post(
        OPT_OUT.format(subscriber), params=VERBOSE, headers=keyed(tenant, key)
    ).is_success
    other = path_of(subscriber)  # type: ignore[operator]
    ledger_before = factory.ledger(tenant.portal, other)

    conflict = http.post(OPT_OUT.format(other), params=params, headers=keyed(tenant, key))

    body = assert_error_body(conflict, 409, "CONFLICT")
    assert body["errors"][0]["in"] == "Idempotency-Key"  # type: ignore[index]
    assert "already used with a different request" in str(body["message"])
    assert factory.ledger(tenant.portal, other) == ledger_before


def test_the_same_key_with_another_body_is_a_409(http: httpx.Client, tenant: Tenant) -> None:
    subscriber, key = email(), new_key()
    headers = {**keyed(tenant, key), "Content-Type": "application/json"}
    first = http.post(OPT_OUT.format(subscriber), params=VERBOSE, headers=headers, content=b"{}")
    other = http.post(OPT_OUT.format(subscriber), params=VERBOSE, headers=headers, content=b"[]")
    assert first.status_code == 200
    assert_error_body(other, 409, "CONFLICT")


def test_keys_belong_to_a_portal_not_to_a_token(
    http: httpx.Client, tenant: Tenant, factory: Factory
) -> None:
    subscriber, key = email(), new_key()
    first = http.post(OPT_OUT.format(subscriber), params=VERBOSE, headers=keyed(tenant, key))
    second_token = factory.token(tenant.portal)
    same_portal = http.post(
        OPT_OUT.format(subscriber),
        params=VERBOSE,
        headers={"Authorization": f"Bearer {second_token}", "Idempotency-Key": key},
    )
    other_tenant = factory.tenant(types=1)
    other_portal = http.post(
        OPT_OUT.format(subscriber), params=VERBOSE, headers=keyed(other_tenant, key)
    )

    assert same_portal.content == first.content
    assert same_portal.headers["idempotent-replayed"] == "true"
    assert other_portal.status_code == 200
    assert "idempotent-replayed" not in other_portal.headers
    assert [r["subscriptionId"] for r in other_portal.json()["results"]] == [
        d.id for d in other_tenant.definitions
    ]


def test_a_failed_request_does_not_use_up_its_key(
    http: httpx.Client, tenant: Tenant, factory: Factory
) -> None:
    subscriber, key = email(), new_key()
    bad = {**VERBOSE, "businessUnitId": "4242"}
    first = http.post(OPT_OUT.format(subscriber), params=bad, headers=keyed(tenant, key))
    again = http.post(OPT_OUT.format(subscriber), params=bad, headers=keyed(tenant, key))
    fixed = http.post(OPT_OUT.format(subscriber), params=VERBOSE, headers=keyed(tenant, key))

    assert_error_body(first, 400, "VALIDATION_ERROR")
    assert_error_body(again, 400, "VALIDATION_ERROR")
    assert "idempotent-replayed" not in again.headers
    assert fixed.status_code == 200
    assert reasons(fixed) == {"UNSUBSCRIBE_FROM_ALL_OCCURRED"}


def test_an_unauthenticated_request_does_not_use_up_its_key(
    http: httpx.Client, tenant: Tenant
) -> None:
    subscriber, key = email(), new_key()
    refused = http.post(
        OPT_OUT.format(subscriber),
        params=VERBOSE,
        headers={"Authorization": "Bearer cpat-wrong", "Idempotency-Key": key},
    )
    assert_error_body(refused, 401, "INVALID_AUTHENTICATION")
    accepted = http.post(OPT_OUT.format(subscriber), params=VERBOSE, headers=keyed(tenant, key))
    assert accepted.status_code == 200
    assert "idempotent-replayed" not in accepted.headers


@pytest.mark.parametrize(
    "key",
    [b"", b"k" * 256, b"tab\there", "snow\u2603".encode()],
    ids=["empty", "long", "tab", "utf8"],
)
def test_a_malformed_key_is_a_400_naming_the_header(
    http: httpx.Client, tenant: Tenant, factory: Factory, key: bytes
) -> None:
    subscriber = email()
    response = http.post(
        OPT_OUT.format(subscriber),
        params=VERBOSE,
        headers=[*tenant.headers.items(), ("Idempotency-Key", key)],  # type: ignore[list-item]
    )
    body = assert_error_body(response, 400, "VALIDATION_ERROR")
    assert body["errors"][0]["in"] == "Idempotency-Key"  # type: ignore[index]
    assert factory.ledger(tenant.portal, subscriber) == []


def test_concurrent_duplicates_run_once_and_all_get_the_first_response(
    server: Server, tenant: Tenant, factory: Factory
) -> None:
    subscriber, key = email(), new_key()

    def send(_: int) -> httpx.Response:
        return httpx.post(
            server.url + OPT_OUT.format(subscriber),
            params=VERBOSE,
            headers=keyed(tenant, key),
            timeout=30.0,
        )

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(send, range(8)))

    assert [r.status_code for r in responses] == [200] * 8
    assert len({r.content for r in responses}) == 1
    assert sum("idempotent-replayed" not in r.headers for r in responses) == 1
    assert reasons(responses[0]) == {"UNSUBSCRIBE_FROM_ALL_OCCURRED"}
    ledger = factory.ledger(tenant.portal, subscriber)
    assert len(ledger) == 3
    assert len({entry.request_id for entry in ledger}) == 1


@pytest.fixture(scope="module")
def forgetful(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("logs") / "forgetful.log"
    running = Server(database_url, log, COMMPREFS_IDEMPOTENCY_TTL_SECONDS="1").start()
    yield running
    running.stop()


def test_a_key_is_forgotten_after_its_time_to_live(
    forgetful: Server, tenant: Tenant, tmp_path: Path
) -> None:
    subscriber, key = email(), new_key()
    url = forgetful.url + OPT_OUT.format(subscriber)
    first = httpx.post(url, params=VERBOSE, headers=keyed(tenant, key))
    time.sleep(1.2)
    later = httpx.post(url, params=VERBOSE, headers=keyed(tenant, key))

    assert reasons(first) == {"UNSUBSCRIBE_FROM_ALL_OCCURRED"}
    assert later.status_code == 200
    assert "idempotent-replayed" not in later.headers
    assert reasons(later) == {"NO_STATUS_CHANGE"}


def test_reads_sent_as_post_ignore_the_key_and_stay_fresh(
    http: httpx.Client, tenant: Tenant
) -> None:
    subscriber, key = email(), new_key()
    read = "/communication-preferences/v4/statuses/batch/read"
    body = {"inputs": [subscriber]}
    before = http.post(read, params={"channel": "EMAIL"}, json=body, headers=keyed(tenant, key))
    http.post(OPT_OUT.format(subscriber), params=VERBOSE, headers=tenant.headers)
    after = http.post(read, params={"channel": "EMAIL"}, json=body, headers=keyed(tenant, key))

    assert {s["status"] for s in before.json()["results"][0]["statuses"]} == {"NOT_SPECIFIED"}
    assert {s["status"] for s in after.json()["results"][0]["statuses"]} == {"UNSUBSCRIBED"}
    assert "idempotent-replayed" not in after.headers
