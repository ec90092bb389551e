"""The token endpoint and introspection over HTTP on SQLite and PostgreSQL, beyond what
hubspot-api-client sends: missing fields, a body that is not a form, races for one code or one
refresh token (each spent once), a revoked grant, and secrets kept only as hashes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from commprefs.oauth.models import CreatedApp
from tests.integration.test_secrets import database_dump
from tests.support.factories import Factory, Tenant
from tests.support.oauth import REDIRECT_URI, create_app
from tests.support.server import Server

TOKEN = "/oauth/v1/token"


@pytest.fixture
def tenant(factory: Factory) -> Tenant:
    return factory.tenant(types=1)


@pytest.fixture
def app(factory: Factory, tenant: Tenant) -> CreatedApp:
    return create_app(factory, tenant.portal)


def code_for(factory: Factory, app: CreatedApp) -> str:
    return factory.run(factory.services.oauth.authorize(app.app.id)).code


def code_grant(app: CreatedApp, auth_code: str, **changes: str | None) -> dict[str, str]:
    fields = {
        "grant_type": "authorization_code",
        "client_id": app.app.client_id,
        "client_secret": app.client_secret,
        "redirect_uri": REDIRECT_URI,
        "code": auth_code,
        **changes,
    }
    return {k: v for k, v in fields.items() if v is not None}


def refused(answer: httpx.Response, reason: str) -> None:
    assert answer.status_code == 400, answer.text
    assert answer.json()["status"] == reason
    assert answer.json()["correlationId"] == answer.headers["x-hubspot-correlation-id"]


def test_missing_fields_and_bodies_that_are_not_forms_are_refused_by_reason(
    http: httpx.Client, factory: Factory, app: CreatedApp
) -> None:
    code = code_for(factory, app)
    refused(http.post(TOKEN, data=code_grant(app, code, grant_type=None)), "BAD_GRANT_TYPE")
    refused(http.post(TOKEN, data=code_grant(app, code, grant_type="password")), "BAD_GRANT_TYPE")
    refused(http.post(TOKEN, json=code_grant(app, code)), "BAD_GRANT_TYPE")
    refused(http.post(TOKEN, data=code_grant(app, code, client_id=None)), "BAD_CLIENT_ID")
    refused(http.post(TOKEN, data=code_grant(app, code, client_secret=None)), "BAD_CLIENT_ID")
    refused(http.post(TOKEN, data=code_grant(app, code, code=None)), "BAD_AUTH_CODE")
    refused(http.post(TOKEN, data=code_grant(app, code, redirect_uri=None)), "BAD_REDIRECT_URI")
    refresh = code_grant(app, code, grant_type="refresh_token", code=None)
    refused(http.post(TOKEN, data=refresh), "BAD_REFRESH_TOKEN")
    # None of that spent the code.
    assert http.post(TOKEN, data=code_grant(app, code)).status_code == 200


def _race(server: Server, requests: list[dict[str, str]]) -> list[tuple[int, Any]]:
    def post(fields: dict[str, str]) -> tuple[int, Any]:
        answer = httpx.post(server.url + TOKEN, data=fields, timeout=30.0)
        return answer.status_code, answer.json()

    with ThreadPoolExecutor(len(requests)) as pool:
        return sorted(pool.map(post, requests), key=lambda a: a[0])


def test_a_code_and_a_refresh_token_are_each_spent_once_when_requests_race(
    server: Server, factory: Factory, app: CreatedApp
) -> None:
    code = code_for(factory, app)
    answers = _race(server, [code_grant(app, code)] * 4)
    assert [status for status, _ in answers] == [200, 400, 400, 400]
    assert {body["status"] for _, body in answers[1:]} == {"BAD_AUTH_CODE"}

    refresh = {
        "grant_type": "refresh_token",
        "client_id": app.app.client_id,
        "client_secret": app.client_secret,
        "refresh_token": answers[0][1]["refresh_token"],
    }
    answers = _race(server, [refresh] * 4)
    assert [status for status, _ in answers] == [200, 400, 400, 400]
    assert {body["status"] for _, body in answers[1:]} == {"BAD_REFRESH_TOKEN"}


def test_revoking_the_grant_ends_its_access_and_refresh_tokens(
    http: httpx.Client, factory: Factory, app: CreatedApp, tenant: Tenant
) -> None:
    tokens = http.post(TOKEN, data=code_grant(app, code_for(factory, app))).json()
    [grant] = [
        t
        for t in factory.run(factory.services.tokens.list(tenant.portal.id))
        if t.name == f"OAuth app {app.app.id} (Test app)"
    ]
    assert grant.scopes == app.app.scopes
    factory.run(factory.services.tokens.revoke(grant.id))

    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert http.get("/communication-preferences/v4/definitions", headers=bearer).status_code == 401
    unknown = http.get(f"/oauth/v1/access-tokens/{tokens['access_token']}")
    assert (unknown.status_code, unknown.json()["status"]) == (404, "BAD_ACCESS_TOKEN")
    refresh = {
        "grant_type": "refresh_token",
        "client_id": app.app.client_id,
        "client_secret": app.client_secret,
        "refresh_token": tokens["refresh_token"],
    }
    refused(http.post(TOKEN, data=refresh), "BAD_REFRESH_TOKEN")
    refused(http.get(f"/oauth/v1/refresh-tokens/{tokens['refresh_token']}"), "BAD_REFRESH_TOKEN")


def test_secrets_are_kept_only_as_hashes(
    http: httpx.Client, factory: Factory, app: CreatedApp, database_url: str
) -> None:
    code = code_for(factory, app)
    tokens = http.post(TOKEN, data=code_grant(app, code)).json()
    dump = database_dump(database_url)
    assert app.app.client_id in dump  # the dump holds the apps
    for secret in (app.client_secret, code, tokens["access_token"], tokens["refresh_token"]):
        assert secret not in dump
