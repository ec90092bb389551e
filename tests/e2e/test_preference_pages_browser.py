"""A subscriber in a real browser: the manage page, unsubscribe-all and unsubscribe-single, on
desktop and phone widths. Screenshots of every page go to test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.browser import DESKTOP, PHONE, browser
from tests.support.factories import Factory, Tenant, email
from tests.support.pages import V4, generate
from tests.support.server import Server

__all__ = ["browser"]  # the fixture, imported to be found by pytest


@pytest.fixture
def tenant(factory: Factory) -> Tenant:
    tenant = factory.tenant(types=0)
    for name, description in [
        ("Product news", "What is new in our products, once a month."),
        ("Offers", "Discounts and early access to sales."),
        ("Events", "Invitations to webinars and meet-ups near you."),
    ]:
        tenant.definitions.append(
            factory.definition(tenant.portal, name=name, description=description)
        )
    factory.brand(tenant.portal, name="Northwind Outfitters", colour="#1b6f5c")
    return tenant


@pytest.fixture
def links(server: Server, tenant: Tenant) -> dict[str, str]:
    with httpx.Client(base_url=server.url) as http:
        return generate(http, tenant, email("shopper"), subscriptionId=tenant.definitions[1].id)


def open_page(browser: Browser, url: str, viewport: dict[str, int]) -> Page:
    page = browser.new_context(viewport=viewport).new_page()
    response = page.goto(url)
    assert response is not None
    assert response.status == 200
    return page


def api_statuses(server: Server, tenant: Tenant, subscriber: str) -> dict[int, dict[str, Any]]:
    """What the v4 API (E2) answers for the subscriber, by subscription id."""
    response = httpx.get(
        f"{server.url}{V4}/statuses/{subscriber}",
        params={"channel": "EMAIL"},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    return {r["subscriptionId"]: r for r in response.json()["results"]}


def api_opt_outs(server: Server, tenant: Tenant, subscriber: str) -> list[dict[str, Any]]:
    """The subscriber's opt-outs of all email, as the v4 API (E4) answers them."""
    response = httpx.get(
        f"{server.url}{V4}/statuses/{subscriber}/unsubscribe-all",
        params={"channel": "EMAIL"},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def shot(page: Page, artifacts: Path, name: str, backend: str) -> None:
    path = artifacts / f"pages-{name}-{backend}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 5000


def test_a_subscriber_changes_two_types_and_saves(
    browser: Browser,
    links: dict[str, str],
    tenant: Tenant,
    factory: Factory,
    server: Server,
    artifacts: Path,
    backend: str,
) -> None:
    subscriber = links["subscriberIdString"]
    news, offers, events = tenant.definitions
    shot(
        open_page(browser, links["managePreferencesUrl"], PHONE), artifacts, "manage-phone", backend
    )
    page = open_page(browser, links["managePreferencesUrl"], DESKTOP)
    expect(page.get_by_role("heading", name="Email preferences")).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("Northwind Outfitters")
    shot(page, artifacts, "manage", backend)

    page.get_by_role("checkbox", name=news.name).uncheck()
    page.get_by_role("checkbox", name=offers.name).uncheck()
    page.get_by_role("button", name="Save preferences").click()

    expect(page.get_by_role("heading", name="Your preferences are saved")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text(f"Unsubscribed from {news.name}")
    shot(page, artifacts, "saved", backend)
    statuses = api_statuses(server, tenant, subscriber)
    assert statuses[news.id]["status"] == "UNSUBSCRIBED"
    assert statuses[offers.id]["status"] == "UNSUBSCRIBED"
    assert statuses[events.id]["status"] == "NOT_SPECIFIED"
    assert {statuses[d.id]["source"] for d in (news, offers)} == {"Preference page"}

    page.get_by_role("link", name="Back to your preferences").click()
    expect(page.get_by_role("checkbox", name=news.name)).not_to_be_checked()
    page.get_by_role("checkbox", name=news.name).check()
    page.get_by_role("button", name="Save preferences").click()
    expect(page.get_by_role("status")).to_contain_text(f"Subscribed to {news.name}")
    resubscribed = api_statuses(server, tenant, subscriber)[news.id]
    assert resubscribed["status"] == "SUBSCRIBED"
    assert resubscribed["legalBasis"] == "CONSENT_WITH_NOTICE"


def test_a_subscriber_unsubscribes_from_all(
    browser: Browser,
    links: dict[str, str],
    tenant: Tenant,
    factory: Factory,
    server: Server,
    artifacts: Path,
    backend: str,
) -> None:
    shot(
        open_page(browser, links["unsubscribeAllUrl"], PHONE),
        artifacts,
        "unsubscribe-all-phone",
        backend,
    )
    page = open_page(browser, links["unsubscribeAllUrl"], DESKTOP)
    expect(page.get_by_role("heading", name="Unsubscribe from all email?")).to_be_visible()
    shot(page, artifacts, "unsubscribe-all", backend)
    assert factory.ledger(tenant.portal, links["subscriberIdString"]) == []

    page.get_by_role("button", name="Unsubscribe").click()

    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    shot(page, artifacts, "unsubscribed-all", backend)
    subscriber = links["subscriberIdString"]
    statuses = api_statuses(server, tenant, subscriber)
    assert {s["status"] for s in statuses.values()} == {"UNSUBSCRIBED"}
    assert {s["source"] for s in statuses.values()} == {"Preference page"}
    opt_outs = api_opt_outs(server, tenant, subscriber)
    assert [(o["wideStatusType"], o["status"]) for o in opt_outs] == [
        ("PORTAL_WIDE", "UNSUBSCRIBED")
    ]

    page.get_by_role("link", name="Manage your preferences").click()
    expect(page.get_by_role("status")).to_contain_text("You are unsubscribed from all email")
    for definition in tenant.definitions:
        expect(page.get_by_role("checkbox", name=definition.name)).not_to_be_checked()
    shot(page, artifacts, "manage-opted-out", backend)


def test_a_subscriber_unsubscribes_from_one_type(
    browser: Browser,
    links: dict[str, str],
    tenant: Tenant,
    factory: Factory,
    server: Server,
    artifacts: Path,
    backend: str,
) -> None:
    offers = tenant.definitions[1]
    page = open_page(browser, links["unsubscribeSingleUrl"], DESKTOP)
    expect(page.get_by_role("heading", name=f"Unsubscribe from {offers.name}?")).to_be_visible()
    shot(page, artifacts, "unsubscribe-single", backend)

    page.get_by_role("button", name="Unsubscribe").click()

    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    statuses = api_statuses(server, tenant, links["subscriberIdString"])
    assert statuses[offers.id]["status"] == "UNSUBSCRIBED"
    others = {s["status"] for i, s in statuses.items() if i != offers.id}
    assert others == {"NOT_SPECIFIED"}


def test_a_tampered_link_shows_a_friendly_page(
    browser: Browser, links: dict[str, str], artifacts: Path, backend: str
) -> None:
    page = browser.new_context(viewport=PHONE).new_page()
    response = page.goto(links["managePreferencesUrl"][:-3] + "abc")

    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("heading", name="This link is not valid")).to_be_visible()
    shot(page, artifacts, "invalid-link-phone", backend)
