"""v1's timeline, read from the consent ledger: changes made through v1, v3, v4, the preference
pages and an import each listed once, newest first; paging with ``offset`` loses and repeats
nothing, even while changes keep arriving; the time window bounds what is listed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.factories import Factory, Tenant, email
from tests.support.imports import import_file, write_csv
from tests.support.pages import ONE_CLICK, generate
from tests.support.server import Server
from tests.support.v1 import every_item, put, set_types, timeline
from tests.support.v3 import change

V4 = "/communication-preferences/v4"
Change = tuple[str, int | None, str, str]  # changeType, subscriptionId, change, source


def _changes(item: dict[str, Any]) -> tuple[str, list[Change]]:
    return item["recipient"], [
        (c["changeType"], c.get("subscriptionId"), c["change"], c["source"])
        for c in item["changes"]
    ]


@pytest.fixture
def mixed(
    server: Server, http: httpx.Client, factory: Factory, tmp_path: Path
) -> tuple[Tenant, list[tuple[str, list[Change]]]]:
    """A portal whose ledger holds changes of every kind, and what the timeline should list for
    them, oldest first."""
    tenant = factory.tenant(types=2)
    news, offers = (d.id for d in tenant.definitions)
    by_v1, by_v3, by_v4, by_page, by_import = (email(k) for k in ("v1", "v3", "v4", "pg", "imp"))
    customer = "SOURCE_HUBSPOT_CUSTOMER"
    expected: list[tuple[str, list[Change]]] = []

    assert set_types(http, tenant, by_v1, **{f"t{news}": True, f"t{offers}": False}).is_success
    expected.append(
        (
            by_v1,
            [
                ("SUBSCRIPTION_STATUS", news, "SUBSCRIBED", customer),
                ("SUBSCRIPTION_STATUS", offers, "UNSUBSCRIBED", customer),
            ],
        )
    )
    assert change(http, tenant, "subscribe", by_v3, news).is_success
    expected.append((by_v3, [("SUBSCRIPTION_STATUS", news, "SUBSCRIBED", customer)]))
    assert http.post(
        f"{V4}/statuses/{by_v4}/unsubscribe-all",
        params={"channel": "EMAIL"},
        headers=tenant.headers,
    ).is_success
    expected.append(
        (
            by_v4,
            [
                ("PORTAL_STATUS", None, "UNSUBSCRIBED", customer),
                ("SUBSCRIPTION_STATUS", news, "UNSUBSCRIBED", customer),
                ("SUBSCRIPTION_STATUS", offers, "UNSUBSCRIBED", customer),
            ],
        )
    )
    links = generate(http, tenant, by_page, subscriptionId=offers)
    assert httpx.post(links["unsubscribeSingleUrl"], data=ONE_CLICK).is_success
    expected.append(
        (by_page, [("SUBSCRIPTION_STATUS", offers, "UNSUBSCRIBED", "SOURCE_RECIPIENT")])
    )
    rows = write_csv(
        tmp_path / "in.csv",
        ["email", "subscriptionId", "status"],
        [[by_import, news, "SUBSCRIBED"]],
    )
    assert import_file(server, tenant, rows)[0] == 0
    expected.append((by_import, [("SUBSCRIPTION_STATUS", news, "SUBSCRIBED", "SOURCE_IMPORT")]))
    assert put(http, tenant, by_v1, {"unsubscribeFromAll": True}).is_success
    expected.append(
        (
            by_v1,
            [
                ("PORTAL_STATUS", None, "UNSUBSCRIBED", customer),
                ("SUBSCRIPTION_STATUS", news, "UNSUBSCRIBED", customer),
            ],
        )
    )
    return tenant, expected


def test_each_change_is_listed_once_newest_first_whoever_made_it(
    http: httpx.Client, mixed: tuple[Tenant, list[tuple[str, list[Change]]]]
) -> None:
    tenant, expected = mixed
    page = timeline(http, tenant, limit=1000)

    assert page["hasMore"] is False
    assert [_changes(item) for item in reversed(page["timeline"])] == expected
    stamps = [item["timestamp"] for item in page["timeline"]]
    assert stamps == sorted(stamps, reverse=True)
    for item in page["timeline"]:
        assert item["portalId"] == tenant.portal.id
        assert {c["portalId"] for c in item["changes"]} == {tenant.portal.id}
        assert all(isinstance(c["timestamp"], int) for c in item["changes"])
    # One address, one normalizedEmailId.
    ids = {(i["recipient"], i["normalizedEmailId"]) for i in page["timeline"]}
    assert len(ids) == len({i["recipient"] for i in page["timeline"]})


@pytest.mark.parametrize("limit", [1, 2, 4])
def test_paging_with_offset_loses_and_repeats_nothing(
    http: httpx.Client,
    mixed: tuple[Tenant, list[tuple[str, list[Change]]]],
    limit: int,
) -> None:
    tenant, expected = mixed
    whole = timeline(http, tenant, limit=1000)["timeline"]

    assert len(whole) == len(expected)
    assert every_item(http, tenant, limit) == whole
    first = timeline(http, tenant, limit=limit)
    assert len(first["timeline"]) == limit
    assert first["hasMore"] is True


def test_changes_made_while_paging_neither_shift_nor_repeat_the_pages(
    http: httpx.Client, mixed: tuple[Tenant, list[tuple[str, list[Change]]]]
) -> None:
    tenant, _ = mixed
    whole = timeline(http, tenant, limit=1000)["timeline"]
    first = timeline(http, tenant, limit=2)

    newcomer = email("new")
    assert set_types(http, tenant, newcomer, **{f"t{tenant.definitions[0].id}": True}).is_success
    rest = every_item(http, tenant, 2, offset=first["offset"])

    assert first["timeline"] + rest == whole
    fresh = timeline(http, tenant, limit=1000)["timeline"]
    assert fresh[0]["recipient"] == newcomer
    assert fresh[1:] == whole


def test_the_time_window_bounds_what_is_listed(
    http: httpx.Client, mixed: tuple[Tenant, list[tuple[str, list[Change]]]]
) -> None:
    tenant, _ = mixed
    whole = timeline(http, tenant, limit=1000)["timeline"]
    start, end = whole[-2]["timestamp"], whole[1]["timestamp"]

    window = every_item(http, tenant, 1, startTimestamp=start, endTimestamp=end)

    assert window == [i for i in whole if start <= i["timestamp"] <= end]
    assert timeline(http, tenant, startTimestamp=whole[0]["timestamp"] + 1)["timeline"] == []


def test_a_portal_sees_only_its_own_timeline(
    http: httpx.Client, factory: Factory, mixed: tuple[Tenant, list[tuple[str, list[Change]]]]
) -> None:
    other = factory.tenant(types=1)
    page = timeline(http, other)
    assert page == {"timeline": [], "hasMore": False, "offset": page["offset"]}
    # Another portal's offset is only a position: it shows nothing of the first portal.
    tenant, _ = mixed
    theirs = timeline(http, tenant, limit=1)["offset"]
    assert timeline(http, other, offset=theirs)["timeline"] == []
