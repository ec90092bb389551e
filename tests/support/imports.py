"""Running ``commprefs import`` on a CSV file from tests, and reading its rejects report."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from commprefs.transfer.schemas import COLUMNS
from tests.support import cli
from tests.support.factories import Tenant
from tests.support.server import Server


def write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def import_file(
    server: Server, tenant: Tenant, path: Path, *extra: str
) -> tuple[int, dict[str, Any]]:
    done = cli.run(
        "import",
        "--portal",
        str(tenant.portal.id),
        str(path),
        "--json",
        "--no-progress",
        "--database",
        server.database_url,
        *extra,
    )
    assert done.returncode in (0, 2), done.stderr
    return done.returncode, json.loads(done.stdout)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as stream:
        return list(csv.DictReader(stream))


def rejects(
    server: Server, tenant: Tenant, path: Path, rows: list[list[Any]]
) -> list[dict[str, str]]:
    """The rejects report of importing ``rows`` (under every column's header) into ``tenant``."""
    code, summary = import_file(server, tenant, write_csv(path, list(COLUMNS), rows))
    assert code == 2, summary
    return read_csv(Path(summary["rejectsFile"]))
