"""The OAuth consent page in real Chromium: the owner sees the app and its scopes, pastes a token
of the portal, allows, and the browser lands on the app's redirect URI with a code and the state
(the page's Content-Security-Policy lets the form go there and nowhere else). A screenshot goes
to test-artifacts/."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from playwright.sync_api import Browser, expect

from tests.e2e.browser import DESKTOP, browser
from tests.support.factories import Factory
from tests.support.server import Server

__all__ = ["browser"]  # the fixture, imported to be found by pytest
SCOPES = ["communication_preferences.read", "communication_preferences.write"]


def test_an_owner_allows_an_app_and_the_browser_brings_its_code_back(
    browser: Browser, server: Server, factory: Factory, artifacts: Path
) -> None:
    tenant = factory.tenant(types=1)
    callback = f"{server.url}/app-callback"  # any page of ours: only the URL it lands on counts
    created = factory.run(
        factory.services.oauth.create_app(tenant.portal.id, "Newsletter sync", callback, SCOPES)
    )
    query = {"client_id": created.app.client_id, "redirect_uri": callback,
             "scope": " ".join(SCOPES), "state": "xyz"}  # fmt: skip
    page = browser.new_context(viewport=DESKTOP).new_page()
    response = page.goto(f"{server.url}/oauth/authorize?{urlencode(query)}")
    assert response is not None
    assert response.status == 200
    expect(page.get_by_role("heading")).to_contain_text("Allow Newsletter sync")
    for scope in SCOPES:
        expect(page.get_by_text(scope)).to_be_visible()
    page.screenshot(path=str(artifacts / "oauth-consent.png"), full_page=True)

    page.get_by_label("An access token of this account").fill(tenant.token)
    with page.expect_navigation(url=f"{callback}?**"):
        page.get_by_role("button", name="Allow").click()

    landed = urlsplit(page.url)
    sent = parse_qs(landed.query)
    assert sent["state"] == ["xyz"]
    tokens = httpx.post(
        f"{server.url}/oauth/v1/token",
        data={"grant_type": "authorization_code", "code": sent["code"][0],
              "redirect_uri": callback, "client_id": created.app.client_id,
              "client_secret": created.client_secret},
    )  # fmt: skip
    assert tokens.status_code == 200, tokens.text
    assert tokens.json()["token_type"] == "bearer"
