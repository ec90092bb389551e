"""Every ``commprefs`` command against a database it cannot use: one line on stderr naming the
problem, the password masked, a non-zero exit; never a traceback or a driver's exception name.

The faults: a PostgreSQL database that does not exist, a PostgreSQL server that cannot be reached,
a SQLite path in a missing directory, a SQLite file of random bytes, and a read-only SQLite file
(never migrated, so that even ``migrate`` and ``serve`` must write). A migrated database that has
become read-only still answers reads and refuses every write in one line.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer

from commprefs.cli.main import app
from tests.support import cli
from tests.support.databases import POSTGRES_ADMIN_URL, sqlite_database
from tests.support.factories import Factory, email
from tests.support.faults import (
    DRIVER_WORDS,
    PASSWORD,
    assert_backing_off,
    assert_one_line_records,
    assert_unavailable,
    wait_for_failures,
)
from tests.support.server import Server, free_port
from tests.support.worker import Worker

POSTGRES = POSTGRES_ADMIN_URL.replace("postgresql://root@", f"postgresql://root:{PASSWORD}@", 1)
POSTGRES_BASE = POSTGRES.rpartition("/")[0]


# One case per command (and per form of a command that reads the database differently). The
# placeholders are the seeded database's ids (see ``seeded``), a CSV file and a free port.
CASES: dict[str, list[str]] = {
    "serve": ["serve", "--port", "{port}"],
    "migrate": ["migrate"],
    "portals create": ["portals", "create", "Faulty"],
    "business-units create": ["business-units", "create", "--portal", "{portal}", "Brand"],
    "business-units brand": [
        *("business-units", "brand", "--portal", "{portal}", "--unit", "0", "--colour", "#123456")
    ],
    "definitions create": [
        *("definitions", "create", "--portal", "{portal}", "--name", "N", "--description", "D")
    ],
    "definitions translate": [
        *("definitions", "translate", "--portal", "{portal}", "--definition", "{definition}"),
        *("--language", "fr", "--name", "Nouvelles"),
    ],
    "tokens create": [
        *("tokens", "create", "--portal", "{portal}", "--scopes", "communication_preferences.read")
    ],
    "tokens list": ["tokens", "list"],
    "tokens revoke": ["tokens", "revoke", "{token}"],
    "ledger verify": ["ledger", "verify"],
    "history": ["history", "--portal", "{portal}", "--email", "{subscriber}"],
    "history --as-of": [
        *("history", "--portal", "{portal}", "--email", "{subscriber}"),
        *("--as-of", "2030-01-01T00:00:00Z"),
    ],
    "subjects erase": ["subjects", "erase", "--portal", "{portal}", "--email", "{subscriber}"],
    "webhooks add": ["webhooks", "add", "--portal", "{portal}", "--url", "http://127.0.0.1:9/in"],
    "webhooks list": ["webhooks", "list"],
    "webhooks remove": ["webhooks", "remove", "{webhook}"],
    "webhooks replay": [
        *("webhooks", "replay", "--portal", "{portal}", "--since", "2000-01-01T00:00:00Z")
    ],
    "webhooks run": ["webhooks", "run"],
    "import": ["import", "{csv}", "--portal", "{portal}"],
    "export statuses": ["export", "statuses", "--portal", "{portal}"],
    "export suppression": ["export", "suppression", "--portal", "{portal}"],
    "links rotate-key": ["links", "rotate-key"],
    "links keys": ["links", "keys"],
    "links headers": ["links", "headers", "--portal", "{portal}", "--email", "{subscriber}"],
    "apps create": [
        *("apps", "create", "--portal", "{portal}", "--name", "App", "--redirect-uri"),
        *("https://app.example.com/cb", "--scopes", "communication_preferences.read"),
    ],
    "apps list": ["apps", "list"],
    "apps authorize": ["apps", "authorize", "--app", "{app}"],
    "subjects export": ["subjects", "export", "--portal", "{portal}", "--email", "{subscriber}"],
    "users create": [
        *("users", "create", "--portal", "{portal}", "--email", "new-operator@example.com"),
        *("--role", "viewer", "--password-file", "{password}"),
    ],
    "users list": ["users", "list"],
    "users disable": ["users", "disable", "{user}"],
}

# The cases that must write to the database, whatever is in it.
WRITES = {
    "portals create",
    "business-units create",
    "business-units brand",
    "definitions create",
    "definitions translate",
    "tokens create",
    "tokens revoke",
    "webhooks add",
    "webhooks remove",
    "import",
    "links rotate-key",
    "apps create",
    "apps authorize",
    "users create",
    "users disable",
    "subjects erase",
}
LONG_RUNNING = {"serve", "webhooks run"}


def command_names() -> set[str]:
    """Every command the ``commprefs`` program has, as ``group command``."""

    def walk(command: Any, prefix: str) -> Iterator[str]:
        subcommands = getattr(command, "commands", None)
        if subcommands is None:
            yield prefix
            return
        for name, sub in subcommands.items():
            yield from walk(sub, f"{prefix} {name}".strip())

    return set(walk(typer.main.get_command(app), ""))


def test_the_sweep_covers_every_command() -> None:
    assert {case.split(" --")[0] for case in CASES} == command_names()


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """``path`` unwritable even for root (who ignores file modes): immutable while it lasts."""
    path.chmod(0o444)
    immutable = os.access(path, os.W_OK)  # root: the mode alone does not stop writes
    if immutable:
        subprocess.run(["chattr", "+i", str(path)], check=True)
    try:
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(0o644)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("faults")


@pytest.fixture(scope="module")
def seeded(folder: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """A migrated SQLite database with one of everything the commands name, and those ids; its
    webhook has an event to deliver."""
    with sqlite_database(folder) as url:
        factory = Factory(url)
        try:
            tenant = factory.tenant(types=1)
            webhook = factory.run(factory.services.webhooks.add(tenant.portal.id, "http://x.test/"))
            subscriber = email()
            factory.run(factory.services.links.generate(tenant.portal.id, subscriber))
            oauth_app = factory.run(
                factory.services.oauth.create_app(
                    tenant.portal.id,
                    "App",
                    "https://app.example.com/cb",
                    ["communication_preferences.read"],
                )
            ).app
            operator = factory.run(
                factory.services.operators.create_user(
                    tenant.portal.id, "operator@example.com", "viewer", "a long passphrase"
                )
            )
        finally:
            factory.close()
        ids = {
            "portal": str(tenant.portal.id),
            "definition": str(tenant.definitions[0].id),
            "token": str(factory.token_ids[tenant.token]),
            "secret": tenant.token,
            "webhook": str(webhook.id),
            "app": str(oauth_app.id),
            "user": str(operator.id),
            "password": str(folder / "password.txt"),  # the users create case's
            "subscriber": subscriber,
            "csv": str(folder / "change.csv"),  # the import case's: a change to write
        }
        (folder / "password.txt").write_text("another long passphrase\n", encoding="utf-8")
        for name, status in [("seed.csv", "SUBSCRIBED"), ("change.csv", "UNSUBSCRIBED")]:
            (folder / name).write_text(
                f"email,subscriptionId,status\n{subscriber},{ids['definition']},{status}\n",
                encoding="utf-8",
            )
        seeding = cli.run(
            "import", str(folder / "seed.csv"), "--portal", ids["portal"], "--database", url
        )
        assert seeding.returncode == 0, seeding.stderr
        yield url, ids


@pytest.fixture(scope="module")
def faults(folder: Path) -> Iterator[dict[str, str]]:
    corrupt = folder / "random-bytes.db"
    corrupt.write_bytes(os.urandom(64 * 1024))
    never_migrated = folder / "read-only.db"
    never_migrated.write_bytes(b"")
    with read_only(never_migrated):
        yield {
            "postgres-missing-database": f"{POSTGRES_BASE}/commprefs_missing_{uuid.uuid4().hex}",
            "postgres-unreachable": POSTGRES.replace(":5432/", ":1/", 1),
            "sqlite-missing-directory": f"sqlite:///{folder / 'no-such-dir' / 'x.db'}",
            "sqlite-random-bytes": f"sqlite:///{corrupt}",
            "sqlite-read-only": f"sqlite:///{never_migrated}",
        }


def run_case(case: str, database_url: str, ids: dict[str, str]) -> subprocess.CompletedProcess[str]:
    values = {**ids, "port": str(free_port())}
    args = [arg.format(**values) for arg in CASES[case]]
    return cli.run(*args, "--database", database_url, timeout=60)


def assert_one_line_error(done: subprocess.CompletedProcess[str], database_url: str) -> None:
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    for word in DRIVER_WORDS:
        assert word not in output, output
    assert PASSWORD not in output
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("error: the database "), done.stderr
    if PASSWORD in database_url:
        assert "root:***@" in lines[0], done.stderr


FAULTS = [
    "postgres-missing-database",
    "postgres-unreachable",
    "sqlite-missing-directory",
    "sqlite-random-bytes",
    "sqlite-read-only",
]


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_a_database_that_cannot_be_used_is_one_line_and_a_failed_exit(
    case: str, fault: str, faults: dict[str, str], seeded: tuple[str, dict[str, str]]
) -> None:
    _, ids = seeded
    assert_one_line_error(run_case(case, faults[fault], ids), faults[fault])


def test_a_read_only_database_answers_reads_and_refuses_writes_in_one_line(
    seeded: tuple[str, dict[str, str]],
) -> None:
    url, ids = seeded
    with read_only(Path(url.removeprefix("sqlite:///"))):
        for case in sorted(set(CASES) - LONG_RUNNING):
            done = run_case(case, url, ids)
            if case in WRITES:
                assert_one_line_error(done, url)
                assert "readonly" in done.stderr, (case, done.stderr)
            else:
                assert done.returncode == 0, (case, done.stderr)
                assert "Traceback" not in done.stdout + done.stderr, case


def test_a_server_on_a_read_only_database_reads_and_answers_writes_with_a_503(
    seeded: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, ids = seeded
    with read_only(Path(url.removeprefix("sqlite:///"))):
        served = Server(url, tmp_path / "serve.log").start()
        try:
            token = {"Authorization": f"Bearer {ids['secret']}"}
            with httpx.Client(base_url=served.url, timeout=30, headers=token) as client:
                read = client.get("/communication-preferences/v4/definitions")
                write = client.post(
                    f"/communication-preferences/v4/statuses/{email()}/unsubscribe-all",
                    params={"channel": "EMAIL"},
                )
        finally:
            served.stop()
    assert read.status_code == 200, read.text
    assert_unavailable(write, "sqlite")
    log = served.log()
    assert "Traceback" not in log
    assert "attempt to write a readonly database" in log


def test_a_worker_on_a_read_only_database_says_so_in_one_line_and_carries_on(
    seeded: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, _ = seeded
    with read_only(Path(url.removeprefix("sqlite:///"))):
        worker = Worker(url, tmp_path / "worker.log").start()
        try:
            failures = wait_for_failures(worker, 4)
            assert worker.process is not None
            running = worker.process.poll() is None
        finally:
            worker.stop()
    log = worker.log()
    assert running, log
    assert_one_line_records(log)
    assert all("attempt to write a readonly database" in line for line in failures)
    assert_backing_off(failures)
