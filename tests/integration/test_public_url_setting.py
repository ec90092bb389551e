"""The public URL (``COMMPREFS_PUBLIC_URL``, ``--public-url``) ends up in headers: the
List-Unsubscribe value senders put in mail, the pages' Set-Cookie path, redirects. A hostile
value is refused at start-up in one line; an IDN or non-ASCII one is made ASCII. It does not
depend on the database engine, so this runs on SQLite only."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.cli import run
from tests.support.factories import Factory, email
from tests.support.pages import generate
from tests.support.server import Server, free_port

NORMALISED = {
    "https://ПРИМЕР.example": "https://xn--e1afmkfd.example",
    "https://prefs.example/": "https://prefs.example",
    "HTTPS://Prefs.Example:8443/Base/": "https://prefs.example:8443/Base",
    "https://prefs.example/пути/": "https://prefs.example/%D0%BF%D1%83%D1%82%D0%B8",
    "http://[::1]:8080": "http://[::1]:8080",
    "http://127.0.0.1:8080/": "http://127.0.0.1:8080",
}
REFUSED = [
    "https://user:pw@prefs.example",
    "https://user@prefs.example",
    "https://prefs.example/a;b",
    "https://prefs.example;Domain=evil.example",
    "https://prefs.example/a,b",
    "https://prefs.example\r\nX-Injected: 1",
    "https://prefs.example/\nx",
    "https://prefs.example/\x00",
    "https://prefs.example/\x7f",
    "https://prefs.example/'",
    'https://prefs.example/"',
    "https://prefs.example/a b",
    "https://prefs.example/a\tb",
    "https://prefs.example/\u2028",
    "https://prefs.example/\u200b",
    "https://prefs.example?x=1",
    "https://prefs.example/#f",
    "https://prefs.example\\@evil.example",
    "https://\u202eprefs.example",
    "https://pre fs.example",
    "https://-prefs.example",
    "https://prefs..example",
    "https://prefs.example:99999",
    "https://[::1",
    "https://",
    "ftp://prefs.example",
    "prefs.example",
]


@pytest.fixture(scope="module")
def portal(module_factory: Factory) -> int:
    return module_factory.portal().id


def one_line_error(done: subprocess.CompletedProcess[str]) -> bool:
    return (
        done.returncode == 1
        and done.stderr.startswith("error: public_url: ")
        and done.stderr.count("\n") == 1
        and "Traceback" not in done.stderr
    )


def headers(url: str, portal: int, public_url: str) -> subprocess.CompletedProcess[str]:
    return run(
        "links", "headers", "--portal", str(portal), "--email", email(),
        "--public-url", public_url, "--database", url, "--json",
    )  # fmt: skip


def test_links_headers_refuse_a_hostile_public_url_and_normalise_the_rest(
    module_sqlite_url: str, portal: int
) -> None:
    wrong = []
    for given in REFUSED:
        done = headers(module_sqlite_url, portal, given)
        if not one_line_error(done) or done.stdout:
            wrong.append(f"{given!r}: {done.returncode} {done.stdout!r} {done.stderr!r}")
    for given, expected in NORMALISED.items():
        done = headers(module_sqlite_url, portal, given)
        value = json.loads(done.stdout)["List-Unsubscribe"] if done.returncode == 0 else ""
        if not value.startswith(f"<{expected}/preferences/"):
            wrong.append(f"{given!r}: {done.returncode} {done.stdout!r} {done.stderr!r}")

    assert not wrong, "\n".join(wrong)


def serve(url: str, *options: str, env: dict[str, str] | None = None) -> str | None:
    """What is wrong with how ``serve`` refused to start, or None if it refused in one line."""
    args = ("serve", "--port", str(free_port()), "--database", url, *options)
    try:
        done = run(*args, timeout=15, env=env)
    except subprocess.TimeoutExpired:
        return "it served"
    return None if one_line_error(done) else f"{done.returncode} {done.stderr!r}"


def test_serve_refuses_a_hostile_public_url_at_start_up(module_sqlite_url: str) -> None:
    wrong = []
    for given in REFUSED:
        by_option = serve(module_sqlite_url, "--public-url", given)
        if by_option:
            wrong.append(f"--public-url {given!r}: {by_option}")
            break  # a served one ran until the timeout: the rest would too
        if "\x00" in given:  # an environment variable cannot hold one
            continue
        by_environment = serve(module_sqlite_url, env={"COMMPREFS_PUBLIC_URL": given})
        if by_environment:
            wrong.append(f"COMMPREFS_PUBLIC_URL={given!r}: {by_environment}")

    assert not wrong, "\n".join(wrong)


@pytest.fixture(scope="module")
def idn_server(
    module_sqlite_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    log: Path = tmp_path_factory.mktemp("idn") / "server.log"
    running = Server(module_sqlite_url, log, "--public-url", "https://ПРИМЕР.example/Prefs/")
    yield running.start()
    running.stop()


def test_an_idn_public_url_reaches_links_and_cookies_as_ascii(
    idn_server: Server, module_factory: Factory
) -> None:
    tenant = module_factory.tenant(types=1)
    with httpx.Client(base_url=idn_server.url) as http:
        links = generate(http, tenant, email())
        manage = links["managePreferencesUrl"]
        assert manage.startswith("https://xn--e1afmkfd.example/Prefs/preferences/")
        # Behind the proxy that the public URL names, the page is at /preferences/… here.
        page = http.get("/preferences/" + manage.rsplit("/", 1)[1])

    assert page.status_code == 200
    cookie = page.headers["set-cookie"]
    assert cookie.isascii()
    assert "Path=/Prefs/preferences" in cookie
    assert "Secure" in cookie
