"""HubSpot's Node client (@hubspot/api-client 14, v3 only) against a served commprefs.

``make install`` installs the client into the project (package.json, package-lock.json); a
small script (node/v3_client.js) runs one scenario through it and prints what the client parsed.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.factories import Factory, Tenant
from tests.support.node import run_script
from tests.support.server import Server

SUBSCRIBER = "Node.User+v3@Example.com"
STORED = "node.user+v3@example.com"


@pytest.fixture(scope="module")
def tenant(factory: Factory) -> Tenant:
    return factory.tenant(types=2)


@pytest.fixture(scope="module")
def results(server: Server, tenant: Tenant) -> dict[str, Any]:
    subscription_id = str(tenant.definitions[1].id)
    return run_script(
        "v3_client.js", "@hubspot/api-client", server.url, tenant.token, SUBSCRIBER, subscription_id
    )


def test_get_page_lists_the_definitions_with_string_ids(
    results: dict[str, Any], tenant: Tenant
) -> None:
    page = results["getPage"]
    assert page["ok"]
    assert [d["id"] for d in page["value"]["subscriptionDefinitions"]] == [
        str(d.id) for d in tenant.definitions
    ]


def test_get_email_status_reads_every_type(results: dict[str, Any], tenant: Tenant) -> None:
    before = results["before"]["value"]
    assert before["recipient"] == STORED
    assert [
        (s["id"], s["status"], s["sourceOfStatus"]) for s in before["subscriptionStatuses"]
    ] == [(str(d.id), "NOT_SUBSCRIBED", "SUBSCRIPTION_STATUS") for d in tenant.definitions]


def test_subscribe_and_unsubscribe_are_parsed(results: dict[str, Any], tenant: Tenant) -> None:
    offers = str(tenant.definitions[1].id)
    subscribed = results["subscribe"]["value"]
    assert (subscribed["id"], subscribed["status"]) == (offers, "SUBSCRIBED")
    assert subscribed["legalBasis"] == "CONSENT_WITH_NOTICE"
    assert subscribed["legalBasisExplanation"] == "Asked for it by email"
    # Subscribing again is allowed and changes nothing.
    assert results["subscribeAgain"] == results["subscribe"]
    unsubscribed = results["unsubscribe"]["value"]
    assert (unsubscribed["id"], unsubscribed["status"]) == (offers, "NOT_SUBSCRIBED")
    after = {s["id"]: s["status"] for s in results["after"]["value"]["subscriptionStatuses"]}
    assert after == {str(tenant.definitions[0].id): "NOT_SUBSCRIBED", offers: "NOT_SUBSCRIBED"}


def test_the_two_v3_refusals_reach_the_client_as_400s(
    results: dict[str, Any], tenant: Tenant
) -> None:
    offers = tenant.definitions[1].id
    again = results["unsubscribeAgain"]
    assert (again["ok"], again["code"]) == (False, 400)
    assert again["body"]["message"] == f"{STORED} is already unsubscribed to subscription {offers}"
    assert again["body"]["category"] == "VALIDATION_ERROR"
    resubscribe = results["resubscribe"]
    assert (resubscribe["ok"], resubscribe["code"]) == (False, 400)
    assert resubscribe["body"]["message"] == (
        f"subscription {offers} for {STORED} cannot be updated because they have unsubscribed"
    )


def test_a_snake_case_body_names_the_missing_attributes(results: dict[str, Any]) -> None:
    snake = results["snakeCase"]
    assert snake["code"] == 400
    assert (
        "some of required attributes are not set [emailAddress, subscriptionId]"
        in (snake["body"]["message"])
    )
    assert [e["in"] for e in snake["body"]["errors"]] == ["emailAddress", "subscriptionId"]


def test_a_wrong_token_is_a_401_the_client_reports(results: dict[str, Any]) -> None:
    refused = results["unauthenticated"]
    assert (refused["ok"], refused["code"]) == (False, 401)
    assert refused["body"]["category"] == "INVALID_AUTHENTICATION"
