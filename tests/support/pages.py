"""Helpers for tests of the preference pages: generate links over HTTP, read page forms."""

from __future__ import annotations

import html
import re
from typing import Any

import httpx

from tests.support.factories import Tenant

V4 = "/communication-preferences/v4"
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def generate(
    http: httpx.Client,
    tenant: Tenant,
    subscriber: str,
    business_unit_id: int | None = None,
    prefix: str = V4,
    **body: Any,
) -> dict[str, str]:
    params: dict[str, Any] = {"channel": "EMAIL"}
    if business_unit_id is not None:
        params["businessUnitId"] = business_unit_id
    response = http.post(
        f"{prefix}/links/generate",
        params=params,
        json={"subscriberIdString": subscriber, **body},
        headers=tenant.headers,
    )
    assert response.status_code == 200, response.text
    links: dict[str, str] = response.json()
    return links


def form_value(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found, f"no {name} field in the page"
    return html.unescape(found.group(1))


def checkbox_states(page: str) -> dict[int, bool]:
    """Subscription id → ticked, as the manage page shows them."""
    boxes = re.findall(r'<input type="checkbox" id="type-(\d+)"([^>]*)>', page)
    return {int(found_id): " checked" in rest for found_id, rest in boxes}
