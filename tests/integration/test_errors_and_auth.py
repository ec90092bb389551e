"""Bad input, bad credentials and unknown routes: HubSpot's error body, never a 500, nothing
half-written."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.support.factories import Factory, Tenant, email

V4 = "/communication-preferences/v4"
OPT_OUT = V4 + "/statuses/{}/unsubscribe-all"


@pytest.fixture
def tenant(factory: Factory) -> Tenant:
    return factory.tenant(types=2)


def assert_error_body(response: httpx.Response, status: int, category: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, object] = response.json()
    assert body["status"] == "error"
    assert body["category"] == category
    assert isinstance(body["message"], str)
    assert body["message"]
    uuid.UUID(str(body["correlationId"]))
    assert "Traceback" not in response.text
    return body


def only_error_field(body: dict[str, object]) -> str:
    errors = body["errors"]
    assert isinstance(errors, list)
    assert len(errors) >= 1
    return str(errors[0]["in"])


@pytest.mark.parametrize(
    ("subscriber", "params", "field"),
    [
        ("not-an-email", {"channel": "EMAIL"}, "subscriberIdString"),
        ("two@@example.com", {"channel": "EMAIL"}, "subscriberIdString"),
        ("nodomain@", {"channel": "EMAIL"}, "subscriberIdString"),
        ("a" * 250 + "@example.com", {"channel": "EMAIL"}, "subscriberIdString"),
        ("ok@example.com", {}, "channel"),
        ("ok@example.com", {"channel": "SMS"}, "channel"),
        ("ok@example.com", {"channel": "email"}, "channel"),
        ("ok@example.com", {"channel": "EMAIL", "businessUnitId": "abc"}, "businessUnitId"),
        ("ok@example.com", {"channel": "EMAIL", "businessUnitId": "-1"}, "businessUnitId"),
        ("ok@example.com", {"channel": "EMAIL", "businessUnitId": str(2**64)}, "businessUnitId"),
        ("ok@example.com", {"channel": "EMAIL", "businessUnitId": "999"}, "businessUnitId"),
        ("ok@example.com", {"channel": "EMAIL", "verbose": "perhaps"}, "verbose"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(
    http: httpx.Client,
    tenant: Tenant,
    factory: Factory,
    subscriber: str,
    params: dict[str, str],
    field: str,
) -> None:
    response = http.post(OPT_OUT.format(subscriber), params=params, headers=tenant.headers)

    body = assert_error_body(response, 400, "VALIDATION_ERROR")
    assert only_error_field(body) == field
    assert factory.ledger(tenant.portal, "ok@example.com") == []


def test_a_malformed_json_body_is_a_400(http: httpx.Client, tenant: Tenant) -> None:
    response = http.post(
        OPT_OUT.format(email()),
        params={"channel": "EMAIL"},
        headers={**tenant.headers, "Content-Type": "application/json"},
        content=b'{"broken": ',
    )
    body = assert_error_body(response, 400, "VALIDATION_ERROR")
    assert only_error_field(body) == "body"


def test_an_oversized_body_is_refused_before_anything_runs(
    http: httpx.Client, tenant: Tenant, factory: Factory
) -> None:
    subscriber = email()
    response = http.post(
        OPT_OUT.format(subscriber),
        params={"channel": "EMAIL"},
        headers={**tenant.headers, "Content-Type": "application/json"},
        content=b"[" + b"1," * 1_000_000 + b"1]",
    )
    assert_error_body(response, 413, "VALIDATION_ERROR")
    assert factory.ledger(tenant.portal, subscriber) == []


def test_unknown_routes_and_methods_answer_in_hubspots_body(
    http: httpx.Client, tenant: Tenant
) -> None:
    assert_error_body(http.get("/no/such/thing", headers=tenant.headers), 404, "OBJECT_NOT_FOUND")
    assert_error_body(
        http.get(V4 + "/statuses/a@example.com/unsubscribe-all/extra"), 404, "OBJECT_NOT_FOUND"
    )
    wrong_method = http.delete(OPT_OUT.format(email()), headers=tenant.headers)
    assert_error_body(wrong_method, 405, "VALIDATION_ERROR")


UNAUTHENTICATED = [
    {},
    {"Authorization": ""},
    {"Authorization": "Bearer"},
    {"Authorization": "Basic dXNlcjpwYXNz"},
    {"Authorization": "Bearer cpat-not-a-real-token"},
    {"Authorization": "Bearer " + "x" * 5000},
]


@pytest.mark.parametrize("headers", UNAUTHENTICATED, ids=range(len(UNAUTHENTICATED)))
def test_missing_or_unknown_credentials_are_a_401(
    http: httpx.Client, headers: dict[str, str]
) -> None:
    response = http.post(OPT_OUT.format(email()), params={"channel": "EMAIL"}, headers=headers)
    body = assert_error_body(response, 401, "INVALID_AUTHENTICATION")
    assert str(body["message"]).startswith("Authentication credentials not found.")


def test_authentication_is_checked_before_input(http: httpx.Client) -> None:
    response = http.post(OPT_OUT.format("not-an-email"), params={"channel": "SMS"})
    assert_error_body(response, 401, "INVALID_AUTHENTICATION")


def test_a_revoked_token_is_refused_at_once(
    http: httpx.Client, tenant: Tenant, factory: Factory
) -> None:
    token = factory.token(tenant.portal)
    headers = {"Authorization": f"Bearer {token}"}
    ok = http.post(OPT_OUT.format(email()), params={"channel": "EMAIL"}, headers=headers)
    assert ok.status_code == 200

    factory.revoke(token)

    refused = http.post(OPT_OUT.format(email()), params={"channel": "EMAIL"}, headers=headers)
    assert_error_body(refused, 401, "INVALID_AUTHENTICATION")


@pytest.mark.parametrize(
    "scopes",
    [
        ["communication_preferences.read"],
        ["communication_preferences.statuses.batch.write"],
        ["subscriptions-status-read"],
    ],
)
def test_a_token_without_a_write_scope_is_a_403_listing_the_scopes(
    http: httpx.Client, tenant: Tenant, factory: Factory, scopes: list[str]
) -> None:
    token = factory.token(tenant.portal, scopes)
    subscriber = email()
    response = http.post(
        OPT_OUT.format(subscriber),
        params={"channel": "EMAIL"},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = assert_error_body(response, 403, "MISSING_SCOPES")
    assert body["message"] == "This app hasn't been granted all required scopes to make this call."
    errors = body["errors"]
    assert isinstance(errors, list)
    assert errors[0]["message"] == "One or more of the following scopes are required."
    assert errors[0]["context"]["requiredGranularScopes"] == [
        "communication_preferences.write",
        "communication_preferences.read_write",
    ]
    context = body["context"]
    assert isinstance(context, dict)
    assert "communication_preferences.write" in context["missingScopes"]
    assert factory.ledger(tenant.portal, subscriber) == []


@pytest.mark.parametrize(
    "scope",
    [
        "communication_preferences.write",
        "communication_preferences.read_write",
        "subscriptions-status-write",
    ],
)
def test_either_scope_family_grants_the_write(
    http: httpx.Client, tenant: Tenant, factory: Factory, scope: str
) -> None:
    token = factory.token(tenant.portal, [scope])
    response = http.post(
        OPT_OUT.format(email()),
        params={"channel": "EMAIL"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
