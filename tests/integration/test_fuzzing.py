"""Schemathesis against the served /openapi.json: every operation, every phase, bounded.

Checks every response for: no server error, status codes, content types, headers and bodies as
documented, invalid input refused, and auth not ignored (the same requests without credentials
must be refused). One check is left out: "schema-valid request accepted". Our schema cannot say
that a subscriberIdString must be an email address or that a subscriptionId must exist, so
schema-valid requests are rightly refused with a 400.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.emulator import EmulatorServer
from tests.support.factories import Factory
from tests.support.schemathesis import SCHEMATHESIS
from tests.support.server import Server

EXAMPLES_PER_OPERATION = 40


def test_fuzzing_finds_no_server_error_and_no_undocumented_response(
    server: Server, factory: Factory, tmp_path: Path
) -> None:
    tenant = factory.tenant(types=2)
    factory.business_unit(tenant.portal)
    done = subprocess.run(
        [
            *SCHEMATHESIS,
            "run",
            f"{server.url}/openapi.json",
            "--header",
            f"Authorization: Bearer {tenant.token}",
            "--checks",
            "all",
            "--exclude-checks",
            "positive_data_acceptance",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            str(EXAMPLES_PER_OPERATION),
            "--generation-database",
            "none",
            "--seed",
            "20261127",
            "--workers",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    summary = done.stdout[-6000:]
    assert done.returncode == 0, summary
    assert "Tested: " in summary
    assert "failures" not in summary.splitlines()[-1], summary


def test_fuzzing_the_emulators_control_api_finds_no_server_error(tmp_path: Path) -> None:
    """The control API's own document (/_commprefs/openapi.json, issue 15), every phase."""
    with EmulatorServer(tmp_path / "emulator.log", "--token", "test-token") as emulator:
        done = subprocess.run(
            [
                *SCHEMATHESIS,
                "run",
                f"{emulator.url}/_commprefs/openapi.json",
                "--checks",
                "all",
                "--exclude-checks",
                "positive_data_acceptance",
                "--phases",
                "examples,coverage,fuzzing",
                "--max-examples",
                "10",
                "--generation-database",
                "none",
                "--seed",
                "20261206",
                "--workers",
                "1",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )
        server_errors = emulator.server_errors()
    summary = done.stdout[-6000:]
    assert done.returncode == 0, summary
    assert "Tested: " in summary
    assert server_errors == []
