"""Small HTTP helpers for Email Subscriptions v1, shared by the v1, timeline and cross-version
tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.factories import Tenant

V1 = "/email/public/v1/subscriptions"


def put(http: httpx.Client, tenant: Tenant, subscriber: str, body: Any) -> httpx.Response:
    """PUT /email/public/v1/subscriptions/{email} with a JSON body."""
    return http.put(f"{V1}/{subscriber}", json=body, headers=tenant.headers)


def set_types(
    http: httpx.Client, tenant: Tenant, subscriber: str, **states: bool
) -> httpx.Response:
    """PUT subscriptionStatuses: ``t<id>=True`` subscribes type <id>, ``False`` unsubscribes."""
    items = [{"id": int(name[1:]), "subscribed": value} for name, value in states.items()]
    return put(http, tenant, subscriber, {"subscriptionStatuses": items})


def status(http: httpx.Client, tenant: Tenant, subscriber: str) -> dict[str, Any]:
    """GET /email/public/v1/subscriptions/{email}."""
    response = http.get(f"{V1}/{subscriber}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def chosen(http: httpx.Client, tenant: Tenant, subscriber: str) -> dict[int, bool]:
    """The v1 read's subscriptionStatuses as {type id: subscribed}."""
    return {
        s["id"]: s["subscribed"] for s in status(http, tenant, subscriber)["subscriptionStatuses"]
    }


def timeline(http: httpx.Client, tenant: Tenant, **params: Any) -> dict[str, Any]:
    """GET /email/public/v1/subscriptions/timeline."""
    response = http.get(f"{V1}/timeline", params=params, headers=tenant.headers)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def every_item(http: httpx.Client, tenant: Tenant, limit: int, **params: Any) -> list[Any]:
    """The whole timeline, paged with ``offset`` ``limit`` items at a time."""
    items: list[Any] = []
    page = timeline(http, tenant, limit=limit, **params)
    items += page["timeline"]
    while page["hasMore"]:
        params["offset"] = page["offset"]
        page = timeline(http, tenant, limit=limit, **params)
        items += page["timeline"]
    return items
