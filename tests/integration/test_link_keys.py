"""Signing keys: rotation keeps links already sent working for the grace period, expired keys
are refused, a configured key signs, and no key ever shows up in output, logs or answers.

Each test has its own database and server, because keys are shared by the whole installation.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from commprefs.config import Settings
from commprefs.domain.clock import SystemClock
from commprefs.domain.link_signing import DAY_MS
from commprefs.links.service import LinkService
from commprefs.store.database import Database
from tests.support.cli import run
from tests.support.databases import database
from tests.support.factories import Factory, Tenant, email
from tests.support.pages import ONE_CLICK, generate
from tests.support.server import Server

CONFIGURED = "configured-key-for-tests-0123456789abcdef"


@dataclass
class Installation:
    url: str
    tenant: Tenant
    folder: Path

    def server(self, name: str, **env: str) -> Server:
        return Server(self.url, self.folder / f"{name}.log", **env).start()

    def cli(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return run(*args, "--database", self.url, timeout=60, env={"PATH": "/usr/bin:/bin", **env})

    def stored_secrets(self) -> list[str]:
        async def read() -> list[str]:
            db = Database(self.url)
            try:
                async with db.read() as repo:
                    return [key.secret for key in await repo.signing_keys()]
            finally:
                await db.dispose()

        return asyncio.run(read())


@pytest.fixture
def installation(backend: str, tmp_path: Path) -> Iterator[Installation]:
    with database(backend, tmp_path) as url:
        factory = Factory(url)
        try:
            tenant = factory.tenant(types=2)
        finally:
            factory.close()
        yield Installation(url, tenant, tmp_path)


def links_from(server: Server, tenant: Tenant) -> dict[str, str]:
    with httpx.Client(base_url=server.url) as http:
        return generate(http, tenant, email())


def on(server: Server, url: str) -> str:
    """The same link, served by ``server`` (links carry the public URL of the server that
    signed them)."""
    return server.url + urlsplit(url).path


def kid(links: dict[str, str]) -> str:
    return links["managePreferencesUrl"].rsplit("/", 1)[1].split(".", 1)[0]


def test_rotation_keeps_links_already_sent_working(installation: Installation) -> None:
    server = installation.server("rotate")
    try:
        before = links_from(server, installation.tenant)
        rotated = installation.cli("links", "rotate-key", "--json")
        after = links_from(server, installation.tenant)

        assert rotated.returncode == 0, rotated.stderr
        keys = {k["kid"]: k for k in json.loads(rotated.stdout)["keys"]}
        assert keys[kid(before)]["signing"] is False
        assert keys[kid(before)]["verifiesUntil"] == keys[kid(before)]["retiredAt"] + 90 * DAY_MS
        assert keys[kid(after)]["signing"] is True
        assert kid(before) != kid(after)
        assert httpx.get(before["managePreferencesUrl"]).status_code == 200
        assert httpx.post(before["unsubscribeAllUrl"], data=ONE_CLICK).status_code == 200
        assert httpx.get(after["managePreferencesUrl"]).status_code == 200

        secrets = installation.stored_secrets()
        assert len(secrets) == 2
        listed = installation.cli("links", "keys")
        for text in (rotated.stdout, rotated.stderr, listed.stdout, server.log()):
            for secret in secrets:
                assert secret not in text
    finally:
        server.stop()


def test_links_of_a_key_retired_past_the_grace_period_have_expired(
    installation: Installation,
) -> None:
    settings = Settings(database_url=installation.url)

    async def rotate_days_ago(days: int) -> None:
        class Earlier:
            def now_ms(self) -> int:
                return SystemClock().now_ms() - days * DAY_MS

        db = Database(installation.url)
        try:
            await LinkService(db, Earlier(), settings).rotate_key()
        finally:
            await db.dispose()

    server = installation.server("expiry")
    try:
        within_grace = links_from(server, installation.tenant)
        asyncio.run(rotate_days_ago(89))
        beyond_grace = links_from(server, installation.tenant)
        asyncio.run(rotate_days_ago(91))
        current = links_from(server, installation.tenant)

        assert httpx.get(within_grace["managePreferencesUrl"]).status_code == 200
        for url in (beyond_grace["managePreferencesUrl"], beyond_grace["unsubscribeAllUrl"]):
            expired = httpx.get(url)
            assert expired.status_code == 410
            assert "This link has expired" in expired.text
        assert httpx.post(beyond_grace["unsubscribeAllUrl"], data=ONE_CLICK).status_code == 410
        assert httpx.get(current["managePreferencesUrl"]).status_code == 200
    finally:
        server.stop()


def test_a_grace_period_of_zero_retires_old_links_at_once(installation: Installation) -> None:
    server = installation.server("no-grace", COMMPREFS_LINK_KEY_GRACE_DAYS="0")
    try:
        before = links_from(server, installation.tenant)
        assert installation.cli("links", "rotate-key").returncode == 0
        assert httpx.get(before["managePreferencesUrl"]).status_code == 410
        assert (
            httpx.get(links_from(server, installation.tenant)["managePreferencesUrl"]).status_code
            == 200
        )
    finally:
        server.stop()


def test_a_configured_key_signs_and_stored_keys_keep_verifying(
    installation: Installation,
) -> None:
    plain = installation.server("plain")
    try:
        stored_link = links_from(plain, installation.tenant)
    finally:
        plain.stop()
    configured = installation.server("configured", COMMPREFS_LINK_SIGNING_KEY=CONFIGURED)
    try:
        configured_link = links_from(configured, installation.tenant)
        assert kid(configured_link).startswith("c")
        assert httpx.get(on(configured, stored_link["managePreferencesUrl"])).status_code == 200
        assert httpx.get(configured_link["managePreferencesUrl"]).status_code == 200
        assert CONFIGURED not in configured.log()
        assert CONFIGURED not in json.dumps(configured_link)
    finally:
        configured.stop()

    refused = installation.cli("links", "rotate-key", COMMPREFS_LINK_SIGNING_KEY=CONFIGURED)
    assert refused.returncode == 1
    assert "COMMPREFS_LINK_PREVIOUS_SIGNING_KEYS" in refused.stderr
    assert CONFIGURED not in refused.stderr

    renewed = installation.server(
        "renewed",
        COMMPREFS_LINK_SIGNING_KEY="a-brand-new-configured-key-0123456789abcdef",
        COMMPREFS_LINK_PREVIOUS_SIGNING_KEYS=CONFIGURED,
    )
    try:
        assert httpx.get(on(renewed, configured_link["managePreferencesUrl"])).status_code == 200
    finally:
        renewed.stop()
    forgotten = installation.server(
        "forgotten", COMMPREFS_LINK_SIGNING_KEY="a-brand-new-configured-key-0123456789abcdef"
    )
    try:
        assert httpx.get(on(forgotten, configured_link["managePreferencesUrl"])).status_code == 404
    finally:
        forgotten.stop()


def test_a_short_configured_key_stops_the_server_without_showing_it(
    installation: Installation,
) -> None:
    short = "too-short-key"
    done = installation.cli("links", "keys", COMMPREFS_LINK_SIGNING_KEY=short)
    assert done.returncode == 1
    assert "at least 32 characters" in done.stderr
    assert short not in done.stderr + done.stdout
