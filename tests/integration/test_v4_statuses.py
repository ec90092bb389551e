"""E1 to E4 of v4 / 2026-03 with DESIGN.md's rules, over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from commprefs.domain.errors import InvalidInput
from tests.support.factories import Factory, email
from tests.support.v4 import V4

PREFIXES = {"v4": "/communication-preferences/v4", "2026-03": "/communication-preferences/2026-03"}


@pytest.fixture(params=list(PREFIXES))
def api(request: pytest.FixtureRequest, http: object, factory: Factory) -> V4:
    return V4(http, PREFIXES[request.param], factory.tenant(types=2))  # type: ignore[arg-type]


def test_a_new_subscriber_reads_not_specified_for_every_active_type(
    api: V4, factory: Factory
) -> None:
    factory.definition(api.tenant.portal, active=False)
    body = api.statuses("New.Person@Example.com").json()
    assert [(r["subscriptionId"], r["status"], r["source"]) for r in body["results"]] == [
        (d.id, "NOT_SPECIFIED", "Not specified") for d in api.tenant.definitions
    ]
    assert {r["subscriberIdString"] for r in body["results"]} == {"new.person@example.com"}
    assert all("setStatusSuccessReason" not in r for r in body["results"])


def test_update_reports_each_reason(api: V4) -> None:
    subscriber = email()
    first = api.tenant.definitions[0].id
    assert api.reason(subscriber, first, "SUBSCRIBED") == "REQUESTED_CHANGE_OCCURRED"
    assert api.reason(subscriber, first, "SUBSCRIBED") == "NO_STATUS_CHANGE"
    assert api.reason(subscriber, first, "UNSUBSCRIBED") == "REQUESTED_CHANGE_OCCURRED"
    assert api.reason(subscriber, first, "UNSUBSCRIBED") == "NO_STATUS_CHANGE"
    assert api.reason(subscriber, first, "SUBSCRIBED") == "RESUBSCRIBE_OCCURRED"
    assert api.states(subscriber)[first] == "SUBSCRIBED"


def test_not_specified_resets_a_choice(api: V4) -> None:
    subscriber = email()
    first = api.tenant.definitions[0].id
    assert api.reason(subscriber, first, "NOT_SPECIFIED") == "NO_STATUS_CHANGE"
    api.reason(subscriber, first, "UNSUBSCRIBED")
    assert api.reason(subscriber, first, "NOT_SPECIFIED") == "REQUESTED_CHANGE_OCCURRED"
    row = next(
        r for r in api.statuses(subscriber).json()["results"] if r["subscriptionId"] == first
    )
    assert row["status"] == "NOT_SPECIFIED"


def test_resubscribing_one_type_lifts_the_opt_out_but_leaves_the_others(api: V4) -> None:
    subscriber = email()
    first, second = (d.id for d in api.tenant.definitions)
    api.reason(subscriber, second, "SUBSCRIBED")
    api.unsubscribe_all(subscriber)
    assert api.states(subscriber) == {first: "UNSUBSCRIBED", second: "UNSUBSCRIBED"}
    assert len(api.wide(subscriber).json()["results"]) == 1

    assert api.reason(subscriber, first, "SUBSCRIBED") == "RESUBSCRIBE_OCCURRED"

    assert api.states(subscriber) == {first: "SUBSCRIBED", second: "UNSUBSCRIBED"}
    assert api.wide(subscriber).json()["results"] == []


def test_a_brand_opt_out_covers_only_its_types_and_is_lifted_by_resubscribing_one(
    api: V4, factory: Factory
) -> None:
    brand = factory.business_unit(api.tenant.portal)
    brand_type = factory.definition(api.tenant.portal, brand.id).id
    account_type = api.tenant.definitions[0].id
    subscriber = email()
    api.reason(subscriber, account_type, "SUBSCRIBED")
    api.unsubscribe_all(subscriber, businessUnitId=brand.id)

    assert api.states(subscriber, businessUnitId=brand.id) == {brand_type: "UNSUBSCRIBED"}
    assert api.states(subscriber)[account_type] == "SUBSCRIBED"
    scoped = api.wide(subscriber, businessUnitId=brand.id).json()["results"]
    assert [(w["wideStatusType"], w["businessUnitId"]) for w in scoped] == [
        ("BUSINESS_UNIT_WIDE", brand.id)
    ]
    assert api.wide(subscriber, businessUnitId=0).json()["results"] == []

    assert api.reason(subscriber, brand_type, "SUBSCRIBED") == "RESUBSCRIBE_OCCURRED"
    assert api.wide(subscriber).json()["results"] == []


def test_a_type_under_a_wide_opt_out_reads_unsubscribed(api: V4, factory: Factory) -> None:
    subscriber = email()
    api.unsubscribe_all(subscriber)
    late = factory.definition(api.tenant.portal)  # created after the opt-out
    row = next(
        r for r in api.statuses(subscriber).json()["results"] if r["subscriptionId"] == late.id
    )
    assert row["status"] == "UNSUBSCRIBED"
    # Unsubscribing it explicitly changes nothing anyone can see.
    assert api.reason(subscriber, late.id, "UNSUBSCRIBED") == "NO_STATUS_CHANGE"


def test_status_rows_are_stamped_with_the_time_of_their_change(api: V4) -> None:
    subscriber = email()
    first = api.tenant.definitions[0].id
    changed = api.update(subscriber, first, "SUBSCRIBED").json()
    row = next(
        r for r in api.statuses(subscriber).json()["results"] if r["subscriptionId"] == first
    )
    assert row["timestamp"] == changed["results"][0]["timestamp"]
    assert row["source"] == "Public status API"


def test_gdpr_portals_require_a_legal_basis_to_subscribe(http: object, factory: Factory) -> None:
    tenant = factory.tenant(types=1, gdpr=True)
    api = V4(http, PREFIXES["v4"], tenant)  # type: ignore[arg-type]
    subscriber = email()
    kind = tenant.definitions[0].id

    missing = api.update(subscriber, kind, "SUBSCRIBED")
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["in"] == "legalBasis"
    no_reason = api.update(subscriber, kind, "SUBSCRIBED", legalBasis="CONSENT_WITH_NOTICE")
    assert no_reason.status_code == 400
    assert no_reason.json()["errors"][0]["in"] == "legalBasisExplanation"
    assert api.states(subscriber) == {kind: "NOT_SPECIFIED"}

    ok = api.update(
        subscriber,
        kind,
        "SUBSCRIBED",
        legalBasis="LEGITIMATE_INTEREST_CLIENT",
        legalBasisExplanation="Customer since 2019",
    )
    assert ok.status_code == 200
    row = api.statuses(subscriber).json()["results"][0]
    assert (row["legalBasis"], row["legalBasisExplanation"]) == (
        "LEGITIMATE_INTEREST_CLIENT",
        "Customer since 2019",
    )
    # Unsubscribing never needs a legal basis.
    assert api.update(subscriber, kind, "UNSUBSCRIBED").status_code == 200


def test_every_change_is_one_ledger_entry_with_old_and_new(api: V4, factory: Factory) -> None:
    subscriber = email()
    first = api.tenant.definitions[0].id
    api.update(subscriber, first, "SUBSCRIBED", legalBasis="NON_GDPR", legalBasisExplanation="x")
    api.update(subscriber, first, "SUBSCRIBED")  # no change, no entry
    api.update(subscriber, first, "UNSUBSCRIBED")
    entries = factory.ledger(api.tenant.portal, subscriber)
    assert [(e.subscription_id, e.old_status, e.new_status, e.legal_basis) for e in entries] == [
        (first, "NOT_SPECIFIED", "SUBSCRIBED", "NON_GDPR"),
        (first, "SUBSCRIBED", "UNSUBSCRIBED", None),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channel": "EMAIL", "statusState": "SUBSCRIBED"}, "subscriptionId"),
        ({"channel": "EMAIL", "subscriptionId": 1}, "statusState"),
        ({"statusState": "SUBSCRIBED", "subscriptionId": 1}, "channel"),
        ({"channel": "SMS", "statusState": "SUBSCRIBED", "subscriptionId": 1}, "channel"),
        ({"channel": "EMAIL", "statusState": "MAYBE", "subscriptionId": 1}, "statusState"),
        (
            {"channel": "EMAIL", "statusState": "SUBSCRIBED", "subscriptionId": "1"},
            "subscriptionId",
        ),
        (
            {"channel": "EMAIL", "statusState": "SUBSCRIBED", "subscriptionId": 2**63},
            "subscriptionId",
        ),
        (
            {"channel": "EMAIL", "statusState": "SUBSCRIBED", "subscriptionId": 987654},
            "subscriptionId",
        ),
        (
            {
                "channel": "EMAIL",
                "statusState": "SUBSCRIBED",
                "subscriptionId": 1,
                "legalBasis": "X",
            },
            "legalBasis",
        ),
        (["not", "an", "object"], "body"),
        (
            {
                "channel": "EMAIL",
                "statusState": "UNSUBSCRIBED",
                "subscriptionId": 1,
                "legalBasis": "NON_GDPR",
                "legalBasisExplanation": "nul \u0000 byte",
            },
            "legalBasisExplanation",
        ),
    ],
)
def test_bad_update_bodies_are_400s_naming_the_field(
    api: V4, factory: Factory, body: object, field: str
) -> None:
    subscriber = email()
    response = api.http.post(f"{api.prefix}/statuses/{subscriber}", json=body, headers=api.headers)
    assert response.status_code == 400, response.text
    assert response.json()["category"] == "VALIDATION_ERROR"
    assert response.json()["errors"][0]["in"] == field
    assert factory.ledger(api.tenant.portal, subscriber) == []


def test_inactive_types_cannot_be_set(api: V4, factory: Factory) -> None:
    retired = factory.definition(api.tenant.portal, active=False)
    response = api.update(email(), retired.id, "SUBSCRIBED")
    assert response.status_code == 400
    assert response.json()["errors"][0]["in"] == "subscriptionId"


def test_a_missing_body_is_a_400(api: V4) -> None:
    response = api.http.post(f"{api.prefix}/statuses/{email()}", headers=api.headers)
    assert response.status_code == 400
    assert response.json()["errors"][0]["in"] == "body"


def test_definitions_list_every_type_with_filters_and_translations(
    api: V4, factory: Factory
) -> None:
    portal = api.tenant.portal
    retired = factory.definition(portal, active=False)
    brand = factory.business_unit(portal)
    branded = factory.definition(portal, brand.id, purpose="Sales")
    factory.run(
        factory.services.portals.translate_definition(
            portal.id, branded.id, "de", "Neuigkeiten", "Alles Neue"
        )
    )

    everything = api.definitions().json()["results"]
    assert [int(d["id"]) for d in everything] == [
        *(d.id for d in api.tenant.definitions),
        retired.id,
        branded.id,
    ]
    assert {d["id"]: d["isActive"] for d in everything}[str(retired.id)] is False
    assert all("subscriptionTranslations" not in d for d in everything)

    only_brand = api.definitions(businessUnitId=brand.id, includeTranslations="true").json()
    (one,) = only_brand["results"]
    assert (one["id"], one["businessUnitId"], one["purpose"]) == (
        str(branded.id),
        brand.id,
        "Sales",
    )
    assert [(t["languageCode"], t["name"]) for t in one["subscriptionTranslations"]] == [
        ("de", "Neuigkeiten")
    ]

    unknown = api.definitions(businessUnitId=424242)
    assert unknown.status_code == 400
    assert unknown.json()["errors"][0]["in"] == "businessUnitId"


@pytest.mark.parametrize("language", ["english", "en-aaaaaaaa-bbbbbbbb", "e", "en-!", "x" * 40, ""])
def test_translation_language_codes_are_checked_before_storing(
    api: V4, factory: Factory, language: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        factory.run(
            factory.services.portals.translate_definition(
                api.tenant.portal.id, api.tenant.definitions[0].id, language, "Name", "Text"
            )
        )
    assert refused.value.details[0].in_ == "language"
