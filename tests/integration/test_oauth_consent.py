"""The OAuth consent page ``/oauth/authorize`` over HTTP on SQLite and PostgreSQL: GET changes
nothing; the POST is CSRF-checked, approves only with a token of the portal holding every scope
asked for, and answers with a redirect to the app's registered URI (``code`` and ``state``, or
``error=access_denied``). Bad requests are friendly pages, never a redirect to an unchecked URI.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from commprefs.oauth.models import CreatedApp
from tests.support.factories import Factory, Tenant
from tests.support.oauth import REDIRECT_URI, create_app
from tests.support.pages import form_value

SCOPES = ["communication_preferences.read", "communication_preferences.write"]


@pytest.fixture
def tenant(factory: Factory) -> Tenant:
    return factory.tenant(types=1)


@pytest.fixture
def app(factory: Factory, tenant: Tenant) -> CreatedApp:
    return create_app(factory, tenant.portal, SCOPES)


def query(app: CreatedApp, **extra: str) -> dict[str, str]:
    return {
        "client_id": app.app.client_id,
        "redirect_uri": REDIRECT_URI,
        "scope": " ".join(SCOPES),
        "state": "s-42",
        **extra,
    }


def consent_form(http: httpx.Client, app: CreatedApp) -> dict[str, Any]:
    page = http.get("/oauth/authorize", params=query(app))
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "Test app" in page.text
    assert SCOPES[0] in page.text
    # The form may send the browser on to the app, and only there.
    assert "form-action 'self' https://app.example.com;" in page.headers["content-security-policy"]
    return {name: form_value(page.text, name) for name in ("csrf", "client_id", "redirect_uri")} | {
        "scope": " ".join(SCOPES),
        "state": "s-42",
    }


def test_approving_with_a_token_of_the_portal_redirects_with_a_code_that_works(
    http: httpx.Client, app: CreatedApp, tenant: Tenant
) -> None:
    form = consent_form(http, app)

    answer = http.post(
        "/oauth/authorize", data={**form, "approver_token": tenant.token, "decision": "approve"}
    )

    assert answer.status_code == 303
    target = urlsplit(answer.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == REDIRECT_URI
    sent = parse_qs(target.query)
    assert sent["state"] == ["s-42"]
    tokens = http.post(
        "/oauth/v1/token",
        data={
            "grant_type": "authorization_code",
            "code": sent["code"][0],
            "redirect_uri": REDIRECT_URI,
            "client_id": app.app.client_id,
            "client_secret": app.client_secret,
        },
    ).json()
    info = http.get(f"/oauth/v1/access-tokens/{tokens['access_token']}").json()
    assert info["scopes"] == SCOPES
    assert info["hub_id"] == tenant.portal.id
    assert info["user_id"] > 0  # the token that approved, not the operator


def test_denying_redirects_with_access_denied(http: httpx.Client, app: CreatedApp) -> None:
    form = consent_form(http, app)

    answer = http.post("/oauth/authorize", data={**form, "decision": "deny"})

    assert answer.status_code == 303
    assert parse_qs(urlsplit(answer.headers["location"]).query) == {
        "error": ["access_denied"],
        "state": ["s-42"],
    }


def test_a_token_that_cannot_grant_the_scopes_approves_nothing(
    http: httpx.Client, app: CreatedApp, tenant: Tenant, factory: Factory
) -> None:
    form = consent_form(http, app)
    weaker = factory.token(tenant.portal, [SCOPES[0]])
    foreign = factory.tenant(types=1).token
    for approver in (weaker, foreign, "cpat-not-a-token", ""):
        answer = http.post(
            "/oauth/authorize", data={**form, "approver_token": approver, "decision": "approve"}
        )
        assert answer.status_code == 401, approver
        assert answer.headers["content-type"].startswith("text/html")
        assert "location" not in answer.headers


def test_a_form_without_its_cookie_or_token_is_the_expired_form_page(
    http: httpx.Client, app: CreatedApp, tenant: Tenant
) -> None:
    form = consent_form(http, app)
    approve = {**form, "approver_token": tenant.token, "decision": "approve"}
    with httpx.Client(base_url=str(http.base_url)) as fresh:  # no cookie
        assert fresh.post("/oauth/authorize", data=approve).status_code == 403
    assert http.post("/oauth/authorize", data={**approve, "csrf": "x"}).status_code == 403
    other_app = {**approve, "csrf": form["csrf"].replace(form["csrf"][-4:], "AAAA")}
    assert http.post("/oauth/authorize", data=other_app).status_code == 403


@pytest.mark.parametrize(
    "change",
    [
        {"client_id": "not-an-app"},
        {"redirect_uri": "https://evil.example.com/cb"},
        {"scope": "communication_preferences.statuses.batch.write"},
    ],
    ids=["unknown client", "other redirect URI", "scope the app lacks"],
)
def test_a_bad_request_is_a_page_and_never_a_redirect(
    http: httpx.Client, app: CreatedApp, change: dict[str, str]
) -> None:
    page = http.get("/oauth/authorize", params=query(app, **change))

    assert page.status_code == 400
    assert page.headers["content-type"].startswith("text/html")
    assert "location" not in page.headers
