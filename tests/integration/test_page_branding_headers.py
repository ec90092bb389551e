"""Branding that reaches the pages' headers and styles: logo URLs and colours, set through the
CLI or left in the database by an older version. Every value is refused with one line or stored
in a form that is safe in a Content-Security-Policy; every page renders; no response denies a
change it made. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess

import httpx
import pytest

from tests.support import raw_sql
from tests.support.cli import run
from tests.support.factories import Factory, Tenant, email
from tests.support.pages import form_value, generate

PAGES = ("managePreferencesUrl", "unsubscribeAllUrl", "unsubscribeSingleUrl")
# Pages whose every header and body must come out right, whatever the branding says.
POLICY = (
    "default-src 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
)

# Logo URLs that are stored, and what is stored for them.
NORMALISED_LOGOS = {
    "https://пример.example/logo.png": "https://xn--e1afmkfd.example/logo.png",
    "https://bücher.example/l.png": "https://xn--bcher-kva.example/l.png",
    "https://ПРИМЕР.Example/Logo.PNG": "https://xn--e1afmkfd.example/Logo.PNG",
    "https://faß.example/l.png": "https://xn--fa-hia.example/l.png",  # as browsers map it
    "HTTPS://CDN.Example/Logo.png": "https://cdn.example/Logo.png",
    "https://cdn.example/лого.png": "https://cdn.example/%D0%BB%D0%BE%D0%B3%D0%BE.png",
    "https://cdn.example:8443/l.png?v=2&w=40#top": "https://cdn.example:8443/l.png?v=2&w=40#top",
    "https://cdn.example/a%20b%0D%0A.png": "https://cdn.example/a%20b%0D%0A.png",
    "  https://cdn.example/l.png  ": "https://cdn.example/l.png",
}
# Logo URLs that are refused.
REFUSED_LOGOS = [
    "http://cdn.example/l.png",  # https only: a logo over http is mixed content
    "https://user:secret@cdn.example/l.png",
    "https://user@cdn.example/l.png",
    "https://cdn.example; script-src *",
    "https://cdn.example;script-src/l.png",
    "https://cdn.example/l.png;x=1",
    "https://cdn.example,https://evil.example/l.png",
    "https://cdn.example/a,b.png",
    "https://cdn.example/l.png\r\nSet-Cookie: a=b",
    "https://cdn.example/l.png\nx",
    "https://cdn.example/l.png\rx",
    "https://cdn.example/\x00.png",
    "https://cdn.example/\x1b[0m.png",
    "https://cdn.example/\x7f.png",
    "https://cdn.example/'x.png",
    'https://cdn.example/"x.png',
    "https://cdn.example/`x.png",
    "https://cdn.example/<x>.png",
    "https://cdn.example/a b.png",
    "https://cdn.example/a\tb.png",
    "https://cdn.example/a\u00a0b.png",
    "https://cdn.example/a\u2028b.png",
    "https://cdn.example/a\u200bb.png",
    "https://cdn.example\\@evil.example/l.png",
    "https://\u202ecdn.example/l.png",
    "https://a..example/l.png",
    "https://-x.example/l.png",
    "https://cdn_x.example/l.png",
    "https://xn--zz.example/l.png",
    "https://cdn.example./l.png",
    "https://" + "a" * 64 + ".example/l.png",
    "https://cdn.example%0d%0a/l.png",
    "https://😀.example/l.png",
    "https://[::1]/l.png",
    "https://[::1/l.png",
    "https://cdn.example:99999/l.png",
    "https://cdn.example:x/l.png",
    "https:///l.png",
    "https://",
    "//cdn.example/l.png",
    "cdn.example/l.png",
    "javascript:alert(1)",
    "data:image/png;base64,AAAA",
    "https://cdn.example/" + "a" * 2000,
]
NORMALISED_COLOURS = {"#ABC": "#abc", " #1B6F5C\n": "#1b6f5c"}
REFUSED_COLOURS = [
    "#abc;x",
    "#ab\r\nc",
    "#\uff41\uff42\uff43",
    "#abc\x00",
    "red",
    "#abcd",
    "é",
    '"',
]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run(*args, timeout=60)


def brand(
    database_url: str, portal: int, unit: int, *options: str
) -> subprocess.CompletedProcess[str]:
    return cli(
        "business-units", "brand", "--portal", str(portal), "--unit", str(unit),
        "--database", database_url, *options, "--json",
    )  # fmt: skip


def stored_branding(database_url: str, portal: int, unit: int) -> tuple[str | None, str | None]:
    rows = raw_sql.execute(
        database_url,
        "SELECT brand_logo_url, brand_colour FROM business_units WHERE portal_id = ? AND id = ?",
        (portal, unit),
    )
    logo, colour = rows[0]
    return logo, colour


def check_page_headers(response: httpx.Response, logo: str | None) -> None:
    """A page as it must always be: a 200 whose policy has exactly its directives, with the
    logo's origin (ASCII) as the only image source."""
    assert response.status_code == 200, response.text[:500]
    policy = response.headers["content-security-policy"]
    assert policy.isascii()
    directives = [d.strip() for d in policy.split(";")]
    for directive in POLICY:
        assert directive in directives
    images = [d for d in directives if d.startswith("img-src ")]
    expected = "'none'" if logo is None else logo.split("/", 3)[0] + "//" + logo.split("/", 3)[2]
    assert images == [f"img-src {expected}"], policy
    assert len(directives) == len(POLICY) + 2  # style-src and img-src


@pytest.fixture
def tenant(factory: Factory) -> Tenant:
    return factory.tenant(types=2)


def test_a_cyrillic_logo_host_is_stored_as_punycode_and_every_page_works(
    database_url: str, http: httpx.Client, tenant: Tenant, factory: Factory
) -> None:
    """Issue 12, defect 1: the host went into the policy header unencoded; every page of the
    unit was a 500, and a form POST changed the subscriber but answered "Nothing was changed"."""
    unit = factory.business_unit(tenant.portal)
    factory.definition(tenant.portal, unit.id)
    done = brand(
        database_url, tenant.portal.id, unit.id, "--logo-url", "https://пример.example/logo.png"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["logoUrl"] == "https://xn--e1afmkfd.example/logo.png"
    subscriber = email()
    links = generate(http, tenant, subscriber, business_unit_id=unit.id)

    page = http.get(links["managePreferencesUrl"])
    check_page_headers(page, "https://xn--e1afmkfd.example/logo.png")
    assert 'src="https://xn--e1afmkfd.example/logo.png"' in page.text
    answer = http.post(links["unsubscribeAllUrl"], data={"csrf": form_value(page.text, "csrf")})

    check_page_headers(answer, "https://xn--e1afmkfd.example/logo.png")
    assert "You are unsubscribed" in answer.text
    wide = [e for e in factory.ledger(tenant.portal, subscriber) if e.wide_type is not None]
    assert [(e.wide_type, e.business_unit_id) for e in wide] == [("BUSINESS_UNIT_WIDE", unit.id)]


def test_hostile_logo_urls_are_refused_in_one_line_or_stored_safe(
    database_url: str, http: httpx.Client, tenant: Tenant
) -> None:
    portal = tenant.portal.id
    links = generate(http, tenant, email(), subscriptionId=tenant.definitions[0].id)
    wrong: list[str] = []
    for given, expected in NORMALISED_LOGOS.items():
        done = brand(database_url, portal, 0, "--logo-url", given)
        stored, _ = stored_branding(database_url, portal, 0)
        answered = json.loads(done.stdout)["logoUrl"] if done.returncode == 0 else None
        if answered != expected or stored != expected:
            wrong.append(f"{given!r}: exit {done.returncode}, stored {stored!r} {done.stderr}")
            continue
        for name in PAGES:
            check_page_headers(http.get(links[name]), expected)
    kept = stored_branding(database_url, portal, 0)[0]
    for given in REFUSED_LOGOS:
        done = brand(database_url, portal, 0, "--logo-url", given)
        refused = (
            done.returncode == 1
            and done.stdout == ""
            and done.stderr.startswith("error: ")
            and "logo" in done.stderr.lower()
            and done.stderr.count("\n") == 1
            and "Traceback" not in done.stderr
        )
        if not refused or stored_branding(database_url, portal, 0)[0] != kept:
            wrong.append(f"{given!r}: exit {done.returncode}, {done.stdout!r} {done.stderr!r}")
    check_page_headers(http.get(links["managePreferencesUrl"]), kept)

    assert not wrong, "\n".join(wrong)


def test_hostile_colours_are_refused_in_one_line_or_stored_safe(
    database_url: str, tenant: Tenant
) -> None:
    portal = tenant.portal.id
    wrong: list[str] = []
    for given, expected in NORMALISED_COLOURS.items():
        done = brand(database_url, portal, 0, "--colour", given)
        if done.returncode != 0 or json.loads(done.stdout)["colour"] != expected:
            wrong.append(f"{given!r}: {done.returncode} {done.stdout} {done.stderr}")
    for given in REFUSED_COLOURS:
        done = brand(database_url, portal, 0, "--colour", given)
        one_line = done.stderr.startswith("error: ") and done.stderr.count("\n") == 1
        if done.returncode != 1 or not one_line or "Traceback" in done.stderr:
            wrong.append(f"{given!r}: {done.returncode} {done.stdout!r} {done.stderr!r}")
    assert stored_branding(database_url, portal, 0)[1] == "#1b6f5c"

    assert not wrong, "\n".join(wrong)


# What an older version, or someone editing the database, may have left in it.
UNCHECKED_LOGOS = {
    "https://пример.example/logo.png": "https://xn--e1afmkfd.example/logo.png",
    "https://bücher.example/l.png": "https://xn--bcher-kva.example/l.png",
    "https://user:secret@cdn.example/l.png": None,
    "https://cdn.example; script-src *": None,
    "https://cdn.example/l.png\r\nSet-Cookie: a=b": None,
    "http://cdn.example/l.png": None,
    "not a URL at all": None,
}


def store_unchecked(database_url: str, tenant: Tenant, unit: int, column: str, value: str) -> None:
    raw_sql.execute(
        database_url,
        f"UPDATE business_units SET {column} = ? WHERE portal_id = ? AND id = ?",
        (value, tenant.portal.id, unit),
    )


@pytest.mark.parametrize("stored", list(UNCHECKED_LOGOS))
def test_a_logo_stored_unchecked_neither_breaks_the_pages_nor_lets_them_deny_a_change(
    database_url: str, http: httpx.Client, tenant: Tenant, factory: Factory, stored: str
) -> None:
    shown = UNCHECKED_LOGOS[stored]
    unit = factory.business_unit(tenant.portal)
    factory.definition(tenant.portal, unit.id)
    subscriber = email()
    links = generate(http, tenant, subscriber, business_unit_id=unit.id)
    # The subscriber opened the page; then the logo URL changed.
    page = http.get(links["managePreferencesUrl"])
    store_unchecked(database_url, tenant, unit.id, "brand_logo_url", stored)

    answer = http.post(links["unsubscribeAllUrl"], data={"csrf": form_value(page.text, "csrf")})

    assert "Nothing was changed" not in answer.text
    check_page_headers(answer, shown)
    assert "You are unsubscribed" in answer.text
    wide = [e for e in factory.ledger(tenant.portal, subscriber) if e.wide_type is not None]
    assert [(e.wide_type, e.business_unit_id) for e in wide] == [("BUSINESS_UNIT_WIDE", unit.id)]
    for name in PAGES[:2]:
        check_page_headers(http.get(links[name]), shown)


def test_a_colour_stored_unchecked_gives_way_to_the_default(
    database_url: str, http: httpx.Client, tenant: Tenant
) -> None:
    links = generate(http, tenant, email())
    store_unchecked(database_url, tenant, 0, "brand_colour", "#zz;}{x")

    page = http.get(links["managePreferencesUrl"])

    check_page_headers(page, None)
    assert "--brand: #2b5797;" in page.text
