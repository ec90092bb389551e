"""Rate limiting like HubSpot's: per token, a rolling window, 429 with policyName and Retry-After,
counters in-process or shared through the real Redis.

The limiter does not touch the database, so these servers run on SQLite only; each test makes its
own tokens, so no test sees another's counters.
"""

from __future__ import annotations

import hashlib
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.integration.test_errors_and_auth import assert_error_body
from tests.support.factories import Factory, Tenant, email
from tests.support.server import COMMPREFS, Server

REDIS_URL = "redis://127.0.0.1:6379/0"
OPT_OUT = "/communication-preferences/v4/statuses/{}/unsubscribe-all"
LIMIT = 5
WINDOW_MS = 1500


def serve(url: str, folder: Path, name: str, *args: str, **env: str) -> Server:
    return Server(url, folder / f"{name}.log", *args, **env).start()


@pytest.fixture(scope="module")
def limited(module_sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"COMMPREFS_RATE_LIMIT": str(LIMIT), "COMMPREFS_RATE_LIMIT_WINDOW_MS": str(WINDOW_MS)}
    running = serve(module_sqlite_url, tmp_path_factory.mktemp("logs"), "limited", **env)
    yield running
    running.stop()


def opt_out(server: Server, token: str, subscriber: str | None = None) -> httpx.Response:
    return httpx.post(
        server.url + OPT_OUT.format(subscriber or email()),
        params={"channel": "EMAIL"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30.0,
    )


def limit_headers(response: httpx.Response) -> tuple[int, int, int]:
    return (
        int(response.headers["x-hubspot-ratelimit-max"]),
        int(response.headers["x-hubspot-ratelimit-remaining"]),
        int(response.headers["x-hubspot-ratelimit-interval-milliseconds"]),
    )


def test_rate_limiting_is_off_unless_configured(http: httpx.Client, factory: Factory) -> None:
    tenant = factory.tenant(types=1)
    for _ in range(30):
        response = http.post(
            OPT_OUT.format(email()), params={"channel": "EMAIL"}, headers=tenant.headers
        )
        assert response.status_code == 200
        assert "x-hubspot-ratelimit-max" not in response.headers


def test_a_token_gets_its_limit_then_a_429_in_hubspots_shape(
    limited: Server, module_factory: Factory
) -> None:
    tenant = module_factory.tenant(types=1)
    answered = [opt_out(limited, tenant.token) for _ in range(LIMIT)]
    refused_subscriber = email()
    refused = opt_out(limited, tenant.token, refused_subscriber)

    assert [r.status_code for r in answered] == [200] * LIMIT
    assert [limit_headers(r) for r in answered] == [
        (LIMIT, LIMIT - n, WINDOW_MS) for n in range(1, LIMIT + 1)
    ]
    body = assert_error_body(refused, 429, "RATE_LIMITS")
    assert body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert limit_headers(refused) == (LIMIT, 0, WINDOW_MS)
    assert 1 <= int(refused.headers["retry-after"]) <= 2
    assert module_factory.ledger(tenant.portal, refused_subscriber) == []


def test_the_window_rolls_so_waiting_retry_after_gets_through(
    limited: Server, module_factory: Factory
) -> None:
    tenant = module_factory.tenant(types=1)
    for _ in range(LIMIT):
        assert opt_out(limited, tenant.token).status_code == 200
    refused = opt_out(limited, tenant.token)
    assert refused.status_code == 429

    time.sleep(int(refused.headers["retry-after"]))

    again = opt_out(limited, tenant.token)
    assert again.status_code == 200
    assert limit_headers(again)[1] == LIMIT - 1


def test_each_token_has_its_own_counter(limited: Server, module_factory: Factory) -> None:
    tenant = module_factory.tenant(types=1)
    other = module_factory.token(tenant.portal)
    for _ in range(LIMIT):
        opt_out(limited, tenant.token)
    assert opt_out(limited, tenant.token).status_code == 429

    fresh = opt_out(limited, other)
    assert fresh.status_code == 200
    assert limit_headers(fresh) == (LIMIT, LIMIT - 1, WINDOW_MS)


def test_calls_without_a_valid_token_are_401_and_never_counted(
    limited: Server, module_factory: Factory
) -> None:
    tenant = module_factory.tenant(types=1)
    for _ in range(LIMIT * 3):
        refused = opt_out(limited, "cpat-" + uuid.uuid4().hex)
        assert_error_body(refused, 401, "INVALID_AUTHENTICATION")
        assert "x-hubspot-ratelimit-max" not in refused.headers
    module_factory.revoke(revoked := module_factory.token(tenant.portal))
    assert opt_out(limited, revoked).status_code == 401

    assert limit_headers(opt_out(limited, tenant.token)) == (LIMIT, LIMIT - 1, WINDOW_MS)


def test_refused_scopes_are_counted_and_carry_the_headers(
    limited: Server, module_factory: Factory
) -> None:
    tenant = module_factory.tenant(types=1)
    reader = module_factory.token(tenant.portal, ["communication_preferences.read"])
    forbidden = opt_out(limited, reader)
    assert_error_body(forbidden, 403, "MISSING_SCOPES")
    assert limit_headers(forbidden) == (LIMIT, LIMIT - 1, WINDOW_MS)


def test_serve_takes_the_limit_as_an_option_with_hubspots_window(
    module_sqlite_url: str, module_factory: Factory, tmp_path: Path
) -> None:
    tenant = module_factory.tenant(types=1)
    server = serve(module_sqlite_url, tmp_path, "option", "--rate-limit", "2")
    try:
        statuses = [opt_out(server, tenant.token) for _ in range(3)]
    finally:
        server.stop()
    assert [r.status_code for r in statuses] == [200, 200, 429]
    assert limit_headers(statuses[0]) == (2, 1, 10_000)
    assert 1 <= int(statuses[2].headers["retry-after"]) <= 10


@pytest.fixture(scope="module")
def redis_pair(
    module_sqlite_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[Server]]:
    folder = tmp_path_factory.mktemp("redis-logs")
    env = {
        "COMMPREFS_RATE_LIMIT": str(LIMIT),
        "COMMPREFS_RATE_LIMIT_WINDOW_MS": str(WINDOW_MS),
        "COMMPREFS_REDIS_URL": REDIS_URL,
    }
    servers = [serve(module_sqlite_url, folder, f"redis-{n}", **env) for n in (1, 2)]
    yield servers
    for server in servers:
        server.stop()


def test_processes_sharing_redis_share_the_counter(
    redis_pair: list[Server], module_factory: Factory
) -> None:
    tenant = module_factory.tenant(types=1)
    answers = [opt_out(redis_pair[n % 2], tenant.token) for n in range(LIMIT)]
    refused = [opt_out(server, tenant.token) for server in redis_pair]

    assert [r.status_code for r in answers] == [200] * LIMIT
    assert [limit_headers(r)[1] for r in answers] == list(range(LIMIT - 1, -1, -1))
    for response in refused:
        body = assert_error_body(response, 429, "RATE_LIMITS")
        assert body["policyName"] == "TEN_SECONDLY_ROLLING"


def test_redis_holds_a_digest_of_the_token_never_the_token(
    redis_pair: list[Server], module_factory: Factory
) -> None:
    tenant: Tenant = module_factory.tenant(types=1)
    assert opt_out(redis_pair[0], tenant.token).status_code == 200
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = [k.decode() for k in client.scan_iter(match="commprefs:ratelimit:*")]
    finally:
        client.close()
    digest = hashlib.sha256(tenant.token.encode()).hexdigest()
    assert f"commprefs:ratelimit:{digest}" in keys
    assert not [k for k in keys if tenant.token in k or tenant.token[5:] in k]


def test_serve_refuses_to_start_when_redis_does_not_answer(module_sqlite_url: str) -> None:
    done = subprocess.run(
        [COMMPREFS, "serve", "--port", "1", "--database", module_sqlite_url, "--rate-limit", "5"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"COMMPREFS_REDIS_URL": "redis://:hunter2-secret@127.0.0.1:1/0", "PATH": "/usr/bin"},
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: Redis at redis://:***@127.0.0.1:1/0 does not answer")
    assert "Traceback" not in done.stderr
    assert "hunter2" not in done.stderr + done.stdout
