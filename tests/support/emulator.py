"""`commprefs serve --emulator` on a free port (issue 15), the seed its tests share, and the
write the journal's and clock's tests make."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tests.support.factories import Tenant
from tests.support.server import COMMPREFS, Server

TOKEN = "test-token"
NEWSLETTER = 33583163
OUTDOOR_DEALS = 33583164
BRAND = 7

SEED: dict[str, Any] = {
    "portals": [{"id": 123456, "name": "Acme", "gdpr": True}],
    "businessUnits": [
        {"id": BRAND, "name": "Acme Outdoor", "branding": {"name": "Outdoor", "colour": "#ff6600"}}
    ],
    "subscriptionDefinitions": [
        {
            "id": NEWSLETTER,
            "name": "Newsletter",
            "description": "Monthly news",
            "purpose": "Marketing",
            "createdAt": "2024-01-02T03:04:05.006Z",
            "updatedAt": "2024-02-03T04:05:06.007Z",
            "translations": [
                {
                    "languageCode": "fr",
                    "name": "Lettre",
                    "description": "Nouvelles",
                    "createdAt": "2024-01-05T00:00:00Z",
                    "updatedAt": "2024-03-05T00:00:00Z",
                }
            ],
        },
        {
            "id": OUTDOOR_DEALS,
            "name": "Outdoor deals",
            "businessUnitId": BRAND,
            "createdAt": "2024-01-02T03:04:05.006Z",
        },
    ],
    "statuses": [
        {
            "email": "jane@example.com",
            "subscriptionId": NEWSLETTER,
            "status": "SUBSCRIBED",
            "legalBasis": "CONSENT_WITH_NOTICE",
            "legalBasisExplanation": "Signed up at the fair",
            "source": "Fair",
            "timestamp": "2024-05-01T10:00:00Z",
        }
    ],
    "optOuts": [{"email": "bob@example.com", "timestamp": "2024-06-01T00:00:00Z"}],
}


class EmulatorServer(Server):
    """The emulator with its own fresh temporary database (no ``--database``) unless given one."""

    probe = "/readyz"

    def __init__(
        self, log_path: Path, *extra_args: str, database_url: str | None = None, **env: str
    ) -> None:
        super().__init__(database_url or "", log_path, *extra_args, **env)

    def command(self) -> list[str]:
        database = ["--database", self.database_url] if self.database_url else []
        return [
            COMMPREFS,
            "serve",
            "--emulator",
            "--port",
            str(self.port),
            *database,
            *self.extra_args,
        ]


@contextmanager
def served_emulator(
    database_url: str, log: Path, *args: str, **env: str
) -> Iterator[EmulatorServer]:
    """A served emulator on ``database_url`` for the block; no request of the block may fail on
    the server's side."""
    server = EmulatorServer(log, *args, database_url=database_url, **env).start()
    try:
        yield server
        assert server.server_errors() == []
    finally:
        server.stop()


def subscription(tenant: Tenant) -> dict[str, Any]:
    """The body of E3 subscribing to the tenant's first type."""
    return {
        "channel": "EMAIL",
        "statusState": "SUBSCRIBED",
        "subscriptionId": tenant.definitions[0].id,
    }


def run_suite(folder: Path) -> subprocess.CompletedProcess[str]:
    """A user's pytest suite in ``folder``, in a process of its own (its plugins load there)."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
