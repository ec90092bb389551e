"""What the served log says when a page fails: one line, without a traceback, for the client's
faults (a form whose body stops coming, or whose client leaves) and for a database that cannot
be used; a traceback only for a bug of ours. Read from the server's own log."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.responses import HTMLResponse

from commprefs.app import create_app
from commprefs.centre.models import Brand
from commprefs.config import Settings
from commprefs.pages.render import PageRenderer
from tests.support.databases import postgres_database
from tests.support.factories import Factory, Tenant, email
from tests.support.inprocess import serving
from tests.support.outage import refusing
from tests.support.pages import generate
from tests.support.server import Server, free_port
from tests.support.sockets import connect, parse, read_until_closed, trickle

TIMEOUT_S = 1.0
PAGE_FORMS = ["managePreferencesUrl", "unsubscribeAllUrl", "unsubscribeSingleUrl"]


@pytest.fixture(scope="module")
def strict(module_sqlite_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    env = {"COMMPREFS_REQUEST_BODY_TIMEOUT": str(TIMEOUT_S)}
    log = tmp_path_factory.mktemp("logs") / "pages.log"
    running = Server(module_sqlite_url, log, **env).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def tenant(module_factory: Factory, strict: Server) -> Tenant:
    return module_factory.tenant(types=1)


def form_head(path: str, length: int) -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {length}\r\n\r\n"
    ).encode()


def form_path(server: Server, tenant: Tenant, link: str) -> str:
    with httpx.Client(base_url=server.url) as api:
        links = generate(api, tenant, email(), subscriptionId=tenant.definitions[0].id)
    return urlsplit(links[link]).path


def new_lines(server: Server, since: int, count: int, timeout: float = 10.0) -> list[str]:
    """The log's lines after offset ``since``, once there are ``count`` of them (a line about a
    client that left is written after it left)."""
    deadline = time.monotonic() + timeout
    while True:
        lines = server.log()[since:].splitlines()
        if len(lines) >= count or time.monotonic() > deadline:
            return lines
        time.sleep(0.05)


def assert_one_line_about(lines: list[str], request_id: str | None, says: str) -> None:
    assert len(lines) == 1, lines
    assert says in lines[0], lines
    if request_id is not None:
        assert request_id in lines[0], lines
    assert "Traceback" not in lines[0]


@pytest.mark.parametrize("client", ["too slow", "leaves"])
@pytest.mark.parametrize("link", PAGE_FORMS)
def test_a_page_form_whose_body_stops_coming_gets_one_line_in_the_log(
    strict: Server, tenant: Tenant, link: str, client: str
) -> None:
    path = form_path(strict, tenant, link)
    since = len(strict.log())
    request_id = None
    with connect(strict.port) as sock:
        if client == "too slow":
            trickle(sock, [form_head(path, 40) + b"c"] + [b"s"] * 40, pause=0.1)
            answer = parse(read_until_closed(sock))
            assert answer.status == 408
            request_id = answer.json()["correlationId"]
        else:
            sock.sendall(form_head(path, 40) + b"csrf=")
            time.sleep(0.2)  # the head is read and the form is being waited for
            sock.shutdown(socket.SHUT_RDWR)

    lines = new_lines(strict, since, 1)
    assert strict.server_errors(since) == []
    assert_one_line_about(lines, request_id, "before its request body arrived")


def test_a_page_whose_database_cannot_be_used_is_a_503_page_and_one_line_in_the_log(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    with postgres_database() as url:
        factory = Factory(url)
        try:
            tenant = factory.tenant(types=1)
            link = factory.run(factory.services.links.generate(tenant.portal.id, email()))
        finally:
            factory.close()
        with Server(url, tmp_path_factory.mktemp("logs") / "away.log") as served:
            since = len(served.log())
            with refusing(url):
                page = urlsplit(link.manage_url)
                answer = httpx.get(f"{served.url}{page.path}?{page.query}")
            lines = new_lines(served, since, 1)
            errors = served.server_errors(since)

    assert answer.status_code == 503
    assert "text/html" in answer.headers["content-type"]
    assert errors == []
    assert_one_line_about(lines, answer.headers["x-hubspot-correlation-id"], "cannot be used")


class ManagePageFails(PageRenderer):
    """A bug of ours: the manage page cannot be rendered."""

    def page(
        self, template: str, status_code: int = 200, brand: Brand | None = None, **values: Any
    ) -> HTMLResponse:
        if template == "manage.html":
            raise RuntimeError("injected: a bug in the manage page")
        return super().page(template, status_code, brand, **values)


def test_a_bug_behind_a_page_still_logs_its_traceback(
    module_sqlite_url: str, tenant: Tenant, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    settings = Settings(database_url=module_sqlite_url, public_url=f"http://127.0.0.1:{port}")
    app = create_app(settings)
    app.state.page_renderer = ManagePageFails()
    caplog.set_level(logging.ERROR, logger="commprefs.pages")
    with serving(app, port) as url, httpx.Client(base_url=url, timeout=30.0) as client:
        links = generate(client, tenant, email())
        answer = client.get(links["managePreferencesUrl"])

    assert answer.status_code == 500
    assert "Something went wrong" in answer.text
    [record] = [r for r in caplog.records if r.name == "commprefs.pages"]
    assert answer.headers["x-hubspot-correlation-id"] in record.getMessage()
    assert record.exc_info is not None
    assert "injected: a bug in the manage page" in str(record.exc_info[1])
