"""E6 POST …/links/generate over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.factories import Factory, Tenant, email
from tests.support.server import Server

PREFIXES = ["/communication-preferences/v4", "/communication-preferences/2026-03"]


@pytest.fixture(params=PREFIXES, ids=["v4", "2026-03"])
def prefix(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def tenant(factory: Factory) -> Tenant:
    return factory.tenant(types=2)


def generate(
    http: httpx.Client,
    prefix: str,
    tenant: Tenant,
    body: Any,
    **params: Any,
) -> httpx.Response:
    return http.post(
        f"{prefix}/links/generate",
        params={"channel": "EMAIL", **params},
        json=body,
        headers=tenant.headers,
    )


def test_links_are_signed_urls_under_the_public_url(
    http: httpx.Client, prefix: str, tenant: Tenant, server: Server
) -> None:
    subscriber = email("Jane").replace("Jane", "Jane.Doe+news")
    response = generate(http, prefix, tenant, {"subscriberIdString": subscriber})

    assert response.status_code == 200
    body = response.json()
    assert body["subscriberIdString"] == subscriber.lower()
    manage = body["managePreferencesUrl"]
    assert manage.startswith(f"{server.url}/preferences/")
    assert body["unsubscribeAllUrl"] == manage + "/unsubscribe-all"
    assert "unsubscribeSingleUrl" not in body
    # Opaque: the address is not spelled out in the URL.
    assert subscriber.lower() not in manage
    assert body["listUnsubscribe"] == f"<{body['unsubscribeAllUrl']}>"
    assert body["listUnsubscribePost"] == "List-Unsubscribe=One-Click"


def test_a_subscription_id_adds_the_single_unsubscribe_url(
    http: httpx.Client, prefix: str, tenant: Tenant
) -> None:
    body = generate(
        http,
        prefix,
        tenant,
        {"subscriberIdString": email(), "subscriptionId": tenant.definitions[1].id},
    ).json()

    assert body["unsubscribeSingleUrl"] == body["managePreferencesUrl"] + "/unsubscribe"
    assert body["listUnsubscribe"] == f"<{body['unsubscribeSingleUrl']}>"


def test_links_differ_per_subscriber_language_and_business_unit(
    http: httpx.Client, prefix: str, tenant: Tenant, factory: Factory
) -> None:
    unit = factory.business_unit(tenant.portal)
    subscriber = email()
    urls = {
        generate(http, prefix, tenant, body, **params).json()["managePreferencesUrl"]
        for body, params in [
            ({"subscriberIdString": subscriber}, {}),
            ({"subscriberIdString": subscriber}, {"businessUnitId": unit.id}),
            ({"subscriberIdString": subscriber, "language": "de"}, {}),
            ({"subscriberIdString": email()}, {}),
        ]
    }
    assert len(urls) == 4


@pytest.mark.parametrize(
    ("body", "params", "field"),
    [
        ({"subscriberIdString": "not-an-address"}, {}, "subscriberIdString"),
        ({"subscriberIdString": ""}, {}, "subscriberIdString"),
        ({}, {}, "subscriberIdString"),
        ({"subscriberIdString": "a@example.com", "language": "english!"}, {}, "language"),
        ({"subscriberIdString": "a@example.com"}, {"businessUnitId": 424242}, "businessUnitId"),
        ({"subscriberIdString": "a@example.com"}, {"businessUnitId": -1}, "businessUnitId"),
        ({"subscriberIdString": "a@example.com"}, {"channel": "SMS"}, "channel"),
        (
            {"subscriberIdString": "a@example.com", "subscriptionId": 9_999_999},
            {},
            "subscriptionId",
        ),
        ({"subscriberIdString": "a@example.com", "subscriptionId": "x"}, {}, "subscriptionId"),
    ],
)
def test_invalid_input_is_a_400_naming_the_field(
    http: httpx.Client,
    prefix: str,
    tenant: Tenant,
    body: dict[str, Any],
    params: dict[str, Any],
    field: str,
) -> None:
    response = generate(http, prefix, tenant, body, **params)

    assert response.status_code == 400
    error = response.json()
    assert error["status"] == "error"
    assert error["category"] == "VALIDATION_ERROR"
    assert field in [e["in"] for e in error["errors"]]


def test_inactive_and_other_units_subscriptions_are_refused(
    http: httpx.Client, prefix: str, tenant: Tenant, factory: Factory
) -> None:
    inactive = factory.definition(tenant.portal, active=False)
    unit = factory.business_unit(tenant.portal)
    elsewhere = factory.definition(tenant.portal, unit.id)
    other_portal = factory.tenant(types=1).definitions[0]
    cases = [
        (inactive.id, {}),
        (elsewhere.id, {}),
        (tenant.definitions[0].id, {"businessUnitId": unit.id}),
        (other_portal.id, {}),
    ]
    for subscription_id, params in cases:
        body = {"subscriberIdString": email(), "subscriptionId": subscription_id}
        response = generate(http, prefix, tenant, body, **params)
        assert response.status_code == 400, (subscription_id, params)
        assert [e["in"] for e in response.json()["errors"]] == ["subscriptionId"]

    fine = {"subscriberIdString": email(), "subscriptionId": elsewhere.id}
    assert generate(http, prefix, tenant, fine, businessUnitId=unit.id).status_code == 200


def test_every_bad_field_is_named_in_one_answer(
    http: httpx.Client, prefix: str, tenant: Tenant
) -> None:
    body = {"subscriberIdString": "nope", "language": "??", "subscriptionId": 9_999_999}
    response = generate(http, prefix, tenant, body, businessUnitId=424242)

    assert response.status_code == 400
    fields = [e["in"] for e in response.json()["errors"]]
    assert fields == ["subscriberIdString", "language", "businessUnitId", "subscriptionId"]


def test_a_missing_or_broken_body_is_a_400(http: httpx.Client, prefix: str, tenant: Tenant) -> None:
    url = f"{prefix}/links/generate"
    missing = http.post(url, params={"channel": "EMAIL"}, headers=tenant.headers)
    broken = http.post(
        url,
        params={"channel": "EMAIL"},
        content=b"{not json",
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    assert missing.status_code == 400
    assert broken.status_code == 400
    assert broken.json()["errors"][0]["code"] == "INVALID_JSON"


@pytest.mark.parametrize(
    ("scopes", "allowed"),
    [
        (["communication_preferences.read"], False),
        (["communication_preferences.write"], False),
        (["communication_preferences.read", "communication_preferences.write"], True),
        (["communication_preferences.read_write"], True),
        (["subscriptions-status-read", "subscriptions-status-write"], True),
        (["subscriptions-status-write"], False),
    ],
)
def test_scopes(
    http: httpx.Client, prefix: str, factory: Factory, scopes: list[str], allowed: bool
) -> None:
    tenant = factory.tenant(types=1)
    tenant.token = factory.token(tenant.portal, scopes)
    response = generate(http, prefix, tenant, {"subscriberIdString": email()})

    assert response.status_code == (200 if allowed else 403)
    if not allowed:
        body = response.json()
        assert body["category"] == "MISSING_SCOPES"
        assert body["errors"][0]["context"]["requiredGranularScopes"]


def test_without_a_token_it_is_a_401(http: httpx.Client, prefix: str) -> None:
    response = http.post(
        f"{prefix}/links/generate",
        params={"channel": "EMAIL"},
        json={"subscriberIdString": email()},
    )
    assert response.status_code == 401
    assert response.json()["category"] == "INVALID_AUTHENTICATION"


def test_the_operation_is_documented_with_hubspots_operation_id(http: httpx.Client) -> None:
    paths = http.get("/openapi.json").json()["paths"]
    for version in ("v4", "2026-03", "2026-09", "2025-09"):
        operation = paths[f"/communication-preferences/{version}/links/generate"]["post"]
        assert operation["operationId"] == (
            f"post-/communication-preferences/{version}/links/generate"
            "_/communication-preferences/v4/links/generate"
        )
    assert not [p for p in paths if p.startswith("/preferences")]
