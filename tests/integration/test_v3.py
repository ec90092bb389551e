"""The legacy v3 API over HTTP, on SQLite and PostgreSQL: shapes, v3's rules, errors, scopes and
the ledger."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.support.contracts import validate
from tests.support.factories import Factory, Tenant, email
from tests.support.v3 import V3, change, statuses

STATUS_KEYS = {"id", "name", "description", "status", "sourceOfStatus", "brandId"}
SNAKE_CASE_MESSAGE = (
    "Invalid input JSON on line 1, column 2: Cannot build PublicUpdateSubscriptionStatusRequest, "
    "some of required attributes are not set [emailAddress, subscriptionId]"
)


@pytest.fixture
def tenant(factory: Factory) -> Tenant:
    return factory.tenant(types=2)


def error(response: httpx.Response, status: int = 400) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert body["status"] == "error"
    uuid.UUID(body["correlationId"])
    return body


def fields(body: dict[str, Any]) -> list[str]:
    return [e["in"] for e in body["errors"]]


# -- reads -------------------------------------------------------------------------------------


def test_definitions_have_string_ids_and_hubspots_fields(
    http: httpx.Client, factory: Factory, tenant: Tenant
) -> None:
    retired = factory.definition(tenant.portal, active=False, purpose="Marketing")
    factory.tenant(types=1)  # another portal's types stay invisible

    response = http.get(f"{V3}/definitions", headers=tenant.headers)

    assert response.status_code == 200
    listed = response.json()["subscriptionDefinitions"]
    assert [d["id"] for d in listed] == [str(d.id) for d in [*tenant.definitions, retired]]
    first = listed[0]
    assert first["name"] == tenant.definitions[0].name
    assert first["description"] == tenant.definitions[0].description
    assert (first["isActive"], first["isDefault"], first["isInternal"]) == (True, False, False)
    assert first["createdAt"].endswith("Z")
    assert first["businessUnitId"] == 0
    assert listed[-1]["isActive"] is False
    assert listed[-1]["purpose"] == "Marketing"


def test_a_new_address_reads_not_subscribed_for_every_active_type(
    http: httpx.Client, factory: Factory, tenant: Tenant
) -> None:
    factory.definition(tenant.portal, active=False)
    subscriber = email()

    response = http.get(f"{V3}/status/email/{subscriber}", headers=tenant.headers)

    assert response.status_code == 200
    body = response.json()
    assert body["recipient"] == subscriber
    assert [s["id"] for s in body["subscriptionStatuses"]] == [
        str(d.id) for d in tenant.definitions
    ]
    for status, definition in zip(body["subscriptionStatuses"], tenant.definitions, strict=True):
        assert set(status) == STATUS_KEYS  # absent optional fields are left out, not null
        assert status["status"] == "NOT_SUBSCRIBED"
        assert status["sourceOfStatus"] == "SUBSCRIPTION_STATUS"
        assert status["name"] == definition.name
        assert status["description"] == definition.description
        assert status["brandId"] == 0


@pytest.mark.parametrize(
    "sent", ["Ann.Lee+News@Example.COM", "ann.lee%2Bnews%40example.com", "ANN.LEE+NEWS@EXAMPLE.COM"]
)
def test_the_address_in_the_path_is_decoded_and_matched_case_insensitively(
    http: httpx.Client, factory: Factory, sent: str
) -> None:
    tenant = factory.tenant(types=1)
    subscribed = change(
        http, tenant, "subscribe", "ann.lee+news@example.com", tenant.definitions[0].id
    )
    assert subscribed.status_code == 200

    response = http.get(f"{V3}/status/email/{sent}", headers=tenant.headers)

    assert response.json()["recipient"] == "ann.lee+news@example.com"
    assert response.json()["subscriptionStatuses"][0]["status"] == "SUBSCRIBED"


def test_a_malformed_address_in_the_path_is_a_400_naming_email_address(
    http: httpx.Client, tenant: Tenant
) -> None:
    body = error(http.get(f"{V3}/status/email/not-an-email", headers=tenant.headers))
    assert body["category"] == "VALIDATION_ERROR"
    assert fields(body) == ["emailAddress"]


# -- subscribe and unsubscribe ----------------------------------------------------------------


def test_subscribe_answers_the_new_status_and_records_it_as_v3(
    http: httpx.Client, factory: Factory, tenant: Tenant
) -> None:
    subscriber = email()
    news = tenant.definitions[0]

    response = change(
        http,
        tenant,
        "subscribe",
        subscriber.upper(),
        news.id,
        legalBasis="CONSENT_WITH_NOTICE",
        legalBasisExplanation="Ticked the box on the sign-up form",
    )

    assert response.status_code == 200, response.text
    assert response.json() == {
        "id": str(news.id),
        "name": news.name,
        "description": news.description,
        "status": "SUBSCRIBED",
        "sourceOfStatus": "SUBSCRIPTION_STATUS",
        "brandId": 0,
        "legalBasis": "CONSENT_WITH_NOTICE",
        "legalBasisExplanation": "Ticked the box on the sign-up form",
    }
    [entry] = factory.ledger(tenant.portal, subscriber)
    assert (entry.subscription_id, entry.old_status, entry.new_status) == (
        news.id,
        "NOT_SPECIFIED",
        "SUBSCRIBED",
    )
    assert entry.api == "v3"
    assert entry.source == "Public status API"
    assert entry.legal_basis == "CONSENT_WITH_NOTICE"
    assert entry.legal_basis_explanation == "Ticked the box on the sign-up form"
    assert entry.request_id == response.headers["x-hubspot-correlation-id"]
    assert entry.token_id == factory.token_ids[tenant.token]
    # Only that type changed.
    read = statuses(http, tenant, subscriber)
    assert read[str(news.id)]["status"] == "SUBSCRIBED"
    assert read[str(tenant.definitions[1].id)]["status"] == "NOT_SUBSCRIBED"


def test_subscribing_someone_already_subscribed_is_a_200_that_changes_nothing(
    http: httpx.Client, factory: Factory, tenant: Tenant
) -> None:
    subscriber = email()
    first = change(http, tenant, "subscribe", subscriber, tenant.definitions[0].id)

    again = change(http, tenant, "subscribe", subscriber, tenant.definitions[0].id)

    assert again.status_code == 200
    assert again.json() == first.json()
    assert len(factory.ledger(tenant.portal, subscriber)) == 1


def test_unsubscribe_answers_not_subscribed_and_records_it(
    http: httpx.Client, factory: Factory, tenant: Tenant
) -> None:
    subscriber = email()
    news = tenant.definitions[0]
    change(http, tenant, "subscribe", subscriber, news.id)

    response = change(http, tenant, "unsubscribe", subscriber, news.id)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["id"], body["status"], body["sourceOfStatus"]) == (
        str(news.id),
        "NOT_SUBSCRIBED",
        "SUBSCRIPTION_STATUS",
    )
    entries = factory.ledger(tenant.portal, subscriber)
    assert [(e.old_status, e.new_status, e.api) for e in entries] == [
        ("NOT_SPECIFIED", "SUBSCRIBED", "v3"),
        ("SUBSCRIBED", "UNSUBSCRIBED", "v3"),
    ]


def test_unsubscribing_a_type_never_chosen_records_the_opt_out(
    http: httpx.Client, factory: Factory, tenant: Tenant
) -> None:
    subscriber = email()
    response = change(http, tenant, "unsubscribe", subscriber, tenant.definitions[1].id)

    assert response.status_code == 200
    assert response.json()["status"] == "NOT_SUBSCRIBED"
    [entry] = factory.ledger(tenant.portal, subscriber)
    assert (entry.old_status, entry.new_status) == ("NOT_SPECIFIED", "UNSUBSCRIBED")


def test_unsubscribing_twice_is_hubspots_400_and_writes_nothing(
    http: httpx.Client, factory: Factory, tenant: Tenant
) -> None:
    subscriber = email()
    news = tenant.definitions[0]
    change(http, tenant, "unsubscribe", subscriber, news.id)

    body = error(change(http, tenant, "unsubscribe", subscriber, news.id))

    assert set(body) == {"status", "message", "correlationId", "category"}
    assert body["message"] == f"{subscriber} is already unsubscribed to subscription {news.id}"
    assert body["category"] == "VALIDATION_ERROR"
    assert len(factory.ledger(tenant.portal, subscriber)) == 1


def test_subscribing_someone_who_unsubscribed_is_hubspots_400_and_writes_nothing(
    http: httpx.Client, factory: Factory, tenant: Tenant
) -> None:
    subscriber = email()
    news = tenant.definitions[0]
    change(http, tenant, "subscribe", subscriber, news.id)
    change(http, tenant, "unsubscribe", subscriber, news.id)

    body = error(change(http, tenant, "subscribe", subscriber, news.id))

    assert set(body) == {"status", "message", "correlationId", "category"}
    assert body["message"] == (
        f"subscription {news.id} for {subscriber} cannot be updated because they have unsubscribed"
    )
    assert body["category"] == "VALIDATION_ERROR"
    assert statuses(http, tenant, subscriber)[str(news.id)]["status"] == "NOT_SUBSCRIBED"
    assert len(factory.ledger(tenant.portal, subscriber)) == 2


def test_a_json_number_as_subscription_id_is_read_as_its_digits(
    http: httpx.Client, tenant: Tenant
) -> None:
    news = tenant.definitions[0]
    response = http.post(
        f"{V3}/subscribe",
        json={"emailAddress": email(), "subscriptionId": news.id},
        headers=tenant.headers,
    )
    assert response.status_code == 200
    assert response.json()["id"] == str(news.id)


# -- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["subscribe", "unsubscribe"])
def test_a_snake_case_body_is_refused_with_hubspots_message(
    http: httpx.Client, factory: Factory, tenant: Tenant, action: str
) -> None:
    subscriber = email()
    response = http.post(
        f"{V3}/{action}",
        json={"email_address": subscriber, "subscription_id": str(tenant.definitions[0].id)},
        headers=tenant.headers,
    )

    body = error(response)
    assert body["message"] == SNAKE_CASE_MESSAGE
    assert body["category"] == "VALIDATION_ERROR"
    assert fields(body) == ["emailAddress", "subscriptionId"]
    assert factory.ledger(tenant.portal, subscriber) == []


def test_only_the_attributes_actually_missing_are_named(http: httpx.Client, tenant: Tenant) -> None:
    response = http.post(
        f"{V3}/subscribe",
        content=b'{\n  "emailAddress": "a@example.com",\n  "subscription_id": "1"\n}',
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    body = error(response)
    assert body["message"] == (
        "Invalid input JSON on line 1, column 2: Cannot build "
        "PublicUpdateSubscriptionStatusRequest, some of required attributes are not set "
        "[subscriptionId]"
    )
    assert fields(body) == ["subscriptionId"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"emailAddress": "a@example.com", "subscriptionId": "news"}, "subscriptionId"),
        ({"emailAddress": "a@example.com", "subscriptionId": "-3"}, "subscriptionId"),
        ({"emailAddress": "a@example.com", "subscriptionId": "1.5"}, "subscriptionId"),
        ({"emailAddress": "a@example.com", "subscriptionId": str(2**64)}, "subscriptionId"),
        ({"emailAddress": "a@example.com", "subscriptionId": True}, "subscriptionId"),
        ({"emailAddress": "a@example.com", "subscriptionId": "987654321"}, "subscriptionId"),
        ({"emailAddress": "not-an-email", "subscriptionId": "1"}, "emailAddress"),
        ({"emailAddress": "", "subscriptionId": "1"}, "emailAddress"),
        ({"emailAddress": 42, "subscriptionId": "1"}, "emailAddress"),
        (
            {"emailAddress": "a@example.com", "subscriptionId": "1", "legalBasis": "BECAUSE"},
            "legalBasis",
        ),
    ],
)
@pytest.mark.parametrize("action", ["subscribe", "unsubscribe"])
def test_bad_input_is_a_400_naming_the_field_and_writes_nothing(
    http: httpx.Client,
    factory: Factory,
    tenant: Tenant,
    action: str,
    body: dict[str, Any],
    field: str,
) -> None:
    if body["subscriptionId"] == "1":  # a real id of this portal, so only the other field is bad
        body = {**body, "subscriptionId": str(tenant.definitions[0].id)}

    response = http.post(f"{V3}/{action}", json=body, headers=tenant.headers)

    refused = error(response)
    assert refused["category"] == "VALIDATION_ERROR"
    assert fields(refused) == [field]
    assert factory.ledger(tenant.portal, "a@example.com") == []


@pytest.mark.parametrize(
    ("content", "field"),
    [(b"", "body"), (b'{"emailAddress": ', "body"), (b'["a@example.com", "1"]', "body")],
)
def test_a_missing_or_malformed_body_is_a_400(
    http: httpx.Client, tenant: Tenant, content: bytes, field: str
) -> None:
    response = http.post(
        f"{V3}/subscribe",
        content=content,
        headers={**tenant.headers, "Content-Type": "application/json"},
    )
    assert fields(error(response)) == [field]


def test_inactive_and_foreign_types_are_refused(
    http: httpx.Client, factory: Factory, tenant: Tenant
) -> None:
    retired = factory.definition(tenant.portal, active=False)
    foreign = factory.tenant(types=1).definitions[0]
    for definition in (retired, foreign):
        body = error(change(http, tenant, "subscribe", email(), definition.id))
        assert fields(body) == ["subscriptionId"]


# -- GDPR --------------------------------------------------------------------------------------


def test_a_gdpr_portal_needs_a_legal_basis_to_subscribe(
    http: httpx.Client, factory: Factory
) -> None:
    tenant = factory.tenant(types=1, gdpr=True)
    news = tenant.definitions[0]
    subscriber = email()

    without = error(change(http, tenant, "subscribe", subscriber, news.id))
    assert fields(without) == ["legalBasis"]
    half = error(
        change(http, tenant, "subscribe", subscriber, news.id, legalBasis="CONSENT_WITH_NOTICE")
    )
    assert fields(half) == ["legalBasisExplanation"]
    assert factory.ledger(tenant.portal, subscriber) == []

    given = change(
        http,
        tenant,
        "subscribe",
        subscriber,
        news.id,
        legalBasis="LEGITIMATE_INTEREST_CLIENT",
        legalBasisExplanation="Existing customer",
    )
    assert given.status_code == 200
    read = statuses(http, tenant, subscriber)[str(news.id)]
    assert read["legalBasis"] == "LEGITIMATE_INTEREST_CLIENT"
    assert read["legalBasisExplanation"] == "Existing customer"

    # Opting out never needs a legal basis.
    assert change(http, tenant, "unsubscribe", subscriber, news.id).status_code == 200


# -- authentication and scopes -----------------------------------------------------------------

READS = [("GET", "/definitions"), ("GET", "/status/email/a@example.com")]
WRITES = [("POST", "/subscribe"), ("POST", "/unsubscribe")]


def call(http: httpx.Client, tenant: Tenant, method: str, path: str, token: str) -> httpx.Response:
    body = {"emailAddress": email(), "subscriptionId": str(tenant.definitions[0].id)}
    return http.request(
        method,
        V3 + path,
        json=body if method == "POST" else None,
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.mark.parametrize(("method", "path"), READS + WRITES)
def test_every_operation_needs_a_token(
    http: httpx.Client, tenant: Tenant, method: str, path: str
) -> None:
    body = error(call(http, tenant, method, path, "cpat-not-a-real-token"), 401)
    assert body["category"] == "INVALID_AUTHENTICATION"


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("GET", "/definitions", "communication_preferences.read"),
        ("GET", "/definitions", "communication_preferences.read_write"),
        ("GET", "/definitions", "subscriptions-definition-read"),
        ("GET", "/status/email/a@example.com", "communication_preferences.read"),
        ("GET", "/status/email/a@example.com", "subscriptions-status-read"),
        ("POST", "/subscribe", "communication_preferences.write"),
        ("POST", "/subscribe", "communication_preferences.read_write"),
        ("POST", "/subscribe", "subscriptions-status-write"),
        ("POST", "/unsubscribe", "communication_preferences.write"),
        ("POST", "/unsubscribe", "subscriptions-status-write"),
    ],
)
def test_either_scope_family_grants_access(
    http: httpx.Client, factory: Factory, tenant: Tenant, method: str, path: str, scope: str
) -> None:
    token = factory.token(tenant.portal, [scope])
    response = call(http, tenant, method, path, token)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("method", "path", "scope", "required"),
    [
        ("POST", "/subscribe", "communication_preferences.read", "write"),
        ("POST", "/unsubscribe", "subscriptions-status-read", "write"),
        ("GET", "/status/email/a@example.com", "communication_preferences.write", "read"),
        ("GET", "/definitions", "subscriptions-status-write", "read"),
    ],
)
def test_a_token_without_the_scope_is_a_403_listing_the_scopes(
    http: httpx.Client,
    factory: Factory,
    tenant: Tenant,
    method: str,
    path: str,
    scope: str,
    required: str,
) -> None:
    token = factory.token(tenant.portal, [scope])
    body = error(call(http, tenant, method, path, token), 403)
    assert body["category"] == "MISSING_SCOPES"
    assert body["errors"][0]["context"]["requiredGranularScopes"] == [
        f"communication_preferences.{required}",
        "communication_preferences.read_write",
    ]


# -- HubSpot's v3 schema -----------------------------------------------------------------------


def test_every_answer_matches_hubspots_v3_schema(
    http: httpx.Client, factory: Factory, tenant: Tenant
) -> None:
    brand = factory.business_unit(tenant.portal)
    factory.definition(tenant.portal, brand.id)
    subscriber = email()
    news = tenant.definitions[0].id
    http.post(
        f"/communication-preferences/v4/statuses/{subscriber}/unsubscribe-all",
        params={"channel": "EMAIL", "businessUnitId": brand.id},
        headers=tenant.headers,
    )
    read_only = {
        "Authorization": f"Bearer {factory.token(tenant.portal, ['subscriptions-status-read'])}"
    }
    exchanges = [
        http.get(f"{V3}/definitions", headers=tenant.headers),
        http.get(f"{V3}/status/email/{subscriber}", headers=tenant.headers),
        change(
            http,
            tenant,
            "subscribe",
            subscriber,
            news,
            legalBasis="NON_GDPR",
            legalBasisExplanation="x",
        ),
        change(http, tenant, "unsubscribe", subscriber, news),
        change(http, tenant, "unsubscribe", subscriber, news),
        change(http, tenant, "subscribe", subscriber, news),
        http.post(f"{V3}/subscribe", json={"email_address": subscriber}, headers=tenant.headers),
        http.get(f"{V3}/status/email/{subscriber}", headers=tenant.headers),
        http.get(f"{V3}/definitions"),
        http.post(f"{V3}/subscribe", json={}, headers=read_only),
    ]

    assert [r.status_code for r in exchanges] == [200, 200, 200, 200, 400, 400, 400, 200, 401, 403]
    sources = {s["sourceOfStatus"] for s in exchanges[-3].json()["subscriptionStatuses"]}
    assert sources == {"SUBSCRIPTION_STATUS", "BRAND_WIDE_STATUS"}
    for response in exchanges:
        request = response.request
        validate("v3", request.method, request.url.path, response.status_code, response.json())
