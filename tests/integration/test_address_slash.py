"""One rule for "/" in an address at every entry point: refused, naming the field.

A path segment cannot hold "/" (``%2F`` is decoded to one, and the route no longer matches), so
an address with one could be written through a body but never read or changed on a path route.
The subscriber key refuses it, wherever an address comes in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from commprefs.transfer.schemas import COLUMNS
from tests.integration.test_import_export import import_file, read_csv, write_csv
from tests.support.factories import Factory, Tenant, email
from tests.support.server import Server

SLASHED = ["a/b@example.com", "/ab@example.com", "ab/@example.com", "a//b@example.com"]
PREFIXES = ["/communication-preferences/v4", "/communication-preferences/2026-03"]


@pytest.fixture
def tenant(factory: Factory) -> Tenant:
    return factory.tenant(types=1)


def write(tenant: Tenant, address: str) -> dict[str, Any]:
    return {
        "subscriberIdString": address,
        "subscriptionId": tenant.definitions[0].id,
        "statusState": "UNSUBSCRIBED",
        "channel": "EMAIL",
    }


def error_fields(body: dict[str, Any]) -> list[str]:
    """The fields named by a 400's errors, or by a batch's per-input errors."""
    if body.get("status") == "error":
        return [e["in"] for e in body["errors"]]
    return [e["in"] for item in body.get("errors", []) for e in item["errors"]]


@pytest.mark.parametrize("address", SLASHED)
@pytest.mark.parametrize("prefix", PREFIXES)
def test_v4_bodies_refuse_an_address_with_a_slash(
    http: httpx.Client, tenant: Tenant, factory: Factory, prefix: str, address: str
) -> None:
    good = email()
    channel = {"channel": "EMAIL"}
    calls = {
        "batch write": (
            "/statuses/batch/write",
            {},
            {"inputs": [write(tenant, address), write(tenant, good)]},
        ),
        "batch read": ("/statuses/batch/read", channel, {"inputs": [address, good]}),
        "batch wide read": (
            "/statuses/batch/unsubscribe-all/read",
            channel,
            {"inputs": [address, good]},
        ),
        "batch unsubscribe-all": (
            "/statuses/batch/unsubscribe-all",
            channel,
            {"inputs": [address, good]},
        ),
        "generate links": ("/links/generate", channel, {"subscriberIdString": address}),
    }
    expected = {
        "batch write": ["inputs[0].subscriberIdString"],
        "batch read": ["inputs[0]"],
        "batch wide read": ["inputs[0]"],
        "batch unsubscribe-all": ["inputs[0]"],
        "generate links": ["subscriberIdString"],
    }

    found = {}
    for name, (path, params, body) in calls.items():
        response = http.post(prefix + path, params=params, json=body, headers=tenant.headers)
        assert response.status_code < 500, response.text
        found[name] = error_fields(response.json())

    assert found == expected
    assert factory.ledger(tenant.portal, address) == []
    assert len(factory.ledger(tenant.portal, good)) == 2  # the batch write and unsubscribe-all


@pytest.mark.parametrize("address", SLASHED)
@pytest.mark.parametrize("path", ["/subscribe", "/unsubscribe"])
def test_v3_bodies_refuse_an_address_with_a_slash(
    http: httpx.Client, tenant: Tenant, factory: Factory, path: str, address: str
) -> None:
    body = {"emailAddress": address, "subscriptionId": str(tenant.definitions[0].id)}

    response = http.post(f"/communication-preferences/v3{path}", json=body, headers=tenant.headers)

    assert response.status_code == 400, response.text
    assert error_fields(response.json()) == ["emailAddress"]
    assert factory.ledger(tenant.portal, address) == []


@pytest.mark.parametrize("slash", ["%2F", "%2f"])
def test_an_encoded_slash_in_a_path_matches_no_route(
    http: httpx.Client, tenant: Tenant, slash: str
) -> None:
    address = f"a{slash}b@example.com"
    paths = [
        *(f"{p}/statuses/{address}" for p in PREFIXES),
        *(f"{p}/statuses/{address}/unsubscribe-all" for p in PREFIXES),
        f"/communication-preferences/v3/status/email/{address}",
        f"/commprefs/v1/subscribers/{address}/history",
        f"/commprefs/v1/subscribers/{address}/state",
    ]
    statuses = {
        path: http.get(path, params={"channel": "EMAIL"}, headers=tenant.headers).status_code
        for path in paths
    }
    assert statuses == dict.fromkeys(paths, 404)


def test_an_import_row_with_a_slash_is_rejected_and_the_rest_applied(
    server: Server, tenant: Tenant, factory: Factory, tmp_path: Path
) -> None:
    good = email()
    row = [tenant.definitions[0].id, "", "", "", "UNSUBSCRIBED", "", "", "", ""]
    rows = [[address, *row] for address in (good, *SLASHED)]
    path = write_csv(tmp_path / "slashed.csv", list(COLUMNS), rows)

    code, summary = import_file(server, tenant, path)

    assert code == 2
    assert (summary["imported"], summary["rejected"]) == (1, len(SLASHED))
    rejects = read_csv(Path(summary["rejectsFile"]))
    assert [(r["email"], r["_field"]) for r in rejects] == [(a, "email") for a in SLASHED]
    assert all("'/'" in r["_error"] for r in rejects)
    assert len(factory.ledger(tenant.portal, good)) == 1
    for address in SLASHED:
        assert factory.ledger(tenant.portal, address) == []
