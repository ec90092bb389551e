"""``commprefs users create|list|disable``: console users from the command line, and what a
disabled user can no longer do."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.support.cli import json_of, run
from tests.support.console import Console, csrf_of
from tests.support.factories import Factory, email
from tests.support.server import COMMPREFS, Server


def test_users_are_created_listed_and_disabled(
    server: Server, factory: Factory, tmp_path: Path
) -> None:
    portal = factory.portal()
    secret = tmp_path / "password"
    secret.write_text("a password from a file\n", encoding="utf-8")
    address = email("Cli-Admin").replace("cli-admin", "Cli-Admin")
    db = ("--database", server.database_url)
    created = json_of(
        "users", "create", "--portal", str(portal.id), "--email", address,
        "--role", "admin", "--password-file", str(secret), *db,
    )  # fmt: skip
    assert created == {
        "id": created["id"],
        "portalId": portal.id,
        "email": address.lower(),
        "role": "admin",
    }
    listed = json_of("users", "list", "--portal", str(portal.id), *db)["users"]
    assert listed == [{**created, "disabled": False}]
    assert "password" not in str(listed)

    again = run("users", "create", "--portal", str(portal.id), "--email", address.upper(),
                "--role", "viewer", "--password-file", str(secret), *db)  # fmt: skip
    assert again.returncode == 1
    assert "exists already" in again.stderr
    weak = tmp_path / "weak"
    weak.write_text("short", encoding="utf-8")
    refused = run("users", "create", "--portal", str(portal.id), "--email", email(),
                  "--role", "owner", "--password-file", str(secret), *db)  # fmt: skip
    assert refused.returncode == 1
    assert "admin or viewer" in refused.stderr
    short = run("users", "create", "--portal", str(portal.id), "--email", email(),
                "--role", "viewer", "--password-file", str(weak), *db)  # fmt: skip
    assert "at least 12 characters" in short.stderr

    with Console(server.url) as console:
        form = console.http.get("/console/login")
        logged = console.http.post(
            "/console/login",
            data={"csrf": csrf_of(form), "email": address, "password": "a password from a file"},
        )
        assert logged.status_code == 303
        assert console.http.get("/console/").status_code == 200
        assert json_of("users", "disable", str(created["id"]), *db) == {
            "id": created["id"],
            "disabled": True,
        }
        assert console.http.get("/console/").status_code == 303  # its session ended at once
    assert json_of("users", "list", "--portal", str(portal.id), *db)["users"][0]["disabled"]
    assert run("users", "disable", str(created["id"]), *db).returncode == 1


def test_a_password_typed_at_the_prompt_is_asked_twice_and_never_echoed(
    module_factory: Factory,
) -> None:
    """Once, on SQLite: the prompt does not depend on the database (a real process: no fork)."""
    portal = module_factory.portal()
    address = email("prompted")
    database = module_factory.services.settings.database_url
    base = [COMMPREFS, "users", "create", "--portal", str(portal.id), "--email", address]
    typed = "typed at the prompt\ntyped at the prompt\n"
    done = subprocess.run(
        [*base, "--role", "viewer", "--json", "--database", database],
        input=typed,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "typed at the prompt" not in done.stdout + done.stderr  # never echoed
    assert json.loads(done.stdout)["role"] == "viewer"  # the prompt is on stderr
    operators = module_factory.services.operators
    session, _ = module_factory.run(operators.log_in(address, "typed at the prompt"))
    assert session.user.email == address
