"""Every operation by every kind of credential → exactly the expected status; 0 mismatches.

The admin API's operations (tests/support/admin_operations.py) likewise, and the instance's by
instance tokens (a portal's token with every scope is refused them).

Credentials: the portal's own token, another portal's token, none, a malformed header, a revoked
token, a token holding every scope except the ones the operation accepts, and a token holding
only one accepted scope family; and the same kinds of OAuth access token (issue 14), with an
expired one, and the token endpoint's client credentials.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from commprefs.domain.errors import InvalidInput
from commprefs.domain.tokens import (
    ADMIN_SCOPE,
    ALL_SCOPES,
    BATCH_READ,
    BATCH_WRITE,
    ERASE_SUBJECTS,
    GENERATE_LINKS,
    GRANTABLE_SCOPES,
    READ_DEFINITIONS,
    READ_STATUS,
    V1_READ_DEFINITIONS,
    V1_READ_STATUS,
    V1_WRITE_STATUS,
    WRITE_STATUS,
    ScopeRule,
)
from commprefs.oauth.models import CreatedApp
from tests.support.admin_operations import ADMIN_OPERATIONS, INSTANCE_OPERATIONS, AdminOperation
from tests.support.admin_operations import call as admin_call
from tests.support.factories import Factory, Tenant, email
from tests.support.oauth import REDIRECT_URI, create_app, token_pair


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
    # What the operation answers when it may run (a double opt-in request is accepted: 202).
    ok: int = 200
    # What the portal's own token (every default scope) gets, when not ``ok``.
    own: int | None = None


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

# Email Subscriptions v1 (issue 14): HubSpot's scope `content`, or our families.
V1 = "/email/public/v1/subscriptions"
V1_OPERATIONS = [
    Operation("v1 types", "GET", V1, V1_READ_DEFINITIONS, lambda t, s: ({}, None)),
    Operation("v1 timeline", "GET", f"{V1}/timeline", V1_READ_STATUS, lambda t, s: ({}, None)),
    Operation("v1 status", "GET", f"{V1}/{{s}}", V1_READ_STATUS, lambda t, s: ({}, None)),
    Operation(
        "v1 update",
        "PUT",
        f"{V1}/{{s}}",
        V1_WRITE_STATUS,
        lambda t, s: (
            {},
            {"subscriptionStatuses": [{"id": t.definitions[0].id, "subscribed": True}]},
        ),
        foreign=400,
    ),
    Operation(
        "v1 unsubscribe from all",
        "PUT",
        f"{V1}/{{s}}",
        V1_WRITE_STATUS,
        lambda t, s: ({}, {"unsubscribeFromAll": True}),
    ),
    Operation(
        "v1 subscribe to all",
        "PUT",
        f"{V1}/{{s}}",
        V1_WRITE_STATUS,
        lambda t, s: ({}, {"subscribed": True}),
    ),
]

# Issue 16: an export reuses the status-read family; asking for a double opt-in, the status-write
# one (without SMTP configured, as here, its mail waits in the outbox).
SUBJECT_OPERATIONS = [
    Operation(
        "request confirmation",
        "POST",
        "/commprefs/v1/subscribers/{s}/confirmations",
        WRITE_STATUS,
        lambda t, s: ({}, {"subscriptionIds": [t.definitions[0].id]}),
        foreign=400,
        ok=202,
    ),
    Operation(
        "subject export",
        "GET",
        "/commprefs/v1/subscribers/{s}/export",
        READ_STATUS,
        lambda t, s: ({}, None),
    ),
    Operation(
        "pending confirmations",
        "GET",
        "/commprefs/v1/subscribers/{s}/confirmations",
        READ_STATUS,
        lambda t, s: ({}, None),
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
    *_operations("/communication-preferences/2026-09"),
    *_operations("/communication-preferences/2025-09"),
    *V3_OPERATIONS,
    *V1_OPERATIONS,
    *SUBJECT_OPERATIONS,
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


def _test_id(op: Operation) -> str:
    """Method and path; and the name where several operations share them (v1's PUT bodies)."""
    shared = sum((o.method, o.path) == (op.method, op.path) for o in OPERATIONS) > 1
    return f"{op.method} {op.path}" + (f" ({op.name})" if shared else "")


@pytest.mark.parametrize("op", OPERATIONS, ids=[_test_id(o) for o in OPERATIONS])
def test_authorization_matrix(
    http: httpx.Client, factory: Factory, tenants: tuple[Tenant, Tenant], op: Operation
) -> None:
    mine, other = tenants
    revoked = factory.token(mine.portal)
    factory.revoke(revoked)
    granting = set().union(*op.rule.alternatives)
    without = factory.token(mine.portal, [s for s in GRANTABLE_SCOPES if s not in granting])
    cases: list[tuple[str, dict[str, str], int]] = [
        ("own token", mine.headers, op.ok if op.own is None else op.own),
        ("other portal's token", other.headers, op.foreign),
        ("no token", {}, 401),
        ("malformed header", {"Authorization": "Token abc"}, 401),
        ("revoked token", _bearer(revoked), 401),
        ("every scope but the right ones", _bearer(without), 403),
    ]
    for alternative in op.rule.alternatives:
        only = factory.token(mine.portal, sorted(alternative))
        cases.append((f"only {sorted(alternative)}", _bearer(only), op.ok))

    mismatches = [
        (case, expected, got)
        for case, headers, expected in cases
        if (got := _call(http, op, mine, headers)) != expected
    ]
    assert mismatches == []


# -- OAuth access tokens (issue 14): the same rules as our tokens, on every operation -------------


@dataclass
class OAuthTokens:
    """Access tokens of OAuth grants, made once per scope set."""

    factory: Factory
    mine: Tenant
    other: Tenant
    made: dict[tuple[int, frozenset[str]], str] = field(default_factory=dict)

    def of(self, tenant: Tenant, scopes: frozenset[str] = frozenset(ALL_SCOPES)) -> str:
        key = (tenant.portal.id, scopes)
        if key not in self.made:
            self.made[key] = token_pair(self.factory, tenant.portal, sorted(scopes)).access_token
        return self.made[key]


@pytest.fixture(scope="module")
def oauth_tokens(factory: Factory, tenants: tuple[Tenant, Tenant]) -> OAuthTokens:
    return OAuthTokens(factory, *tenants)


@pytest.fixture(scope="module")
def expired_and_revoked(factory: Factory, tenants: tuple[Tenant, Tenant]) -> tuple[str, str]:
    mine = tenants[0].portal
    expired = token_pair(factory, mine, issued_ago_seconds=31 * 60).access_token
    revoked = token_pair(factory, mine).access_token
    grant = factory.run(factory.services.oauth.authenticate(revoked))
    factory.run(factory.services.tokens.revoke(grant.id))
    return expired, revoked


@pytest.mark.parametrize("op", OPERATIONS, ids=[f"{o.method} {o.path}" for o in OPERATIONS])
def test_oauth_access_tokens_follow_the_same_matrix(
    http: httpx.Client,
    oauth_tokens: OAuthTokens,
    expired_and_revoked: tuple[str, str],
    op: Operation,
) -> None:
    mine, other = oauth_tokens.mine, oauth_tokens.other
    expired, revoked = expired_and_revoked
    granting = set().union(*op.rule.alternatives)
    without = frozenset(s for s in ALL_SCOPES if s not in granting)
    cases: list[tuple[str, str, int]] = [
        ("own OAuth token", oauth_tokens.of(mine), op.ok if op.own is None else op.own),
        ("other portal's OAuth token", oauth_tokens.of(other), op.foreign),
        ("expired OAuth token", expired, 401),
        ("OAuth token of a revoked grant", revoked, 401),
        ("OAuth token with every scope but the right ones", oauth_tokens.of(mine, without), 403),
    ]
    for alternative in op.rule.alternatives:
        if not alternative <= set(ALL_SCOPES):
            # Erasure's scope is never an OAuth app's: no app may be granted it.
            with pytest.raises(InvalidInput, match="Unknown scopes"):
                oauth_tokens.of(mine, frozenset(alternative))
            continue
        only = oauth_tokens.of(mine, frozenset(alternative))
        cases.append((f"OAuth token with only {sorted(alternative)}", only, op.ok))

    mismatches = [
        (case, expected, got)
        for case, token, expected in cases
        if (got := _call(http, op, mine, _bearer(token))) != expected
    ]
    assert mismatches == []
    refused = http.request(op.method, op.path.format(s=email()), headers=_bearer(expired))
    assert refused.json()["category"] == "EXPIRED_AUTHENTICATION"


def test_the_token_endpoint_takes_only_the_apps_own_credentials(
    http: httpx.Client, factory: Factory, tenants: tuple[Tenant, Tenant]
) -> None:
    mine, other = (create_app(factory, t.portal) for t in tenants)

    def token(app: CreatedApp, secret: str | None, code: str | None) -> tuple[int, str]:
        fields = {"grant_type": "authorization_code", "client_id": app.app.client_id,
                  "redirect_uri": REDIRECT_URI, "client_secret": secret, "code": code}  # fmt: skip
        answer = http.post("/oauth/v1/token", data={k: v for k, v in fields.items() if v})
        return answer.status_code, answer.json().get("status", "")

    def code() -> str:
        return factory.run(factory.services.oauth.authorize(mine.app.id)).code

    assert token(mine, None, code()) == (400, "BAD_CLIENT_ID")
    assert token(mine, "cpocs-wrong", code()) == (400, "BAD_CLIENT_ID")
    assert token(mine, other.client_secret, code()) == (400, "BAD_CLIENT_ID")
    assert token(other, other.client_secret, code()) == (400, "BAD_AUTH_CODE")
    assert token(mine, mine.client_secret, code()) == (200, "")


# -- the admin API (issue 17) ------------------------------------------------------------------


@pytest.mark.parametrize(
    "op", ADMIN_OPERATIONS, ids=[f"{o.method} {o.path}" for o in ADMIN_OPERATIONS]
)
def test_admin_authorization_matrix(
    http: httpx.Client, factory: Factory, tenants: tuple[Tenant, Tenant], op: AdminOperation
) -> None:
    mine, other = tenants
    revoked = factory.token(mine.portal)
    factory.revoke(revoked)
    without = factory.token(mine.portal, [s for s in ALL_SCOPES if s != ADMIN_SCOPE])
    instance, _ = factory.run(factory.services.tokens.create_instance())
    cases: list[tuple[str, dict[str, str], int]] = [
        ("own token", mine.headers, op.ok),
        ("other portal's token", other.headers, op.foreign),
        ("no token", {}, 401),
        ("malformed header", {"Authorization": "Token abc"}, 401),
        ("revoked token", _bearer(revoked), 401),
        ("every scope but commprefs.admin", _bearer(without), 403),
        ("only commprefs.admin", _bearer(factory.token(mine.portal, [ADMIN_SCOPE])), op.ok),
    ]
    mismatches = [
        (case, expected, got)
        for case, headers, expected in cases
        if (got := admin_call(http, factory, op, mine, headers)) != expected
    ]
    assert mismatches == []
    assert instance.portal_id is None


@pytest.mark.parametrize(
    "op", INSTANCE_OPERATIONS, ids=[f"{o.method} {o.path}" for o in INSTANCE_OPERATIONS]
)
def test_instance_authorization_matrix(
    http: httpx.Client, factory: Factory, tenants: tuple[Tenant, Tenant], op: AdminOperation
) -> None:
    mine, _ = tenants
    _, instance = factory.run(factory.services.tokens.create_instance("matrix"))
    record, revoked = factory.run(factory.services.tokens.create_instance("revoked"))
    factory.run(factory.services.tokens.revoke(record.id))
    cases: list[tuple[str, dict[str, str], int]] = [
        ("instance token", _bearer(instance), op.ok),
        ("a portal's token with every scope", mine.headers, 403),
        ("no token", {}, 401),
        ("malformed header", {"Authorization": "Token abc"}, 401),
        ("revoked instance token", _bearer(revoked), 401),
    ]
    mismatches = [
        (case, expected, got)
        for case, headers, expected in cases
        if (got := admin_call(http, factory, op, mine, headers)) != expected
    ]
    assert mismatches == []
