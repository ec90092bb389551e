"""POST …/statuses/{subscriberIdString}/unsubscribe-all over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support.factories import Factory, Tenant, email

PREFIXES = ["/communication-preferences/v4", "/communication-preferences/2026-03"]
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture(params=PREFIXES, ids=["v4", "2026-03"])
def prefix(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def tenant(factory: Factory) -> Tenant:
    return factory.tenant(types=3)


def unsubscribe_all(
    http: httpx.Client, prefix: str, tenant: Tenant, subscriber: str, **params: object
) -> httpx.Response:
    query = {"channel": "EMAIL", **params}
    return http.post(
        f"{prefix}/statuses/{subscriber}/unsubscribe-all", params=query, headers=tenant.headers
    )


def test_portal_wide_opt_out_answers_with_an_empty_complete_envelope(
    http: httpx.Client, prefix: str, tenant: Tenant
) -> None:
    response = unsubscribe_all(http, prefix, tenant, email())

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "COMPLETE"
    assert body["results"] == []
    for key in ("startedAt", "completedAt", "requestedAt"):
        assert ISO_MS.match(body[key]), body[key]
    assert body["requestedAt"] <= body["startedAt"] <= body["completedAt"]


def test_verbose_lists_every_type_as_unsubscribed_from_all(
    http: httpx.Client, prefix: str, tenant: Tenant
) -> None:
    subscriber = email()
    body = unsubscribe_all(http, prefix, tenant, subscriber, verbose="true").json()

    results = sorted(body["results"], key=lambda r: r["subscriptionId"])
    assert [r["subscriptionId"] for r in results] == [d.id for d in tenant.definitions]
    for result, definition in zip(results, tenant.definitions, strict=True):
        assert result["status"] == "UNSUBSCRIBED"
        assert result["setStatusSuccessReason"] == "UNSUBSCRIBE_FROM_ALL_OCCURRED"
        assert result["source"] == "Public status API"
        assert result["channel"] == "EMAIL"
        assert result["subscriberIdString"] == subscriber
        assert result["subscriptionName"] == definition.name
        assert result["businessUnitId"] == 0
        assert "legalBasis" not in result
        assert ISO_MS.match(result["timestamp"])


def test_repeating_is_a_200_that_changes_nothing(
    http: httpx.Client, prefix: str, tenant: Tenant, factory: Factory
) -> None:
    subscriber = email()
    first = unsubscribe_all(http, prefix, tenant, subscriber, verbose="true").json()
    entries_after_first = len(factory.ledger(tenant.portal, subscriber))

    again = unsubscribe_all(http, prefix, tenant, subscriber, verbose="true")

    assert again.status_code == 200
    reasons = {r["setStatusSuccessReason"] for r in again.json()["results"]}
    assert reasons == {"NO_STATUS_CHANGE"}
    # The statuses keep the time they actually changed.
    assert {r["timestamp"] for r in again.json()["results"]} == {
        r["timestamp"] for r in first["results"]
    }
    assert len(factory.ledger(tenant.portal, subscriber)) == entries_after_first


def test_every_change_is_in_the_ledger_with_who_and_why(
    http: httpx.Client, prefix: str, tenant: Tenant, factory: Factory
) -> None:
    subscriber = email()
    response = unsubscribe_all(http, prefix, tenant, subscriber)

    entries = factory.ledger(tenant.portal, subscriber)
    wide = [e for e in entries if e.wide_type is not None]
    per_type = [e for e in entries if e.subscription_id is not None]
    assert [(e.wide_type, e.business_unit_id, e.old_status, e.new_status) for e in wide] == [
        ("PORTAL_WIDE", 0, "SUBSCRIBED", "UNSUBSCRIBED")
    ]
    assert sorted(e.subscription_id for e in per_type) == [d.id for d in tenant.definitions]
    assert {(e.old_status, e.new_status) for e in per_type} == {("NOT_SPECIFIED", "UNSUBSCRIBED")}
    correlation = response.headers["x-hubspot-correlation-id"]
    api = prefix.rsplit("/", 1)[1]
    for entry in entries:
        assert entry.request_id == correlation
        assert entry.source == "Public status API"
        assert entry.api == api
        assert entry.token_id == factory.token_ids[tenant.token]
        assert entry.created_at > 0


def test_business_unit_scope_touches_only_that_units_types(
    http: httpx.Client, prefix: str, factory: Factory
) -> None:
    tenant = factory.tenant(types=2)
    brand = factory.business_unit(tenant.portal)
    brand_types = [factory.definition(tenant.portal, brand.id) for _ in range(2)]
    subscriber = email()

    scoped = unsubscribe_all(
        http, prefix, tenant, subscriber, businessUnitId=brand.id, verbose="true"
    ).json()

    assert sorted(r["subscriptionId"] for r in scoped["results"]) == [d.id for d in brand_types]
    assert {r["businessUnitId"] for r in scoped["results"]} == {brand.id}
    wide = [e for e in factory.ledger(tenant.portal, subscriber) if e.wide_type]
    assert [(e.wide_type, e.business_unit_id) for e in wide] == [("BUSINESS_UNIT_WIDE", brand.id)]

    # Portal-wide afterwards: the brand's types already were unsubscribed, the others change now.
    everything = unsubscribe_all(http, prefix, tenant, subscriber, verbose="true").json()
    reasons = {r["subscriptionId"]: r["setStatusSuccessReason"] for r in everything["results"]}
    assert reasons == {
        **{d.id: "UNSUBSCRIBE_FROM_ALL_OCCURRED" for d in tenant.definitions},
        **{d.id: "NO_STATUS_CHANGE" for d in brand_types},
    }


def test_inactive_types_are_not_reported(
    http: httpx.Client, prefix: str, factory: Factory, tenant: Tenant
) -> None:
    retired = factory.definition(tenant.portal, active=False)
    body = unsubscribe_all(http, prefix, tenant, email(), verbose="true").json()
    assert retired.id not in {r["subscriptionId"] for r in body["results"]}
    assert len(body["results"]) == len(tenant.definitions)


@pytest.mark.parametrize(
    ("sent", "stored"),
    [
        ("Jane.Doe+News@Example.COM", "jane.doe+news@example.com"),
        ("jane.doe%2Bnews%40example.com", "jane.doe+news@example.com"),
        ("JANE.DOE+NEWS@EXAMPLE.com", "jane.doe+news@example.com"),
    ],
)
def test_subscriber_ids_are_decoded_and_matched_case_insensitively(
    http: httpx.Client, prefix: str, factory: Factory, sent: str, stored: str
) -> None:
    tenant = factory.tenant(types=1)
    first = unsubscribe_all(http, prefix, tenant, sent, verbose="true").json()
    assert first["results"][0]["subscriberIdString"] == stored

    # The same person under another spelling is already opted out.
    again = unsubscribe_all(http, prefix, tenant, stored.upper(), verbose="true").json()
    assert again["results"][0]["setStatusSuccessReason"] == "NO_STATUS_CHANGE"
    assert again["results"][0]["subscriberIdString"] == stored


def test_plus_tags_and_dots_are_kept_distinct(
    http: httpx.Client, prefix: str, factory: Factory
) -> None:
    tenant = factory.tenant(types=1)
    unsubscribe_all(http, prefix, tenant, "ann+a@example.com")
    other = unsubscribe_all(http, prefix, tenant, "a.nn@example.com", verbose="true").json()
    assert other["results"][0]["setStatusSuccessReason"] == "UNSUBSCRIBE_FROM_ALL_OCCURRED"


def test_an_empty_json_body_is_accepted(http: httpx.Client, prefix: str, tenant: Tenant) -> None:
    response = http.post(
        f"{prefix}/statuses/{email()}/unsubscribe-all",
        params={"channel": "EMAIL"},
        headers={**tenant.headers, "Content-Type": "application/json"},
        content=b"",
    )
    assert response.status_code == 200


def test_a_token_reaches_only_its_own_portal(
    http: httpx.Client, prefix: str, factory: Factory
) -> None:
    mine, theirs = factory.tenant(types=1), factory.tenant(types=1)
    subscriber = email()
    unsubscribe_all(http, prefix, mine, subscriber)

    assert factory.ledger(theirs.portal, subscriber) == []
    # Their business unit ids mean nothing to my token.
    brand = factory.business_unit(theirs.portal)
    refused = unsubscribe_all(http, prefix, mine, subscriber, businessUnitId=brand.id)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["in"] == "businessUnitId"
