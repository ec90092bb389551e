"""The admin CLI: --json prints exactly one JSON object; bad arguments are one line, exit != 0."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.support.cli import run


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return run(*args, timeout=60)


def json_of(*args: str) -> dict[str, object]:
    done = cli(*args, "--json")
    assert done.returncode == 0, done.stderr
    parsed: dict[str, object] = json.loads(done.stdout)
    return parsed


def test_admin_commands_build_a_portal_and_a_token(database_url: str) -> None:
    db = ("--database", database_url)
    portal = json_of("portals", "create", "Acme", "--gdpr", *db)
    assert portal["name"] == "Acme"
    assert portal["gdpr"] is True
    pid = str(portal["id"])

    unit = json_of("business-units", "create", "--portal", pid, "Acme Shoes", *db)
    assert unit == {"id": 1, "portalId": portal["id"], "name": "Acme Shoes"}

    definition = json_of(
        "definitions",
        "create",
        "--portal",
        pid,
        "--name",
        "Shoe news",
        "--description",
        "New shoes",
        "--business-unit",
        "1",
        "--purpose",
        "Marketing",
        "--internal",
        *db,
    )
    assert isinstance(definition["id"], str)
    assert definition["id"].isdigit()
    assert definition["businessUnitId"] == 1
    assert definition["isInternal"] is True
    assert definition["isActive"] is True

    token = json_of(
        "tokens",
        "create",
        "--portal",
        pid,
        "--scopes",
        "communication_preferences.read,communication_preferences.write",
        "--name",
        "ci",
        *db,
    )
    secret = str(token["token"])
    assert secret.startswith("cpat-")
    assert len(secret) >= 40
    assert token["scopes"] == ["communication_preferences.read", "communication_preferences.write"]

    listed = json_of("tokens", "list", "--portal", pid, *db)
    assert secret not in json.dumps(listed)
    assert [t["id"] for t in listed["tokens"]] == [token["id"]]  # type: ignore[index]

    revoked = json_of("tokens", "revoke", str(token["id"]), *db)
    assert revoked["revoked"] is True
    again = cli("tokens", "revoke", str(token["id"]), *db)
    assert again.returncode != 0


def test_bad_arguments_are_one_line_without_a_traceback(tmp_path: Path) -> None:
    db = ("--database", f"sqlite:///{tmp_path / 'cli.db'}")
    cases = [
        ("portals", "create"),
        ("portals", "create", "X", "--no-such-option"),
        ("business-units", "create", "--portal", "999", "Brand", *db),
        ("definitions", "create", "--portal", "abc", "--name", "n", "--description", "d"),
        ("tokens", "create", "--portal", "1", "--scopes", "nonsense", *db),
        ("migrate", "--database", "mysql://nope"),
    ]
    for args in cases:
        done = cli(*args)
        assert done.returncode != 0, args
        assert "Traceback" not in done.stderr + done.stdout, args
        assert len(done.stderr.strip().splitlines()) == 1, (args, done.stderr)
        assert done.stderr.startswith("error: "), (args, done.stderr)
