"""hubspot-api-client's OAuth API (``Client.oauth``: tokens, access-tokens, refresh-tokens)
against commprefs served in-process with a clock the tests move (never sleep): an app made with
``commprefs apps create``, a code from ``commprefs apps authorize``, the exchange, the access
token on the APIs, its expiry and refresh, introspection, deletion, and HubSpot's refusals."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import hubspot
import pytest
from hubspot.oauth import ApiException
from hubspot_sdk import HubSpot

from commprefs.app import create_app
from commprefs.config import Settings
from tests.support.cli import json_of
from tests.support.factories import Factory, Tenant, email
from tests.support.inprocess import serving
from tests.support.oauth import REDIRECT_URI, ManualClock
from tests.support.server import free_port

V4 = "/communication-preferences/v4"
SCOPES = "communication_preferences.read_write,communication_preferences.statuses.batch.read"


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(autouse=True)
def now(clock: ManualClock) -> None:
    """Each test starts at the real time, which the CLI (another process) issues codes by."""
    clock.offset_ms = 0


@pytest.fixture(scope="module")
def url(database_url: str, clock: ManualClock, factory: Factory) -> Iterator[str]:
    port = free_port()
    settings = Settings(database_url=database_url, public_url=f"http://127.0.0.1:{port}")
    with serving(create_app(settings, clock=clock), port) as served:
        yield served


@pytest.fixture(scope="module")
def tenant(factory: Factory) -> Tenant:
    return factory.tenant(types=2)


@pytest.fixture(scope="module")
def app(tenant: Tenant, database_url: str) -> dict[str, Any]:
    created: dict[str, Any] = json_of(
        "apps", "create", "--portal", str(tenant.portal.id), "--name", "Sync", "--redirect-uri",
        REDIRECT_URI, "--scopes", SCOPES, "--database", database_url,
    )  # fmt: skip
    return created


@pytest.fixture
def oauth(url: str) -> Any:
    return hubspot.Client.create(host=url).oauth


def authorize(app: dict[str, Any], database_url: str) -> str:
    issued = json_of("apps", "authorize", "--app", str(app["id"]), "--database", database_url)
    assert issued["redirectUri"] == REDIRECT_URI
    return str(issued["code"])


def exchange(oauth: Any, app: dict[str, Any], code: str, **overrides: str) -> Any:
    fields = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": app["clientId"],
        "client_secret": app["clientSecret"],
        **overrides,
    }
    return oauth.tokens_api.create(**fields)


def refresh(oauth: Any, app: dict[str, Any], refresh_token: str, **overrides: str) -> Any:
    fields = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": app["clientId"],
        "client_secret": app["clientSecret"],
        **overrides,
    }
    return oauth.tokens_api.create(**fields)


def refusal(raised: pytest.ExceptionInfo[ApiException], status: int = 400) -> dict[str, Any]:
    assert raised.value.status == status
    body: dict[str, Any] = json.loads(raised.value.body)
    assert set(body) == {"status", "message", "correlationId"}, body
    assert body["correlationId"] == raised.value.headers["X-HubSpot-Correlation-Id"]
    return body


def v4_statuses(url: str, token: str, subscriber: str) -> httpx.Response:
    return httpx.get(
        f"{url}{V4}/statuses/{subscriber}",
        params={"channel": "EMAIL"},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_a_code_becomes_tokens_that_work_expire_refresh_and_introspect(
    oauth: Any,
    app: dict[str, Any],
    tenant: Tenant,
    url: str,
    clock: ManualClock,
    database_url: str,
    factory: Factory,
) -> None:
    tokens = exchange(oauth, app, authorize(app, database_url))
    assert (tokens.token_type, tokens.expires_in) == ("bearer", 1800)

    subscriber = email()
    news = tenant.definitions[0]
    cp = HubSpot(access_token=tokens.access_token, base_url=url, max_retries=0)
    changed = cp.communication_preferences.update_status(
        subscriber, channel="EMAIL", status_state="SUBSCRIBED", subscription_id=news.id
    )
    assert changed.results[0].status == "SUBSCRIBED"
    read = v4_statuses(url, tokens.access_token, subscriber)
    assert read.status_code == 200
    assert {r["subscriptionId"]: r["status"] for r in read.json()["results"]}[news.id] == (
        "SUBSCRIBED"
    )
    # The ledger names the grant as the token that acted.
    [entry] = factory.ledger(tenant.portal, subscriber)
    names = {t.id: t.name for t in factory.run(factory.services.tokens.list(tenant.portal.id))}
    assert (entry.api, names[entry.token_id]) == ("2026-03", f"OAuth app {app['id']} (Sync)")

    clock.advance(1801)
    expired = v4_statuses(url, tokens.access_token, subscriber)
    assert expired.status_code == 401
    assert expired.json()["category"] == "EXPIRED_AUTHENTICATION"
    assert expired.json()["message"] == (
        "The OAuth token used to make this call expired 0 minute(s) ago."
    )

    renewed = refresh(oauth, app, tokens.refresh_token)
    assert renewed.access_token != tokens.access_token
    assert renewed.refresh_token != tokens.refresh_token
    assert v4_statuses(url, renewed.access_token, subscriber).status_code == 200

    info = oauth.access_tokens_api.get(renewed.access_token)
    assert (info.hub_id, info.app_id, info.token_type, info.user_id) == (
        tenant.portal.id,
        app["id"],
        "access",
        0,
    )
    assert info.scopes == sorted(SCOPES.split(","))
    assert 1795 <= info.expires_in <= 1800
    assert info.token == renewed.access_token
    held = oauth.refresh_tokens_api.get(renewed.refresh_token)
    assert (held.hub_id, held.client_id, held.token_type) == (
        tenant.portal.id,
        app["clientId"],
        "refresh",
    )
    assert held.scopes == info.scopes


def test_an_expired_access_token_is_refused_by_introspection_too(
    oauth: Any, app: dict[str, Any], clock: ManualClock, database_url: str
) -> None:
    tokens = exchange(oauth, app, authorize(app, database_url))
    clock.advance(1800 + 5 * 60)
    with pytest.raises(ApiException) as raised:
        oauth.access_tokens_api.get(tokens.access_token)
    assert raised.value.status == 401
    assert json.loads(raised.value.body)["category"] == "EXPIRED_AUTHENTICATION"
    assert "expired 5 minute(s) ago" in json.loads(raised.value.body)["message"]


def test_a_reused_refresh_token_is_hubspots_bad_refresh_token(
    oauth: Any, app: dict[str, Any], database_url: str
) -> None:
    tokens = exchange(oauth, app, authorize(app, database_url))
    refresh(oauth, app, tokens.refresh_token)

    with pytest.raises(ApiException) as raised:
        refresh(oauth, app, tokens.refresh_token)
    body = refusal(raised)
    assert (body["status"], body["message"]) == (
        "BAD_REFRESH_TOKEN",
        "missing or invalid refresh token",
    )
    with pytest.raises(ApiException) as introspected:
        oauth.refresh_tokens_api.get(tokens.refresh_token)
    assert refusal(introspected)["status"] == "BAD_REFRESH_TOKEN"


def test_a_wrong_client_secret_is_hubspots_bad_client_id(
    oauth: Any, app: dict[str, Any], database_url: str
) -> None:
    code = authorize(app, database_url)
    with pytest.raises(ApiException) as raised:
        exchange(oauth, app, code, client_secret="cpocs-not-the-secret")
    body = refusal(raised)
    assert (body["status"], body["message"]) == ("BAD_CLIENT_ID", "missing or invalid client id")
    # Nothing was spent: the code still works with the right secret.
    assert exchange(oauth, app, code).access_token


def test_an_expired_or_reused_code_is_refused(
    oauth: Any, app: dict[str, Any], clock: ManualClock, database_url: str
) -> None:
    stale = authorize(app, database_url)
    clock.advance(601)
    with pytest.raises(ApiException) as raised:
        exchange(oauth, app, stale)
    assert refusal(raised)["status"] == "EXPIRED_AUTH_CODE"

    clock.offset_ms = 0
    fresh = authorize(app, database_url)
    with pytest.raises(ApiException) as elsewhere:
        exchange(oauth, app, fresh, redirect_uri="https://app.example.com/other")
    assert refusal(elsewhere)["status"] == "MISMATCH_REDIRECT_URI_AUTH_CODE"
    exchange(oauth, app, fresh)
    with pytest.raises(ApiException) as reused:
        exchange(oauth, app, fresh)
    body = refusal(reused)
    assert (body["status"], body["message"]) == ("BAD_AUTH_CODE", "missing or unknown auth code")


def test_deleting_a_refresh_token_uninstalls_the_app(
    oauth: Any, app: dict[str, Any], url: str, database_url: str
) -> None:
    tokens = exchange(oauth, app, authorize(app, database_url))
    oauth.refresh_tokens_api.archive(tokens.refresh_token)

    assert v4_statuses(url, tokens.access_token, email()).status_code == 401
    with pytest.raises(ApiException) as raised:
        refresh(oauth, app, tokens.refresh_token)
    assert refusal(raised)["status"] == "BAD_REFRESH_TOKEN"
    with pytest.raises(ApiException) as again:
        oauth.refresh_tokens_api.archive(tokens.refresh_token)
    assert refusal(again)["status"] == "BAD_REFRESH_TOKEN"
