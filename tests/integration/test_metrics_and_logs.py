"""``GET /metrics`` and JSON logs of a served commprefs (issue 17): after a known mix of requests
the metrics, parsed by prometheus-client's own parser, show exactly those counts; under
``--workers 2`` they are summed over the workers; every log line is one JSON object, and none
holds a token, a secret or an address."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.support.databases import postgres_database
from tests.support.factories import Factory, Tenant, email
from tests.support.outage import refusing
from tests.support.server import Server

METRICS_TOKEN = "metrics-scrape-token-0123456789"
LIMIT = 10
V4 = "/communication-preferences/v4"
DEFINITIONS = f"GET {V4}/definitions"


@pytest.fixture(scope="module")
def tenant(module_factory: Factory) -> Tenant:
    # Made before the server starts: a database with a portal gets no first-token banner.
    return module_factory.tenant(types=2)


@pytest.fixture(scope="module")
def observed(
    module_sqlite_url: str, tenant: Tenant, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("observed") / "server.log"
    env = {
        "COMMPREFS_METRICS": "true",
        "COMMPREFS_METRICS_TOKEN": METRICS_TOKEN,
        "COMMPREFS_LOG_FORMAT": "json",
        "COMMPREFS_RATE_LIMIT": str(LIMIT),
    }
    with Server(module_sqlite_url, log, **env) as running:
        yield running


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _scrape(server: Server) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = httpx.get(
        f"{server.url}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}
    )
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return _samples(answer.text)


def _requests(operation: str, status: int) -> tuple[str, tuple[tuple[str, str], ...]]:
    return ("commprefs_http_requests_total", (("operation", operation), ("status", str(status))))


def test_metrics_count_exactly_the_requests_made(
    observed: Server, tenant: Tenant, module_factory: Factory
) -> None:
    module_factory.run(
        module_factory.services.webhooks.add(tenant.portal.id, "http://127.0.0.1:9/h")
    )
    busy = module_factory.token(tenant.portal)
    subscriber = email()
    with httpx.Client(base_url=observed.url) as http:
        for _ in range(3):
            assert http.get(f"{V4}/definitions", headers=tenant.headers).status_code == 200
        for _ in range(2):
            read = http.get(
                f"{V4}/statuses/{subscriber}", params={"channel": "EMAIL"}, headers=tenant.headers
            )
            assert read.status_code == 200
        opted_out = http.post(
            f"{V4}/statuses/{subscriber}/unsubscribe-all",
            params={"channel": "EMAIL"},
            headers=tenant.headers,
        )
        assert opted_out.status_code == 200
        for _ in range(2):
            assert http.get(f"{V4}/definitions").status_code == 401
        assert http.get("/no/such/path").status_code == 404
        answered = [
            http.get(f"{V4}/definitions", headers={"Authorization": f"Bearer {busy}"}).status_code
            for _ in range(LIMIT + 1)
        ]
        assert answered == [200] * LIMIT + [429]
        assert http.get("/metrics").status_code == 401  # the scrape token is required

    samples = _scrape(observed)
    assert samples[_requests(DEFINITIONS, 200)] == 3 + LIMIT
    assert samples[_requests(DEFINITIONS, 401)] == 2
    assert samples[_requests(DEFINITIONS, 429)] == 1
    assert samples[_requests(f"GET {V4}/statuses/{{subscriberIdString}}", 200)] == 2
    assert (
        samples[_requests(f"POST {V4}/statuses/{{subscriberIdString}}/unsubscribe-all", 200)] == 1
    )
    assert samples[_requests("unmatched", 404)] == 1
    latency = ("commprefs_http_request_duration_seconds_count", (("operation", DEFINITIONS),))
    assert samples[latency] == 3 + LIMIT + 2 + 1
    assert samples[("commprefs_rate_limited_requests_total", ())] == 1
    assert samples[("commprefs_faulted_requests_total", ())] == 0
    # One entry per type of the portal and one for the opt-out of all; the webhook added
    # before has all of them waiting.
    assert samples[("commprefs_ledger_entries_written_total", ())] == 3
    assert samples[("commprefs_webhook_backlog_events", ())] == 3
    assert samples[("commprefs_webhook_lag_seconds", ())] >= 0
    assert samples[("commprefs_email_backlog_messages", ())] == 0
    assert samples[("commprefs_database_connections_in_use", ())] >= 0
    # No address reaches a label.
    assert not [key for key in samples if "@" in str(key)]


def test_json_logs_are_one_object_per_line_without_secrets(
    observed: Server, tenant: Tenant, module_factory: Factory
) -> None:
    subscriber = email("logged")
    with httpx.Client(base_url=observed.url) as http:
        opted_out = http.post(
            f"{V4}/statuses/{subscriber}/unsubscribe-all",
            params={"channel": "EMAIL"},
            headers=tenant.headers,
        )
        http.get(f"{V4}/statuses/{subscriber}", params={"channel": "BOGUS"}, headers=tenant.headers)
        http.get(f"{V4}/definitions", headers={"Authorization": "Bearer cpat-not-a-real-token"})
        webhook = http.post(
            "/commprefs/v1/webhooks",
            json={"url": "http://user:hunter2@127.0.0.1:9/x"},
            headers=tenant.headers,
        ).json()
    lines = observed.log().splitlines()
    records = [json.loads(line) for line in lines]  # every line is one JSON object
    requests = [r for r in records if r.get("logger") == "commprefs.access"]
    assert requests
    for record in requests:
        assert {
            "time",
            "level",
            "message",
            "correlationId",
            "operation",
            "status",
            "durationMs",
        } <= set(record)
        assert record["time"].endswith("Z")
    mine = [r for r in requests if r.get("tokenId") == module_factory.token_ids[tenant.token]]
    assert {r["status"] for r in mine} >= {200, 400}
    assert any("***@***" in r["path"] for r in mine)
    # The line of a request carries the correlation id its answer did.
    correlation = opted_out.headers["x-hubspot-correlation-id"]
    (line,) = [r for r in requests if r["correlationId"] == correlation]
    assert (line["operation"], line["status"]) == (
        f"POST {V4}/statuses/{{subscriberIdString}}/unsubscribe-all",
        200,
    )
    secrets = [tenant.token, "cpat-not-a-real-token", webhook["secret"], "hunter2", METRICS_TOKEN]
    text = "\n".join(lines)
    assert [s for s in secrets if s in text] == []
    assert "@example.com" not in text
    assert subscriber.split("@")[0] not in text


def test_metrics_are_summed_over_workers(
    module_sqlite_url: str, tenant: Tenant, tmp_path: Path
) -> None:
    env = {"COMMPREFS_METRICS": "true", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics")}
    with Server(module_sqlite_url, tmp_path / "workers.log", "--workers", "2", **env) as running:
        for _ in range(12):
            # A connection each: uvicorn's workers share the socket and take turns.
            assert (
                httpx.get(f"{running.url}{V4}/definitions", headers=tenant.headers).status_code
                == 200
            )
        samples = _samples(httpx.get(f"{running.url}/metrics").text)
    assert samples[_requests(DEFINITIONS, 200)] == 12


def test_faulted_requests_are_counted_and_metrics_answer_while_the_database_is_down(
    tmp_path: Path,
) -> None:
    with postgres_database() as url:
        factory = Factory(url)
        try:
            tenant = factory.tenant(types=1)
        finally:
            factory.close()
        env = {"COMMPREFS_METRICS": "true"}
        with Server(url, tmp_path / "outage.log", **env) as running:
            assert httpx.get(f"{running.url}{V4}/definitions", headers=tenant.headers).is_success
            with refusing(url):
                for _ in range(2):
                    down = httpx.get(f"{running.url}{V4}/definitions", headers=tenant.headers)
                    assert down.status_code == 503
                during = _samples(httpx.get(f"{running.url}/metrics").text)
            after = _samples(httpx.get(f"{running.url}/metrics").text)
    assert during[_requests(DEFINITIONS, 503)] == 2
    assert during[("commprefs_faulted_requests_total", ())] == 2
    assert during[("commprefs_database_available", ())] == 0
    assert after[("commprefs_database_available", ())] == 1
