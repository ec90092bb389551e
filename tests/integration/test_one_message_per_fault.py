"""One message per fault: an unknown subscription id, an inactive type or an unknown business unit
gets the same words through every entry point that takes one (v1, v3, v4, 2026-03, links/generate,
an import's rejects report and the CLI), on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import cli
from tests.support.factories import Factory, Tenant, email
from tests.support.imports import rejects
from tests.support.server import Server

V3 = "/communication-preferences/v3"
V4_PREFIXES = ["/communication-preferences/v4", "/communication-preferences/2026-03"]
UNKNOWN_UNIT = 424242


@dataclass(frozen=True)
class Setting:
    """A portal, and a subscription id that is not one of its active types, with its words."""

    tenant: Tenant
    subscription_id: int
    says: str


@pytest.fixture(params=["unknown", "inactive"])
def bad_type(request: pytest.FixtureRequest, factory: Factory) -> Setting:
    tenant = factory.tenant(types=1)
    if request.param == "inactive":
        retired = factory.definition(tenant.portal, active=False)
        return Setting(tenant, retired.id, f"Subscription {retired.id} is not active.")
    # Another portal's type: it exists, but not in this account.
    foreign = factory.tenant(types=1).definitions[0].id
    return Setting(tenant, foreign, f"Subscription {foreign} does not exist in this account.")


@pytest.fixture
def tenant(factory: Factory) -> Tenant:
    return factory.tenant(types=1)


UNIT_SAYS = f"Business unit {UNKNOWN_UNIT} does not exist in this account."


def first_error(response: httpx.Response, field: str) -> str:
    """The message of the error body's item naming ``field`` (HubSpot's errors[].in)."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["category"] == "VALIDATION_ERROR"
    named = [e["message"] for e in body["errors"] if e.get("in") == field]
    assert len(named) == 1, body
    return str(named[0])


def cli_error(server: Server, *args: str) -> str:
    done = cli.run(*args, "--database", server.database_url)
    assert done.returncode == 1, (args, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, (args, done.stderr)
    assert lines[0].startswith("error: "), (args, done.stderr)
    return lines[0]


def import_rejects(server: Server, tenant: Tenant, path: Path, rows: list[list[Any]]) -> list[str]:
    """The reasons an import's rejects report gives for ``rows``, in order."""
    return [row["_error"] for row in rejects(server, tenant, path, rows)]


# -- a subscription id that is unknown here, or of an inactive type ----------------------------


def test_v3_says_it_in_the_same_words(http: httpx.Client, bad_type: Setting) -> None:
    body = {"emailAddress": email(), "subscriptionId": str(bad_type.subscription_id)}
    for action in ("subscribe", "unsubscribe"):
        response = http.post(f"{V3}/{action}", json=body, headers=bad_type.tenant.headers)
        assert first_error(response, "subscriptionId") == bad_type.says


@pytest.mark.parametrize("prefix", V4_PREFIXES)
def test_v4_and_2026_03_say_it_in_the_same_words(
    http: httpx.Client, bad_type: Setting, prefix: str
) -> None:
    change = {"channel": "EMAIL", "statusState": "SUBSCRIBED"}
    change["subscriptionId"] = bad_type.subscription_id  # type: ignore[assignment]
    headers = bad_type.tenant.headers
    one = http.post(f"{prefix}/statuses/{email()}", json=change, headers=headers)
    assert first_error(one, "subscriptionId") == bad_type.says

    batch = http.post(
        f"{prefix}/statuses/batch/write",
        json={"inputs": [{**change, "subscriberIdString": email()}]},
        headers=headers,
    )
    refused = batch.json()["errors"]
    assert [e["message"] for e in refused] == [bad_type.says], batch.text
    assert [d["message"] for d in refused[0]["errors"]] == [bad_type.says]

    links = http.post(
        f"{prefix}/links/generate",
        params={"channel": "EMAIL"},
        json={"subscriberIdString": email(), "subscriptionId": bad_type.subscription_id},
        headers=headers,
    )
    assert first_error(links, "subscriptionId") == bad_type.says


def test_v1_says_it_in_the_same_words(http: httpx.Client, bad_type: Setting) -> None:
    for subscribed in (True, False):
        item = {"id": bad_type.subscription_id, "subscribed": subscribed}
        response = http.put(
            f"/email/public/v1/subscriptions/{email()}",
            json={"subscriptionStatuses": [item]},
            headers=bad_type.tenant.headers,
        )
        assert first_error(response, "subscriptionId") == bad_type.says


def test_an_import_row_says_it_in_the_same_words(
    server: Server, bad_type: Setting, tmp_path: Path
) -> None:
    row = [email(), bad_type.subscription_id, "", "", "", "SUBSCRIBED", "", "", "", ""]
    assert import_rejects(server, bad_type.tenant, tmp_path / "in.csv", [row]) == [bad_type.says]


def test_the_cli_says_it_in_the_same_words(server: Server, bad_type: Setting) -> None:
    portal = str(bad_type.tenant.portal.id)
    headers = cli_error(
        server,
        *("links", "headers", "--portal", portal, "--email", email()),
        *("--subscription", str(bad_type.subscription_id)),
    )
    assert headers.endswith(bad_type.says)


def test_commands_that_take_any_type_of_the_account_say_unknown_in_the_same_words(
    server: Server, factory: Factory, tenant: Tenant
) -> None:
    """Translating and exporting take a retired type too; another account's is unknown."""
    foreign = factory.tenant(types=1).definitions[0].id
    says = f"Subscription {foreign} does not exist in this account."
    portal = str(tenant.portal.id)
    commands: list[tuple[str, ...]] = [
        ("definitions", "translate", "--portal", portal, "--definition", str(foreign)),
        ("export", "suppression", "--portal", portal, "--subscription", str(foreign)),
    ]
    commands[0] += ("--language", "fr", "--name", "Nouvelles")
    for command in commands:
        assert cli_error(server, *command) == f"error: {says}", command


# -- a business unit that is not in the account -------------------------------------------------


@pytest.mark.parametrize("prefix", V4_PREFIXES)
def test_v4_and_2026_03_say_an_unknown_unit_in_the_same_words(
    http: httpx.Client, tenant: Tenant, prefix: str
) -> None:
    subscriber, headers = email(), tenant.headers
    unit = {"channel": "EMAIL", "businessUnitId": UNKNOWN_UNIT}
    reads: list[Callable[[], httpx.Response]] = [
        lambda: http.get(f"{prefix}/definitions", params=unit, headers=headers),
        lambda: http.get(f"{prefix}/statuses/{subscriber}", params=unit, headers=headers),
        lambda: http.get(
            f"{prefix}/statuses/{subscriber}/unsubscribe-all", params=unit, headers=headers
        ),
        lambda: http.post(
            f"{prefix}/statuses/{subscriber}/unsubscribe-all", params=unit, headers=headers
        ),
        lambda: http.post(
            f"{prefix}/links/generate",
            params=unit,
            json={"subscriberIdString": subscriber},
            headers=headers,
        ),
    ]
    for call in reads:
        assert first_error(call(), "businessUnitId") == UNIT_SAYS


def test_an_import_row_says_an_unknown_unit_in_the_same_words(
    server: Server, tenant: Tenant, tmp_path: Path
) -> None:
    row = [email(), "", "", "BUSINESS_UNIT_WIDE", UNKNOWN_UNIT, "UNSUBSCRIBED", "", "", "", ""]
    assert import_rejects(server, tenant, tmp_path / "in.csv", [row]) == [UNIT_SAYS]


def test_the_cli_says_an_unknown_unit_in_the_same_words(server: Server, tenant: Tenant) -> None:
    portal, unit = str(tenant.portal.id), str(UNKNOWN_UNIT)
    headers = cli_error(
        server, "links", "headers", "--portal", portal, "--email", email(), "--business-unit", unit
    )
    assert headers.endswith(UNIT_SAYS)
    for command in (
        ("definitions", "create", "--portal", portal, "--name", "N", "--description", "D"),
        ("business-units", "brand", "--portal", portal, "--name", "Brand"),
        ("export", "suppression", "--portal", portal),
    ):
        flag = "--unit" if command[0] == "business-units" else "--business-unit"
        assert cli_error(server, *command, flag, unit) == f"error: {UNIT_SAYS}", command


# -- a portal that does not exist -------------------------------------------------------------


def test_every_service_says_an_unknown_portal_in_the_same_words(server: Server) -> None:
    """Commands of each service that take a portal id: portals, auth, links, transfer, ledger,
    webhooks."""
    portal = "987654321"
    for command in (
        ("business-units", "create", "Brand", "--portal", portal),
        ("definitions", "translate", "--portal", portal, "--definition", "1"),
        ("tokens", "create", "--portal", portal, "--scopes", "communication_preferences.read"),
        ("links", "headers", "--portal", portal, "--email", email()),
        ("export", "statuses", "--portal", portal),
        ("history", "--portal", portal, "--email", email()),
        ("webhooks", "add", "--portal", portal, "--url", "https://example.com/hook"),
    ):
        if command[1] == "translate":
            command += ("--language", "fr", "--name", "Nouvelles")
        assert cli_error(server, *command) == f"error: Portal {portal} does not exist.", command
