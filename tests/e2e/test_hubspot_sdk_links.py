"""HubSpot's official Python SDK (hubspot-sdk) calls E6 generate_links against commprefs."""

from __future__ import annotations

import httpx
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


def test_sdk_generate_links_returns_working_links(
    client: HubSpot, tenant: Tenant, server: Server, factory: Factory
) -> None:
    subscriber = email()
    unit = factory.business_unit(tenant.portal)
    branded_type = factory.definition(tenant.portal, unit.id)

    links = client.communication_preferences.generate_links(
        channel="EMAIL",
        subscriber_id_string=subscriber,
        subscription_id=branded_type.id,
        language="de",
        business_unit_id=unit.id,
    )

    assert links.subscriber_id_string == subscriber
    assert links.manage_preferences_url.startswith(f"{server.url}/preferences/")
    assert links.unsubscribe_single_url == links.manage_preferences_url + "/unsubscribe"
    page = httpx.get(links.manage_preferences_url)
    assert page.status_code == 200
    assert branded_type.name in page.text
    assert tenant.definitions[0].name not in page.text  # another business unit's type


def test_sdk_generate_links_without_a_subscription_has_no_single_url(client: HubSpot) -> None:
    links = client.communication_preferences.generate_links(
        channel="EMAIL", subscriber_id_string=email()
    )
    assert links.unsubscribe_single_url is None
    assert httpx.get(links.unsubscribe_all_url).status_code == 200


def test_sdk_sees_a_bad_request_for_an_unknown_subscription(client: HubSpot) -> None:
    with pytest.raises(hubspot_sdk.BadRequestError) as bad:
        client.communication_preferences.generate_links(
            channel="EMAIL", subscriber_id_string=email(), subscription_id=987_654_321
        )
    assert bad.value.body["errors"][0]["in"] == "subscriptionId"
