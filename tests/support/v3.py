"""Small HTTP helpers for the legacy v3 operations, shared by the v3 and cross-version tests."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.factories import Tenant

V3 = "/communication-preferences/v3"


def change(
    http: httpx.Client,
    tenant: Tenant,
    action: str,
    subscriber: str,
    subscription_id: int,
    **extra: Any,
) -> httpx.Response:
    """POST /v3/subscribe or /v3/unsubscribe with a camelCase body, as HubSpot's clients send."""
    body = {"emailAddress": subscriber, "subscriptionId": str(subscription_id), **extra}
    return http.post(f"{V3}/{action}", json=body, headers=tenant.headers)


def statuses(http: httpx.Client, tenant: Tenant, subscriber: str) -> dict[str, dict[str, Any]]:
    """GET /v3/status/email/{email}, keyed by subscription id."""
    response = http.get(f"{V3}/status/email/{subscriber}", headers=tenant.headers)
    assert response.status_code == 200, response.text
    return {s["id"]: s for s in response.json()["subscriptionStatuses"]}
