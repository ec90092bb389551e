"""The web console over HTTP, on SQLite and PostgreSQL: logging in and out, throttling, the
session's CSRF token and origin checks, roles, tenancy, and status changes recorded with the
console user as the actor."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from commprefs.domain.operators import ConsoleUser
from tests.support.console import PASSWORD, Console, console_user
from tests.support.factories import Factory, Tenant, email
from tests.support.server import Server

V4 = "/communication-preferences/v4"


@pytest.fixture(scope="module")
def tenant(factory: Factory) -> Tenant:
    return factory.tenant(types=2)


@pytest.fixture(scope="module")
def admin(factory: Factory, tenant: Tenant) -> ConsoleUser:
    return console_user(factory, tenant.portal, "admin")


@pytest.fixture(scope="module")
def viewer(factory: Factory, tenant: Tenant) -> ConsoleUser:
    return console_user(factory, tenant.portal, "viewer")


@pytest.fixture(scope="module")
def as_admin(server: Server, admin: ConsoleUser) -> Iterator[Console]:
    """One admin session for the module (a login costs an argon2id verification)."""
    with Console(server.url) as console:
        assert console.log_in(admin).status_code == 303
        yield console


@pytest.fixture(scope="module")
def as_viewer(server: Server, viewer: ConsoleUser) -> Iterator[Console]:
    with Console(server.url) as console:
        assert console.log_in(viewer).status_code == 303
        yield console


def test_login_sets_a_strict_session_cookie_and_logout_ends_the_session(
    server: Server, admin: ConsoleUser
) -> None:
    with Console(server.url) as console:
        assert console.http.get("/console/").headers["location"] == "/console/login"
        answer = console.log_in(admin)
        assert answer.status_code == 303
        cookie = answer.headers["set-cookie"].lower()
        assert "httponly" in cookie
        assert "samesite=lax" in cookie
        assert "path=/console" in cookie
        assert "secure" not in cookie  # the public URL is http here
        page = console.http.get("/console/")
        assert page.status_code == 200
        assert admin.email in page.text
        assert "script" not in page.headers["content-security-policy"]
        assert "<script" not in page.text
        stolen = console.http.cookies["commprefs_console"]
        assert console.post("/console/logout", {}).status_code == 303
    with httpx.Client(base_url=server.url, cookies={"commprefs_console": stolen}) as http:
        assert http.get("/console/").status_code == 303  # the old cookie is worth nothing


def test_a_wrong_password_is_refused_and_repeated_failures_lock_the_address_out(
    server: Server, factory: Factory, tenant: Tenant
) -> None:
    user = console_user(factory, tenant.portal, "admin")
    with Console(server.url) as console:
        for _ in range(5):
            refused = console.log_in(user, "not the password at all")
            assert refused.status_code == 401
            assert "not right" in refused.text
        locked = console.log_in(user)  # the right password, but the address is locked out
        assert locked.status_code == 429
        assert "Too many failed logins" in locked.text
        assert "commprefs_console=" not in locked.headers.get("set-cookie", "")
    other = console_user(factory, tenant.portal, "admin")
    with Console(server.url) as console:
        assert console.log_in(other).status_code == 303  # only that address is locked


def test_a_login_form_without_its_csrf_cookie_is_refused(
    server: Server, admin: ConsoleUser
) -> None:
    with httpx.Client(base_url=server.url) as http:
        answer = http.post(
            "/console/login", data={"csrf": "x" * 32, "email": admin.email, "password": PASSWORD}
        )
    assert answer.status_code == 403
    assert "commprefs_console=" not in answer.headers.get("set-cookie", "")


POSTS = {
    "/console/subscriber/status": {
        "address": "someone@example.com",
        "subscription": "1",
        "state": "UNSUBSCRIBED",
        "reason": "test",
    },
    "/console/types": {"name": "Viewer's type", "description": "", "business_unit": "0"},
    "/console/types/translation": {"definition": "1", "language": "de", "name": "X"},
    "/console/types/edit": {"definition": "1", "name": "Renamed by a viewer"},
    "/console/brands": {"name": "Viewer's brand"},
    "/console/brands/branding": {"unit": "0", "name": "Viewer"},
    "/console/tokens": {"name": "viewer's", "scopes": "communication_preferences.read"},
    "/console/tokens/revoke": {"token": "1"},
    "/console/ledger/verify": {},
    "/console/imports": {"format": "csv"},
    "/console/subscriber/export": {"address": "someone@example.com"},
    "/console/subscriber/erase": {
        "address": "someone@example.com",
        "confirmation": "someone@example.com",
    },
}


@pytest.mark.parametrize("path", sorted(POSTS))
def test_a_viewer_can_change_nothing(as_viewer: Console, path: str) -> None:
    page = as_viewer.http.get("/console/types")
    assert page.status_code == 200
    assert "Create a type" not in page.text  # no forms offered to a viewer
    refused = as_viewer.post(path, POSTS[path])
    assert refused.status_code == 403, refused.text
    assert "Viewers can look but not change" in refused.text


@pytest.mark.parametrize("path", sorted(POSTS))
def test_posts_without_the_sessions_csrf_token_or_from_another_site_are_refused(
    as_admin: Console, tenant: Tenant, factory: Factory, path: str
) -> None:
    data = POSTS[path]
    without = as_admin.http.post(path, data=data)
    assert without.status_code == 403
    forged = as_admin.http.post(path, data={**data, "csrf": "forged-token-value"})
    assert forged.status_code == 403
    cross_site = as_admin.post(path, data, origin="https://evil.example")
    assert cross_site.status_code == 403
    fetch_metadata = as_admin.post(path, data, **{"sec-fetch-site": "cross-site"})
    assert fetch_metadata.status_code == 403
    assert "commprefs_csrf" not in str(factory.ledger(tenant.portal, "someone@example.com"))
    assert factory.ledger(tenant.portal, "someone@example.com") == []


def test_a_status_changed_in_the_console_is_read_by_the_api_with_the_user_as_actor_and_context(
    as_admin: Console, admin: ConsoleUser, tenant: Tenant, server: Server
) -> None:
    subscriber = email("console")
    first = tenant.definitions[0]
    changed = as_admin.post(
        "/console/subscriber/status",
        {
            "address": subscriber,
            "subscription": str(first.id),
            "state": "UNSUBSCRIBED",
            "reason": "asked by phone",
        },
        # Not behind a trusted proxy: X-Forwarded-For is not believed (domain/consent.py).
        **{"user-agent": "Console-Test/1.0", "x-forwarded-for": "203.0.113.9"},
    )
    assert changed.status_code == 303
    page = as_admin.http.get(changed.headers["location"])
    assert "The status is changed." in page.text
    assert f"console user {admin.id}" in page.text
    with httpx.Client(base_url=server.url, headers=tenant.headers) as api:
        read = api.get(f"{V4}/statuses/{subscriber}", params={"channel": "EMAIL"}).json()
        history = api.get(
            f"/commprefs/v1/subscribers/{subscriber}/history", params={"channel": "EMAIL"}
        ).json()
    status = {r["subscriptionId"]: r for r in read["results"]}[first.id]
    assert status["status"] == "UNSUBSCRIBED"
    assert status["source"] == f"console user {admin.id} ({admin.email}): asked by phone"
    [entry] = history["results"]
    assert entry["api"] == "console"
    assert entry["tokenId"] is None
    assert entry["source"].startswith(f"console user {admin.id} ")
    # The consent context names the user, with the request's IP and user agent (the API's rule).
    assert entry["context"] == {
        "via": "console",
        "userId": admin.id,
        "user": admin.email,
        "ip": "127.0.0.1",
        "userAgent": "Console-Test/1.0",
    }


def test_a_change_without_a_reason_is_refused_and_writes_nothing(
    as_admin: Console, tenant: Tenant, factory: Factory
) -> None:
    subscriber = email("noreason")
    refused = as_admin.post(
        "/console/subscriber/status",
        {
            "address": subscriber,
            "subscription": str(tenant.definitions[0].id),
            "state": "UNSUBSCRIBED",
            "reason": "  ",
        },
    )
    assert refused.status_code == 400
    assert "Say why" in refused.text
    assert factory.ledger(tenant.portal, subscriber) == []


def test_another_portals_user_sees_nothing_of_this_one(
    server: Server, factory: Factory, tenant: Tenant, as_admin: Console
) -> None:
    subscriber = email("private")
    as_admin.post(
        "/console/subscriber/status",
        {
            "address": subscriber,
            "subscription": str(tenant.definitions[0].id),
            "state": "SUBSCRIBED",
            "reason": "signed up at the desk",
        },
    )
    elsewhere = factory.tenant(types=1)
    outsider = console_user(factory, elsewhere.portal, "admin")
    token_id = factory.token_ids[tenant.token]
    with Console(server.url) as console:
        assert console.log_in(outsider).status_code == 303
        search = console.http.get("/console/subscribers", params={"q": subscriber[:12]})
        assert subscriber not in search.text.replace(f"Open {subscriber}", "")
        page = console.http.get("/console/subscriber", params={"address": subscriber})
        assert tenant.definitions[0].name not in page.text
        assert "signed up at the desk" not in page.text
        tokens = console.http.get("/console/tokens")
        assert f'data-token="{token_id}"' not in tokens.text
        refused = console.post("/console/tokens/revoke", {"token": str(token_id)})
        assert refused.status_code == 404
        overview = console.http.get("/console/")
        assert tenant.definitions[0].name not in overview.text
    with httpx.Client(base_url=server.url, headers=tenant.headers) as api:
        assert api.get(f"{V4}/definitions").status_code == 200  # the token still works


def test_every_page_answers_with_the_strict_policy(as_admin: Console, tenant: Tenant) -> None:
    subscriber = email("pages")
    for path in [
        "/console/",
        "/console/subscribers?q=pages",
        f"/console/subscriber?address={subscriber}&as_of=2026-01-01",
        "/console/types",
        "/console/brands",
        "/console/tokens",
        "/console/webhooks",
    ]:
        page = as_admin.http.get(path)
        assert page.status_code == 200, path
        policy = page.headers["content-security-policy"]
        assert policy.startswith("default-src 'none'; style-src 'nonce-")
        assert "frame-ancestors 'none'" in policy
        assert page.headers["cache-control"] == "no-store"
        # Every form control has a label (or is hidden / a button).
        for control in re.findall(r"<(?:input|select|textarea)\b[^>]*>", page.text):
            if 'type="hidden"' in control or 'type="checkbox"' in control:
                continue
            ident = re.search(r'id="([^"]+)"', control)
            assert ident, control
            assert f'for="{ident.group(1)}"' in page.text, control
    missing = as_admin.http.get("/console/no-such-page")
    assert missing.status_code == 404
    bad_date = as_admin.http.get(f"/console/subscriber?address={subscriber}&as_of=yesterday")
    assert bad_date.status_code == 400
    bad_address = as_admin.http.get("/console/subscriber?address=not-an-address")
    assert bad_address.status_code == 400
    assert "<html" in bad_address.text  # a console page, never JSON or a traceback
    assert as_admin.http.get("/console").headers["location"] == "/console/"
    spoofed = as_admin.http.get("/console/", params={"notice": "Call 0800 to unlock"})
    assert "Call 0800" not in spoofed.text  # no link makes the console say anything


def test_an_admin_verifies_the_ledger_chain_and_the_overview_says_when(
    as_admin: Console, tenant: Tenant
) -> None:
    before = as_admin.http.get("/console/").text
    head = re.search(r"Head: entry (\d+)", before)
    assert head
    verified = as_admin.post("/console/ledger/verify", {})
    assert verified.status_code == 303
    page = as_admin.http.get(verified.headers["location"]).text
    assert "The ledger is intact." in page
    assert re.search(r"Last verified \S+Z up to entry (\d+): <strong>intact</strong>", page)


def test_an_import_uploaded_in_the_console_runs_and_offers_its_rejects_and_exports_stream(
    as_admin: Console, admin: ConsoleUser, tenant: Tenant, server: Server, factory: Factory
) -> None:
    first = tenant.definitions[0]
    good, bad = email("imported"), "not-an-address"
    body = (
        f"email,subscriptionId,status\n{good},{first.id},SUBSCRIBED\n{bad},{first.id},SUBSCRIBED\n"
    )
    started = as_admin.http.post(
        "/console/imports",
        data={"csrf": as_admin.csrf(), "format": ""},
        files={"file": ("people.csv", body.encode(), "text/csv")},
    )
    assert started.status_code == 303
    job = started.headers["location"]
    for _ in range(100):
        page = as_admin.http.get(job)
        if "Finished" in page.text:
            break
    assert "Finished: 1 of 2 rows imported, 1 rejected." in page.text
    assert 'http-equiv="refresh"' not in page.text  # it stops reloading when done
    rejects = as_admin.http.get(job + "/rejects")
    assert rejects.status_code == 200
    assert bad in rejects.text
    assert "_error" in rejects.text.splitlines()[0]
    with httpx.Client(base_url=server.url, headers=tenant.headers) as api:
        read = api.get(f"{V4}/statuses/{good}", params={"channel": "EMAIL"}).json()
    status = {r["subscriptionId"]: r for r in read["results"]}[first.id]
    assert status["status"] == "SUBSCRIBED"
    assert status["source"] == f"console user {admin.id} ({admin.email}): import of people.csv"
    # The job is the admin API's, kept in the database (any worker answers its progress page).
    job_id = int(job.rsplit("/", 1)[-1])
    admin_token = factory.token(tenant.portal, ["commprefs.admin"])
    admin_headers = {"Authorization": f"Bearer {admin_token}"}
    with httpx.Client(base_url=server.url, headers=admin_headers) as api:
        polled = api.get(f"/commprefs/v1/imports/{job_id}").json()
        audit = api.get("/commprefs/v1/audit").json()["results"]
        history = api.get(
            f"/commprefs/v1/subscribers/{good}/history",
            params={"channel": "EMAIL"},
            headers=tenant.headers,
        ).json()
    assert (polled["state"], polled["imported"], polled["rejected"]) == ("COMPLETE", 1, 1)
    started_by = [r for r in audit if r["target"] == f"import {job_id}"]
    assert [(r["action"], r["userId"], r["tokenId"]) for r in started_by] == [
        ("import.start", admin.id, None)
    ]
    [entry] = history["results"]
    assert entry["context"]["via"] == "import"
    assert entry["context"]["fileName"] == "people.csv"
    assert (entry["context"]["userId"], entry["context"]["user"]) == (admin.id, admin.email)
    assert as_admin.http.get("/console/imports/not-a-number").status_code == 404
    assert as_admin.http.get(f"/console/imports/{job_id + 1000}").status_code == 404
    exported = as_admin.http.get("/console/exports/statuses.csv")
    assert exported.status_code == 200
    assert exported.headers["content-disposition"] == 'attachment; filename="statuses.csv"'
    assert good in exported.text
    assert exported.text.startswith("email,")
    assert as_admin.http.get("/console/exports/nothing.csv").status_code == 404


def test_a_type_is_renamed_deactivated_and_reactivated_in_the_console(
    as_admin: Console, factory: Factory, server: Server
) -> None:
    tenant = factory.tenant(types=2)
    admin = console_user(factory, tenant.portal, "admin")
    kind, other = tenant.definitions
    with Console(server.url) as console, httpx.Client(base_url=server.url) as api:
        assert console.log_in(admin).status_code == 303

        def definitions() -> dict[int, dict[str, object]]:
            found = api.get(f"{V4}/definitions", headers=tenant.headers).json()["results"]
            return {int(d["id"]): d for d in found}

        edit = {"definition": str(kind.id), "description": "Now described.", "purpose": "News"}
        renamed = console.post("/console/types/edit", {**edit, "name": "Renamed", "active": "on"})
        assert renamed.status_code == 303
        assert definitions()[kind.id]["name"] == "Renamed"
        assert definitions()[kind.id]["description"] == "Now described."
        assert console.post("/console/types/edit", {**edit, "name": "Renamed"}).status_code == 303
        assert definitions()[kind.id]["isActive"] is False
        taken = console.post("/console/types/edit", {**edit, "name": other.name, "active": "on"})
        assert taken.status_code == 409
        assert definitions()[kind.id]["name"] == "Renamed"  # nothing half-written
        assert definitions()[kind.id]["isActive"] is False
        elsewhere = console.post("/console/types/edit", {**edit, "definition": "999999999"})
        assert elsewhere.status_code == 400
        back = console.post("/console/types/edit", {**edit, "name": "Renamed", "active": "on"})
        assert back.status_code == 303
        assert definitions()[kind.id]["isActive"] is True


def test_each_configuration_change_is_an_admin_audit_record_with_its_user(
    factory: Factory, server: Server
) -> None:
    """The console's changes are made by the admin API's services: each is an audit record in
    its own transaction, with the console user's id and no token, listed by the admin API and,
    with the admin API's own changes, on the overview (users by address, tokens by id)."""
    tenant = factory.tenant(types=1)
    admin = console_user(factory, tenant.portal, "admin")
    admin_token = factory.token(tenant.portal, ["commprefs.admin"])
    admin_api = {"Authorization": f"Bearer {admin_token}"}
    with Console(server.url) as console, httpx.Client(base_url=server.url) as api:
        assert console.log_in(admin).status_code == 303
        created = console.post(
            "/console/types", {"name": "Audited", "description": "", "business_unit": "0"}
        )
        assert created.status_code == 303
        taken = console.post(
            "/console/types", {"name": "Audited", "description": "", "business_unit": "0"}
        )
        assert taken.status_code == 409  # refused: nothing recorded for it
        made = console.post(
            "/console/tokens", {"name": "audited token", "scopes": "communication_preferences.read"}
        )
        secret = re.search(r'id="new-secret" readonly value="([^"]+)"', made.text)
        assert secret
        token_id = re.search(r"Token (\d+) \(audited token\) is created", made.text)
        assert token_id
        console.post("/console/tokens/revoke", {"token": token_id.group(1)})
        branded = console.post(
            "/console/brands/branding", {"unit": "0", "unit_name": "Renamed", "colour": "#123456"}
        )
        assert branded.status_code == 303
        by_api = api.post(
            "/commprefs/v1/business-units", json={"name": "By API"}, headers=admin_api
        )
        assert by_api.status_code == 201, by_api.text
        overview = console.http.get("/console/").text
        audit = api.get("/commprefs/v1/audit", headers=admin_api).json()["results"]
        units = api.get("/commprefs/v1/business-units", headers=admin_api).text
    recorded = re.findall(
        r'<li><span class="when">[^<]+</span> ([^:]+): ([^—]+) — ([^<]+)</li>', overview
    )
    assert [(who, what.strip()) for who, what, _ in recorded] == [
        (f"token {factory.token_ids[admin_token]}", "business_unit.create"),
        (admin.email, "business_unit.update"),
        (admin.email, "token.revoke"),
        (admin.email, "token.create"),
        (admin.email, "definition.create"),
        (admin.email, "login"),
    ]
    assert recorded[3][2].startswith(f"token {token_id.group(1)}, name audited token")
    assert secret.group(1) not in overview
    assert [(r["action"], r["userId"], r["tokenId"]) for r in audit][:-1] == [
        ("login", admin.id, None),
        ("definition.create", admin.id, None),
        ("token.create", admin.id, None),
        ("token.revoke", admin.id, None),
        ("business_unit.update", admin.id, None),
    ]
    assert audit[-1]["tokenId"] == factory.token_ids[admin_token]
    assert "Renamed" in units


# -- the data subjects' rights: export (Art. 15) and erasure (Art. 17) ----------------------------


def _changed_in_console(console: Console, tenant: Tenant, subscriber: str) -> None:
    changed = console.post(
        "/console/subscriber/status",
        {
            "address": subscriber,
            "subscription": str(tenant.definitions[0].id),
            "state": "SUBSCRIBED",
            "reason": "signed up at the desk",
        },
    )
    assert changed.status_code == 303


def _erasures(factory: Factory, tenant: Tenant) -> list[dict[str, object]]:
    async def read() -> list[dict[str, object]]:
        async with factory.services.database.read() as repo:
            return await repo.entries_after(tenant.portal.id, 0, 100_000)

    return [row for row in factory.run(read()) if row["kind"] == "subscriber.erased"]


def test_an_admin_downloads_the_subject_export_the_api_answers(
    as_admin: Console, admin: ConsoleUser, tenant: Tenant, server: Server
) -> None:
    subscriber = email("exported")
    _changed_in_console(as_admin, tenant, subscriber)
    page = as_admin.http.get("/console/subscriber", params={"address": subscriber})
    assert "Export (Art. 15)" in page.text
    assert "Erase (Art. 17)" in page.text
    downloaded = as_admin.post("/console/subscriber/export", {"address": subscriber})
    assert downloaded.status_code == 200, downloaded.text
    assert downloaded.headers["content-type"] == "application/json"
    assert downloaded.headers["content-disposition"].startswith("attachment;")
    assert subscriber not in downloaded.headers["content-disposition"]
    document = downloaded.json()
    with httpx.Client(base_url=server.url, headers=tenant.headers) as api:
        by_api = api.get(f"/commprefs/v1/subscribers/{subscriber}/export")
    assert by_api.status_code == 200, by_api.text
    expected = by_api.json()
    assert document.pop("exportedAt")
    assert expected.pop("exportedAt")
    assert document == expected
    assert document["subscriberIdString"] == subscriber
    [entry] = document["history"]
    assert entry["source"] == f"console user {admin.id} ({admin.email}): signed up at the desk"


def test_a_viewer_is_offered_neither_button_and_refused_both(
    as_viewer: Console, as_admin: Console, tenant: Tenant, factory: Factory
) -> None:
    subscriber = email("viewed")
    _changed_in_console(as_admin, tenant, subscriber)
    page = as_viewer.http.get("/console/subscriber", params={"address": subscriber})
    assert page.status_code == 200
    assert "Export (Art. 15)" not in page.text
    assert "Erase (Art. 17)" not in page.text
    confirm = as_viewer.http.get("/console/subscriber/erase", params={"address": subscriber})
    assert confirm.status_code == 403
    before = factory.ledger(tenant.portal, subscriber)
    erasures = len(_erasures(factory, tenant))
    exported = as_viewer.post("/console/subscriber/export", {"address": subscriber})
    assert exported.status_code == 403
    assert subscriber not in exported.text
    erased = as_viewer.post(
        "/console/subscriber/erase", {"address": subscriber, "confirmation": subscriber}
    )
    assert erased.status_code == 403
    assert "Viewers can look but not change" in erased.text
    assert factory.ledger(tenant.portal, subscriber) == before
    assert len(_erasures(factory, tenant)) == erasures


def test_an_erasure_needs_the_address_typed_again_and_then_names_the_console_user(
    as_admin: Console, admin: ConsoleUser, tenant: Tenant, server: Server, factory: Factory
) -> None:
    subscriber = email("erased")
    _changed_in_console(as_admin, tenant, subscriber)
    before = factory.ledger(tenant.portal, subscriber)
    erasures = len(_erasures(factory, tenant))
    confirm = as_admin.http.get("/console/subscriber/erase", params={"address": subscriber})
    assert confirm.status_code == 200
    assert 'name="confirmation"' in confirm.text
    for typed in ("", "someone-else@example.com", "not an address"):
        refused = as_admin.post(
            "/console/subscriber/erase", {"address": subscriber, "confirmation": typed}
        )
        assert refused.status_code == 400, refused.text
        assert "Type the address again" in refused.text
    assert factory.ledger(tenant.portal, subscriber) == before
    assert len(_erasures(factory, tenant)) == erasures

    erased = as_admin.post(
        "/console/subscriber/erase",
        {"address": subscriber, "confirmation": f"  {subscriber.upper()} "},
    )
    assert erased.status_code == 303, erased.text
    page = as_admin.http.get(erased.headers["location"])
    assert "Erased: subscriber hash " in page.text
    assert "Erased on request" in page.text
    with httpx.Client(base_url=server.url, headers=tenant.headers) as api:
        read = api.get(f"{V4}/statuses/{subscriber}", params={"channel": "EMAIL"}).json()
    assert {(r["status"], r["source"]) for r in read["results"]} == {
        ("UNSUBSCRIBED", "Erased on request")
    }
    [*_, erasure] = _erasures(factory, tenant)
    assert len(_erasures(factory, tenant)) == erasures + 1
    assert erasure["source"] == f"Erased on request by console user {admin.id}"
    assert erasure["api"] == "console"
    assert erasure["token_id"] is None
