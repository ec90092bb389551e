"""Production mode: ``commprefs serve --workers N`` runs N processes on one database."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.support.cli import run
from tests.support.console import Console, console_user
from tests.support.databases import database
from tests.support.factories import Factory, email
from tests.support.server import Server


def worker_processes(server: Server) -> list[int]:
    """The server's worker processes (multiprocessing children, not its resource tracker)."""
    assert server.process is not None
    children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    pids = [int(pid) for pid in children.read_text().split()]
    return [
        pid
        for pid in pids
        if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    ]


def test_two_workers_serve_one_database_and_order_concurrent_writers(
    database_url: str, factory: Factory, tmp_path: Path
) -> None:
    tenant = factory.tenant(types=3)
    subscriber = email("raced")
    server = Server(database_url, tmp_path / "workers.log", "--workers", "2").start()
    try:
        assert len(worker_processes(server)) == 2
        url = f"{server.url}/communication-preferences/v4/statuses/{subscriber}/unsubscribe-all"

        def opt_out(_: int) -> httpx.Response:
            return httpx.post(
                url,
                params={"channel": "EMAIL", "verbose": "true"},
                headers=tenant.headers,
                timeout=30,
            )

        with ThreadPoolExecutor(max_workers=16) as pool:
            responses = list(pool.map(opt_out, range(32)))
    finally:
        server.stop()
    ledger = factory.ledger(tenant.portal, subscriber)

    assert [r.status_code for r in responses] == [200] * 32
    reasons = [s["setStatusSuccessReason"] for r in responses for s in r.json()["results"]]
    # However the 32 requests interleave across the two processes, each type changes once.
    assert reasons.count("UNSUBSCRIBE_FROM_ALL_OCCURRED") == 3
    assert reasons.count("NO_STATUS_CHANGE") == 31 * 3
    assert len(ledger) == 3 + 1  # three types and the portal-wide opt-out


def test_a_first_start_with_workers_creates_one_portal_and_prints_one_working_token(
    backend: str, tmp_path: Path
) -> None:
    with database(backend, tmp_path) as url:
        server = Server(url, tmp_path / "first.log", "--workers", "2").start()
        try:
            printed = set(re.findall(r"cpat-[\w-]+", server.log()))
            answers = [
                httpx.post(
                    f"{server.url}/communication-preferences/v4/statuses/{email()}/unsubscribe-all",
                    params={"channel": "EMAIL"},
                    headers={"Authorization": f"Bearer {secret}"},
                    timeout=30,
                ).status_code
                for secret in printed
            ]
        finally:
            server.stop()
        log = server.log()
        listed = run("tokens", "list", "--database", url, "--json", timeout=60)
        assert listed.returncode == 0, listed.stderr

    assert log.count("First access token") == 1
    assert log.count("Application startup complete.") == 2
    assert answers == [200]
    assert len(json.loads(listed.stdout)["tokens"]) == 1


def serve_two_workers(database: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``serve --workers 2`` expected to stop before serving: its exit and output."""
    return run(
        "serve", "--workers", "2", "--database", database, timeout=60, env={**os.environ, **env}
    )


def test_workers_refuse_an_in_memory_database() -> None:
    done = serve_two_workers("sqlite:///:memory:")

    assert done.returncode == 1
    assert done.stderr.strip().splitlines() == [
        "error: an in-memory database cannot be shared by several worker processes"
    ]


def test_a_bad_pool_size_stops_the_server_before_it_starts(tmp_path: Path) -> None:
    done = serve_two_workers(
        f"sqlite:///{tmp_path / 'unused.db'}", COMMPREFS_DATABASE_POOL_SIZE="0"
    )

    assert done.returncode == 1
    assert done.stderr.startswith("error: database_pool_size: ")
    assert len(done.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "unused.db").exists()


def test_a_worker_that_dies_is_replaced(
    database_url: str, factory: Factory, tmp_path: Path
) -> None:
    tenant = factory.tenant(types=1)
    server = Server(database_url, tmp_path / "replace.log", "--workers", "2").start()
    try:
        first, second = worker_processes(server)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            workers = worker_processes(server)
            if len(workers) == 2 and first not in workers:
                break
            time.sleep(0.2)
        url = f"{server.url}/communication-preferences/v4/statuses/{email()}/unsubscribe-all"
        answers = [
            httpx.post(url, params={"channel": "EMAIL"}, headers=tenant.headers, timeout=30)
            for _ in range(8)
        ]
    finally:
        server.stop()

    assert second in workers
    assert len(workers) == 2
    assert first not in workers
    assert [a.status_code for a in answers] == [200] * 8


def test_workers_enforce_the_configured_header_limit(
    database_url: str, tmp_path: Path, factory: Factory
) -> None:
    tenant = factory.tenant(types=1)
    server = Server(
        database_url, tmp_path / "limits.log", "--workers", "2", COMMPREFS_MAX_HEADER_BYTES="2048"
    ).start()
    try:
        big = httpx.get(
            f"{server.url}/communication-preferences/v4/definitions",
            headers={**tenant.headers, "X-Padding": "p" * 4096},
        )
        small = httpx.get(
            f"{server.url}/communication-preferences/v4/definitions", headers=tenant.headers
        )
    finally:
        server.stop()
    assert big.status_code == 431
    assert big.json()["status"] == "error"
    assert small.status_code == 200


def test_a_console_import_is_followed_by_whichever_worker_answers(
    database_url: str, factory: Factory, tmp_path: Path
) -> None:
    """The console's import jobs are kept in the database: its progress page and rejects answer
    from each worker, on a new connection every time (the process that ran it or not)."""
    tenant = factory.tenant(types=1)
    admin = console_user(factory, tenant.portal, "admin")
    kind = tenant.definitions[0]
    body = f"email,subscriptionId,status\n{email('w')},{kind.id},SUBSCRIBED\nbroken,{kind.id},X\n"
    server = Server(database_url, tmp_path / "workers.log", "--workers", "2").start()
    try:
        with Console(server.url) as console:
            assert console.log_in(admin).status_code == 303
            started = console.http.post(
                "/console/imports",
                data={"csrf": console.csrf(), "format": ""},
                files={"file": ("people.csv", body.encode(), "text/csv")},
            )
            assert started.status_code == 303
            job = f"{server.url}{started.headers['location']}"
            cookies = dict(console.http.cookies)
            pages = []
            for _ in range(200):  # each a new connection: either worker may take it
                pages.append(httpx.get(job, cookies=cookies, timeout=30))
                if "Finished" in pages[-1].text and len(pages) >= 12:
                    break
            rejects = [httpx.get(f"{job}/rejects", cookies=cookies, timeout=30) for _ in range(4)]
    finally:
        server.stop()
    assert {page.status_code for page in pages} == {200}
    assert "Finished: 1 of 2 rows imported, 1 rejected." in pages[-1].text
    assert all(r.status_code == 200 and "broken" in r.text for r in rejects)
