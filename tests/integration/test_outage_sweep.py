"""Every route while PostgreSQL refuses connections (and has cut the open ones): each operation of
the served OpenAPI document (v3, v4, 2026-03, /commprefs/v1), with and without an
Idempotency-Key where it writes, is a 503 in HubSpot's error body; each page route and form is
the 503 page. Never a 500, and each is one line in the server's log, never a traceback.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.integration.test_authorization_matrix import Operation
from tests.integration.test_request_bodies import EVERY_OPERATION
from tests.support.admin_operations import (
    ADMIN_OPERATIONS,
    INSTANCE_OPERATIONS,
    AdminOperation,
    concrete,
)
from tests.support.databases import postgres_database
from tests.support.factories import Factory, Tenant, email
from tests.support.faults import assert_unavailable
from tests.support.outage import refusing
from tests.support.pages import ONE_CLICK, form_value, generate
from tests.support.server import Server

WRITES = [op for op in EVERY_OPERATION if op.method != "GET"]
API_CASES = [(op, False) for op in EVERY_OPERATION] + [(op, True) for op in WRITES]
# The admin API (issue 17): each with any id in its path (the token is looked up first: a 503).
ADMIN_CASES = [*ADMIN_OPERATIONS, *INSTANCE_OPERATIONS]
PAGE_LINKS = ["managePreferencesUrl", "unsubscribeAllUrl", "unsubscribeSingleUrl"]
PAGE_LINKS.append("confirmationUrl")  # issue 16: a double opt-in's page
# (method, link, what the form holds): every page route that is not the unknown-page 404.
PAGE_CASES = [
    *((method, link, None) for method in ("GET", "HEAD") for link in PAGE_LINKS),
    *(("POST", link, "form") for link in PAGE_LINKS),
    *(("POST", link, "one-click") for link in PAGE_LINKS[1:]),
]


@dataclass(frozen=True)
class Outage:
    served: Server
    tenant: Tenant
    links: dict[str, str]
    csrf: str  # a form's valid token, taken from a page before the outage
    cookies: httpx.Cookies


@pytest.fixture(scope="module")
def outage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Outage]:
    """A served database with a tenant and a subscriber's links, then refusing connections for
    the rest of the module."""
    with postgres_database() as url:
        factory = Factory(url)
        try:
            tenant = factory.tenant(types=1)
        finally:
            factory.close()
        with Server(url, tmp_path_factory.mktemp("logs") / "sweep.log") as served:
            with httpx.Client(base_url=served.url, timeout=30.0) as client:
                links = generate(client, tenant, email(), subscriptionId=tenant.definitions[0].id)
                page = client.get(links["managePreferencesUrl"])
                csrf, cookies = form_value(page.text, "csrf"), client.cookies
                links["confirmationUrl"] = _confirmation_url(client, url, tenant)
            with refusing(url):
                yield Outage(served, tenant, links, csrf, cookies)


def _confirmation_url(client: httpx.Client, url: str, tenant: Tenant) -> str:
    """The link a double opt-in mail would carry (no SMTP here: signed as the worker signs it)."""
    asked = client.post(
        f"/commprefs/v1/subscribers/{email()}/confirmations",
        json={"subscriptionIds": [tenant.definitions[0].id]},
        headers=tenant.headers,
    )
    assert asked.status_code == 202, asked.text
    factory = Factory(url)
    try:
        token = factory.run(factory.services.links.confirmation_token(asked.json()["id"]))
    finally:
        factory.close()
    return f"{client.base_url}/preferences/confirm/{token}"


def template(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_the_sweep_covers_every_operation_of_the_served_document(outage: Outage) -> None:
    document = httpx.get(f"{outage.served.url}/openapi.json").json()  # served without a database
    served = {
        (method.upper(), template(path))
        for path, operations in document["paths"].items()
        for method in operations
    }
    admin = {(op.method, template(op.path)) for op in ADMIN_CASES}
    oauth = {(method, template(path)) for method, path, _ in OAUTH_CASES}
    assert served == {(op.method, template(op.path)) for op in EVERY_OPERATION} | admin | oauth


# HubSpot's OAuth token API (issue 14): each needs the database to answer, so each is the 503.
_GRANT = {"grant_type": "refresh_token", "client_id": "c", "client_secret": "s"}
OAUTH_CASES = [
    ("POST", "/oauth/v1/token", {**_GRANT, "refresh_token": "cport-x"}),
    ("GET", "/oauth/v1/access-tokens/{token}", None),
    ("GET", "/oauth/v1/refresh-tokens/{token}", None),
    ("DELETE", "/oauth/v1/refresh-tokens/{token}", None),
]


@pytest.mark.parametrize(
    ("method", "path", "form"), OAUTH_CASES, ids=[f"{c[0]} {c[1]}" for c in OAUTH_CASES]
)
def test_every_oauth_operation_is_a_503_while_the_database_refuses(
    outage: Outage, method: str, path: str, form: dict[str, str] | None
) -> None:
    since = len(outage.served.log())
    answer = httpx.request(
        method,
        outage.served.url + path.format(token="cpoat-x"),
        data=form,
        timeout=30.0,
    )

    assert_unavailable(answer, "postgresql")
    assert_logged_once(outage.served, since, answer)


def test_the_oauth_consent_page_is_the_503_page_while_the_database_refuses(
    outage: Outage,
) -> None:
    since = len(outage.served.log())
    answer = httpx.get(
        f"{outage.served.url}/oauth/authorize", params={"client_id": "c"}, timeout=30.0
    )

    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert_logged_once(outage.served, since, answer)


def assert_logged_once(served: Server, since: int, answer: httpx.Response) -> None:
    """The failure is one line of the log, naming the request; nothing else went wrong."""
    correlation = answer.headers["x-hubspot-correlation-id"]
    said = [line for line in served.log()[since:].splitlines() if correlation in line]
    assert len(said) == 1, served.log()[since:]
    assert "cannot be used" in said[0]
    assert served.server_errors(since) == []


@pytest.mark.parametrize(
    ("op", "keyed"),
    API_CASES,
    ids=[f"{op.method} {op.path}{' keyed' if keyed else ''}" for op, keyed in API_CASES],
)
def test_every_operation_is_a_503_while_the_database_refuses(
    outage: Outage, op: Operation, keyed: bool
) -> None:
    subscriber = email()
    params, body = op.request(outage.tenant, subscriber)
    headers = {**outage.tenant.headers, **({"Idempotency-Key": str(uuid.uuid4())} if keyed else {})}
    since = len(outage.served.log())

    answer = httpx.request(
        op.method,
        outage.served.url + op.path.format(s=subscriber),
        params=params,
        json=body,
        headers=headers,
        timeout=30.0,
    )

    assert_unavailable(answer, "postgresql")
    assert_logged_once(outage.served, since, answer)


@pytest.mark.parametrize("op", ADMIN_CASES, ids=[f"{op.method} {op.path}" for op in ADMIN_CASES])
def test_every_admin_operation_is_a_503_while_the_database_refuses(
    outage: Outage, op: AdminOperation
) -> None:
    since = len(outage.served.log())
    url = outage.served.url + concrete(op)
    with httpx.Client(headers=outage.tenant.headers, timeout=30.0) as client:
        if op.upload:
            answer = client.request(op.method, url, files={"file": ("x.csv", "email\n")})
        else:
            answer = client.request(op.method, url, json=op.body(outage.tenant))

    assert_unavailable(answer, "postgresql")
    assert_logged_once(outage.served, since, answer)


@pytest.mark.parametrize(
    ("method", "link", "form"),
    PAGE_CASES,
    ids=[f"{method} {link}{f' {form}' if form else ''}" for method, link, form in PAGE_CASES],
)
def test_every_page_is_the_503_page_while_the_database_refuses(
    outage: Outage, method: str, link: str, form: str | None
) -> None:
    url = urlsplit(outage.links[link])
    data: dict[str, Any] | None = None
    if form == "form":
        data = {"csrf": outage.csrf, "shown": [str(outage.tenant.definitions[0].id)]}
    elif form == "one-click":
        data = ONE_CLICK
    since = len(outage.served.log())

    with httpx.Client(base_url=outage.served.url, cookies=outage.cookies, timeout=30.0) as client:
        answer = client.request(method, f"{url.path}?{url.query}", data=data)

    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    if method != "HEAD":
        assert "Something went wrong" in answer.text
    assert_logged_once(outage.served, since, answer)
