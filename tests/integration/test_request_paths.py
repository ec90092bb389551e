"""Paths as sent: an address in a path is percent-decoded strictly (a malformed escape, bytes
that are not UTF-8 or a control character is a 400 naming the field, never a 200 on a garbled
address), and a path with a trailing slash is a 404 rather than a redirect to the client's Host.

Requests are written on a socket so that every escape reaches the server exactly as spelled.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

import httpx
import pytest

from commprefs.domain.tokens import GRANTABLE_SCOPES
from tests.integration.test_authorization_matrix import OPERATIONS, Operation
from tests.integration.test_request_bodies import LEDGER_OPERATIONS
from tests.support.factories import Factory, Tenant, email
from tests.support.pages import generate
from tests.support.server import Server
from tests.support.sockets import RawResponse, assert_raw_error, exchange

V4 = "/communication-preferences/v4"
# One operation per route (v1's PUT takes several bodies at one route).
ADDRESS_ROUTES = list(
    {
        (op.method, op.path): op for op in [*OPERATIONS, *LEDGER_OPERATIONS] if "{s}" in op.path
    }.values()
)
# Escapes that are malformed, bytes that are not UTF-8 (invalid, truncated, overlong, surrogate,
# past U+10FFFF), the replacement character itself, and control characters (C0, DEL, C1).
GARBLED = [
    "%ff",
    "%fe",
    "%c3%28",
    "%c3",
    "%zz",
    "%",
    "%2",
    "%c0%af",
    "%e0%80%80",
    "%ed%a0%80",
    "%f4%90%80%80",
    "%ef%bf%bd",
    "%00",
    "%0d",
    "%0a",
    "%0d%0a",
    "%7f",
    "%09",
    "%0b",
    "%1f",
    "%c2%85",
    "%c2%9f",
]
WHERE = ["start", "local part", "end"]


@pytest.fixture(scope="module")
def served(module_sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with Server(module_sqlite_url, tmp_path_factory.mktemp("logs") / "paths.log") as running:
        yield running
    assert running.server_errors() == []


@pytest.fixture(scope="module")
def tenant(module_factory: Factory) -> Tenant:
    made = module_factory.tenant(types=1)
    # Every scope, erasure's too (issue 16): paths are checked whoever may call them.
    token = module_factory.token(made.portal, GRANTABLE_SCOPES)
    return Tenant(made.portal, token, made.definitions)


# Hex digits as letters that are not hex digits, so that no piece can borrow one to complete an
# escape (``%2`` followed by ``f`` would be a well-formed "/").
_NOT_HEX = str.maketrans("0123456789abcdef", "ghijklmnopqrstuv")


def garbled_address(piece: str, where: str) -> str:
    local = uuid.uuid4().hex[:9].translate(_NOT_HEX)
    if where == "start":
        return f"{piece}{local}@example.com"
    if where == "local part":
        return f"{local[:4]}{piece}{local[4:]}@example.com"
    return f"{local}@example.com{piece}"


def field_of(op: Operation) -> str:
    if "/email/public/v1/" in op.path:
        return "email_address"
    return "emailAddress" if "/v3/" in op.path else "subscriberIdString"


def call(port: int, op: Operation, tenant: Tenant, segment: str, **headers: str) -> RawResponse:
    """``op`` with ``segment`` as its address, spelled as given; its body as the authorization
    matrix makes it, about the address the segment would be if decoded leniently."""
    params, body = op.request(tenant, unquote(segment))
    target = op.path.format(s=segment) + ("?" + urlencode(params) if params else "")
    raw = json.dumps(body).encode() if body is not None else b""
    all_headers = {**tenant.headers, "Content-Type": "application/json", **headers}
    return exchange(port, op.method, target, all_headers, raw)


def lenient_readings(segment: str) -> set[str]:
    """The addresses a lenient decoder makes of ``segment``: none of them may be written."""
    decoded = unquote(segment)
    return {decoded, decoded.strip()}


# -- addresses in paths ----------------------------------------------------------------------------


def test_different_invalid_utf8_addresses_do_not_collide_on_one_record(
    server: Server, factory: Factory
) -> None:
    tenant = factory.tenant(types=1)
    path = V4 + "/statuses/{}/unsubscribe-all?channel=EMAIL"

    written = exchange(server.port, "POST", path.format("%ff@example.com"), tenant.headers)
    read = exchange(server.port, "GET", path.format("%fe@example.com"), tenant.headers)

    for answer in (written, read):
        body = assert_raw_error(answer, 400)
        assert [e["in"] for e in body["errors"]] == ["subscriberIdString"]
    assert factory.ledger(tenant.portal, "\ufffd@example.com") == []


@pytest.mark.parametrize("where", WHERE)
@pytest.mark.parametrize("piece", GARBLED)
@pytest.mark.parametrize("op", ADDRESS_ROUTES, ids=[f"{o.method} {o.path}" for o in ADDRESS_ROUTES])
def test_a_garbled_address_in_a_path_is_a_400_naming_the_field(
    served: Server, tenant: Tenant, module_factory: Factory, op: Operation, piece: str, where: str
) -> None:
    segment = garbled_address(piece, where)

    answer = call(served.port, op, tenant, segment)

    body = assert_raw_error(answer, 400)
    assert body["category"] == "VALIDATION_ERROR"
    assert [e["in"] for e in body["errors"]] == [field_of(op)]
    for address in lenient_readings(segment):
        assert module_factory.ledger(tenant.portal, address) == []


@pytest.mark.parametrize("op", ADDRESS_ROUTES, ids=[f"{o.method} {o.path}" for o in ADDRESS_ROUTES])
def test_an_address_too_long_for_a_path_is_a_400_naming_the_field(
    served: Server, tenant: Tenant, op: Operation
) -> None:
    answer = call(served.port, op, tenant, "a" * 600 + "@example.com")

    body = assert_raw_error(answer, 400)
    assert [e["in"] for e in body["errors"]] == [field_of(op)]


@pytest.mark.parametrize("op", ADDRESS_ROUTES, ids=[f"{o.method} {o.path}" for o in ADDRESS_ROUTES])
def test_well_formed_escapes_are_decoded_as_utf8(
    served: Server, tenant: Tenant, op: Operation
) -> None:
    segment = f"j%C3%A9r%C3%B4me%2Btag{uuid.uuid4().hex[:6]}@example.com"

    answer = call(served.port, op, tenant, segment)

    assert answer.status == op.ok, answer.body[:500]
    text = answer.body.decode()
    assert "\ufffd" not in text
    assert "@example.com" not in text or unquote(segment) in text


# Bytes outside ASCII, and controls, written into the request line as they are (latin-1 here).
@pytest.mark.parametrize("raw", ["\xff", "\xc3\xa9", "\x7f", "\x00"], ids=["ff", "e", "DEL", "NUL"])
def test_bytes_a_request_line_may_not_hold_are_malformed_http(
    served: Server, tenant: Tenant, raw: str
) -> None:
    target = f"{V4}/statuses/{raw}x@example.com?channel=EMAIL"

    answer = exchange(served.port, "GET", target, tenant.headers)

    assert assert_raw_error(answer, 400)["category"] == "VALIDATION_ERROR"


PAGE_LINKS = ["managePreferencesUrl", "unsubscribeAllUrl", "unsubscribeSingleUrl"]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("piece", GARBLED)
@pytest.mark.parametrize("link", PAGE_LINKS)
def test_a_garbled_page_link_is_not_a_valid_link(
    served: Server, tenant: Tenant, module_factory: Factory, link: str, piece: str, method: str
) -> None:
    subscriber = email()
    with httpx.Client(base_url=served.url) as api:
        links = generate(api, tenant, subscriber, subscriptionId=tenant.definitions[0].id)
    path = urlsplit(links[link]).path
    token_at = len("/preferences/") + 10
    garbled = path[:token_at] + piece + path[token_at:]
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    answer = exchange(served.port, method, garbled, form, b"List-Unsubscribe=One-Click")

    assert answer.status == 404, answer.body[:300]
    assert answer.headers["content-type"].startswith("text/html")
    assert module_factory.ledger(tenant.portal, subscriber) == []


# -- trailing slashes and the Host header ----------------------------------------------------------

HOSTILE = "evil.example"


def every_path(tenant: Tenant) -> list[tuple[str, str, dict[str, Any]]]:
    paths = []
    for op in [*OPERATIONS, *LEDGER_OPERATIONS]:
        params, _ = op.request(tenant, "x@example.com")
        paths.append((op.method, op.path.format(s="x@example.com"), params))
    paths += [("GET", "/openapi.json", {}), ("GET", "/docs", {}), ("GET", "/preferences/x", {})]
    return paths


def hostile_headers(tenant: Tenant) -> dict[str, str]:
    return {
        **tenant.headers,
        "Host": HOSTILE,
        "X-Forwarded-Host": HOSTILE,
        "Forwarded": f"host={HOSTILE};proto=https",
    }


def headers_naming_the_host(answer: RawResponse) -> dict[str, str]:
    return {name: value for name, value in answer.headers.items() if HOSTILE in value}


# hubspot3 asks for v1's types at ".../subscriptions/" (an empty sub-path), which HubSpot
# answers: served as the types, never redirected.
SERVED_WITH_A_SLASH = {"GET /email/public/v1/subscriptions/"}


def test_a_trailing_slash_is_a_404_and_never_a_redirect(served: Server, tenant: Tenant) -> None:
    answers = {}
    for method, path, params in every_path(tenant):
        target = path + "/" + ("?" + urlencode(params) if params else "")
        answers[f"{method} {path}/"] = exchange(
            served.port, method, target, hostile_headers(tenant)
        )

    assert {
        where: a.status
        for where, a in answers.items()
        if a.status != 404 and where not in SERVED_WITH_A_SLASH
    } == {}
    for where in SERVED_WITH_A_SLASH:
        assert answers[where].status == 200, where
    for where, answer in answers.items():
        assert headers_naming_the_host(answer) == {}, where
        if not where.startswith("GET /preferences/") and where not in SERVED_WITH_A_SLASH:
            assert assert_raw_error(answer, 404)["category"] == "OBJECT_NOT_FOUND"


def test_no_response_names_the_clients_host_in_a_header(served: Server, tenant: Tenant) -> None:
    with httpx.Client(base_url=served.url) as api:
        links = generate(api, tenant, email(), subscriptionId=tenant.definitions[0].id)
    pages = [("GET", urlsplit(url).path, {}) for url in links.values()]
    answers = {}
    for method, path, params in every_path(tenant) + pages:
        target = path + ("?" + urlencode(params) if params else "")
        answers[f"{method} {path}"] = exchange(served.port, method, target, hostile_headers(tenant))

    assert {where: a.status for where, a in answers.items() if a.status >= 500} == {}
    assert {
        w: headers_naming_the_host(a) for w, a in answers.items() if headers_naming_the_host(a)
    } == {}
