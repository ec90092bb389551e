"""E7 to E10, the batch operations, over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.support.contracts import validate
from tests.support.factories import Factory, email
from tests.support.server import Server
from tests.support.v4 import V4

PREFIXES = {"v4": "/communication-preferences/v4", "2026-03": "/communication-preferences/2026-03"}


@pytest.fixture(params=list(PREFIXES))
def api(request: pytest.FixtureRequest, http: httpx.Client, factory: Factory) -> V4:
    return V4(http, PREFIXES[request.param], factory.tenant(types=2))


def write_item(
    subscriber: str, subscription_id: int, state: str, **extra: object
) -> dict[str, object]:
    return {
        "subscriberIdString": subscriber,
        "channel": "EMAIL",
        "statusState": state,
        "subscriptionId": subscription_id,
        **extra,
    }


def test_batch_read_gives_each_subscriber_what_a_single_read_gives(api: V4) -> None:
    a, b = email(), email()
    api.update(a, api.tenant.definitions[0].id, "SUBSCRIBED")
    api.unsubscribe_all(b)

    response = api.batch("read", {"inputs": [a, b.upper()]})

    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body
    assert [r["subscriberIdString"] for r in body["results"]] == [a, b]
    for row in body["results"]:
        single = api.statuses(row["subscriberIdString"]).json()["results"]
        assert row["statuses"] == single


def test_batch_read_with_bad_inputs_is_a_207_listing_them(api: V4) -> None:
    good = email()
    response = api.batch("read", {"inputs": [good, "nope", "also@bad@example.com"]})

    assert response.status_code == 207
    body = response.json()
    assert [r["subscriberIdString"] for r in body["results"]] == [good]
    assert body["numErrors"] == 2
    assert [e["errors"][0]["in"] for e in body["errors"]] == ["inputs[1]", "inputs[2]"]
    assert body["errors"][0]["context"] == {"subscriberIdString": ["nope"]}
    assert {e["category"] for e in body["errors"]} == {"VALIDATION_ERROR"}


@pytest.mark.parametrize("version", ["2026-09", "2025-09"])
def test_the_date_versions_without_207_answer_bad_inputs_with_a_200_listing_them(
    http: httpx.Client, factory: Factory, version: str
) -> None:
    api = V4(http, f"/communication-preferences/{version}", factory.tenant(types=1))
    good = email()
    for operation in ("read", "unsubscribe-all/read"):
        response = api.batch(operation, {"inputs": [good, "nope"]})

        assert response.status_code == 200
        body = response.json()
        assert [r["subscriberIdString"] for r in body["results"]] == [good]
        assert body["numErrors"] == 1
        assert body["errors"][0]["errors"][0]["in"] == "inputs[1]"
        validate(version, "POST", response.request.url.path, 200, body)


def test_batch_wide_read_has_a_row_per_scope_even_when_not_opted_out(
    api: V4, factory: Factory
) -> None:
    brand = factory.business_unit(api.tenant.portal)
    out, partly, fresh = email(), email(), email()
    api.unsubscribe_all(out)
    api.unsubscribe_all(partly, businessUnitId=brand.id)

    body = api.batch("unsubscribe-all/read", {"inputs": [out, partly, fresh]}).json()
    rows = {
        r["subscriberIdString"]: [
            (w["wideStatusType"], w["businessUnitId"], w["status"]) for w in r["wideStatuses"]
        ]
        for r in body["results"]
    }
    assert rows == {
        out: [("PORTAL_WIDE", 0, "UNSUBSCRIBED"), ("BUSINESS_UNIT_WIDE", brand.id, "SUBSCRIBED")],
        partly: [
            ("PORTAL_WIDE", 0, "SUBSCRIBED"),
            ("BUSINESS_UNIT_WIDE", brand.id, "UNSUBSCRIBED"),
        ],
        fresh: [("PORTAL_WIDE", 0, "SUBSCRIBED"), ("BUSINESS_UNIT_WIDE", brand.id, "SUBSCRIBED")],
    }
    scoped = api.batch("unsubscribe-all/read", {"inputs": [partly]}, businessUnitId=brand.id)
    assert [
        (w["wideStatusType"], w["status"]) for w in scoped.json()["results"][0]["wideStatuses"]
    ] == [("PORTAL_WIDE", "SUBSCRIBED"), ("BUSINESS_UNIT_WIDE", "UNSUBSCRIBED")]


def test_batch_unsubscribe_all_opts_everyone_out_and_reports_bad_inputs(
    api: V4, factory: Factory
) -> None:
    a, b = email(), email()
    quiet = api.batch("unsubscribe-all", {"inputs": [a, "broken"]})
    assert quiet.status_code == 200
    assert quiet.json()["results"] == []
    assert quiet.json()["numErrors"] == 1
    assert quiet.json()["errors"][0]["errors"][0]["in"] == "inputs[1]"

    verbose = api.batch("unsubscribe-all", {"inputs": [a, b]}, verbose="true").json()
    reasons = {
        r["subscriberIdString"]: {s["setStatusSuccessReason"] for s in r["statuses"]}
        for r in verbose["results"]
    }
    assert reasons == {a: {"NO_STATUS_CHANGE"}, b: {"UNSUBSCRIBE_FROM_ALL_OCCURRED"}}
    for subscriber in (a, b):
        assert set(api.states(subscriber).values()) == {"UNSUBSCRIBED"}


def test_batch_write_applies_valid_inputs_in_order_and_reports_the_rest(
    api: V4, factory: Factory
) -> None:
    first, second = (d.id for d in api.tenant.definitions)
    a, b = email(), email()
    response = api.batch(
        "write",
        {
            "inputs": [
                write_item(a, first, "SUBSCRIBED"),
                write_item("not-an-address", first, "SUBSCRIBED"),
                write_item(a, first, "UNSUBSCRIBED"),
                write_item(b, 987654321, "SUBSCRIBED"),
                write_item(b, second, "SUBSCRIBED"),
            ]
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert [
        (r["subscriberIdString"], r["subscriptionId"], r["setStatusSuccessReason"])
        for r in body["results"]
    ] == [
        (a, first, "REQUESTED_CHANGE_OCCURRED"),
        (a, first, "REQUESTED_CHANGE_OCCURRED"),
        (b, second, "REQUESTED_CHANGE_OCCURRED"),
    ]
    assert body["numErrors"] == 2
    assert [e["errors"][0]["in"] for e in body["errors"]] == [
        "inputs[1].subscriberIdString",
        "inputs[3].subscriptionId",
    ]
    assert api.states(a)[first] == "UNSUBSCRIBED"
    assert api.states(b)[second] == "SUBSCRIBED"
    assert len(factory.ledger(api.tenant.portal, a)) == 2


def test_a_malformed_batch_body_is_a_400_and_writes_nothing(api: V4, factory: Factory) -> None:
    subscriber = email()
    first = api.tenant.definitions[0].id
    response = api.batch(
        "write",
        {
            "inputs": [
                write_item(subscriber, first, "SUBSCRIBED"),
                write_item(subscriber, first, "SOMETIMES"),
            ]
        },
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["in"] == "inputs[1].statusState"
    assert factory.ledger(api.tenant.portal, subscriber) == []

    for body in ({}, {"inputs": "a@example.com"}, {"inputs": [1, 2]}):
        bad = api.batch("read", body)
        assert bad.status_code == 400, body
        assert bad.json()["errors"][0]["in"].startswith("inputs")


@pytest.mark.parametrize("operation", ["read", "unsubscribe-all/read", "unsubscribe-all", "write"])
def test_more_than_100_inputs_is_a_400_naming_inputs(
    api: V4, factory: Factory, operation: str
) -> None:
    subscribers = [email() for _ in range(101)]
    first = api.tenant.definitions[0].id
    inputs = (
        [write_item(s, first, "SUBSCRIBED") for s in subscribers]
        if operation == "write"
        else subscribers
    )
    response = api.batch(operation, {"inputs": inputs})
    assert response.status_code == 400
    assert response.json()["errors"][0]["in"] == "inputs"
    assert factory.ledger(api.tenant.portal, subscribers[0]) == []
    assert api.batch(operation, {"inputs": inputs[:100]}).status_code == 200


def test_the_batch_limit_is_a_setting(database_url: str, tmp_path: Path, factory: Factory) -> None:
    tenant = factory.tenant(types=1)
    server = Server(database_url, tmp_path / "small.log", COMMPREFS_MAX_BATCH_INPUTS="3").start()
    try:
        with httpx.Client(base_url=server.url) as http:
            api = V4(http, PREFIXES["v4"], tenant)
            assert api.batch("read", {"inputs": [email() for _ in range(3)]}).status_code == 200
            refused = api.batch("read", {"inputs": [email() for _ in range(4)]})
            assert refused.status_code == 400
            assert "at most 3" in refused.json()["message"]
    finally:
        server.stop()


def test_batch_operations_need_the_batch_scopes(api: V4, factory: Factory) -> None:
    plain = factory.token(api.tenant.portal, ["communication_preferences.read_write"])
    headers = {"Authorization": f"Bearer {plain}"}
    for operation, scope in [("read", "batch.read"), ("write", "batch.write")]:
        response = api.http.post(
            f"{api.prefix}/statuses/batch/{operation}",
            params={"channel": "EMAIL"},
            json={"inputs": []},
            headers=headers,
        )
        assert response.status_code == 403
        assert response.json()["errors"][0]["context"]["requiredGranularScopes"] == [
            f"communication_preferences.statuses.{scope}"
        ]
    legacy = factory.token(api.tenant.portal, ["subscription-status-batch-read"])
    allowed = api.http.post(
        f"{api.prefix}/statuses/batch/read",
        params={"channel": "EMAIL"},
        json={"inputs": [email()]},
        headers={"Authorization": f"Bearer {legacy}"},
    )
    assert allowed.status_code == 200
