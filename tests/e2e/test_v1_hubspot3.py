"""hubspot3 (PyPI), whose only subscriptions API is Email Subscriptions v1, against a served
commprefs: every method of its EmailSubscriptionClient, with results checked for what they mean.

The client puts the address into the path as it is (``+`` and ``@`` unencoded), asks for the types
at ``.../subscriptions/`` and sends ``portalId`` when given one.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hubspot3.email_subscription import EmailSubscriptionClient
from hubspot3.error import HubspotBadRequest, HubspotUnauthorized

from tests.support.factories import Factory, Tenant, email
from tests.support.server import Server

Legal = EmailSubscriptionClient.LegalBasis
Opt = EmailSubscriptionClient.OptState


@pytest.fixture(scope="module")
def tenant(factory: Factory) -> Tenant:
    return factory.tenant(types=2)


def connect(server: Server, token: str) -> EmailSubscriptionClient:
    return EmailSubscriptionClient(access_token=token, api_base=server.url)


@pytest.fixture(scope="module")
def client(server: Server, tenant: Tenant) -> EmailSubscriptionClient:
    return connect(server, tenant.token)


def error_body(raised: pytest.ExceptionInfo[Any]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(raised.value.result.body)
    return body


def by_id(status: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {s["id"]: s for s in status["subscriptionStatuses"]}


def test_get_subscription_types_lists_the_portals_types(
    client: EmailSubscriptionClient, tenant: Tenant
) -> None:
    for types in (client.get_subscription_types(), client.get_subscription_types(tenant.portal.id)):
        listed = types["subscriptionDefinitions"]
        assert [d["id"] for d in listed] == [d.id for d in tenant.definitions]
        assert {d["portalId"] for d in listed} == {tenant.portal.id}
        assert listed[0]["name"] == tenant.definitions[0].name
        assert listed[0]["active"] is True


def test_update_subscriptions_then_get_status_reads_them_back(
    client: EmailSubscriptionClient, tenant: Tenant
) -> None:
    subscriber = email("Mixed.Case+h3")
    news, offers = (d.id for d in tenant.definitions)
    assert client.get_status(subscriber)["subscriptionStatuses"] == []

    client.update_subscriptions(
        subscriber,
        [
            {
                "id": news,
                "subscribed": True,
                "optState": Opt.OPT_IN,
                "legalBasis": Legal.PERFORMANCE_OF_CONTRACT,
                "legalBasisExplanation": "Part of our agreement",
            },
            {"id": offers, "subscribed": False, "optState": Opt.OPT_OUT},
        ],
        portal_legal_basis=Legal.LEGITIMATE_INTEREST_CLIENT,
        portal_legal_basis_explanation="Met at a conference",
    )

    status = client.get_status(subscriber, tenant.portal.id)
    assert status["email"] == subscriber.lower()
    assert (status["subscribed"], status["portalId"]) == (True, tenant.portal.id)
    read = by_id(status)
    assert (read[news]["subscribed"], read[news]["optState"]) == (True, "OPT_IN")
    assert read[news]["legalBasis"] == "PERFORMANCE_OF_CONTRACT"
    assert (read[offers]["subscribed"], read[offers]["optState"]) == (False, "OPT_OUT")


def test_update_status_with_raw_data_and_its_refusal(
    client: EmailSubscriptionClient, tenant: Tenant
) -> None:
    subscriber = email("raw")
    news = tenant.definitions[0].id
    client.update_status(subscriber, {"subscriptionStatuses": [{"id": news, "subscribed": False}]})

    with pytest.raises(HubspotBadRequest) as refused:
        client.update_status(
            subscriber, {"subscriptionStatuses": [{"id": news, "subscribed": True}]}
        )
    body = error_body(refused)
    assert (body["status"], body["category"]) == ("error", "VALIDATION_ERROR")
    assert body["message"] == (
        f"subscription {news} for {subscriber} cannot be updated because they have unsubscribed"
    )
    assert by_id(client.get_status(subscriber))[news]["subscribed"] is False


def test_unsubscribe_permanently_opts_out_of_all(
    client: EmailSubscriptionClient, tenant: Tenant
) -> None:
    subscriber = email("gone")
    client.update_status(subscriber, {"subscribed": True})
    assert {s["subscribed"] for s in client.get_status(subscriber)["subscriptionStatuses"]} == {
        True
    }

    client.unsubscribe_permanently(subscriber)

    status = client.get_status(subscriber)
    assert (status["subscribed"], status["unsubscribeFromPortal"], status["status"]) == (
        False,
        True,
        "unsubscribed",
    )
    assert {s["optState"] for s in status["subscriptionStatuses"]} == {"OPT_OUT"}
    with pytest.raises(HubspotBadRequest) as refused:
        client.update_status(subscriber, {"subscribed": True})
    assert "unsubscribed from all email" in error_body(refused)["message"]


def test_get_timeline_lists_the_latest_changes_newest_first(
    client: EmailSubscriptionClient, tenant: Tenant
) -> None:
    subscriber = email("timeline")
    news = tenant.definitions[0].id
    client.update_status(subscriber, {"subscriptionStatuses": [{"id": news, "subscribed": True}]})
    client.unsubscribe_permanently(subscriber)

    found = client.get_timeline()

    newest, before = found["timeline"][:2]
    assert newest["recipient"] == before["recipient"] == subscriber
    assert newest["changes"][0]["changeType"] == "PORTAL_STATUS"
    assert [(c["subscriptionId"], c["change"]) for c in before["changes"]] == [(news, "SUBSCRIBED")]
    assert isinstance(found["offset"], str)


def test_a_bad_token_is_the_clients_unauthorized(server: Server) -> None:
    with pytest.raises(HubspotUnauthorized):
        connect(server, "not-a-token").get_subscription_types()
