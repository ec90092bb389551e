"""Every form of every page, sent a malformed CSRF field or cookie: always the 403 page, never a
500, and nothing written; the manage form's other fields, malformed: ignored. SQLite and
PostgreSQL.

The forms are found in the pages themselves, so a form added later is swept too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import unescape
from typing import Any
from urllib.parse import quote_from_bytes

import httpx
import pytest

from tests.support.factories import Factory, Tenant, email
from tests.support.pages import form_value, generate
from tests.support.server import Server

PAGES = ("managePreferencesUrl", "unsubscribeAllUrl", "unsubscribeSingleUrl")
FORM_ACTION = re.compile(r'<form method="post" action="([^"]+)"')
EXPIRED = "This form has expired"
ARABIC_INDIC_ONE = "\u0661"  # str.isdigit() says yes


@dataclass(frozen=True)
class Form:
    page: str  # the URL of the page that shows the form
    action: str
    fields: dict[str, Any]  # what the form sends besides its token


@pytest.fixture
def tenant(factory: Factory) -> Tenant:
    return factory.tenant(types=2)


def forms_of(http: httpx.Client, links: dict[str, str], tenant: Tenant) -> list[Form]:
    shown = {"shown": [str(d.id) for d in tenant.definitions]}
    found = []
    for name in PAGES:
        page = http.get(links[name])
        assert page.status_code == 200
        for action in FORM_ACTION.findall(page.text):
            url = unescape(action)
            found.append(Form(links[name], url, shown if url == links[PAGES[0]] else {}))
    return found


def malformed_fields(good: str, other: str) -> dict[str, str | None]:
    """Spellings of a CSRF field that must all be refused; ``good`` is the page's own token,
    ``other`` another link's, issued to the same browser."""
    nonce, issued, signature = good.split(".")
    return {
        "missing": None,
        "empty": "",
        "non-ASCII": "é",
        "non-ASCII nonce": f"{nonce[:-1]}é.{issued}.{signature}",
        "non-ASCII signature": f"{nonce}.{issued}.{signature[:-1]}é",
        "non-ASCII issued digits": f"{nonce}.{ARABIC_INDIC_ONE * len(issued)}.{signature}",
        "superscript digit": f"{nonce}.{issued}².{signature}",
        "emoji": "\U0001f642.\U0001f642.\U0001f642",
        "overlong": "a" * 200_000,
        "overlong issued": f"{nonce}.{'1' * 5000}.{signature}",
        "overlong tail": good + "x" * 10_000,
        "NUL": f"{nonce}\x00.{issued}.{signature}",
        "CR/LF": f"{good}\r\n",
        "trailing newline": f"{good}\n",
        "control characters": f"{nonce}.{issued}.\x01\x1b[0m\x7f",
        "padded with spaces": f" {good} ",
        "four parts": f"{good}.x",
        "another link's": other,
    }


def malformed_bodies(good: str) -> dict[str, bytes]:
    """Form bodies a browser would never send: bytes that are not UTF-8."""
    nonce, issued, signature = good.split(".")
    invalid = quote_from_bytes(b"\xff\xfe").encode()
    return {
        "invalid UTF-8": b"csrf=" + invalid,
        "invalid UTF-8 nonce": f"csrf={nonce}".encode()
        + invalid
        + f".{issued}.{signature}".encode(),
        "raw high bytes": b"csrf=\xe9\xff." + issued.encode() + b"." + signature.encode(),
    }


def malformed_cookies(good: str) -> dict[str, bytes]:
    """Cookie headers that must not pass with the page's genuine field ``good``. (Control
    characters in a header never reach the app: the HTTP server refuses the request.)"""
    nonce = good.split(".")[0]
    return {
        "other nonce": b"commprefs_csrf=" + b"A" * 32,
        "empty": b"commprefs_csrf=",
        "non-ASCII": b"commprefs_csrf=" + nonce[:-2].encode() + "é".encode(),
        "latin-1 byte": b"commprefs_csrf=" + nonce[:-1].encode() + b"\xe9",
        "overlong": b"commprefs_csrf=" + nonce.encode() * 64,
    }


def refused(response: httpx.Response) -> bool:
    return (
        response.status_code == 403
        and response.headers["content-type"].startswith("text/html")
        and EXPIRED in response.text
        and "Traceback" not in response.text
    )


def assert_refused(response: httpx.Response, case: str) -> None:
    assert refused(response), (case, response.status_code, response.text[:300])


def test_every_form_refuses_every_malformed_csrf_field(
    http: httpx.Client, server: Server, tenant: Tenant, factory: Factory
) -> None:
    subscriber = email()
    links = generate(http, tenant, subscriber, subscriptionId=tenant.definitions[0].id)
    other = generate(http, tenant, email(), subscriptionId=tenant.definitions[0].id)
    forms = forms_of(http, links, tenant)
    # manage: save and unsubscribe-all; unsubscribe-all; unsubscribe-single.
    assert len(forms) == 4, forms
    good = form_value(http.get(links[PAGES[0]]).text, "csrf")
    other_token = form_value(http.get(other[PAGES[0]]).text, "csrf")  # same browser, same cookie

    answers: dict[str, httpx.Response] = {}
    for form in forms:
        where = form.action.removeprefix(links[PAGES[0]]) or "/ (save)"
        for case, value in malformed_fields(good, other_token).items():
            fields = dict(form.fields) if value is None else {**form.fields, "csrf": value}
            answers[f"{where} {case}"] = http.post(form.action, data=fields)
            multipart = {k: (None, v) for k, v in fields.items() if isinstance(v, str)}
            if multipart:
                answers[f"{where} {case}, multipart"] = http.post(form.action, files=multipart)
        for case, body in malformed_bodies(good).items():
            answers[f"{where} {case}"] = http.post(
                form.action,
                content=body,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
        upload = {"csrf": ("token.txt", good.encode())}
        answers[f"{where} the token as a file"] = http.post(form.action, files=upload)

    wrong = {case: r.status_code for case, r in answers.items() if not refused(r)}
    assert not wrong, "\n".join(f"{case}: {status}" for case, status in wrong.items())
    assert factory.ledger(tenant.portal, subscriber) == []


def test_every_form_refuses_its_genuine_field_with_a_malformed_cookie(
    http: httpx.Client, server: Server, tenant: Tenant, factory: Factory
) -> None:
    subscriber = email()
    links = generate(http, tenant, subscriber, subscriptionId=tenant.definitions[0].id)
    forms = forms_of(http, links, tenant)
    good = form_value(http.get(links[PAGES[0]]).text, "csrf")

    wrong = {}
    with httpx.Client(base_url=server.url) as cookieless:
        for form in forms:
            for case, cookie in malformed_cookies(good).items():
                sent = cookieless.post(
                    form.action, data={**form.fields, "csrf": good}, headers={"Cookie": cookie}
                )
                if not refused(sent):
                    wrong[f"{form.action} cookie {case}"] = sent.status_code

    assert not wrong, "\n".join(f"{case}: {status}" for case, status in wrong.items())
    assert factory.ledger(tenant.portal, subscriber) == []


def test_a_non_ascii_csrf_field_gets_the_403_page(
    http: httpx.Client, tenant: Tenant, factory: Factory
) -> None:
    """Issue 12, defect 2: ``hmac.compare_digest`` on non-ASCII text raised, a 500."""
    subscriber = email()
    links = generate(http, tenant, subscriber, subscriptionId=tenant.definitions[0].id)
    page = http.get(links["managePreferencesUrl"]).text
    nonce, issued, signature = form_value(page, "csrf").split(".")
    forged = f"{nonce[:-1]}é.{issued}.{signature}"

    for url in (links["managePreferencesUrl"], links["unsubscribeAllUrl"]):
        assert_refused(http.post(url, data={"csrf": forged}), url)
    http.get(links["unsubscribeSingleUrl"])
    assert_refused(http.post(links["unsubscribeSingleUrl"], data={"csrf": forged}), "single")
    assert factory.ledger(tenant.portal, subscriber) == []


def test_the_manage_form_ignores_type_ids_that_are_not_ascii_numbers(
    http: httpx.Client, tenant: Tenant, factory: Factory
) -> None:
    """``str.isdigit()`` accepted "²" and ``int()`` then raised: a 500 after the CSRF check."""
    subscriber = email()
    links = generate(http, tenant, subscriber)
    page = http.get(links["managePreferencesUrl"]).text
    junk = ["²", ARABIC_INDIC_ONE, "1" * 30, "-1", " 1", "1\x00", "", "1e3", "0x1", "\uff11"]

    answer = http.post(
        links["managePreferencesUrl"],
        data={"csrf": form_value(page, "csrf"), "shown": junk, "subscribed": junk},
    )

    assert answer.status_code == 200, answer.text[:300]
    assert "Nothing needed changing" in answer.text
    assert factory.ledger(tenant.portal, subscriber) == []
