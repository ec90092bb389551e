"""The emulator's other ways of running (issue 15): on a database given with ``--database``
(SQLite that persists, PostgreSQL), known tokens without ``--emulator``, a bad seed file at
start-up, readiness that is not there yet, reset hooks (rate-limit counters), and the pytest
plugin's overridable seed."""

from __future__ import annotations

import asyncio
import json
import textwrap
from pathlib import Path

import httpx

from commprefs.config import Settings
from commprefs.services import Services
from tests.support import cli
from tests.support.databases import postgres_database
from tests.support.emulator import SEED, TOKEN, EmulatorServer, run_suite
from tests.support.server import Server

V4 = "/communication-preferences/v4"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _opt_out(http: httpx.Client, subscriber: str) -> None:
    done = http.post(
        f"{V4}/statuses/{subscriber}/unsubscribe-all", params={"channel": "EMAIL"}, headers=AUTH
    )
    assert done.status_code == 200, done.text


def _opted_out(http: httpx.Client, subscriber: str) -> bool:
    found = http.get(
        f"{V4}/statuses/{subscriber}/unsubscribe-all", params={"channel": "EMAIL"}, headers=AUTH
    )
    assert found.status_code == 200, found.text
    return bool(found.json()["results"])


def test_on_postgresql_reset_rebuilds_the_schema_and_the_seed(tmp_path: Path) -> None:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps(SEED))
    with (
        postgres_database() as url,
        EmulatorServer(
            tmp_path / "pg.log", "--token", TOKEN, "--seed", str(seed), database_url=url
        ) as emulator,
        httpx.Client(base_url=emulator.url, timeout=30.0) as http,
    ):
        before = http.get("/_commprefs/state").json()
        _opt_out(http, "jane@example.com")
        assert http.post("/_commprefs/reset").status_code == 200
        assert http.get("/_commprefs/state").json() == before
        assert not _opted_out(http, "jane@example.com")
        # Ids given by the seed move the sequences past them: a type without one gets the next.
        given = {"portals": [{"id": 1}], "subscriptionDefinitions": [{"id": 1, "name": "A"}]}
        given["subscriptionDefinitions"].append({"name": "B"})
        answer = http.post("/_commprefs/seed", json=given)
        assert answer.status_code == 200, answer.text
        types = http.get(f"{V4}/definitions", headers=AUTH).json()["results"]
        assert [(t["id"], t["name"]) for t in types] == [("1", "A"), ("2", "B")]
        # Times the seed leaves out are when it was applied, on every reset after it too.
        assert http.post("/_commprefs/reset").status_code == 200
        assert http.get(f"{V4}/definitions", headers=AUTH).json()["results"] == types


def test_a_persisted_emulator_keeps_its_data_across_restarts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kept.db'}"
    with (
        EmulatorServer(tmp_path / "a.log", "--token", TOKEN, database_url=url) as first,
        httpx.Client(base_url=first.url, timeout=30.0) as http,
    ):
        _opt_out(http, "kept@example.com")
    with (
        EmulatorServer(tmp_path / "b.log", "--token", TOKEN, database_url=url) as second,
        httpx.Client(base_url=second.url, timeout=30.0) as http,
    ):
        assert _opted_out(http, "kept@example.com")
        assert http.post("/_commprefs/reset").status_code == 200
        assert not _opted_out(http, "kept@example.com")


def test_known_tokens_work_without_the_emulator_on_new_and_old_databases(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plain.db'}"
    for token, log in (("first-known", "one.log"), ("second-known", "two.log")):
        with (
            Server(url, tmp_path / log, "--token", token) as served,
            httpx.Client(base_url=served.url, timeout=30.0) as http,
        ):
            answer = http.get(f"{V4}/definitions", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200, answer.text
            assert http.post("/_commprefs/reset").status_code == 404
    listed = cli.json_of("tokens", "list", "--database", url)
    assert {"known token"} <= {t["name"] for t in listed["tokens"]}


def test_a_bad_seed_file_is_one_line_and_no_server(tmp_path: Path) -> None:
    seed = tmp_path / "bad.yaml"
    seed.write_text("statuses:\n  - {email: a@b.co, status: MAYBE}\n")
    done = cli.run("serve", "--emulator", "--port", "1", "--seed", str(seed))
    assert done.returncode == 1
    assert done.stderr.startswith(f"error: --seed {seed}: /statuses/0/subscriptionId: ")
    assert "/statuses/0/status" in done.stderr
    assert "Traceback" not in done.stderr
    missing = cli.run("serve", "--emulator", "--seed", str(tmp_path / "none.yaml"))
    assert missing.returncode == 1
    assert "No such file" in missing.stderr
    # What only the services can tell (a type the seed does not define) is one line too.
    seed.write_text("statuses:\n  - {email: a@b.co, subscriptionId: 99, status: SUBSCRIBED}\n")
    unknown = cli.run("serve", "--emulator", "--port", "1", "--seed", str(seed))
    assert unknown.returncode == 1
    assert unknown.stderr == (
        f"error: --seed {seed}: /statuses/0/subscriptionId: "
        "Subscription 99 does not exist in this account.\n"
    )
    spaced = cli.run("serve", "--emulator", "--port", "1", "--token", "a b")
    assert spaced.returncode == 1
    assert spaced.stderr.startswith("error: --token: A token is 1 to 512 printable ASCII")


def test_readiness_names_what_is_missing(tmp_path: Path) -> None:
    async def reasons() -> list[str | None]:
        found = []
        for url in (f"sqlite:///{tmp_path / 'new.db'}", f"sqlite:///{tmp_path}/no/such/x.db"):
            services = Services.build(Settings(database_url=url))
            found.append(await services.unready())
            await services.close()
        return found

    unmigrated, unreachable = asyncio.run(reasons())
    assert unmigrated is not None
    assert unmigrated.startswith("schema at revision None, not at head")
    assert unreachable is not None
    assert unreachable.startswith("database unreachable")


def test_reset_forgets_the_rate_limit_counters(tmp_path: Path) -> None:
    with (
        EmulatorServer(tmp_path / "limited.log", "--token", TOKEN, "--rate-limit", "2") as hub,
        httpx.Client(base_url=hub.url, timeout=30.0) as http,
    ):
        codes = [http.get(f"{V4}/definitions", headers=AUTH).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        assert http.post("/_commprefs/reset").status_code == 200
        assert http.get(f"{V4}/definitions", headers=AUTH).status_code == 200


def test_the_plugins_seed_fixture_can_be_overridden_from_code(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        textwrap.dedent(
            """
            import pytest

            @pytest.fixture(scope="session")
            def commprefs_seed():
                return {"subscriptionDefinitions": [{"id": 777, "name": "From code"}]}
            """
        )
    )
    (tmp_path / "test_user.py").write_text(
        textwrap.dedent(
            """
            import httpx

            def test_sees_the_seed(commprefs):
                answer = httpx.get(
                    commprefs.base_url + "/communication-preferences/v4/definitions",
                    headers={"Authorization": "Bearer " + commprefs.token},
                )
                assert [t["id"] for t in answer.json()["results"]] == ["777"]
                assert commprefs.environment["HUBSPOT_ACCESS_TOKEN"] == "test-token"
            """
        )
    )
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nasyncio_default_fixture_loop_scope = function\n"
    )
    done = run_suite(tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
