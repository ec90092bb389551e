"""A token of one portal can neither read nor change anything of another, through any operation."""

from __future__ import annotations

import httpx

from tests.support.factories import Factory, email
from tests.support.v4 import V4

V4_PREFIX = "/communication-preferences/v4"


def test_no_operation_crosses_portals(http: httpx.Client, factory: Factory) -> None:
    theirs = V4(http, V4_PREFIX, factory.tenant(types=2))
    mine = V4(http, V4_PREFIX, factory.tenant(types=1))
    their_brand = factory.business_unit(theirs.tenant.portal)
    their_type = theirs.tenant.definitions[0].id
    shared = email()  # the same person is a subscriber of both portals
    theirs.update(shared, their_type, "SUBSCRIBED")
    theirs.unsubscribe_all(shared, businessUnitId=their_brand.id)
    before = theirs.statuses(shared).json()["results"]
    their_ids = {d.id for d in theirs.tenant.definitions}
    my_ids = {d.id for d in mine.tenant.definitions}

    # E1: only my definitions.
    assert {int(d["id"]) for d in mine.definitions().json()["results"]} == my_ids
    # E2 and E7: my types only, untouched by their choices.
    assert mine.states(shared) == dict.fromkeys(my_ids, "NOT_SPECIFIED")
    batch = mine.batch("read", {"inputs": [shared]}).json()["results"][0]["statuses"]
    assert {s["subscriptionId"] for s in batch} == my_ids
    # E4 and E8: their opt-out is invisible to me.
    assert mine.wide(shared).json()["results"] == []
    rows = mine.batch("unsubscribe-all/read", {"inputs": [shared]}).json()["results"]
    assert {w["status"] for w in rows[0]["wideStatuses"]} == {"SUBSCRIBED"}
    # E3 and E10: their type ids do not exist for me.
    refused = mine.update(shared, their_type, "UNSUBSCRIBED")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["in"] == "subscriptionId"
    written = mine.batch(
        "write",
        {
            "inputs": [
                {
                    "subscriberIdString": shared,
                    "channel": "EMAIL",
                    "statusState": "UNSUBSCRIBED",
                    "subscriptionId": their_type,
                }
            ]
        },
    ).json()
    assert written["results"] == []
    assert written["numErrors"] == 1
    # E5 and E9: their brands do not exist for me; my opt-outs stay mine.
    wrong_brand = mine.unsubscribe_all(shared, businessUnitId=their_brand.id)
    assert wrong_brand.status_code == 400
    assert mine.unsubscribe_all(shared).status_code == 200
    assert mine.batch("unsubscribe-all", {"inputs": [shared]}).status_code == 200
    # Reading my business unit filter with their brand id is refused too.
    assert mine.statuses(shared, businessUnitId=their_brand.id).status_code == 400
    assert mine.definitions(businessUnitId=their_brand.id).status_code == 400

    # E6: no links for their subscription types or brands.
    for query, body in [
        ({"channel": "EMAIL"}, {"subscriberIdString": shared, "subscriptionId": their_type}),
        ({"channel": "EMAIL", "businessUnitId": their_brand.id}, {"subscriberIdString": shared}),
    ]:
        links = http.post(
            f"{V4_PREFIX}/links/generate", params=query, json=body, headers=mine.headers
        )
        assert links.status_code == 400, links.text

    # They see exactly what they had.
    assert theirs.statuses(shared).json()["results"] == before
    assert [w["wideStatusType"] for w in theirs.wide(shared).json()["results"]] == [
        "BUSINESS_UNIT_WIDE"
    ]
    assert their_ids.isdisjoint(my_ids)
