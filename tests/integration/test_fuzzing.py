"""Schemathesis against the served /openapi.json: every operation, every phase, bounded.

Checks every response for: no server error, status codes, content types, headers and bodies as
documented, invalid input refused, and auth not ignored (the same requests without credentials
must be refused). One check is left out: "schema-valid request accepted". Our schema cannot say
that a subscriberIdString must be an email address or that a subscriptionId must exist, so
schema-valid requests are rightly refused with a 400.
"""

from __future__ import annotations

from pathlib import Path

from tests.support.emulator import EmulatorServer
from tests.support.factories import Factory
from tests.support.schemathesis import fuzz
from tests.support.server import Server

EXAMPLES_PER_OPERATION = 40


def test_fuzzing_finds_no_server_error_and_no_undocumented_response(
    server: Server, factory: Factory, tmp_path: Path
) -> None:
    tenant = factory.tenant(types=2)
    factory.business_unit(tenant.portal)
    fuzz(
        f"{server.url}/openapi.json",
        EXAMPLES_PER_OPERATION,
        "20261127",
        tmp_path,
        "--header",
        f"Authorization: Bearer {tenant.token}",
        "--workers",
        "2",
    )


def test_fuzzing_the_emulators_control_api_finds_no_server_error(tmp_path: Path) -> None:
    """The control API's own document (/_commprefs/openapi.json, issue 15): seed, reset, state,
    journal, faults and clock, every phase, on an emulator of its own (it seeds and resets)."""
    with EmulatorServer(tmp_path / "emulator.log", "--token", "test-token") as emulator:
        summary = fuzz(f"{emulator.url}/_commprefs/openapi.json", 10, "20261206", tmp_path)
        server_errors = emulator.server_errors()
    assert "Tested: 14" in summary  # every operation of the document
    assert server_errors == []
