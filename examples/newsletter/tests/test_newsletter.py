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


def test_a_burst_gets_through_hubspots_rate_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    # An emulator of its own, as a context manager, that allows one call per half second: the
    # application's retries wait out each 429 (Retry-After) instead of failing.
    limited = Emulator(
        seed="seed.yaml",
        args=("--rate-limit", "1"),
        env={"COMMPREFS_RATE_LIMIT_WINDOW_MS": "500"},
    )
    with limited:
        for name, value in limited.environment.items():
            monkeypatch.setenv(name, value)
        assert newsletter.unsubscribe(["a@example.com", "b@example.com", "c@example.com"]) == 3
        opted_out = {o["email"] for o in limited.state()["optOuts"]}
    assert opted_out == {"a@example.com", "b@example.com", "c@example.com"}
