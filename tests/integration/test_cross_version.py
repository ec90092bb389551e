"""One subscriber, one store: what v4 changes is what v3 reads, and the other way round."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.factories import Factory, Tenant, email
from tests.support.v3 import change, statuses

V4 = "/communication-preferences/v4"


@pytest.fixture
def tenant(factory: Factory) -> Tenant:
    return factory.tenant(types=2)


def v4_unsubscribe_all(
    http: httpx.Client, tenant: Tenant, subscriber: str, **params: Any
) -> dict[int, str]:
    """POST v4 unsubscribe-all (verbose); each type's setStatusSuccessReason by id."""
    response = http.post(
        f"{V4}/statuses/{subscriber}/unsubscribe-all",
        params={"channel": "EMAIL", "verbose": "true", **params},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    return {r["subscriptionId"]: r["setStatusSuccessReason"] for r in response.json()["results"]}


def v4_read(http: httpx.Client, tenant: Tenant, subscriber: str) -> dict[int, str]:
    """GET v4 statuses/{email}: each type's status by id."""
    response = http.get(
        f"{V4}/statuses/{subscriber}", params={"channel": "EMAIL"}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    return {r["subscriptionId"]: r["status"] for r in response.json()["results"]}


def v4_update(
    http: httpx.Client, tenant: Tenant, subscriber: str, subscription_id: int, state: str
) -> str:
    """POST v4 statuses/{email}; the setStatusSuccessReason."""
    response = http.post(
        f"{V4}/statuses/{subscriber}",
        json={"channel": "EMAIL", "statusState": state, "subscriptionId": subscription_id},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    [result] = response.json()["results"]
    return str(result["setStatusSuccessReason"])


def test_a_v4_opt_out_of_all_reads_portal_wide_in_v3_and_blocks_v3_changes(
    http: httpx.Client, factory: Factory, tenant: Tenant
) -> None:
    subscriber = email()
    news, offers = tenant.definitions
    assert change(http, tenant, "subscribe", subscriber, news.id).status_code == 200

    v4_unsubscribe_all(http, tenant, subscriber)

    read = statuses(http, tenant, subscriber)
    for definition in (news, offers):
        assert read[str(definition.id)]["status"] == "NOT_SUBSCRIBED"
        assert read[str(definition.id)]["sourceOfStatus"] == "PORTAL_WIDE_STATUS"
    # v3 cannot resubscribe someone who opted out of all, nor unsubscribe them again.
    refused = change(http, tenant, "subscribe", subscriber, offers.id)
    assert refused.status_code == 400
    assert refused.json()["message"] == (
        f"subscription {offers.id} for {subscriber} cannot be updated "
        "because they have unsubscribed"
    )
    again = change(http, tenant, "unsubscribe", subscriber, news.id)
    assert again.status_code == 400
    assert again.json()["message"] == (
        f"{subscriber} is already unsubscribed to subscription {news.id}"
    )
    apis = [e.api for e in factory.ledger(tenant.portal, subscriber)]
    assert apis[0] == "v3"
    assert set(apis[1:]) == {"v4"}


def test_a_v4_brand_opt_out_reads_brand_wide_in_v3_for_that_brand_only(
    http: httpx.Client, factory: Factory, tenant: Tenant
) -> None:
    brand = factory.business_unit(tenant.portal)
    brand_type = factory.definition(tenant.portal, brand.id)
    subscriber = email()

    v4_unsubscribe_all(http, tenant, subscriber, businessUnitId=brand.id)

    read = statuses(http, tenant, subscriber)
    assert read[str(brand_type.id)]["status"] == "NOT_SUBSCRIBED"
    assert read[str(brand_type.id)]["sourceOfStatus"] == "BRAND_WIDE_STATUS"
    assert read[str(brand_type.id)]["brandId"] == brand.id
    for definition in tenant.definitions:
        assert read[str(definition.id)]["sourceOfStatus"] == "SUBSCRIPTION_STATUS"
    # The other brand's types can still be subscribed through v3.
    allowed = change(http, tenant, "subscribe", subscriber, tenant.definitions[0].id)
    assert allowed.json()["status"] == "SUBSCRIBED"


def test_a_v4_resubscribe_is_seen_in_v3(
    http: httpx.Client, factory: Factory, tenant: Tenant
) -> None:
    subscriber = email()
    news, offers = tenant.definitions
    v4_unsubscribe_all(http, tenant, subscriber)

    # v4 may resubscribe, which lifts the opt-out of all; v3 then reads the result.
    assert v4_update(http, tenant, subscriber, news.id, "SUBSCRIBED") == "RESUBSCRIBE_OCCURRED"

    read = statuses(http, tenant, subscriber)
    assert (read[str(news.id)]["status"], read[str(news.id)]["sourceOfStatus"]) == (
        "SUBSCRIBED",
        "SUBSCRIPTION_STATUS",
    )
    # The opt-out of all is gone; the other type keeps the UNSUBSCRIBED it was given.
    assert (read[str(offers.id)]["status"], read[str(offers.id)]["sourceOfStatus"]) == (
        "NOT_SUBSCRIBED",
        "SUBSCRIPTION_STATUS",
    )


def test_v3_changes_are_what_v4_reads_and_acts_on(
    http: httpx.Client, factory: Factory, tenant: Tenant
) -> None:
    subscriber = email()
    news, offers = tenant.definitions
    assert change(http, tenant, "subscribe", subscriber, news.id).status_code == 200
    assert change(http, tenant, "unsubscribe", subscriber, offers.id).status_code == 200

    assert v4_read(http, tenant, subscriber) == {
        news.id: "SUBSCRIBED",
        offers.id: "UNSUBSCRIBED",
    }
    # v4's opt-out of all changes only what v3 left subscribed.
    assert v4_unsubscribe_all(http, tenant, subscriber) == {
        news.id: "UNSUBSCRIBE_FROM_ALL_OCCURRED",
        offers.id: "NO_STATUS_CHANGE",
    }


def test_a_v4_unsubscribe_is_refused_again_by_v3_and_a_v3_one_is_no_change_in_v4(
    http: httpx.Client, factory: Factory, tenant: Tenant
) -> None:
    subscriber = email()
    news, offers = tenant.definitions
    assert v4_update(http, tenant, subscriber, news.id, "UNSUBSCRIBED") == (
        "REQUESTED_CHANGE_OCCURRED"
    )
    assert change(http, tenant, "unsubscribe", subscriber, news.id).status_code == 400

    assert change(http, tenant, "unsubscribe", subscriber, offers.id).status_code == 200
    assert v4_update(http, tenant, subscriber, offers.id, "UNSUBSCRIBED") == "NO_STATUS_CHANGE"
    assert [e.api for e in factory.ledger(tenant.portal, subscriber)] == ["v4", "v3"]
