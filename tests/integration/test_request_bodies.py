"""Request bodies however they are framed: one 413 for a body over the limit whether it comes
with a Content-Length or chunked, a refusal for transfer and content codings we cannot decode,
and a malformed body answered only after authentication and rate limiting.

The body limit and the codings live in the HTTP layer, so these servers run on SQLite only; the
requests are written byte for byte on a socket (httpx will not send most of them).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import pytest

from commprefs.domain.tokens import ALL_SCOPES, GRANTABLE_SCOPES, READ_STATUS
from tests.integration.test_authorization_matrix import OPERATIONS, Operation
from tests.support.factories import Factory, Tenant, email
from tests.support.pages import generate
from tests.support.server import Server
from tests.support.sockets import (
    RawResponse,
    assert_raw_error,
    chunked,
    connect,
    exchange,
    parse,
    read_until_closed,
    trickle,
)

MAX_BODY_BYTES = 2048
PADDING = "p" * (MAX_BODY_BYTES + 100)
BODY_TIMEOUT_S = 2.0
LEDGER = "/commprefs/v1/subscribers/{s}"


@pytest.fixture(scope="module")
def small(module_sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {
        "COMMPREFS_MAX_BODY_BYTES": str(MAX_BODY_BYTES),
        "COMMPREFS_REQUEST_BODY_TIMEOUT": str(BODY_TIMEOUT_S),
    }
    with Server(module_sqlite_url, tmp_path_factory.mktemp("logs") / "small.log", **env) as running:
        yield running
    assert running.server_errors() == []


@pytest.fixture(scope="module")
def tenant(module_factory: Factory) -> Tenant:
    made = module_factory.tenant(types=1)
    # Every scope, erasure's too (issue 16): bodies are read alike whoever may call.
    token = module_factory.token(made.portal, GRANTABLE_SCOPES)
    return Tenant(made.portal, token, made.definitions)


@dataclass(frozen=True)
class Call:
    """A request to one operation about one subscriber, as the authorization matrix makes it."""

    method: str
    path: str
    params: dict[str, Any]
    body: Any

    @classmethod
    def of(cls, op: Operation, tenant: Tenant, subscriber: str) -> Call:
        params, body = op.request(tenant, subscriber)
        return cls(op.method, op.path.format(s=subscriber), params, body)

    @property
    def target(self) -> str:
        return self.path + ("?" + urlencode(self.params) if self.params else "")

    def send(
        self, server: Server, headers: dict[str, str], body: bytes, framing: str = "length"
    ) -> RawResponse:
        return exchange(server.port, self.method, self.target, headers, body, framing)

    def padded(self) -> bytes:
        """The operation's own body (or none) with padding that takes it over the limit."""
        body = self.body if isinstance(self.body, dict) else {}
        return json.dumps({**body, "padding": PADDING}).encode()


# The ledger's reads take no body; a body sent to them all the same is held to the limit too.
LEDGER_OPERATIONS = [
    Operation(
        name, "GET", f"{LEDGER}/{name}", READ_STATUS, lambda t, s: ({"channel": "EMAIL"}, None)
    )
    for name in ("history", "state")
]
EVERY_OPERATION = [*OPERATIONS, *LEDGER_OPERATIONS]
WITH_BODIES = [op for op in OPERATIONS if op.method == "POST"]


def ids(operations: list[Operation]) -> list[str]:
    return [f"{op.method} {op.path}" for op in operations]


def json_headers(tenant: Tenant) -> dict[str, str]:
    return {**tenant.headers, "Content-Type": "application/json"}


# -- the body limit -------------------------------------------------------------------------------


@pytest.mark.parametrize("framing", ["length", "chunked"])
@pytest.mark.parametrize("op", EVERY_OPERATION, ids=ids(EVERY_OPERATION))
def test_a_body_over_the_limit_is_the_same_413_however_it_is_framed(
    small: Server, tenant: Tenant, module_factory: Factory, op: Operation, framing: str
) -> None:
    subscriber = email()
    call = Call.of(op, tenant, subscriber)

    answer = call.send(small, json_headers(tenant), call.padded(), framing)

    body = assert_raw_error(answer, 413)
    assert body["category"] == "VALIDATION_ERROR"
    assert body["message"] == (
        f"The request body is larger than the limit of {MAX_BODY_BYTES} bytes."
    )
    assert answer.headers["connection"] == "close"
    assert module_factory.ledger(tenant.portal, subscriber) == []


PAGE_FORMS = ["managePreferencesUrl", "unsubscribeAllUrl", "unsubscribeSingleUrl"]


@pytest.mark.parametrize("framing", ["length", "chunked"])
@pytest.mark.parametrize("link", PAGE_FORMS)
def test_a_page_form_over_the_limit_is_the_same_413_however_it_is_framed(
    small: Server, tenant: Tenant, module_factory: Factory, link: str, framing: str
) -> None:
    subscriber = email()
    with httpx.Client(base_url=small.url) as api:
        links = generate(api, tenant, subscriber, subscriptionId=tenant.definitions[0].id)
    form = f"List-Unsubscribe=One-Click&padding={PADDING}".encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    answer = exchange(small.port, "POST", urlsplit(links[link]).path, headers, form, framing)

    body = assert_raw_error(answer, 413)
    assert body["category"] == "VALIDATION_ERROR"
    assert module_factory.ledger(tenant.portal, subscriber) == []


@pytest.mark.parametrize("op", OPERATIONS, ids=ids(OPERATIONS))
def test_a_chunked_body_within_the_limit_is_served(
    small: Server, tenant: Tenant, op: Operation
) -> None:
    call = Call.of(op, tenant, email())
    body = json.dumps(call.body).encode() if call.body is not None else b""

    answer = call.send(small, json_headers(tenant), body, "chunked")

    assert answer.status == op.ok, answer.body[:500]


def test_a_slow_chunked_body_still_gets_its_408_and_writes_nothing(
    small: Server, tenant: Tenant, module_factory: Factory
) -> None:
    subscriber = email()
    call = Call.of(OPERATIONS[2], tenant, subscriber)  # E3, update status
    assert (call.method, call.path.endswith(subscriber)) == ("POST", True)
    head = f"POST {call.target} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in json_headers(tenant).items())
    with connect(small.port) as sock:
        started = time.monotonic()
        trickle(sock, [head.encode() + b"\r\n1\r\n{\r\n"] + [b"1\r\n \r\n"] * 40, pause=0.1)
        answer = parse(read_until_closed(sock))

    assert assert_raw_error(answer, 408)["category"] == "TIMEOUT"
    assert time.monotonic() - started < BODY_TIMEOUT_S + 1.5
    assert module_factory.ledger(tenant.portal, subscriber) == []


# -- malformed bodies come after authentication ---------------------------------------------------

MALFORMED = [b'{"broken": ', b"[1,", b"not json", b'{"a": "\xff"}', b"\xff\xfe\x00"]


@pytest.fixture(scope="module")
def limited(module_sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"COMMPREFS_RATE_LIMIT": "2", "COMMPREFS_RATE_LIMIT_WINDOW_MS": "600000"}
    log = tmp_path_factory.mktemp("logs") / "limited.log"
    with Server(module_sqlite_url, log, **env) as running:
        yield running
    assert running.server_errors() == []


@pytest.mark.parametrize("raw", MALFORMED, ids=range(len(MALFORMED)))
@pytest.mark.parametrize("op", WITH_BODIES, ids=ids(WITH_BODIES))
def test_a_malformed_body_is_answered_after_authentication(
    small: Server, tenant: Tenant, module_factory: Factory, op: Operation, raw: bytes
) -> None:
    call = Call.of(op, tenant, email())
    granting = set().union(*op.rule.alternatives)
    no_scope = module_factory.token(tenant.portal, [s for s in ALL_SCOPES if s not in granting])
    json_type = {"Content-Type": "application/json"}

    anonymous = call.send(small, json_type, raw)
    unscoped = call.send(
        small,
        {**json_type, "Authorization": f"Bearer {no_scope}"},
        raw,
    )
    authorised = call.send(small, json_headers(tenant), raw)

    assert assert_raw_error(anonymous, 401)["category"] == "INVALID_AUTHENTICATION"
    assert assert_raw_error(unscoped, 403)["category"] == "MISSING_SCOPES"
    body = assert_raw_error(authorised, 400)
    assert [(e["in"], e["code"]) for e in body["errors"]] == [("body", "INVALID_JSON")]


@pytest.mark.parametrize("op", WITH_BODIES, ids=ids(WITH_BODIES))
def test_a_malformed_body_over_the_rate_limit_is_a_429(
    limited: Server, module_factory: Factory, op: Operation
) -> None:
    tenant = module_factory.tenant(types=1)
    for _ in range(2):
        call = Call.of(op, tenant, email())
        used = call.send(
            limited,
            json_headers(tenant),
            json.dumps(call.body).encode() if call.body is not None else b"",
        )
        assert used.status == op.ok, used.body[:500]

    refused = call.send(limited, json_headers(tenant), MALFORMED[0])

    body = assert_raw_error(refused, 429)
    assert body["category"] == "RATE_LIMITS"
    assert refused.headers["retry-after"]


# -- transfer and content codings -----------------------------------------------------------------

# An operation of each kind that reads a body: a model, no body at all, v3's own parsing, a batch.
CODED = [
    op
    for op in WITH_BODIES
    if op.name in ("update status", "unsubscribe-all", "batch write", "v3 subscribe")
    and "2026-03" not in op.path
]
TRANSFER_CODINGS = [
    "gzip, chunked",
    "GZIP, Chunked",
    "gzip,chunked",
    "deflate, chunked",
    "compress, chunked",
    "x-gzip, chunked",
    "br, chunked",
    "zstd, chunked",
    "identity, chunked",
    "chunked, chunked",
    "x-unknown, chunked",
    "gzip",
    "chunked, gzip",
    "chunked;q=1",
]
CONTENT_CODINGS = [
    "gzip",
    "x-gzip",
    "deflate",
    "br",
    "compress",
    "zstd",
    "identity, gzip",
    "gzip, identity",
    "x-unknown",
]


def coded_request(op: Operation, tenant: Tenant, subscriber: str) -> tuple[Call, bytes]:
    call = Call.of(op, tenant, subscriber)
    return call, json.dumps(call.body).encode() if call.body is not None else b"{}"


@pytest.mark.parametrize("coding", TRANSFER_CODINGS)
@pytest.mark.parametrize("op", CODED, ids=ids(CODED))
def test_transfer_codings_other_than_chunked_are_refused(
    small: Server, tenant: Tenant, module_factory: Factory, op: Operation, coding: str
) -> None:
    subscriber = email()
    call, body = coded_request(op, tenant, subscriber)
    headers = {**json_headers(tenant), "Transfer-Encoding": coding}

    answer = call.send(small, headers, chunked(body), "none")

    assert answer.status in (400, 415)
    assert assert_raw_error(answer, answer.status)["category"] == "VALIDATION_ERROR"
    assert module_factory.ledger(tenant.portal, subscriber) == []


@pytest.mark.parametrize("coding", CONTENT_CODINGS)
@pytest.mark.parametrize("framing", ["length", "chunked"])
@pytest.mark.parametrize("op", CODED, ids=ids(CODED))
def test_content_codings_are_a_415_naming_the_header(
    small: Server, tenant: Tenant, module_factory: Factory, op: Operation, framing: str, coding: str
) -> None:
    subscriber = email()
    call, body = coded_request(op, tenant, subscriber)
    headers = {**json_headers(tenant), "Content-Encoding": coding}

    answer = call.send(small, headers, body, framing)

    refused = assert_raw_error(answer, 415)
    assert refused["category"] == "VALIDATION_ERROR"
    assert [e["in"] for e in refused["errors"]] == ["Content-Encoding"]
    assert module_factory.ledger(tenant.portal, subscriber) == []


@pytest.mark.parametrize("coding", TRANSFER_CODINGS[:4])
def test_a_coded_one_click_unsubscribe_changes_nothing(
    small: Server, tenant: Tenant, module_factory: Factory, coding: str
) -> None:
    subscriber = email()
    with httpx.Client(base_url=small.url) as api:
        links = generate(api, tenant, subscriber)
    target = urlsplit(links["unsubscribeAllUrl"]).path
    form = b"List-Unsubscribe=One-Click"
    form_type = {"Content-Type": "application/x-www-form-urlencoded"}
    transfer_coded = {**form_type, "Transfer-Encoding": coding}
    content_coded = {**form_type, "Content-Encoding": "gzip"}

    by_transfer = exchange(small.port, "POST", target, transfer_coded, chunked(form), "none")
    by_content = exchange(small.port, "POST", target, content_coded, form, "chunked")

    assert by_transfer.status in (400, 415)
    assert by_content.status == 415
    assert module_factory.ledger(tenant.portal, subscriber) == []


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Encoding": "identity"},
        {"Content-Encoding": "Identity"},
        {"Content-Encoding": ""},
        {"Transfer-Encoding": "Chunked"},
    ],
    ids=["identity", "Identity", "empty", "Chunked"],
)
@pytest.mark.parametrize("op", CODED, ids=ids(CODED))
def test_identity_and_chunked_are_accepted(
    small: Server, tenant: Tenant, op: Operation, headers: dict[str, str]
) -> None:
    call, body = coded_request(op, tenant, email())
    framing = "none" if "Transfer-Encoding" in headers else "length"

    answer = call.send(
        small,
        {**json_headers(tenant), **headers},
        chunked(body) if framing == "none" else body,
        framing,
    )

    assert answer.status == 200, answer.body[:500]
