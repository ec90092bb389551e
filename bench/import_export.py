"""Import and export rates, in rows per second, through the real ``commprefs`` command.

For each backend: a new database with one portal and five subscription types, a generated CSV
of N status rows (N/2 subscribers, two types each, legal basis on every subscribe), then
``commprefs import`` of it and ``commprefs export statuses`` / ``export suppression`` of the
result. Reported: the import's own rate (rows applied per second, start-up excluded), and wall
rates of each whole command (process start-up included).

    python -m bench.import_export [--rows 100000] [--backends sqlite,postgres] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.data import fresh_database

COMMPREFS = str(Path(sys.executable).with_name("commprefs"))
TYPES = 5


def prepare(url: str) -> tuple[int, list[int]]:
    """A portal with five types, made through the services."""
    from commprefs.config import Settings
    from commprefs.services import Services
    from commprefs.store.migrate import upgrade

    async def make() -> tuple[int, list[int]]:
        services = Services.build(Settings(database_url=url))
        try:
            await upgrade(services.database)
            portal = await services.portals.create_portal("bench")
            types = [
                (await services.portals.create_definition(portal.id, f"Type {n}", "bench")).id
                for n in range(TYPES)
            ]
            return portal.id, types
        finally:
            await services.database.dispose()

    return asyncio.run(make())


def generate(path: Path, rows: int, types: list[int]) -> None:
    with path.open("w") as stream:
        stream.write(
            "email,subscriptionId,status,legalBasis,legalBasisExplanation,timestamp,source\n"
        )
        for n in range(rows):
            subscribed = n % 3 == 0
            basis = "CONSENT_WITH_NOTICE,Signup form" if subscribed else ","
            stream.write(
                f"bench{n // 2}@example.com,{types[n % TYPES]},"
                f"{'SUBSCRIBED' if subscribed else 'UNSUBSCRIBED'},{basis},"
                f"2025-{n % 12 + 1:02d}-01T00:00:00Z,Bench\n"
            )


def timed(*args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run([COMMPREFS, *args], capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"commprefs {' '.join(args[:2])} failed:\n{done.stderr}")
    return elapsed, done


def lines(path: Path) -> int:
    with path.open() as stream:
        return sum(1 for _ in stream)


def run(backend: str, rows: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder, fresh_database(backend, Path(folder)) as url:
        portal, types = prepare(url)
        source = Path(folder) / "statuses.csv"
        generate(source, rows, types)
        db = ("--database", url)
        target = ("--portal", str(portal))
        seconds, done = timed("import", *target, str(source), "--json", "--no-progress", *db)
        imported = json.loads(done.stdout)
        if imported["imported"] != rows:
            raise SystemExit(f"only {imported['imported']} of {rows} rows were imported")
        export_s, _ = timed("export", "statuses", *target, "-o", f"{folder}/out.csv", *db)
        exported = lines(Path(folder) / "out.csv") - 1
        suppression_s, _ = timed(
            "export",
            "suppression",
            *target,
            "--subscription",
            str(types[0]),
            "-o",
            f"{folder}/suppressed.ndjson",
            *db,
        )
        suppressed = lines(Path(folder) / "suppressed.ndjson")
    return {
        "backend": backend,
        "rows": rows,
        "import_rows_per_s": imported["rowsPerSecond"],
        "import_command_s": round(seconds, 2),
        "import_command_rows_per_s": round(rows / seconds),
        "export_rows": exported,
        "export_command_s": round(export_s, 2),
        "export_rows_per_s": round(exported / export_s),
        "suppression_rows": suppressed,
        "suppression_command_s": round(suppression_s, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--json", type=Path, help="Also write the results here.")
    options = parser.parse_args()
    results = []
    print(f"import / export of {options.rows:,} status rows through `commprefs`")
    print(
        f"{'backend':<10}{'import rows/s':>15}{'import (cmd)':>14}"
        f"{'export rows/s':>15}{'export (cmd)':>14}"
    )
    for backend in options.backends.split(","):
        result = run(backend, options.rows)
        results.append(result)
        print(
            f"{backend:<10}{result['import_rows_per_s']:>15,}{result['import_command_s']:>12.1f} s"
            f"{result['export_rows_per_s']:>15,}{result['export_command_s']:>12.1f} s",
            flush=True,
        )
    if options.json:
        options.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
