"""The example application's suite, written as its users write theirs: the commprefs plugin's
``commprefs`` fixture gives a fresh emulator state per test; the application reads HubSpot's
address and token from the environment."""

from __future__ import annotations

import pytest

import newsletter
from commprefs.testing import Emulator


@pytest.fixture(autouse=True)
def hubspot(commprefs: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    for name, value in commprefs.environment.items():
        monkeypatch.setenv(name, value)
    return commprefs


def test_a_seeded_subscriber_may_be_sent_the_newsletter() -> None:
    assert newsletter.may_send_newsletter("ann@example.com")


def test_an_unsubscribed_user_is_sent_nothing() -> None:
    assert newsletter.unsubscribe(["ann@example.com"]) == 1
    assert not newsletter.may_send_newsletter("ann@example.com")


def test_each_test_starts_from_the_seed() -> None:
    # The test above unsubscribed ann; the fixture's reset brought her back.
    assert newsletter.may_send_newsletter("ann@example.com")


def test_the_state_shows_the_opt_out(hubspot: Emulator) -> None:
    newsletter.unsubscribe(["bob@example.com"])
    assert [o["email"] for o in hubspot.state().get("optOuts", [])] == ["bob@example.com"]


def test_hubspots_rate_limit_is_retried(hubspot: Emulator) -> None:
    # HubSpot answers the next two unsubscribes with its 429 (Retry-After shortened so that the
    # test waits 0.2 s): the application's retries get through instead of failing.
    hubspot.fault(
        path="/communication-preferences/**/unsubscribe-all",
        status=429,
        times=2,
        headers={"Retry-After": "0.1"},
    )
    assert newsletter.unsubscribe(["carl@example.com"]) == 1
    tries = hubspot.requests(path="/communication-preferences/**/unsubscribe-all")
    assert [t["status"] for t in tries] == [429, 429, 200]
    assert [o["email"] for o in hubspot.state()["optOuts"]] == ["carl@example.com"]
