"""Limits on what a client may send and how slowly: oversized heads get a 431, slow heads and slow
bodies a 408, idle connections are closed, and none of it keeps the server from answering others.

These limits live in the HTTP layer, before any database work, so the server runs on SQLite only,
with short timeouts so that the tests are quick.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.integration.test_errors_and_auth import assert_error_body
from tests.support.factories import Factory, Tenant, email
from tests.support.server import Server
from tests.support.sockets import connect, parse, read_until_closed, trickle

MAX_HEADER_BYTES = 4096
TIMEOUT_S = 1.0
OPT_OUT = "/communication-preferences/v4/statuses/{}/unsubscribe-all"


@pytest.fixture(scope="module")
def strict(module_sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {
        "COMMPREFS_MAX_HEADER_BYTES": str(MAX_HEADER_BYTES),
        "COMMPREFS_REQUEST_HEAD_TIMEOUT": str(TIMEOUT_S),
        "COMMPREFS_REQUEST_BODY_TIMEOUT": str(TIMEOUT_S),
        "COMMPREFS_KEEP_ALIVE_TIMEOUT": "1",
    }
    running = Server(
        module_sqlite_url, tmp_path_factory.mktemp("logs") / "strict.log", **env
    ).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def tenant(module_factory: Factory) -> Tenant:
    return module_factory.tenant(types=1)


def request_head(tenant: Tenant, subscriber: str, *extra: str) -> bytes:
    lines = [
        f"POST {OPT_OUT.format(subscriber)}?channel=EMAIL HTTP/1.1",
        "Host: 127.0.0.1",
        f"Authorization: Bearer {tenant.token}",
        *extra,
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def test_a_head_over_the_limit_is_a_431_in_hubspots_body(strict: Server, tenant: Tenant) -> None:
    subscriber = email()
    response = httpx.post(
        strict.url + OPT_OUT.format(subscriber),
        params={"channel": "EMAIL"},
        headers={**tenant.headers, "X-Padding": "p" * MAX_HEADER_BYTES},
    )
    body = assert_error_body(response, 431, "VALIDATION_ERROR")
    assert f"limit of {MAX_HEADER_BYTES} bytes" in str(body["message"])
    assert response.headers["connection"] == "close"


def test_many_small_headers_count_together(
    strict: Server, tenant: Tenant, module_factory: Factory
) -> None:
    subscriber = email()
    padding = {f"X-Pad-{n}": "v" * 100 for n in range(50)}
    response = httpx.post(
        strict.url + OPT_OUT.format(subscriber),
        params={"channel": "EMAIL"},
        headers={**tenant.headers, **padding},
    )
    assert_error_body(response, 431, "VALIDATION_ERROR")
    assert module_factory.ledger(tenant.portal, subscriber) == []


def test_a_head_within_the_limit_is_served(strict: Server, tenant: Tenant) -> None:
    response = httpx.post(
        strict.url + OPT_OUT.format(email()),
        params={"channel": "EMAIL"},
        headers={**tenant.headers, "X-Padding": "p" * (MAX_HEADER_BYTES // 2)},
    )
    assert response.status_code == 200


def test_an_endless_header_is_cut_off_near_the_limit(strict: Server, tenant: Tenant) -> None:
    sock = connect(strict.port)
    with sock:
        sock.sendall(request_head(tenant, email()) + b"X-Endless: ")
        sent = 0
        try:
            while sent < 200 * MAX_HEADER_BYTES:
                sock.sendall(b"e" * 1024)
                sent += 1024
                time.sleep(0.001)
        except OSError:
            pass
        answer = parse(read_until_closed(sock))
    assert answer.status == 431
    assert answer.json()["category"] == "VALIDATION_ERROR"
    assert sent < 200 * MAX_HEADER_BYTES


def test_a_slow_head_gets_a_408_while_others_are_served(
    strict: Server, tenant: Tenant, module_factory: Factory
) -> None:
    slow_subscriber = email()
    sock = connect(strict.port)
    outcome: dict[str, object] = {}

    def slow_client() -> None:
        with sock:
            pieces = [request_head(tenant, slow_subscriber)] + [b"X-Slow: 1\r\n"] * 40
            outcome["seconds"] = trickle(sock, pieces, pause=0.1)
            outcome["answer"] = parse(read_until_closed(sock))

    thread = threading.Thread(target=slow_client)
    thread.start()
    served = [
        httpx.post(
            strict.url + OPT_OUT.format(email()),
            params={"channel": "EMAIL"},
            headers=tenant.headers,
        ).status_code
        for _ in range(5)
    ]
    thread.join(timeout=30)

    assert served == [200] * 5
    answer = outcome["answer"]
    assert answer.status == 408  # type: ignore[attr-defined]
    assert answer.json()["category"] == "TIMEOUT"  # type: ignore[attr-defined]
    assert float(outcome["seconds"]) < TIMEOUT_S + 1.5  # type: ignore[arg-type]
    assert module_factory.ledger(tenant.portal, slow_subscriber) == []


def test_a_slow_body_gets_a_408_and_writes_nothing(
    strict: Server, tenant: Tenant, module_factory: Factory
) -> None:
    subscriber = email()
    head = request_head(tenant, subscriber, "Content-Type: application/json", "Content-Length: 40")
    with connect(strict.port) as sock:
        seconds = trickle(sock, [head + b"\r\n{"] + [b" "] * 40, pause=0.1)
        answer = parse(read_until_closed(sock))
    assert answer.status == 408
    assert answer.headers["connection"] == "close"
    body = answer.json()
    assert body["category"] == "TIMEOUT"
    assert body["message"] == f"The request body did not arrive within {TIMEOUT_S:g} s."
    assert seconds < TIMEOUT_S + 1.5
    assert module_factory.ledger(tenant.portal, subscriber) == []


def test_a_connection_that_sends_nothing_is_closed(strict: Server) -> None:
    with connect(strict.port) as sock:
        started = time.monotonic()
        assert read_until_closed(sock) == b""
        assert time.monotonic() - started < TIMEOUT_S + 1.5


def test_an_idle_keep_alive_connection_is_closed(strict: Server, tenant: Tenant) -> None:
    with connect(strict.port) as sock:
        sock.sendall(request_head(tenant, email()) + b"\r\n")
        first = sock.recv(65536)
        started = time.monotonic()
        rest = read_until_closed(sock)
    assert parse(first + rest).status == 200
    assert time.monotonic() - started < 1 + 1.5


def test_many_slow_clients_do_not_hold_the_server(strict: Server, tenant: Tenant) -> None:
    sockets = [connect(strict.port) for _ in range(150)]
    try:
        for sock in sockets:
            sock.sendall(request_head(tenant, email())[:40])
        started = time.monotonic()
        with httpx.Client(base_url=strict.url) as client:
            served = [
                client.post(
                    OPT_OUT.format(email()), params={"channel": "EMAIL"}, headers=tenant.headers
                ).status_code
                for _ in range(10)
            ]
        elapsed = time.monotonic() - started
        answers = [parse(read_until_closed(sock)).status for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
    assert served == [200] * 10
    assert elapsed < TIMEOUT_S * 5
    assert answers == [408] * len(sockets)


def test_malformed_http_is_a_400_in_hubspots_body(strict: Server) -> None:
    with connect(strict.port) as sock:
        sock.sendall(b"NOT\x01HTTP / HTTP/1.1\r\n\r\n")
        answer = parse(read_until_closed(sock))
    assert answer.status == 400
    body = answer.json()
    assert body["status"] == "error"
    assert body["category"] == "VALIDATION_ERROR"
    uuid.UUID(body["correlationId"])


def test_the_longest_valid_address_is_accepted_and_one_more_is_refused(
    strict: Server, tenant: Tenant
) -> None:
    domain = "@" + ".".join(["d" * 63, "e" * 63, "f" * 63, "g" * 51])
    longest = "l" * 10 + domain
    assert len(longest) == 254
    ok = httpx.post(
        strict.url + OPT_OUT.format(longest), params={"channel": "EMAIL"}, headers=tenant.headers
    )
    too_long = httpx.post(
        strict.url + OPT_OUT.format("l" + longest),
        params={"channel": "EMAIL"},
        headers=tenant.headers,
    )
    assert ok.status_code == 200, ok.text
    body = assert_error_body(too_long, 400, "VALIDATION_ERROR")
    assert body["errors"][0]["in"] == "subscriberIdString"  # type: ignore[index]
    assert "at most 254 characters" in str(body["message"])
