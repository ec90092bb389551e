"""The admin API's operations for the authorization matrix (test_authorization_matrix.py): each
with what it is sent about a tenant, what it answers the tenant's own token and another portal's,
and, for operations on one thing, how to make a fresh one (``fresh``: its id in the path)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from commprefs.domain.tokens import ADMIN, INSTANCE, ScopeRule
from tests.support.factories import Factory, Tenant

A = "/commprefs/v1"
_names = itertools.count(1)


@dataclass(frozen=True)
class AdminOperation:
    name: str
    method: str
    path: str  # "{id}" is replaced by what ``fresh`` made, "{language}" by "fr" (concrete())
    rule: ScopeRule
    body: Callable[[Tenant], Any] = lambda t: None
    ok: int = 200
    foreign: int = 200
    fresh: Callable[[Factory, Tenant, httpx.Client], str] | None = None
    upload: bool = False  # a multipart file rather than JSON
    media: str = "application/json"


def _token(factory: Factory, tenant: Tenant, http: httpx.Client) -> str:
    factory.token(tenant.portal)
    return str(max(factory.token_ids.values()))


def _webhook(factory: Factory, tenant: Tenant, http: httpx.Client) -> str:
    made = factory.run(factory.services.webhooks.add(tenant.portal.id, "http://127.0.0.1:9/h"))
    return str(made.id)


def _job(factory: Factory, tenant: Tenant, http: httpx.Client) -> str:
    started = http.post(
        f"{A}/imports",
        files={"file": ("x.csv", "email,subscriptionId,status\n")},
        headers=tenant.headers,
    )
    assert started.status_code == 202, started.text
    return str(started.json()["id"])


def _unique(prefix: str) -> str:
    return f"{prefix} {next(_names)}"


ADMIN_OPERATIONS = [
    AdminOperation("list units", "GET", f"{A}/business-units", ADMIN),
    AdminOperation(
        "create unit",
        "POST",
        f"{A}/business-units",
        ADMIN,
        lambda t: {"name": _unique("brand")},
        ok=201,
        foreign=201,
    ),
    AdminOperation(
        "update unit",
        "PATCH",
        f"{A}/business-units/{{id}}",
        ADMIN,
        lambda t: {"branding": {"colour": "#123456"}},
        fresh=lambda f, t, h: "0",
    ),
    AdminOperation("list types", "GET", f"{A}/definitions", ADMIN),
    AdminOperation(
        "create type",
        "POST",
        f"{A}/definitions",
        ADMIN,
        lambda t: {"name": _unique("type")},
        ok=201,
        foreign=201,
    ),
    AdminOperation(
        "update type",
        "PATCH",
        f"{A}/definitions/{{id}}",
        ADMIN,
        lambda t: {"description": "changed"},
        foreign=400,
        fresh=lambda f, t, h: str(t.definitions[0].id),
    ),
    AdminOperation(
        "translate type",
        "PUT",
        f"{A}/definitions/{{id}}/translations/{{language}}",
        ADMIN,
        lambda t: {"name": "Nom"},
        foreign=400,
        fresh=lambda f, t, h: str(t.definitions[0].id),
    ),
    AdminOperation("list tokens", "GET", f"{A}/tokens", ADMIN),
    AdminOperation(
        "create token",
        "POST",
        f"{A}/tokens",
        ADMIN,
        lambda t: {"scopes": ["communication_preferences.read"]},
        ok=201,
        foreign=201,
    ),
    AdminOperation(
        "revoke token", "DELETE", f"{A}/tokens/{{id}}", ADMIN, foreign=404, fresh=_token
    ),
    AdminOperation("list webhooks", "GET", f"{A}/webhooks", ADMIN),
    AdminOperation(
        "add webhook",
        "POST",
        f"{A}/webhooks",
        ADMIN,
        lambda t: {"url": "http://127.0.0.1:9/hook"},
        ok=201,
        foreign=201,
    ),
    AdminOperation(
        "remove webhook",
        "DELETE",
        f"{A}/webhooks/{{id}}",
        ADMIN,
        ok=204,
        foreign=404,
        fresh=_webhook,
        media="",
    ),
    AdminOperation(
        "webhook deliveries",
        "GET",
        f"{A}/webhooks/{{id}}/deliveries",
        ADMIN,
        foreign=404,
        fresh=_webhook,
    ),
    AdminOperation(
        "replay webhooks",
        "POST",
        f"{A}/webhook-replays",
        ADMIN,
        lambda t: {"since": "2000-01-01"},
    ),
    AdminOperation("verify ledger", "GET", f"{A}/ledger/verify", ADMIN),
    AdminOperation("list imports", "GET", f"{A}/imports", ADMIN),
    AdminOperation("start import", "POST", f"{A}/imports", ADMIN, ok=202, foreign=202, upload=True),
    AdminOperation("import job", "GET", f"{A}/imports/{{id}}", ADMIN, foreign=404, fresh=_job),
    AdminOperation(
        "import rejects",
        "GET",
        f"{A}/imports/{{id}}/rejects",
        ADMIN,
        foreign=404,
        fresh=_job,
        media="text/csv",
    ),
    AdminOperation("export statuses", "GET", f"{A}/exports/statuses", ADMIN, media="text/csv"),
    AdminOperation(
        "export suppression", "GET", f"{A}/exports/suppression", ADMIN, media="text/csv"
    ),
    AdminOperation("audit", "GET", f"{A}/audit", ADMIN),
]

INSTANCE_OPERATIONS = [
    AdminOperation("list portals", "GET", f"{A}/portals", INSTANCE),
    AdminOperation(
        "create portal",
        "POST",
        f"{A}/portals",
        INSTANCE,
        lambda t: {"name": _unique("portal")},
        ok=201,
    ),
    AdminOperation("link keys", "GET", f"{A}/link-keys", INSTANCE),
    AdminOperation("rotate link key", "POST", f"{A}/link-keys/rotate", INSTANCE),
    AdminOperation("instance audit", "GET", f"{A}/instance-audit", INSTANCE),
]


def concrete(op: AdminOperation, identifier: str = "1") -> str:
    """The operation's path with an id (and a language) in it."""
    return op.path.replace("{id}", identifier).replace("{language}", "fr")


def call(
    http: httpx.Client,
    factory: Factory,
    op: AdminOperation,
    about: Tenant,
    headers: dict[str, str],
) -> int:
    """One call of ``op`` about ``about``'s things with ``headers``; its status. Whatever the
    status, the answer is in the operation's media type (HubSpot's JSON error body for errors)."""
    path = concrete(op, op.fresh(factory, about, http) if op.fresh else "1")
    if op.upload:
        files = {"file": ("statuses.csv", "email,subscriptionId,status\n", "text/csv")}
        response = http.request(op.method, path, files=files, headers=headers)
    else:
        response = http.request(op.method, path, json=op.body(about), headers=headers)
    media = op.media if response.is_success else "application/json"
    assert response.headers.get("content-type", "").startswith(media), (op.name, response.text)
    return response.status_code
