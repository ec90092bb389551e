"""Email Subscriptions v1 over HTTP on SQLite and PostgreSQL: the types, an address's status, the
four kinds of PUT with HubSpot's answers and refusals, addresses in the path, bad input."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.support.factories import Factory, Tenant, email
from tests.support.v1 import V1, chosen, put, set_types, status

CONSENT = {"legalBasis": "CONSENT_WITH_NOTICE", "legalBasisExplanation": "Asked at the fair"}


@pytest.fixture
def tenant(factory: Factory) -> Tenant:
    return factory.tenant(types=2)


def assert_error(response: httpx.Response, status_code: int, category: str) -> dict[str, Any]:
    assert response.status_code == status_code, response.text
    body: dict[str, Any] = response.json()
    assert body["status"] == "error"
    assert body["category"] == category
    assert body["message"]
    assert body["correlationId"]
    return body


def test_the_types_in_v1_shape_also_at_the_empty_sub_path_hubspot3_asks(
    http: httpx.Client, factory: Factory, tenant: Tenant
) -> None:
    inactive = factory.definition(tenant.portal, name="Old News", active=False)
    answers = [
        http.get(path, headers=tenant.headers, params=params)
        for path, params in (
            (V1, {}),
            (f"{V1}/", {}),
            (V1, {"portalId": tenant.portal.id}),
        )
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert answer.json() == answers[0].json()
    listed = {d["id"]: d for d in answers[0].json()["subscriptionDefinitions"]}
    news = tenant.definitions[0]
    assert listed[news.id] == {
        "id": news.id,
        "portalId": tenant.portal.id,
        "name": news.name,
        "description": news.description,
        "active": True,
        "internal": False,
        "category": news.purpose,
        "channel": "Email",
        "internalName": listed[news.id]["internalName"],
        "businessUnitId": 0,
    }
    assert listed[news.id]["internalName"].isupper()
    assert listed[inactive.id]["active"] is False
    other = http.get(V1, headers=tenant.headers, params={"portalId": tenant.portal.id + 1000})
    assert assert_error(other, 400, "VALIDATION_ERROR")["errors"][0]["in"] == "portalId"


def test_types_never_chosen_are_left_out_and_choices_read_back_in_v1_shape(
    http: httpx.Client, factory: Factory, tenant: Tenant
) -> None:
    subscriber = email()
    news, offers = tenant.definitions
    assert status(http, tenant, subscriber) == {
        "subscribed": True,
        "markedAsSpam": False,
        "bounced": False,
        "unsubscribeFromPortal": False,
        "status": "subscribed",
        "portalId": tenant.portal.id,
        "email": subscriber,
        "subscriptionStatuses": [],
    }

    body = {
        "subscriptionStatuses": [
            {"id": news.id, "subscribed": True, "optState": "OPT_IN", **CONSENT},
            {"id": offers.id, "optState": "OPT_OUT"},
        ]
    }
    answer = put(http, tenant, subscriber, body)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"status": "ok"}

    read = status(http, tenant, subscriber)
    by_id = {s["id"]: s for s in read["subscriptionStatuses"]}
    assert by_id[news.id]["subscribed"] is True
    assert by_id[news.id]["optState"] == "OPT_IN"
    assert by_id[news.id]["legalBasis"] == "CONSENT_WITH_NOTICE"
    assert by_id[news.id]["legalBasisExplanation"] == "Asked at the fair"
    assert isinstance(by_id[news.id]["updatedAt"], int)
    assert (by_id[offers.id]["subscribed"], by_id[offers.id]["optState"]) == (False, "OPT_OUT")
    assert "legalBasis" not in by_id[offers.id]
    entries = factory.ledger(tenant.portal, subscriber)
    assert [(e.api, e.subscription_id, e.new_status) for e in entries] == [
        ("v1", news.id, "SUBSCRIBED"),
        ("v1", offers.id, "UNSUBSCRIBED"),
    ]
    # A PUT may be repeated: the same body again changes nothing.
    assert put(http, tenant, subscriber, body).status_code == 200
    assert len(factory.ledger(tenant.portal, subscriber)) == 2


def test_v1_cannot_resubscribe_nor_reset_an_opt_out_and_refuses_the_whole_put(
    http: httpx.Client, factory: Factory, tenant: Tenant
) -> None:
    subscriber = email()
    news, offers = tenant.definitions
    assert set_types(http, tenant, subscriber, **{f"t{news.id}": False}).status_code == 200

    refused = set_types(http, tenant, subscriber, **{f"t{offers.id}": True, f"t{news.id}": True})
    body = assert_error(refused, 400, "VALIDATION_ERROR")
    assert body["message"] == (
        f"subscription {news.id} for {subscriber} cannot be updated because they have unsubscribed"
    )
    reset = put(
        http,
        tenant,
        subscriber,
        {"subscriptionStatuses": [{"id": news.id, "optState": "NOT_OPTED"}]},
    )
    assert "cannot be reset" in assert_error(reset, 400, "VALIDATION_ERROR")["message"]
    # All or nothing: the valid first item was not applied either.
    assert chosen(http, tenant, subscriber) == {news.id: False}
    assert len(factory.ledger(tenant.portal, subscriber)) == 1


def test_unsubscribe_from_all_then_nothing_can_subscribe_through_v1(
    http: httpx.Client, factory: Factory, tenant: Tenant
) -> None:
    subscriber = email()
    news, offers = tenant.definitions
    assert set_types(http, tenant, subscriber, **{f"t{news.id}": True}).status_code == 200

    assert put(http, tenant, subscriber, {"unsubscribeFromAll": True}).json() == {"status": "ok"}

    read = status(http, tenant, subscriber)
    assert (read["subscribed"], read["unsubscribeFromPortal"], read["status"]) == (
        False,
        True,
        "unsubscribed",
    )
    assert {s["id"]: s["optState"] for s in read["subscriptionStatuses"]} == {
        news.id: "OPT_OUT",
        offers.id: "OPT_OUT",
    }
    to_all = put(http, tenant, subscriber, {"subscribed": True})
    assert "unsubscribed from all email" in assert_error(to_all, 400, "VALIDATION_ERROR")["message"]
    one = set_types(http, tenant, subscriber, **{f"t{offers.id}": True})
    assert "cannot be updated" in assert_error(one, 400, "VALIDATION_ERROR")["message"]
    # Again: a 200 that changes nothing.
    before = len(factory.ledger(tenant.portal, subscriber))
    assert put(http, tenant, subscriber, {"unsubscribeFromAll": True}).status_code == 200
    assert len(factory.ledger(tenant.portal, subscriber)) == before
    wide = [e for e in factory.ledger(tenant.portal, subscriber) if e.wide_type]
    assert [(e.api, e.wide_type, e.new_status) for e in wide] == [
        ("v1", "PORTAL_WIDE", "UNSUBSCRIBED")
    ]


def test_subscribe_to_all_keeps_every_opt_out_and_subscribes_the_rest(
    http: httpx.Client, factory: Factory, tenant: Tenant
) -> None:
    brand = factory.business_unit(tenant.portal)
    brand_type = factory.definition(tenant.portal, brand.id)
    third = factory.definition(tenant.portal)
    subscriber = email()
    news, offers = tenant.definitions
    assert set_types(http, tenant, subscriber, **{f"t{offers.id}": False}).status_code == 200
    opt_out = http.post(
        f"/communication-preferences/v4/statuses/{subscriber}/unsubscribe-all",
        params={"channel": "EMAIL", "businessUnitId": brand.id},
        headers=tenant.headers,
    )
    assert opt_out.status_code == 200

    assert put(http, tenant, subscriber, {"subscribed": True}).json() == {"status": "ok"}

    assert chosen(http, tenant, subscriber) == {
        news.id: True,
        offers.id: False,
        brand_type.id: False,
        third.id: True,
    }


def test_a_gdpr_portal_needs_a_legal_basis_for_every_subscribe(
    http: httpx.Client, factory: Factory
) -> None:
    tenant = factory.tenant(types=2, gdpr=True)
    news, offers = tenant.definitions
    subscriber = email()
    for body in (
        {"subscribed": True},
        {"subscriptionStatuses": [{"id": news.id, "subscribed": True}]},
        {"subscribed": True, "portalSubscriptionLegalBasis": "CONSENT_WITH_NOTICE"},
    ):
        assert_error(put(http, tenant, subscriber, body), 400, "VALIDATION_ERROR")
    assert factory.ledger(tenant.portal, subscriber) == []

    portal_level = {
        "portalSubscriptionLegalBasis": "LEGITIMATE_INTEREST_CLIENT",
        "portalSubscriptionLegalBasisExplanation": "Met at a conference",
    }
    # The portal-level basis is each subscribed type's unless the item gives its own.
    body = {
        "subscriptionStatuses": [
            {"id": news.id, "subscribed": True, **CONSENT},
            {"id": offers.id, "subscribed": True},
        ],
        **portal_level,
    }
    assert put(http, tenant, subscriber, body).status_code == 200
    read = {s["id"]: s for s in status(http, tenant, subscriber)["subscriptionStatuses"]}
    assert read[news.id]["legalBasis"] == "CONSENT_WITH_NOTICE"
    assert read[offers.id]["legalBasis"] == "LEGITIMATE_INTEREST_CLIENT"
    assert read[offers.id]["legalBasisExplanation"] == "Met at a conference"
    other = email()
    assert put(http, tenant, other, {"subscribed": True, **portal_level}).status_code == 200
    assert chosen(http, tenant, other) == {news.id: True, offers.id: True}


@pytest.mark.parametrize(
    "path_form",
    [
        lambda a: a,  # + and @ raw, as hubspot3 and npm hubspot send them
        lambda a: quote(a, safe=""),
        lambda a: a.replace("@", "%40"),
        lambda a: a.upper(),
    ],
    ids=["raw", "percent-encoded", "at-encoded", "upper-case"],
)
def test_an_address_raw_or_percent_encoded_in_the_path_is_one_subscriber(
    http: httpx.Client, tenant: Tenant, path_form: Any
) -> None:
    subscriber = email("first.last+tag")
    news = tenant.definitions[0]
    body = {"subscriptionStatuses": [{"id": news.id, "subscribed": False}]}
    assert (
        http.put(f"{V1}/{path_form(subscriber)}", json=body, headers=tenant.headers).status_code
        == 200
    )
    read = http.get(f"{V1}/{path_form(subscriber)}", headers=tenant.headers).json()
    assert read["email"] == subscriber.lower()
    assert [s["id"] for s in read["subscriptionStatuses"]] == [news.id]


BAD_BODIES: list[Any] = [
    {},
    [],
    "x",
    None,
    {"unsubscribeFromAll": False},
    {"unsubscribeFromAll": "true"},
    {"unsubscribeFromAll": 1},
    {"subscribed": False},
    {"subscribed": "yes"},
    {"unsubscribeFromAll": True, "subscribed": True},
    {"unsubscribeFromAll": True, "subscriptionStatuses": []},
    {"subscriptionStatuses": {}},
    {"subscriptionStatuses": [{}]},
    {"subscriptionStatuses": [{"id": 1}]},
    {"subscriptionStatuses": [{"id": "1", "subscribed": True}]},
    {"subscriptionStatuses": [{"id": 0, "subscribed": True}]},
    {"subscriptionStatuses": [{"id": -5, "subscribed": True}]},
    {"subscriptionStatuses": [{"id": 2**63, "subscribed": True}]},
    {"subscriptionStatuses": [{"id": 1.5, "subscribed": True}]},
    {"subscriptionStatuses": [{"id": 999_999_999, "subscribed": True}]},
    {"subscriptionStatuses": [{"id": "{news}", "subscribed": True, "optState": "OPT_OUT"}]},
    {"subscriptionStatuses": [{"id": "{news}", "optState": "MAYBE"}]},
    {"subscriptionStatuses": [{"id": "{news}", "subscribed": True, "legalBasis": "BECAUSE"}]},
    {"subscriptionStatuses": [{"id": "{news}", "subscribed": True, "legalBasisExplanation": 7}]},
    {
        "subscriptionStatuses": [
            {"id": "{news}", "subscribed": True, "legalBasisExplanation": "a\x00b"}
        ]
    },
    {"subscribed": True, "portalSubscriptionLegalBasis": "NOPE"},
    {"portalSubscriptionLegalBasis": "CONSENT_WITH_NOTICE"},
]


def _filled(body: Any, news: int) -> Any:
    if isinstance(body, dict) and isinstance(body.get("subscriptionStatuses"), list):
        items = [
            {**item, "id": news} if item.get("id") == "{news}" else item
            for item in body["subscriptionStatuses"]
        ]
        return {**body, "subscriptionStatuses": items}
    return body


def test_bad_bodies_get_a_400_in_hubspots_body_and_change_nothing(
    http: httpx.Client, factory: Factory, tenant: Tenant
) -> None:
    subscriber = email()
    news = tenant.definitions[0].id
    answers = {
        repr(body): put(http, tenant, subscriber, _filled(body, news)) for body in BAD_BODIES
    }
    raw = {
        "not JSON": b"{nope",
        "empty": b"",
        "bytes that are not UTF-8": b'{"subscribed": "\xff"}',
    }
    for name, content in raw.items():
        answers[name] = http.put(
            f"{V1}/{subscriber}",
            content=content,
            headers={**tenant.headers, "Content-Type": "application/json"},
        )
    assert {name: a.status_code for name, a in answers.items() if a.status_code != 400} == {}
    for answer in answers.values():
        assert_error(answer, 400, "VALIDATION_ERROR")
    assert factory.ledger(tenant.portal, subscriber) == []


@pytest.mark.parametrize(
    ("method", "address"),
    [
        ("GET", "not-an-address"),
        ("GET", "a@b@c.example"),
        ("GET", "x" * 300 + "@example.com"),
        ("PUT", "not-an-address"),
        ("PUT", "%00@example.com"),
    ],
)
def test_bad_addresses_are_a_400_naming_the_path_parameter(
    http: httpx.Client, tenant: Tenant, method: str, address: str
) -> None:
    answer = http.request(
        method, f"{V1}/{address}", json={"unsubscribeFromAll": True}, headers=tenant.headers
    )
    body = assert_error(answer, 400, "VALIDATION_ERROR")
    assert body["errors"][0]["in"] == "email_address"


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 1001},
        {"limit": "ten"},
        {"offset": "not-ours"},
        {"offset": "czE="},  # "s1" with the padding this service never sends
        {"offset": "x" * 65},
        {"startTimestamp": -1},
        {"endTimestamp": "yesterday"},
        {"startTimestamp": 2000, "endTimestamp": 1000},
    ],
)
def test_bad_timeline_parameters_are_a_400_naming_them(
    http: httpx.Client, tenant: Tenant, params: dict[str, Any]
) -> None:
    answer = http.get(f"{V1}/timeline", params=params, headers=tenant.headers)
    body = assert_error(answer, 400, "VALIDATION_ERROR")
    assert body["errors"][0]["in"] in params


def test_the_types_at_the_empty_sub_path_take_only_get(http: httpx.Client, tenant: Tenant) -> None:
    answer = http.put(f"{V1}/", json={"unsubscribeFromAll": True}, headers=tenant.headers)
    assert_error(answer, 405, "VALIDATION_ERROR")
    assert answer.headers["allow"] == "GET"


def test_a_refused_body_says_why_in_its_own_words(http: httpx.Client, tenant: Tenant) -> None:
    answer = put(http, tenant, email(), {"subscribed": True, "unsubscribeFromAll": True})
    [detail] = assert_error(answer, 400, "VALIDATION_ERROR")["errors"]
    assert detail == {
        "message": "body: unsubscribeFromAll and subscribed cannot be sent together",
        "in": "body",
        "code": "INVALID_VALUE",
    }
