"""An operator in a real browser (Debian's Chromium), on a desktop and a phone viewport: log in
with the keyboard, find a subscriber and change a status, create and translate a type, create
and revoke a token, upload an import and watch it finish; every page without console errors,
every form control labelled. Screenshots of each page go to test-artifacts/."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from commprefs.domain.operators import ConsoleUser
from tests.e2e.browser import DESKTOP, PHONE, browser
from tests.support.console import PASSWORD, console_user
from tests.support.factories import Factory, Tenant, email
from tests.support.pages import V4, generate
from tests.support.server import Server

__all__ = ["browser"]  # the fixture, imported to be found by pytest

# Every visible form control has a label (a <label for>, a wrapping label or aria-label).
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter(e => e.type !== 'hidden')
  .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label')
               && !(e.tagName === 'BUTTON' && e.textContent.trim()))
  .map(e => e.outerHTML)"""


WIDE = """() => [...document.querySelectorAll('body *')]
  .filter(e => !e.parentElement.closest('.scroll'))
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + e.getBoundingClientRect().right)"""


@pytest.fixture
def tenant(factory: Factory) -> Tenant:
    tenant = factory.tenant(types=2)
    factory.brand(tenant.portal, name="Northwind Outfitters", colour="#1b6f5c")
    return tenant


@pytest.fixture
def admin(factory: Factory, tenant: Tenant) -> ConsoleUser:
    return console_user(factory, tenant.portal, "admin")


class Operator:
    """One browser context logged in to the console, collecting console errors."""

    def __init__(self, browser: Browser, server: Server, viewport: dict[str, int]) -> None:
        self.context = browser.new_context(viewport=viewport, accept_downloads=True)
        self.page = self.context.new_page()
        self.server = server
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else 0)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def log_in_with_the_keyboard(self, user: ConsoleUser) -> None:
        page = self.page
        page.goto(f"{self.server.url}/console/")  # not logged in: the login page
        expect(page.get_by_role("heading", name="Log in")).to_be_visible()
        page.keyboard.press("Tab")  # the skip link comes first
        expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
        page.keyboard.press("Tab")
        expect(page.get_by_label("Email address")).to_be_focused()
        page.keyboard.type(user.email)
        page.keyboard.press("Tab")
        expect(page.get_by_label("Password")).to_be_focused()
        page.keyboard.type(PASSWORD)
        page.keyboard.press("Enter")
        expect(page.get_by_role("heading", name="Overview")).to_be_visible()

    def visit(self, path: str, heading: str) -> Page:
        self.page.goto(f"{self.server.url}{path}")
        expect(self.page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        return self.page

    def check(self, artifacts: Path, name: str) -> None:
        assert self.page.evaluate(UNLABELLED) == [], name
        assert self.errors == [], name
        # Nothing makes the page scroll sideways (wide tables scroll inside their own box).
        width = self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= self.page.viewport_size["width"], (name, self.page.evaluate(WIDE))
        path = artifacts / f"console-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 5000


def _operator(browser: Browser, server: Server, viewport: dict[str, int]) -> Iterator[Operator]:
    operator = Operator(browser, server, viewport)
    yield operator
    operator.context.close()


@pytest.fixture
def desktop(browser: Browser, server: Server) -> Iterator[Operator]:
    yield from _operator(browser, server, DESKTOP)


@pytest.fixture
def phone(browser: Browser, server: Server) -> Iterator[Operator]:
    yield from _operator(browser, server, PHONE)


def api(server: Server, tenant: Tenant) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers=tenant.headers, timeout=30)


def test_an_operator_works_through_every_page_on_a_desktop(
    desktop: Operator,
    admin: ConsoleUser,
    tenant: Tenant,
    server: Server,
    artifacts: Path,
    backend: str,
) -> None:
    subscriber = email("shopper")
    first = tenant.definitions[0]
    with api(server, tenant) as http:
        assert http.post(
            f"{V4}/statuses/{subscriber}",
            json={"channel": "EMAIL", "statusState": "SUBSCRIBED", "subscriptionId": first.id},
        ).is_success
    desktop.log_in_with_the_keyboard(admin)
    page = desktop.page
    expect(page.locator(f'tr[data-type="{first.id}"] .subscribed')).to_have_text("1")
    desktop.check(artifacts, f"overview-{backend}")

    # Find the subscriber by the beginning of its address, change a status with a reason.
    page = desktop.visit("/console/subscribers", "Subscribers")
    page.get_by_label("Address or its beginning").fill(subscriber[:14])
    page.get_by_label("Address or its beginning").press("Enter")
    expect(page.get_by_role("link", name=subscriber, exact=True)).to_be_visible()
    desktop.check(artifacts, f"subscribers-{backend}")
    page.get_by_role("link", name=subscriber, exact=True).click()
    expect(page.get_by_role("heading", name=subscriber)).to_be_visible()
    page.get_by_label("Subscription type").select_option(str(first.id))
    page.get_by_label("New status").select_option("UNSUBSCRIBED")
    page.get_by_label("Reason (recorded in the ledger)").fill("asked by phone")
    page.get_by_role("button", name="Change status").click()
    expect(page.get_by_role("status")).to_have_text("The status is changed.")
    expect(page.locator(f'tr[data-type="{first.id}"] .state')).to_have_text("UNSUBSCRIBED")
    desktop.check(artifacts, f"subscriber-{backend}")
    with api(server, tenant) as http:
        read = http.get(f"{V4}/statuses/{subscriber}", params={"channel": "EMAIL"}).json()
        history = http.get(
            f"/commprefs/v1/subscribers/{subscriber}/history", params={"channel": "EMAIL"}
        ).json()["results"]
    assert {r["subscriptionId"]: r["status"] for r in read["results"]}[first.id] == "UNSUBSCRIBED"
    assert history[-1]["api"] == "console"
    assert history[-1]["source"] == f"console user {admin.id} ({admin.email}): asked by phone"

    # Download the subject export (Art. 15); erase the subscriber (Art. 17) once its address is
    # typed again: the page then reads what every API reads of an erased address.
    with page.expect_download() as download:
        page.get_by_role("button", name="Export (Art. 15)").click()
    exported = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert exported["subscriberIdString"] == subscriber
    assert exported["history"][-1]["source"].endswith(": asked by phone")
    page.get_by_role("button", name="Erase (Art. 17)").click()
    expect(page.get_by_role("heading", name=f"Erase {subscriber}")).to_be_visible()
    page.get_by_label("To confirm, type the address").fill(subscriber)
    desktop.check(artifacts, f"erase-{backend}")
    page.get_by_role("button", name="Erase this subscriber").click()
    expect(page.get_by_role("status")).to_contain_text("Erased: subscriber hash ")
    expect(page.locator(f'tr[data-type="{first.id}"] .state')).to_have_text("UNSUBSCRIBED")
    expect(page.locator(".warning")).to_contain_text("Erased on request")
    desktop.check(artifacts, f"erased-{backend}")

    # Create a type and translate it; the preference page then shows it in that language.
    page = desktop.visit("/console/types", "Subscription types")
    create = page.locator("form[action='/console/types']")
    create.get_by_label("Name", exact=True).fill("Console newsletter")
    create.get_by_label("Description", exact=True).fill("Made in the console.")
    create.get_by_role("button", name="Create type").click()
    expect(page.get_by_role("status")).to_have_text("Created Console newsletter.")
    expect(page.locator(".previews")).to_contain_text("Console newsletter")
    page.get_by_label("Type", exact=True).select_option(label="Console newsletter")
    page.get_by_label("Language code").fill("de")
    page.get_by_label("Name in that language").fill("Konsolen-Newsletter")
    page.get_by_label("Description in that language").fill("In der Konsole gemacht.")
    page.get_by_role("button", name="Save translation").click()
    expect(page.get_by_role("status")).to_have_text("Saved the de translation.")
    page.get_by_label("In the language").fill("de")
    page.get_by_label("In the language").press("Enter")
    expect(page.locator(".previews")).to_contain_text("Konsolen-Newsletter")
    expect(page.locator(".previews")).to_contain_text("Northwind Outfitters")  # the brand's
    desktop.check(artifacts, f"types-{backend}")
    with api(server, tenant) as http:
        links = generate(http, tenant, email("reader"), language="de")
    page.goto(links["managePreferencesUrl"])
    expect(page.get_by_role("checkbox", name="Konsolen-Newsletter")).to_be_visible()

    # Create a token (its secret shown once), use it, revoke it: the API then refuses it.
    page = desktop.visit("/console/tokens", "Access tokens")
    page.get_by_label("Name", exact=True).fill("made in the browser")
    page.get_by_label("communication_preferences.read", exact=True).check()
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_label("Secret").input_value()
    assert secret.startswith("cpat-")
    with httpx.Client(base_url=server.url) as http:
        bearer = {"Authorization": f"Bearer {secret}"}
        assert http.get(f"{V4}/definitions", headers=bearer).status_code == 200
        desktop.check(artifacts, f"token-created-{backend}")
        page.get_by_role("button", name="Revoke token", exact=False).last.click()
        expect(page.get_by_role("status")).to_contain_text("is revoked")
        assert http.get(f"{V4}/definitions", headers=bearer).status_code == 401
    assert secret not in page.content()  # shown once: never again

    # Upload an import and watch it finish; the rejects are offered for download.
    page = desktop.visit("/console/imports", "Imports")
    rows = (
        f"email,subscriptionId,status\n{email('imp')},{first.id},SUBSCRIBED\nbroken,{first.id},X\n"
    )
    page.get_by_label("CSV or NDJSON file").set_input_files(
        files=[{"name": "people.csv", "mimeType": "text/csv", "buffer": rows.encode()}]
    )
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("status")).to_have_text(
        "Finished: 1 of 2 rows imported, 1 rejected.", timeout=20_000
    )
    expect(page.get_by_label("Progress")).to_have_attribute("value", "100")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the rejected rows").click()
    assert "broken" in Path(download.value.path()).read_text(encoding="utf-8")
    desktop.check(artifacts, f"import-{backend}")

    for path, heading, name in [
        ("/console/brands", "Brands", "brands"),
        ("/console/webhooks", "Webhooks", "webhooks"),
        ("/console/exports", "Exports", "exports"),
    ]:
        desktop.visit(path, heading)
        desktop.check(artifacts, f"{name}-{backend}")
    desktop.page.get_by_role("button", name="Log out").click()
    expect(desktop.page.get_by_role("heading", name="Log in")).to_be_visible()


def test_the_console_reads_on_a_phone(
    phone: Operator,
    admin: ConsoleUser,
    tenant: Tenant,
    server: Server,
    artifacts: Path,
    backend: str,
) -> None:
    subscriber = email("phone")
    with api(server, tenant) as http:
        assert http.post(f"{V4}/statuses/{subscriber}/unsubscribe-all?channel=EMAIL").is_success
    phone.log_in_with_the_keyboard(admin)
    chart = phone.page.locator("figure.chart svg")
    expect(chart).to_be_visible()
    box = chart.bounding_box()
    assert box is not None
    assert box["width"] <= PHONE["width"]  # the chart fits the screen
    phone.check(artifacts, f"overview-phone-{backend}")
    for _ in range(3):  # the skip link, Overview, Subscribers: the navigation by keyboard
        phone.page.keyboard.press("Tab")
    expect(phone.page.get_by_role("link", name="Subscribers")).to_be_focused()
    phone.page.keyboard.press("Enter")
    expect(phone.page.get_by_role("heading", name="Subscribers")).to_be_visible()
    expect(phone.page.get_by_role("link", name="Subscribers")).to_have_attribute(
        "aria-current", "page"
    )
    for path, heading, name in [
        (f"/console/subscriber?address={subscriber}", subscriber, "subscriber"),
        ("/console/types", "Subscription types", "types"),
        ("/console/tokens", "Access tokens", "tokens"),
        ("/console/imports", "Imports", "imports"),
    ]:
        phone.visit(path, heading)
        phone.check(artifacts, f"{name}-phone-{backend}")
