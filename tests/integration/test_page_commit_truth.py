"""A page never denies a change its transaction committed. The confirmation is rendered after
the commit; here its renderer fails there (a fake of the pages' own renderer), and each form's
answer must still tell the subscriber the truth, which the ledger must match. SQLite and
PostgreSQL, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.responses import HTMLResponse

from commprefs.app import create_app
from commprefs.centre.models import Brand
from commprefs.config import Settings
from commprefs.domain.preferences import State
from commprefs.pages.render import PageRenderer
from tests.support.factories import Factory, Tenant, email
from tests.support.inprocess import serving
from tests.support.pages import form_value, generate
from tests.support.server import free_port


class ConfirmationFails(PageRenderer):
    """Renders every page but the confirmation after a change, which raises: as a template
    bug, an unencodable header or a full disk could, once the change is made."""

    def __init__(self) -> None:
        super().__init__()
        self.failures = 0

    def page(
        self, template: str, status_code: int = 200, brand: Brand | None = None, **values: Any
    ) -> HTMLResponse:
        if template == "done.html":
            self.failures += 1
            raise RuntimeError("injected: the confirmation cannot be rendered")
        return super().page(template, status_code, brand, **values)


@pytest.fixture
def renderer() -> ConfirmationFails:
    return ConfirmationFails()


@pytest.fixture
def http(database_url: str, renderer: ConfirmationFails) -> Iterator[httpx.Client]:
    port = free_port()
    settings = Settings(database_url=database_url, public_url=f"http://127.0.0.1:{port}")
    app = create_app(settings)
    app.state.page_renderer = renderer
    with serving(app, port) as url, httpx.Client(base_url=url, timeout=30.0) as client:
        yield client


@pytest.fixture
def tenant(factory: Factory) -> Tenant:
    return factory.tenant(types=2)


def assert_truthful(answer: httpx.Response, says: str) -> None:
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert "Nothing was changed" not in answer.text
    assert "went wrong" not in answer.text
    assert says in answer.text


def test_the_manage_form_reports_a_committed_save(
    http: httpx.Client, renderer: ConfirmationFails, tenant: Tenant, factory: Factory
) -> None:
    subscriber = email()
    first, second = (d.id for d in tenant.definitions)
    links = generate(http, tenant, subscriber)
    page = http.get(links["managePreferencesUrl"]).text
    form = {"csrf": form_value(page, "csrf"), "shown": [str(first), str(second)]}

    answer = http.post(links["managePreferencesUrl"], data={**form, "subscribed": [str(second)]})

    assert renderer.failures == 1
    assert_truthful(answer, "Your preferences are saved")
    statuses = factory.statuses(tenant.portal, subscriber)
    assert statuses[first].status is State.UNSUBSCRIBED
    assert statuses[second].status is State.NOT_SPECIFIED
    assert [e.subscription_id for e in factory.ledger(tenant.portal, subscriber)] == [first]


@pytest.mark.parametrize("form", ["manage page", "unsubscribe-all page"])
def test_the_unsubscribe_all_forms_report_a_committed_opt_out(
    http: httpx.Client, renderer: ConfirmationFails, tenant: Tenant, factory: Factory, form: str
) -> None:
    subscriber = email()
    links = generate(http, tenant, subscriber)
    shown_on = links["managePreferencesUrl" if form == "manage page" else "unsubscribeAllUrl"]
    page = http.get(shown_on).text

    answer = http.post(links["unsubscribeAllUrl"], data={"csrf": form_value(page, "csrf")})

    assert renderer.failures == 1
    assert_truthful(answer, "You are unsubscribed")
    statuses = factory.statuses(tenant.portal, subscriber)
    assert {s.status for s in statuses.values()} == {State.UNSUBSCRIBED}
    wide = [e for e in factory.ledger(tenant.portal, subscriber) if e.wide_type is not None]
    assert [(e.wide_type, e.business_unit_id) for e in wide] == [("PORTAL_WIDE", 0)]


def test_the_unsubscribe_single_form_reports_a_committed_opt_out(
    http: httpx.Client, renderer: ConfirmationFails, tenant: Tenant, factory: Factory
) -> None:
    subscriber = email()
    target, other = tenant.definitions
    links = generate(http, tenant, subscriber, subscriptionId=target.id)
    page = http.get(links["unsubscribeSingleUrl"]).text

    answer = http.post(links["unsubscribeSingleUrl"], data={"csrf": form_value(page, "csrf")})

    assert renderer.failures == 1
    assert_truthful(answer, "You are unsubscribed")
    statuses = factory.statuses(tenant.portal, subscriber)
    assert statuses[target.id].status is State.UNSUBSCRIBED
    assert statuses[other.id].status is State.NOT_SPECIFIED
    assert [e.subscription_id for e in factory.ledger(tenant.portal, subscriber)] == [target.id]
