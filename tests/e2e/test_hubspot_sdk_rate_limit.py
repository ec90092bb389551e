"""HubSpot's Python SDK against a rate-limited commprefs: it sees its RateLimitError, and with
retries on it waits for Retry-After and gets through."""

from __future__ import annotations

import time
from collections.abc import Iterator

import hubspot_sdk
import pytest
from hubspot_sdk import HubSpot

from tests.support.factories import Factory, Tenant, email
from tests.support.server import Server

LIMIT = 2


@pytest.fixture(scope="module")
def limited(
    module_sqlite_url: str, module_factory: Factory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, Tenant]]:
    tenant = module_factory.tenant(types=1)
    env = {"COMMPREFS_RATE_LIMIT": str(LIMIT), "COMMPREFS_RATE_LIMIT_WINDOW_MS": "1500"}
    log = tmp_path_factory.mktemp("sdk-rate-limit") / "server.log"
    server = Server(module_sqlite_url, log, **env).start()
    yield server, tenant
    server.stop()


def exhaust(client: HubSpot) -> None:
    for _ in range(LIMIT):
        client.communication_preferences.unsubscribe_all(email(), channel="EMAIL")


def test_the_sdk_raises_its_rate_limit_error(limited: tuple[Server, Tenant]) -> None:
    server, tenant = limited
    client = HubSpot(access_token=tenant.token, base_url=server.url, max_retries=0)
    time.sleep(1.6)  # a fresh window
    exhaust(client)
    with pytest.raises(hubspot_sdk.RateLimitError) as refused:
        client.communication_preferences.unsubscribe_all(email(), channel="EMAIL")
    assert refused.value.status_code == 429
    assert refused.value.body["policyName"] == "TEN_SECONDLY_ROLLING"
    assert refused.value.body["category"] == "RATE_LIMITS"


def test_the_sdk_retries_after_retry_after_and_succeeds(limited: tuple[Server, Tenant]) -> None:
    server, tenant = limited
    client = HubSpot(access_token=tenant.token, base_url=server.url, max_retries=2)
    time.sleep(1.6)
    exhaust(client)
    started = time.monotonic()
    response = client.communication_preferences.unsubscribe_all(email(), channel="EMAIL")
    assert response.status == "COMPLETE"
    assert time.monotonic() - started >= 0.9  # it waited for the window instead of failing
