"""Every operation by every kind of credential → exactly the expected status; 0 mismatches.

Credentials: the portal's own token, another portal's token, none, a malformed header, a revoked
token, a token holding every scope except the ones the operation accepts, and a token holding
only one accepted scope family.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from commprefs.domain.tokens import (
    BATCH_READ,
    BATCH_WRITE,
    ERASE_SUBJECTS,
    GENERATE_LINKS,
    GRANTABLE_SCOPES,
    READ_DEFINITIONS,
    READ_STATUS,
    WRITE_STATUS,
    ScopeRule,
)
from tests.support.factories import Factory, Tenant, email


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    path: str
    rule: ScopeRule
    # Builds query and body from the tenant the request is about.
    request: Callable[[Tenant, str], tuple[dict[str, Any], Any]]
    # What another portal's token gets: its own (empty) view, or a 400 for ids it cannot know.
    foreign: int = 200
    # What the portal's own token (every default scope) gets.
    own: int = 200


def _write_body(tenant: Tenant, subscriber: str) -> dict[str, Any]:
    return {
        "channel": "EMAIL",
        "statusState": "SUBSCRIBED",
        "subscriptionId": tenant.definitions[0].id,
    }


def _operations(prefix: str) -> list[Operation]:
    p = prefix
    return [
        Operation(
            "definitions", "GET", f"{p}/definitions", READ_DEFINITIONS, lambda t, s: ({}, None)
        ),
        Operation(
            "get statuses",
            "GET",
            f"{p}/statuses/{{s}}",
            READ_STATUS,
            lambda t, s: ({"channel": "EMAIL"}, None),
        ),
        Operation(
            "update status",
            "POST",
            f"{p}/statuses/{{s}}",
            WRITE_STATUS,
            lambda t, s: ({}, _write_body(t, s)),
            foreign=400,
        ),
        Operation(
            "get unsubscribe-all",
            "GET",
            f"{p}/statuses/{{s}}/unsubscribe-all",
            READ_STATUS,
            lambda t, s: ({"channel": "EMAIL"}, None),
        ),
        Operation(
            "unsubscribe-all",
            "POST",
            f"{p}/statuses/{{s}}/unsubscribe-all",
            WRITE_STATUS,
            lambda t, s: ({"channel": "EMAIL"}, None),
        ),
        Operation(
            "batch read",
            "POST",
            f"{p}/statuses/batch/read",
            BATCH_READ,
            lambda t, s: ({"channel": "EMAIL"}, {"inputs": [s]}),
        ),
        Operation(
            "batch wide read",
            "POST",
            f"{p}/statuses/batch/unsubscribe-all/read",
            BATCH_READ,
            lambda t, s: ({"channel": "EMAIL"}, {"inputs": [s]}),
        ),
        Operation(
            "batch unsubscribe-all",
            "POST",
            f"{p}/statuses/batch/unsubscribe-all",
            BATCH_WRITE,
            lambda t, s: ({"channel": "EMAIL"}, {"inputs": [s]}),
        ),
        Operation(
            "batch write",
            "POST",
            f"{p}/statuses/batch/write",
            BATCH_WRITE,
            lambda t, s: ({}, {"inputs": [{**_write_body(t, s), "subscriberIdString": s}]}),
        ),
        Operation(
            "generate links",
            "POST",
            f"{p}/links/generate",
            GENERATE_LINKS,
            lambda t, s: (
                {"channel": "EMAIL"},
                {"subscriberIdString": s, "subscriptionId": t.definitions[0].id},
            ),
            foreign=400,
        ),
    ]


def _v3_body(tenant: Tenant, subscriber: str) -> dict[str, Any]:
    return {"emailAddress": subscriber, "subscriptionId": str(tenant.definitions[0].id)}


V3 = "/communication-preferences/v3"
V3_OPERATIONS = [
    Operation(
        "v3 definitions", "GET", f"{V3}/definitions", READ_DEFINITIONS, lambda t, s: ({}, None)
    ),
    Operation("v3 status", "GET", f"{V3}/status/email/{{s}}", READ_STATUS, lambda t, s: ({}, None)),
    Operation(
        "v3 subscribe",
        "POST",
        f"{V3}/subscribe",
        WRITE_STATUS,
        lambda t, s: ({}, _v3_body(t, s)),
        foreign=400,
    ),
    Operation(
        "v3 unsubscribe",
        "POST",
        f"{V3}/unsubscribe",
        WRITE_STATUS,
        lambda t, s: ({}, _v3_body(t, s)),
        foreign=400,
    ),
]

# Erasure (issue 16): its scope is in no default token, so the portal's own token is refused.
ERASURE = Operation(
    "erase",
    "DELETE",
    "/commprefs/v1/subscribers/{s}",
    ERASE_SUBJECTS,
    lambda t, s: ({}, None),
    foreign=403,
    own=403,
)

OPERATIONS = [
    *_operations("/communication-preferences/v4"),
    *_operations("/communication-preferences/2026-03"),
    *V3_OPERATIONS,
    ERASURE,
]


@pytest.fixture(scope="module")
def tenants(factory: Factory) -> tuple[Tenant, Tenant]:
    return factory.tenant(types=1), factory.tenant(types=1)


def _call(http: httpx.Client, op: Operation, about: Tenant, headers: dict[str, str]) -> int:
    subscriber = email()
    params, body = op.request(about, subscriber)
    response = http.request(
        op.method, op.path.format(s=subscriber), params=params, json=body, headers=headers
    )
    assert response.headers["content-type"].startswith("application/json")
    return response.status_code


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize("op", OPERATIONS, ids=[f"{o.method} {o.path}" for o in OPERATIONS])
def test_authorization_matrix(
    http: httpx.Client, factory: Factory, tenants: tuple[Tenant, Tenant], op: Operation
) -> None:
    mine, other = tenants
    revoked = factory.token(mine.portal)
    factory.revoke(revoked)
    granting = set().union(*op.rule.alternatives)
    without = factory.token(mine.portal, [s for s in GRANTABLE_SCOPES if s not in granting])
    cases: list[tuple[str, dict[str, str], int]] = [
        ("own token", mine.headers, op.own),
        ("other portal's token", other.headers, op.foreign),
        ("no token", {}, 401),
        ("malformed header", {"Authorization": "Token abc"}, 401),
        ("revoked token", _bearer(revoked), 401),
        ("every scope but the right ones", _bearer(without), 403),
    ]
    for alternative in op.rule.alternatives:
        only = factory.token(mine.portal, sorted(alternative))
        cases.append((f"only {sorted(alternative)}", _bearer(only), 200))

    mismatches = [
        (case, expected, got)
        for case, headers, expected in cases
        if (got := _call(http, op, mine, headers)) != expected
    ]
    assert mismatches == []
