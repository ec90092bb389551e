"""HubSpot's legacy Python client (hubspot-api-client 12, v3 only) against a served commprefs.

Client-side validation is on, so a response that strays from HubSpot's v3 schema (a status
other than SUBSCRIBED / NOT_SUBSCRIBED, a missing sourceOfStatus or id) makes the client raise.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import hubspot
import pytest
from hubspot.communication_preferences import ApiException, PublicUpdateSubscriptionStatusRequest
from hubspot.communication_preferences.exceptions import ForbiddenException, UnauthorizedException

from tests.support.factories import Factory, Tenant, email
from tests.support.server import Server


@pytest.fixture
def tenant(factory: Factory) -> Tenant:
    return factory.tenant(types=2)


def connect(server: Server, token: str) -> Any:
    client = hubspot.Client.create(
        access_token=token, host=server.url, base_url=server.url, client_side_validation=True
    )
    return client.communication_preferences


@pytest.fixture
def preferences(server: Server, tenant: Tenant) -> Any:
    return connect(server, tenant.token)


def request(subscriber: str, subscription_id: int, **legal: str) -> Any:
    return PublicUpdateSubscriptionStatusRequest(
        email_address=subscriber, subscription_id=str(subscription_id), **legal
    )


def test_get_page_lists_the_definitions(preferences: Any, tenant: Tenant) -> None:
    page = preferences.definition_api.get_page()

    assert [d.id for d in page.subscription_definitions] == [str(d.id) for d in tenant.definitions]
    first = page.subscription_definitions[0]
    assert first.name == tenant.definitions[0].name
    assert first.is_active is True
    assert isinstance(first.created_at, datetime)


def test_subscribe_unsubscribe_and_read_back(preferences: Any, tenant: Tenant) -> None:
    subscriber = "Jane.Doe+news@Example.com"
    stored = "jane.doe+news@example.com"
    news, offers = tenant.definitions

    before = preferences.status_api.get_email_status(subscriber)
    assert before.recipient == stored
    assert {(s.id, s.status, s.source_of_status) for s in before.subscription_statuses} == {
        (str(news.id), "NOT_SUBSCRIBED", "SUBSCRIPTION_STATUS"),
        (str(offers.id), "NOT_SUBSCRIBED", "SUBSCRIPTION_STATUS"),
    }

    subscribed = preferences.status_api.subscribe(
        public_update_subscription_status_request=request(
            subscriber,
            news.id,
            legal_basis="CONSENT_WITH_NOTICE",
            legal_basis_explanation="Signed up at the event",
        )
    )
    assert (subscribed.id, subscribed.status, subscribed.source_of_status) == (
        str(news.id),
        "SUBSCRIBED",
        "SUBSCRIPTION_STATUS",
    )
    assert subscribed.legal_basis == "CONSENT_WITH_NOTICE"
    assert subscribed.brand_id == 0

    unsubscribed = preferences.status_api.unsubscribe(
        public_update_subscription_status_request=request(subscriber, offers.id)
    )
    assert unsubscribed.status == "NOT_SUBSCRIBED"

    after = preferences.status_api.get_email_status(stored)
    assert {s.id: s.status for s in after.subscription_statuses} == {
        str(news.id): "SUBSCRIBED",
        str(offers.id): "NOT_SUBSCRIBED",
    }


def test_the_two_v3_refusals_reach_the_client_as_400s(preferences: Any, tenant: Tenant) -> None:
    subscriber = email()
    news = tenant.definitions[0]
    preferences.status_api.unsubscribe(
        public_update_subscription_status_request=request(subscriber, news.id)
    )

    with pytest.raises(ApiException) as again:
        preferences.status_api.unsubscribe(
            public_update_subscription_status_request=request(subscriber, news.id)
        )
    assert again.value.status == 400
    body = json.loads(again.value.body)
    assert body["message"] == f"{subscriber} is already unsubscribed to subscription {news.id}"
    assert body["category"] == "VALIDATION_ERROR"

    with pytest.raises(ApiException) as resubscribe:
        preferences.status_api.subscribe(
            public_update_subscription_status_request=request(subscriber, news.id)
        )
    assert resubscribe.value.status == 400
    assert json.loads(resubscribe.value.body)["message"] == (
        f"subscription {news.id} for {subscriber} cannot be updated because they have unsubscribed"
    )


def test_a_v4_opt_out_of_all_parses_as_portal_wide(
    preferences: Any, server: Server, tenant: Tenant
) -> None:
    subscriber = email()
    client = hubspot.Client.create(access_token=tenant.token, host=server.url, base_url=server.url)
    # The legacy client reaches v4 only through its generic request.
    response = client.api_request(
        {
            "method": "POST",
            "path": f"/communication-preferences/v4/statuses/{subscriber}/unsubscribe-all",
            "qs": {"channel": "EMAIL"},
        }
    )
    assert response.status_code == 200

    statuses = preferences.status_api.get_email_status(subscriber).subscription_statuses
    assert {(s.status, s.source_of_status) for s in statuses} == {
        ("NOT_SUBSCRIBED", "PORTAL_WIDE_STATUS")
    }


def test_credentials_and_scopes_map_to_the_clients_exceptions(
    server: Server, factory: Factory, tenant: Tenant
) -> None:
    with pytest.raises(UnauthorizedException):
        connect(server, "cpat-not-a-real-token").definition_api.get_page()

    read_only = connect(server, factory.token(tenant.portal, ["communication_preferences.read"]))
    read_only.definition_api.get_page()
    with pytest.raises(ForbiddenException):
        read_only.status_api.subscribe(
            public_update_subscription_status_request=request(email(), tenant.definitions[0].id)
        )
