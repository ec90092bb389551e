"""The journal, faults and clock through ``commprefs.testing.Emulator``, the handle the pytest
plugin's fixtures give a user's suite (issue 15): hubspot-sdk retries through two 429 faults and
``.requests()`` shows the three tries; a 503 fault leaves the state as it was; a frozen
``.clock`` gives seeded and written statuses its time; ``.reset()`` also empties the journal,
removes the faults and returns the clock to real time; the journal holds HubSpot-API requests
only (not the control API's, nor health checks)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hubspot_sdk import HubSpot

from commprefs.testing import Emulator
from tests.support.emulator import NEWSLETTER, SEED, TOKEN

V4 = "/communication-preferences/v4"
FROZEN_AT = "2030-01-01T00:00:00.000Z"


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    with Emulator(seed=SEED, token=TOKEN) as running:
        yield running


@pytest.fixture
def hub(emulator: Emulator) -> Iterator[httpx.Client]:
    """A HubSpot-API client of the emulator, on a state reset as the plugin's ``commprefs``
    fixture resets it."""
    emulator.reset()
    headers = {"Authorization": f"Bearer {emulator.token}"}
    with httpx.Client(base_url=emulator.base_url, headers=headers, timeout=30.0) as client:
        yield client


def unsubscribe(hub: httpx.Client, subscriber: str) -> httpx.Response:
    change = {"channel": "EMAIL", "statusState": "UNSUBSCRIBED", "subscriptionId": NEWSLETTER}
    return hub.post(f"{V4}/statuses/{subscriber}", json=change)


def newsletter_time(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    (result,) = [r for r in response.json()["results"] if r["subscriptionId"] == NEWSLETTER]
    timestamp: str = result["timestamp"]
    return timestamp


def newsletter_status(state: dict[str, Any], subscriber: str) -> dict[str, Any]:
    (found,) = [s for s in state["statuses"] if s["email"] == subscriber]
    return found


def test_the_sdks_retry_gets_through_two_429_faults_and_the_journal_shows_three_tries(
    emulator: Emulator, hub: httpx.Client
) -> None:
    glob = "/communication-preferences/**/unsubscribe-all"
    fault_id = emulator.fault(path=glob, status=429, times=2, headers={"Retry-After": "0.1"})
    sdk = HubSpot(access_token=emulator.token, base_url=emulator.base_url, max_retries=2)

    response = sdk.communication_preferences.unsubscribe_all("ann@example.com", channel="EMAIL")

    assert response.status == "COMPLETE"
    tries = emulator.requests(path=glob)
    assert [(t["status"], t["fault"]) for t in tries] == [
        (429, fault_id),
        (429, fault_id),
        (200, None),
    ]
    assert tries[0]["headers"]["authorization"] == "Bearer <token 1: known token>"
    (listed,) = emulator.faults()
    assert (listed["id"], listed["hits"], listed["active"]) == (fault_id, 2, False)
    assert [o["email"] for o in emulator.state()["optOuts"]] == [
        "ann@example.com",
        "bob@example.com",
    ]


def test_a_503_fault_leaves_the_state_untouched(emulator: Emulator, hub: httpx.Client) -> None:
    before = emulator.state()
    fault_id = emulator.fault(method="POST", path=f"{V4}/statuses/*", status=503)

    refused = unsubscribe(hub, "jane@example.com")

    assert refused.status_code == 503
    assert refused.json()["category"] == "SERVICE_UNAVAILABLE"
    assert emulator.state() == before
    (entry,) = emulator.requests(method="POST")
    assert (entry["status"], entry["fault"]) == (503, fault_id)


def test_a_frozen_clock_times_what_is_written_and_seeded(
    emulator: Emulator, hub: httpx.Client
) -> None:
    assert emulator.clock.freeze("2030-01-01T00:00:00Z")["now"] == FROZEN_AT
    first, second = unsubscribe(hub, "jane@example.com"), unsubscribe(hub, "kim@example.com")
    assert newsletter_time(first) == newsletter_time(second) == FROZEN_AT
    assert newsletter_status(emulator.state(), "kim@example.com")["timestamp"] == FROZEN_AT
    (received,) = {entry["receivedAt"] for entry in emulator.requests()}
    assert received == FROZEN_AT
    # A seed's times default to the emulator's, and a reset returns to them.
    status = {k: v for k, v in SEED["statuses"][0].items() if k != "timestamp"}
    untimed = {**SEED, "statuses": [status]}
    try:
        emulator.seed(untimed)
        emulator.clock.advance(3600)
        assert emulator.clock.now()["now"] == "2030-01-01T01:00:00.000Z"
        emulator.reset()
        seeded = newsletter_status(emulator.state(), "jane@example.com")
        assert seeded["timestamp"] == FROZEN_AT
    finally:
        emulator.seed(SEED)


def test_reset_empties_the_journal_removes_the_faults_and_returns_to_real_time(
    emulator: Emulator, hub: httpx.Client
) -> None:
    emulator.fault(path="/nowhere", status=500, times=0)
    emulator.clock.set("2030-01-01T00:00:00Z", frozen=True)
    assert hub.get(f"{V4}/definitions").status_code == 200
    assert len(emulator.requests()) == 1

    emulator.reset()

    assert emulator.requests() == []
    assert emulator.faults() == []
    reading = emulator.clock.now()
    assert (reading["realTime"], reading["frozen"]) == (True, False)
    # Neither the control API nor the health checks are HubSpot-API requests.
    emulator.state()
    for path in ("/healthz", "/readyz", "/_commprefs", "/_commprefs/seed/schema"):
        hub.get(path)
    assert emulator.requests() == []
    assert hub.get(f"{V4}/definitions").status_code == 200
    (entry,) = emulator.requests()
    assert entry["operation"] == f"get-{V4}/definitions"
