"""The CLI for the hosted pages: branding, translations and List-Unsubscribe headers."""

from __future__ import annotations

import json
import subprocess

import httpx

from tests.support.cli import run
from tests.support.factories import Factory, email
from tests.support.server import Server


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run(*args, timeout=60)


def test_branding_is_set_validated_and_reset(database_url: str, factory: Factory) -> None:
    portal = factory.portal()
    base = ("business-units", "brand", "--portal", str(portal.id), "--database", database_url)

    done = cli(*base, "--unit", "0", "--name", "Acme", "--colour", "#ABC", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "portalId": portal.id,
        "businessUnitId": 0,
        "name": "Acme",
        "colour": "#abc",
        "logoUrl": None,
    }
    logo = cli(*base, "--unit", "0", "--logo-url", "https://cdn.example/acme.svg", "--json")
    assert json.loads(logo.stdout)["name"] == "Acme"  # options not given are kept
    reset = cli(*base, "--unit", "0", "--name", "", "--json")
    assert json.loads(reset.stdout)["name"] is None

    for bad in (
        ("--unit", "0", "--colour", "red"),
        ("--unit", "0", "--logo-url", "javascript:alert(1)"),
        ("--unit", "0", "--logo-url", 'https://x.example/"onload="x'),
        ("--unit", "77", "--name", "Nobody"),
    ):
        refused = cli(*base, *bad)
        assert refused.returncode == 1, bad
        assert refused.stderr.startswith("error: ")
        assert "Traceback" not in refused.stderr


def test_translations_are_added_and_replaced(database_url: str, factory: Factory) -> None:
    portal = factory.portal()
    definition = factory.definition(portal)
    base = ("definitions", "translate", "--portal", str(portal.id), "--database", database_url)
    args = ("--definition", str(definition.id), "--language", "pt-BR")

    first = cli(*base, *args, "--name", "Novidades", "--description", "Do mês", "--json")
    second = cli(*base, *args, "--name", "Notícias", "--json")

    assert first.returncode == 0, first.stderr
    made, replaced = json.loads(first.stdout), json.loads(second.stdout)
    assert made["languageCode"] == "pt-br"
    assert replaced["name"] == "Notícias"
    assert replaced["createdAt"] == made["createdAt"]
    assert cli(*base, "--definition", "999999", "--language", "de", "--name", "X").returncode == 1
    assert cli(*base, *args[:2], "--language", "??", "--name", "X").returncode == 1


def test_headers_for_senders_unsubscribe_in_one_click(
    database_url: str, factory: Factory, server: Server
) -> None:
    tenant = factory.tenant(types=2)
    subscriber = email()
    done = cli(
        "links",
        "headers",
        "--portal",
        str(tenant.portal.id),
        "--email",
        subscriber,
        "--public-url",
        server.url,
        "--database",
        database_url,
    )

    assert done.returncode == 0, done.stderr
    unsubscribe, post = done.stdout.splitlines()
    assert unsubscribe.startswith(f"List-Unsubscribe: <{server.url}/preferences/")
    assert unsubscribe.endswith("/unsubscribe-all>")
    assert post == "List-Unsubscribe-Post: List-Unsubscribe=One-Click"

    url = unsubscribe.split("<", 1)[1].rstrip(">")
    assert httpx.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    statuses = factory.statuses(tenant.portal, subscriber)
    assert {s.status.value for s in statuses.values()} == {"UNSUBSCRIBED"}


def test_headers_for_one_type_and_bad_input(database_url: str, factory: Factory) -> None:
    tenant = factory.tenant(types=1)
    args = ("links", "headers", "--portal", str(tenant.portal.id), "--database", database_url)
    one = cli(*args, "--email", email(), "--subscription", str(tenant.definitions[0].id), "--json")

    assert json.loads(one.stdout)["List-Unsubscribe"].endswith("/unsubscribe>")
    bad = cli(*args, "--email", "not-an-address")
    assert bad.returncode == 1
    assert "subscriberIdString" in bad.stderr or "not a valid email" in bad.stderr
