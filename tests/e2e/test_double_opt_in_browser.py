"""Double opt-in in real Chromium: the link from a mail that a real SMTP server (aiosmtpd)
received opens the branded confirmation page; its button confirms; the link then shows the
friendly page. One app for the module, served in a thread with its own SMTP server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from commprefs.app import create_app
from commprefs.config import Settings
from tests.e2e.browser import DESKTOP, browser
from tests.support.factories import Factory, email
from tests.support.inprocess import serving
from tests.support.server import free_port
from tests.support.smtp import SmtpServer, parts

__all__ = ["browser"]  # the fixture, imported to be found by pytest


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer(free_port()) as server:
        yield server


@pytest.fixture(scope="module")
def base_url(module_sqlite_url: str, smtp: SmtpServer) -> Iterator[str]:
    port = free_port()
    settings = Settings(
        database_url=module_sqlite_url,
        public_url=f"http://127.0.0.1:{port}",
        smtp_url=smtp.url,
        mail_from="hello@northwind.example",
        mail_poll_seconds=0.05,
    )
    with serving(create_app(settings), port) as url:
        yield url


def test_a_subscriber_confirms_in_the_browser(
    browser: Browser,
    base_url: str,
    smtp: SmtpServer,
    module_factory: Factory,
    artifacts: Path,
) -> None:
    tenant = module_factory.tenant(types=0)
    news = module_factory.definition(tenant.portal, name="Product news", description="Monthly.")
    module_factory.brand(tenant.portal, name="Northwind Outfitters", colour="#1b6f5c")
    subscriber = email("browser")
    v4 = f"{base_url}/communication-preferences/v4/statuses/{subscriber}"
    asked = httpx.post(
        f"{base_url}/commprefs/v1/subscribers/{subscriber}/confirmations",
        json={"subscriptionIds": [news.id]},
        headers=tenant.headers,
    )
    assert asked.status_code == 202, asked.text
    [mail] = smtp.inbox.wait_for(subscriber)
    found = re.search(r"http://\S+/preferences/confirm/\S+", parts(mail)["text/plain"])
    assert found
    link = found.group(0)

    page = browser.new_context(viewport=DESKTOP).new_page()
    response = page.goto(link)
    assert response is not None
    assert response.status == 200
    expect(page.get_by_role("heading", name="Confirm your subscription")).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("Northwind Outfitters")
    expect(page.get_by_role("main")).to_contain_text("Product news")
    page.screenshot(path=str(artifacts / "pages-optin-confirm.png"), full_page=True)
    read = httpx.get(v4, params={"channel": "EMAIL"}, headers=tenant.headers).json()
    assert [r["status"] for r in read["results"]] == ["NOT_SPECIFIED"]

    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("heading", name="Your subscription is confirmed")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Subscribed to Product news")
    page.screenshot(path=str(artifacts / "pages-optin-confirmed.png"), full_page=True)
    [status] = httpx.get(v4, params={"channel": "EMAIL"}, headers=tenant.headers).json()["results"]
    assert (status["status"], status["legalBasis"]) == ("SUBSCRIBED", "CONSENT_WITH_NOTICE")

    again = page.goto(link)
    assert again is not None
    assert again.status == 410
    expect(page.get_by_role("heading", name="Already confirmed")).to_be_visible()
