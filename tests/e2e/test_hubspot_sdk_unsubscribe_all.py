"""HubSpot's official Python SDK (hubspot-sdk) against a served commprefs."""

from __future__ import annotations

from datetime import datetime

import hubspot_sdk
import pytest
from hubspot_sdk import HubSpot

from tests.support.factories import Factory, Tenant, email
from tests.support.server import Server


@pytest.fixture
def tenant(factory: Factory) -> Tenant:
    return factory.tenant(types=2)


@pytest.fixture
def client(server: Server, tenant: Tenant) -> HubSpot:
    return HubSpot(access_token=tenant.token, base_url=server.url, max_retries=0)


def test_sdk_unsubscribe_all_gets_a_parsed_response(client: HubSpot, tenant: Tenant) -> None:
    subscriber = email()
    response = client.communication_preferences.unsubscribe_all(
        subscriber, channel="EMAIL", verbose=True
    )

    assert response.status == "COMPLETE"
    assert isinstance(response.started_at, datetime)
    assert isinstance(response.completed_at, datetime)
    assert sorted(r.subscription_id for r in response.results) == [d.id for d in tenant.definitions]
    for result in response.results:
        assert result.status == "UNSUBSCRIBED"
        assert result.set_status_success_reason == "UNSUBSCRIBE_FROM_ALL_OCCURRED"
        assert result.subscriber_id_string == subscriber


def test_sdk_unsubscribe_all_without_verbose_has_no_results(client: HubSpot) -> None:
    response = client.communication_preferences.unsubscribe_all(email(), channel="EMAIL")
    assert response.status == "COMPLETE"
    assert response.results == []


def test_sdk_sees_hubspots_error_classes(client: HubSpot, server: Server) -> None:
    with pytest.raises(hubspot_sdk.BadRequestError) as bad:
        client.communication_preferences.unsubscribe_all(
            email(), channel="EMAIL", business_unit_id=424242
        )
    assert bad.value.body["category"] == "VALIDATION_ERROR"

    anonymous = HubSpot(access_token="cpat-wrong", base_url=server.url, max_retries=0)
    with pytest.raises(hubspot_sdk.AuthenticationError):
        anonymous.communication_preferences.unsubscribe_all(email(), channel="EMAIL")
