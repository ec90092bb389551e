"""Double opt-in through a real SMTP server (aiosmtpd, started here): the mail and its two parts,
the link that confirms on POST only, expiry and reuse, the proof in the ledger, and a mail that
waits out an SMTP server that is down, across a restart of commprefs.

One app per module, served in a thread, with a clock the tests move (expiry, backoff) instead of
waiting; it trusts 127.0.0.1 as its proxy and keeps IPs truncated, so the proof shows the
address that X-Forwarded-For names, cut to its network.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from commprefs.app import create_app
from commprefs.config import Settings
from tests.support import pages
from tests.support.factories import Factory, Tenant, email
from tests.support.inprocess import serving
from tests.support.server import free_port
from tests.support.smtp import SmtpServer, parts
from tests.support.v4 import V4

V1 = "/commprefs/v1"
HOUR_MS = 3_600_000


class MovableClock:
    def __init__(self) -> None:
        self.offset_ms = 0

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000 + self.offset_ms

    def advance(self, ms: int) -> None:
        self.offset_ms += ms


def _settings(url: str, smtp: str, port: int, **extra: Any) -> Settings:
    return Settings(
        database_url=url,
        public_url=f"http://127.0.0.1:{port}",
        smtp_url=smtp,
        mail_from="news@shop.example",
        mail_poll_seconds=0.05,
        trusted_proxies="127.0.0.1",
        consent_ip="truncated",
        **extra,
    )


@contextmanager
def _served(url: str, smtp: str, clock: MovableClock, **extra: Any) -> Iterator[httpx.Client]:
    port = free_port()
    app = create_app(_settings(url, smtp, port, **extra), clock=clock)
    with serving(app, port) as base, httpx.Client(base_url=base, timeout=30.0) as client:
        yield client


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer(free_port()) as server:
        yield server


@pytest.fixture(scope="module")
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture(scope="module")
def module_factory(database_url: str) -> Iterator[Factory]:
    """On SQLite and PostgreSQL: this module's own app serves the session's databases."""
    made = Factory(database_url)
    yield made
    made.close()


@pytest.fixture(scope="module")
def client(database_url: str, smtp: SmtpServer, clock: MovableClock) -> Iterator[httpx.Client]:
    with _served(database_url, smtp.url, clock) as served:
        yield served


def _request(client: httpx.Client, tenant: Tenant, subscriber: str, **body: Any) -> httpx.Response:
    ids = [d.id for d in tenant.definitions]
    return client.post(
        f"{V1}/subscribers/{subscriber}/confirmations",
        json={"subscriptionIds": ids, **body},
        headers=tenant.headers,
    )


def _pending(client: httpx.Client, tenant: Tenant, subscriber: str) -> list[dict[str, Any]]:
    response = client.get(f"{V1}/subscribers/{subscriber}/confirmations", headers=tenant.headers)
    assert response.status_code == 200, response.text
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def _link(text: str) -> str:
    found = re.search(r"http://\S+/preferences/confirm/\S+", text)
    assert found, text
    return found.group(0)


def test_the_mail_arrives_and_its_link_confirms_on_post_only_with_the_whole_proof(
    client: httpx.Client, smtp: SmtpServer, module_factory: Factory
) -> None:
    tenant = module_factory.tenant(types=2)
    module_factory.translate(tenant.definitions[0], "de", "Neuigkeiten", "Was es Neues gibt")
    v4 = V4(client, "/communication-preferences/v4", tenant)
    subscriber = email("optin")
    asked = _request(
        client, tenant, subscriber.upper(), language="de", legalBasisExplanation="Signup form"
    )
    assert asked.status_code == 202, asked.text
    confirmation = asked.json()
    assert confirmation["mailQueued"] is True
    assert confirmation["subscriberIdString"] == subscriber
    assert confirmation["expiresAt"] > confirmation["requestedAt"]
    # A second click on the signup form within the minute: the same confirmation, no new mail.
    again = _request(client, tenant, subscriber, language="de", legalBasisExplanation="x")
    assert (again.status_code, again.json()["id"]) == (202, confirmation["id"])
    assert again.json()["mailQueued"] is False
    assert set(v4.states(subscriber).values()) == {"NOT_SPECIFIED"}  # nothing changes yet
    assert [p["id"] for p in _pending(client, tenant, subscriber)] == [confirmation["id"]]

    [mail] = smtp.inbox.wait_for(subscriber)
    assert mail["From"] == "news@shop.example"
    assert "bestätigen" in mail["Subject"]
    body = parts(mail)
    assert set(body) == {"text/plain", "text/html"}
    assert "Neuigkeiten" in body["text/plain"]
    assert tenant.definitions[1].name in body["text/plain"]
    link = _link(body["text/plain"])
    assert link in body["text/html"]

    shown = client.get(link, headers={"User-Agent": "MailScanner/1.0"})
    assert shown.status_code == 200
    assert "Neuigkeiten" in shown.text
    assert "<button" in shown.text
    assert set(v4.states(subscriber).values()) == {"NOT_SPECIFIED"}  # a GET changes nothing

    forged = client.post(link, data={"csrf": "nope"})
    assert forged.status_code == 403
    assert "text/html" in forged.headers["content-type"]
    assert set(v4.states(subscriber).values()) == {"NOT_SPECIFIED"}

    confirmed = client.post(
        link,
        data={"csrf": pages.form_value(shown.text, "csrf")},
        headers={"User-Agent": "Firefox/140.0", "X-Forwarded-For": "198.51.100.77"},
    )
    assert confirmed.status_code == 200, confirmed.text
    assert "Neuigkeiten" in confirmed.text
    assert set(v4.states(subscriber).values()) == {"SUBSCRIBED"}
    read = v4.statuses(subscriber).json()["results"]
    assert {r["legalBasis"] for r in read} == {"CONSENT_WITH_NOTICE"}
    assert {r["legalBasisExplanation"] for r in read} == {"Signup form"}

    history = client.get(
        f"{V1}/subscribers/{subscriber}/history",
        params={"channel": "EMAIL"},
        headers=tenant.headers,
    ).json()["results"]
    assert len(history) == 2
    requested = client.get(f"{V1}/subscribers/{subscriber}/export", headers=tenant.headers)
    mails = requested.json()["confirmations"][0]["mail"]
    for entry in history:
        proof = entry["context"]
        assert proof["via"] == "confirmation"
        assert proof["confirmationId"] == confirmation["id"]
        assert proof["requestedAt"] == confirmation["requestedAt"]
        assert proof["requestedBy"]["tokenName"] == "test token"
        assert proof["requestedBy"]["ip"] == "127.0.0.0"  # truncated to its /24
        assert proof["messageId"] == mail["Message-ID"] == mails["messageId"]
        assert proof["mailSentAt"] == mails["sentAt"]
        assert proof["requestedAt"] <= proof["mailSentAt"] <= proof["confirmedAt"]
        assert proof["ip"] == "198.51.100.0"  # the trusted proxy's client, truncated
        assert proof["userAgent"] == "Firefox/140.0"
        assert len(proof["linkId"]) == 32
        assert proof["linkId"] not in link
        assert entry["source"] == "Double opt-in"
    assert _pending(client, tenant, subscriber) == []

    for reused in (client.post(link, data={"csrf": "x"}), client.get(link)):
        assert reused.status_code == 410
        assert "confirmed already" in reused.text
        assert "text/html" in reused.headers["content-type"]
    assert len(smtp.inbox.to(subscriber)) == 1


def test_an_expired_link_gets_the_friendly_page_and_changes_nothing(
    client: httpx.Client, smtp: SmtpServer, clock: MovableClock, module_factory: Factory
) -> None:
    tenant = module_factory.tenant(types=1)
    v4 = V4(client, "/communication-preferences/v4", tenant)
    subscriber = email("late")
    assert _request(client, tenant, subscriber).status_code == 202
    [mail] = smtp.inbox.wait_for(subscriber)
    link = _link(parts(mail)["text/plain"])
    shown = client.get(link)
    assert shown.status_code == 200
    altered = client.get(link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb"))
    assert altered.status_code == 404
    assert "This link is not valid" in altered.text
    clock.advance(168 * HOUR_MS + 1)  # COMMPREFS_CONFIRMATION_TTL_HOURS' default
    assert _pending(client, tenant, subscriber) == []
    for late in (client.get(link), client.post(link, data={"csrf": "x"})):
        assert late.status_code == 410
        assert "expired" in late.text
    assert v4.states(subscriber) == {tenant.definitions[0].id: "NOT_SPECIFIED"}
    # A new request after expiry is a new confirmation, with a mail of its own.
    fresh = _request(client, tenant, subscriber)
    assert (fresh.status_code, fresh.json()["mailQueued"]) == (202, True)
    smtp.inbox.wait_for(subscriber, count=2)


def test_requests_are_refused_in_hubspots_error_body(
    client: httpx.Client, module_factory: Factory
) -> None:
    tenant = module_factory.tenant(types=1)
    other = module_factory.tenant(types=1)
    path = f"{V1}/subscribers/{email()}/confirmations"
    cases = [
        ({"subscriptionIds": []}, tenant.headers, 400),
        ({"subscriptionIds": [other.definitions[0].id]}, tenant.headers, 400),
        ({"subscriptionIds": [tenant.definitions[0].id], "language": "!!"}, tenant.headers, 400),
        ({"subscriptionIds": [tenant.definitions[0].id]}, {}, 401),
    ]
    for body, headers, status in cases:
        refused = client.post(path, json=body, headers=headers)
        assert refused.status_code == status, refused.text
        assert {"status", "message", "category", "correlationId"} <= set(refused.json())
    reader = module_factory.token(tenant.portal, ["communication_preferences.read"])
    refused = client.post(
        path,
        json={"subscriptionIds": [tenant.definitions[0].id]},
        headers={"Authorization": f"Bearer {reader}"},
    )
    assert (refused.status_code, refused.json()["category"]) == (403, "MISSING_SCOPES")
    assert _pending(client, tenant, path.split("/")[-2]) == []


def test_a_mail_waits_out_an_smtp_server_that_is_down_across_a_restart(tmp_path: Path) -> None:
    # A database of its own: the module's app (and its mail worker) must not take this mail.
    url = f"sqlite:///{tmp_path / 'restart.db'}"
    factory = Factory(url)
    tenant = factory.tenant(types=1)
    factory.close()
    subscriber = email("patient")
    port = free_port()  # nothing listens there yet
    clock = MovableClock()
    down = f"smtp://127.0.0.1:{port}"
    with _served(url, down, clock, mail_backoff_base_seconds=600) as first:
        assert _request(first, tenant, subscriber).status_code == 202
        deadline = time.monotonic() + 15
        while not (mail := _pending(first, tenant, subscriber)[0]["mail"])["lastError"]:
            assert time.monotonic() < deadline, "the mail was never tried"
            time.sleep(0.05)
        assert (mail["attempts"], mail["sentAt"]) == (1, None)
        assert "127.0.0.1" in mail["lastError"]
    # commprefs restarts, the SMTP server is back, and the backoff (10 minutes) has passed.
    clock.advance(20 * 60_000)
    with SmtpServer(port) as smtp, _served(url, down, clock) as second:
        [delivered] = smtp.inbox.wait_for(subscriber)
        deadline = time.monotonic() + 15
        while (mail := _pending(second, tenant, subscriber)[0]["mail"])["sentAt"] is None:
            assert time.monotonic() < deadline, "the sent mail was never recorded"
            time.sleep(0.05)
        assert mail["messageId"] == delivered["Message-ID"]
        assert mail["attempts"] == 2


def test_behind_a_trusted_proxy_the_forwarded_client_is_kept_truncated(
    client: httpx.Client, module_factory: Factory
) -> None:
    tenant = module_factory.tenant(types=1)
    subscriber = email("proxied")
    for forwarded in ("2001:db8:abcd:12::1", "6.6.6.6, 198.51.100.77"):
        changed = client.post(
            f"/communication-preferences/v4/statuses/{subscriber}",
            json={
                "channel": "EMAIL",
                "statusState": "SUBSCRIBED",
                "subscriptionId": tenant.definitions[0].id,
            },
            headers={**tenant.headers, "X-Forwarded-For": forwarded},
        )
        assert changed.status_code == 200, changed.text
        client.post(
            f"/communication-preferences/v4/statuses/{subscriber}/unsubscribe-all",
            params={"channel": "EMAIL"},
            headers={**tenant.headers, "X-Forwarded-For": forwarded},
        )
    history = client.get(
        f"{V1}/subscribers/{subscriber}/history",
        params={"channel": "EMAIL"},
        headers=tenant.headers,
    ).json()["results"]
    ips = [entry["context"]["ip"] for entry in history]
    assert ips[0] == "2001:db8:abcd::"  # its /48
    assert ips[-1] == "198.51.100.0"  # the rightmost untrusted hop, its /24; never 6.6.6.6
    assert set(ips) == {"2001:db8:abcd::", "198.51.100.0"}


def test_a_retried_request_with_its_idempotency_key_replays_and_sends_one_mail(
    client: httpx.Client, smtp: SmtpServer, module_factory: Factory
) -> None:
    tenant = module_factory.tenant(types=1)
    subscriber = email("retry")
    headers = {**tenant.headers, "Idempotency-Key": f"signup-{subscriber}"}
    body = {"subscriptionIds": [tenant.definitions[0].id]}
    path = f"{V1}/subscribers/{subscriber}/confirmations"
    first = client.post(path, json=body, headers=headers)
    retried = client.post(path, json=body, headers=headers)
    assert (first.status_code, retried.status_code) == (202, 202)
    assert retried.content == first.content
    smtp.inbox.wait_for(subscriber)
    assert [p["id"] for p in _pending(client, tenant, subscriber)] == [first.json()["id"]]
    time.sleep(0.3)  # six polls of the mail worker: a second mail would have gone out
    assert len(smtp.inbox.to(subscriber)) == 1


def test_a_broken_operator_template_is_a_failed_attempt_and_the_worker_goes_on(
    tmp_path: Path, smtp: SmtpServer
) -> None:
    url = f"sqlite:///{tmp_path / 'templates.db'}"
    factory = Factory(url)
    tenant = factory.tenant(types=1)
    unit = factory.business_unit(tenant.portal)
    other = factory.definition(tenant.portal, business_unit_id=unit.id)
    factory.close()
    templates = tmp_path / "templates"
    (templates / "unit-0").mkdir(parents=True)
    (templates / "unit-0" / "confirm.txt").write_text("{% if %}", encoding="utf-8")
    broken, fine = email("broken"), email("fine")
    with _served(url, smtp.url, MovableClock(), mail_templates=str(templates)) as served:
        assert _request(served, tenant, broken).status_code == 202
        deadline = time.monotonic() + 15
        while not (mail := _pending(served, tenant, broken)[0]["mail"])["lastError"]:
            assert time.monotonic() < deadline, "the mail was never tried"
            time.sleep(0.05)
        assert mail["lastError"].startswith("template: ")
        assert mail["attempts"] == 1
        asked = served.post(
            f"{V1}/subscribers/{fine}/confirmations",
            json={"subscriptionIds": [other.id], "businessUnitId": unit.id},
            headers=tenant.headers,
        )
        assert asked.status_code == 202, asked.text
        smtp.inbox.wait_for(fine)  # another business unit's mail, built in: still sent
    assert smtp.inbox.to(broken) == []
