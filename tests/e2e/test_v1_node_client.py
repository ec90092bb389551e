"""The npm ``hubspot`` package (node-hubspot 2), whose subscriptions API is Email Subscriptions v1,
against a served commprefs: subscribe-to-all, unsubscribe (from all), the timeline paged with its
offset, and the types and status through its ``apiRequest``.

``make install`` installs it (package.json, package-lock.json); node/v1_client.js runs the
scenario through it and prints what the client parsed. It puts the address into the path as it
is: ``+`` and ``@`` arrive unencoded.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.factories import Factory, Tenant
from tests.support.node import run_script
from tests.support.server import Server

SUBSCRIBER = "Node.User+v1@Example.com"
STORED = "node.user+v1@example.com"


@pytest.fixture(scope="module")
def tenant(factory: Factory) -> Tenant:
    tenant = factory.tenant(types=2)
    # An inactive type: subscribe-to-all leaves it alone, an opt-out of all covers it too.
    factory.definition(tenant.portal, active=False)
    return tenant


@pytest.fixture(scope="module")
def results(server: Server, tenant: Tenant) -> dict[str, Any]:
    return run_script("v1_client.js", "hubspot", server.url, tenant.token, SUBSCRIBER)


def test_the_types_are_read_through_api_request(results: dict[str, Any], tenant: Tenant) -> None:
    listed = results["types"]["value"]["subscriptionDefinitions"]
    assert [d["id"] for d in listed if d["active"]] == [d.id for d in tenant.definitions]


def test_subscribe_to_all_subscribes_every_active_type(
    results: dict[str, Any], tenant: Tenant
) -> None:
    assert results["subscribeToAll"] == {"ok": True, "value": {"status": "ok"}}
    status = results["subscribed"]["value"]
    assert (status["email"], status["subscribed"], status["status"]) == (
        STORED,
        True,
        "subscribed",
    )
    assert {(s["id"], s["optState"]) for s in status["subscriptionStatuses"]} == {
        (d.id, "OPT_IN") for d in tenant.definitions
    }


def test_unsubscribe_opts_out_of_all_and_again_changes_nothing(
    results: dict[str, Any], tenant: Tenant
) -> None:
    assert results["unsubscribe"]["ok"]
    assert results["unsubscribeAgain"]["ok"]
    status = results["unsubscribed"]["value"]
    assert (status["subscribed"], status["unsubscribeFromPortal"]) == (False, True)
    assert {s["subscribed"] for s in status["subscriptionStatuses"]} == {False}


def test_subscribe_to_all_after_an_opt_out_of_all_is_refused(results: dict[str, Any]) -> None:
    refused = results["subscribeToAllAgain"]
    assert (refused["ok"], refused["code"]) == (False, 400)
    assert refused["body"]["category"] == "VALIDATION_ERROR"
    assert refused["body"]["message"] == (
        f"{STORED} cannot be subscribed because they have unsubscribed from all email"
    )


def test_the_timeline_paged_by_the_client_is_the_whole_timeline(
    results: dict[str, Any], tenant: Tenant
) -> None:
    whole = results["timelineWhole"]["value"]["timeline"]
    paged = [item for page in results["timelinePages"] for item in page["timeline"]]
    assert paged == whole
    assert all(len(page["timeline"]) <= 2 for page in results["timelinePages"])
    # Newest first: the opt-out of all (its portal-wide change, then every type, the inactive
    # one too), then the subscribe-to-all of the active types; the second unsubscribe changed
    # nothing and is not there.
    assert [item["recipient"] for item in whole] == [STORED, STORED]
    opt_out, subscribe = whole
    assert [c["changeType"] for c in opt_out["changes"]] == ["PORTAL_STATUS"] + [
        "SUBSCRIPTION_STATUS"
    ] * (len(tenant.definitions) + 1)
    assert {(c["subscriptionId"], c["change"]) for c in subscribe["changes"]} == {
        (d.id, "SUBSCRIBED") for d in tenant.definitions
    }


def test_a_bad_token_gets_hubspots_401(results: dict[str, Any]) -> None:
    refused = results["unauthenticated"]
    assert (refused["ok"], refused["code"]) == (False, 401)
    assert refused["body"]["category"] == "INVALID_AUTHENTICATION"
