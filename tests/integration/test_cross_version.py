"""One subscriber, one store: what v4 changes is what v3 reads, and the other way round; likewise
for each date version (2026-03, 2026-09, 2025-09) and between v1 and the others."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support import v1
from tests.support.factories import Factory, Tenant, email
from tests.support.v3 import change, statuses

V4 = "/communication-preferences/v4"


@pytest.fixture
def tenant(factory: Factory) -> Tenant:
    return factory.tenant(types=2)


def v4_unsubscribe_all(
    http: httpx.Client, tenant: Tenant, subscriber: str, prefix: str = V4, **params: Any
) -> dict[int, str]:
    """POST v4 unsubscribe-all (verbose); each type's setStatusSuccessReason by id."""
    response = http.post(
        f"{prefix}/statuses/{subscriber}/unsubscribe-all",
        params={"channel": "EMAIL", "verbose": "true", **params},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    return {r["subscriptionId"]: r["setStatusSuccessReason"] for r in response.json()["results"]}


def v4_read(
    http: httpx.Client, tenant: Tenant, subscriber: str, prefix: str = V4
) -> dict[int, str]:
    """GET v4 statuses/{email}: each type's status by id."""
    response = http.get(
        f"{prefix}/statuses/{subscriber}", params={"channel": "EMAIL"}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
    return {r["subscriptionId"]: r["status"] for r in response.json()["results"]}


def v4_update(
    http: httpx.Client,
    tenant: Tenant,
    subscriber: str,
    subscription_id: int,
    state: str,
    prefix: str = V4,
) -> str:
    """POST v4 statuses/{email}; the setStatusSuccessReason."""
    response = http.post(
        f"{prefix}/statuses/{subscriber}",
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


# -- Email Subscriptions v1 (issue 14) -----------------------------------------------------------

DATED = "/communication-preferences/2026-03"


def every_read(http: httpx.Client, tenant: Tenant, subscriber: str) -> dict[str, dict[int, str]]:
    """One subscriber's types as each generation reads them, in one vocabulary: SUBSCRIBED,
    UNSUBSCRIBED, or NOT_SPECIFIED (v1 leaves such types out, v3 says NOT_SUBSCRIBED)."""
    reads: dict[str, dict[int, str]] = {}
    for name, prefix in (("v4", V4), ("2026-03", DATED)):
        response = http.get(
            f"{prefix}/statuses/{subscriber}", params={"channel": "EMAIL"}, headers=tenant.headers
        )
        assert response.status_code == 200, response.text
        reads[name] = {r["subscriptionId"]: r["status"] for r in response.json()["results"]}
    v3 = statuses(http, tenant, subscriber)
    reads["v3"] = {
        int(i): ("SUBSCRIBED" if s["status"] == "SUBSCRIBED" else "UNSUBSCRIBED")
        for i, s in v3.items()
        if reads["v4"][int(i)] != "NOT_SPECIFIED"
    }
    reads["v1"] = {
        i: ("SUBSCRIBED" if subscribed else "UNSUBSCRIBED")
        for i, subscribed in v1.chosen(http, tenant, subscriber).items()
    }
    reads["v4"] = {i: s for i, s in reads["v4"].items() if s != "NOT_SPECIFIED"}
    reads["2026-03"] = {i: s for i, s in reads["2026-03"].items() if s != "NOT_SPECIFIED"}
    return reads


def assert_all_read(
    http: httpx.Client, tenant: Tenant, subscriber: str, expected: dict[int, str]
) -> None:
    reads = every_read(http, tenant, subscriber)
    assert reads == dict.fromkeys(("v4", "2026-03", "v3", "v1"), expected)


def test_a_v1_change_reads_the_same_through_v3_v4_and_2026_03(
    http: httpx.Client, factory: Factory, tenant: Tenant
) -> None:
    subscriber = email()
    news, offers = (d.id for d in tenant.definitions)

    assert v1.set_types(http, tenant, subscriber, **{f"t{news}": True}).status_code == 200
    assert_all_read(http, tenant, subscriber, {news: "SUBSCRIBED"})
    assert v1.set_types(http, tenant, subscriber, **{f"t{offers}": False}).status_code == 200
    assert_all_read(http, tenant, subscriber, {news: "SUBSCRIBED", offers: "UNSUBSCRIBED"})

    assert v1.put(http, tenant, subscriber, {"unsubscribeFromAll": True}).status_code == 200
    assert_all_read(http, tenant, subscriber, {news: "UNSUBSCRIBED", offers: "UNSUBSCRIBED"})
    wide = http.get(
        f"{DATED}/statuses/{subscriber}/unsubscribe-all",
        params={"channel": "EMAIL"},
        headers=tenant.headers,
    ).json()["results"]
    assert [(w["wideStatusType"], w["status"]) for w in wide] == [("PORTAL_WIDE", "UNSUBSCRIBED")]
    assert {s["sourceOfStatus"] for s in statuses(http, tenant, subscriber).values()} == {
        "PORTAL_WIDE_STATUS"
    }


def test_v3_v4_and_2026_03_changes_read_the_same_through_v1(
    http: httpx.Client, factory: Factory, tenant: Tenant
) -> None:
    subscriber = email()
    news, offers = (d.id for d in tenant.definitions)

    assert change(http, tenant, "subscribe", subscriber, news).status_code == 200
    assert_all_read(http, tenant, subscriber, {news: "SUBSCRIBED"})
    assert (
        v4_update(http, tenant, subscriber, offers, "UNSUBSCRIBED") == "REQUESTED_CHANGE_OCCURRED"
    )
    assert_all_read(http, tenant, subscriber, {news: "SUBSCRIBED", offers: "UNSUBSCRIBED"})

    response = http.post(
        f"{DATED}/statuses/{subscriber}/unsubscribe-all",
        params={"channel": "EMAIL"},
        headers=tenant.headers,
    )
    assert response.status_code == 200
    assert v1.status(http, tenant, subscriber)["unsubscribeFromPortal"] is True
    assert_all_read(http, tenant, subscriber, {news: "UNSUBSCRIBED", offers: "UNSUBSCRIBED"})

    # v4 can resubscribe (lifting the opt-out of all); v1 then reads it, and its own
    # subscribe-to-all keeps the type still opted out.
    assert v4_update(http, tenant, subscriber, news, "SUBSCRIBED") == "RESUBSCRIBE_OCCURRED"
    read = v1.status(http, tenant, subscriber)
    assert (read["subscribed"], read["unsubscribeFromPortal"]) == (True, False)
    assert v1.put(http, tenant, subscriber, {"subscribed": True}).status_code == 200
    assert_all_read(http, tenant, subscriber, {news: "SUBSCRIBED", offers: "UNSUBSCRIBED"})
    assert [e.api for e in factory.ledger(tenant.portal, subscriber)][-1] == "v4"


DATE_AND_V4 = ["v4", "2026-03", "2026-09", "2025-09"]


def _write_through(http: httpx.Client, tenant: Tenant, api: str, subscriber: str) -> None:
    """Subscribe to the first type and unsubscribe from the second, through ``api``."""
    news, offers = tenant.definitions
    if api == "v1":
        states = {f"t{news.id}": True, f"t{offers.id}": False}
        assert v1.set_types(http, tenant, subscriber, **states).status_code == 200
        return
    if api == "v3":
        assert change(http, tenant, "subscribe", subscriber, news.id).status_code == 200
        assert change(http, tenant, "unsubscribe", subscriber, offers.id).status_code == 200
        return
    prefix = f"/communication-preferences/{api}"
    for definition, state in ((news, "SUBSCRIBED"), (offers, "UNSUBSCRIBED")):
        assert v4_update(http, tenant, subscriber, definition.id, state, prefix) == (
            "REQUESTED_CHANGE_OCCURRED"
        )


@pytest.mark.parametrize("writer", ["v1", "v3", *DATE_AND_V4])
def test_a_change_through_any_version_reads_the_same_through_every_other(
    http: httpx.Client, factory: Factory, tenant: Tenant, writer: str
) -> None:
    subscriber = email()
    news, offers = tenant.definitions
    _write_through(http, tenant, writer, subscriber)

    for reader in DATE_AND_V4:
        read = v4_read(http, tenant, subscriber, f"/communication-preferences/{reader}")
        assert read == {news.id: "SUBSCRIBED", offers.id: "UNSUBSCRIBED"}, reader
    v3_read = statuses(http, tenant, subscriber)
    assert (v3_read[str(news.id)]["status"], v3_read[str(offers.id)]["status"]) == (
        "SUBSCRIBED",
        "NOT_SUBSCRIBED",
    )
    assert v1.chosen(http, tenant, subscriber) == {news.id: True, offers.id: False}
    # Each version is recorded in the ledger under its own name.
    assert [e.api for e in factory.ledger(tenant.portal, subscriber)] == [writer, writer]


@pytest.mark.parametrize("writer", ["2026-09", "2025-09"])
def test_an_opt_out_of_all_through_a_date_version_is_what_v3_and_v4_read(
    http: httpx.Client, factory: Factory, tenant: Tenant, writer: str
) -> None:
    subscriber = email()
    v4_unsubscribe_all(http, tenant, subscriber, prefix=f"/communication-preferences/{writer}")

    assert set(v4_read(http, tenant, subscriber).values()) == {"UNSUBSCRIBED"}
    assert {s["sourceOfStatus"] for s in statuses(http, tenant, subscriber).values()} == {
        "PORTAL_WIDE_STATUS"
    }
    assert {e.api for e in factory.ledger(tenant.portal, subscriber)} == {writer}
