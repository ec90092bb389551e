"""Secrets stay secret: after successful and failing calls of every kind, no token, signing key or
database password appears in the server's log, in any response, in a dump of the database or in
Redis. SQLite and PostgreSQL (reached with a password, which trust authentication ignores)."""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import httpx
import psycopg
import pytest
import redis

from tests.support.factories import Factory, Tenant, email
from tests.support.server import Server
from tests.support.sockets import connect, read_until_closed

REDIS_URL = "redis://127.0.0.1:6379/0"
OPT_OUT = "/communication-preferences/v4/statuses/{}/unsubscribe-all"


def with_password(database_url: str, password: str) -> str:
    if not database_url.startswith("postgresql://root@"):
        return database_url
    return database_url.replace("postgresql://root@", f"postgresql://root:{password}@", 1)


def database_dump(database_url: str) -> str:
    if database_url.startswith("sqlite"):
        with closing(sqlite3.connect(database_url.removeprefix("sqlite:///"))) as conn:
            return "\n".join(conn.iterdump())
    dumped: list[str] = []
    with psycopg.connect(database_url) as conn:
        tables = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchall()
        for (table,) in tables:
            rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()
            dumped += [f"{table}: {row!r}" for row in rows]
    return "\n".join(dumped)


def redis_dump() -> str:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match="commprefs:*"))
        return "\n".join(f"{k!r} {client.zrange(k, 0, -1)!r}" for k in keys)
    finally:
        client.close()


def exchange(response: httpx.Response) -> str:
    return f"{response.status_code} {dict(response.headers)!r} {response.text}"


def raw_exchange(port: int, request: bytes) -> str:
    with connect(port) as sock:
        sock.sendall(request)
        return read_until_closed(sock).decode("latin-1")


@pytest.fixture
def tenant(database_url: str) -> Iterator[tuple[Tenant, dict[str, str]]]:
    factory = Factory(database_url)
    try:
        tenant = factory.tenant(types=2)
        tokens = {
            "reader": factory.token(tenant.portal, ["communication_preferences.read"]),
            "revoked": factory.token(tenant.portal),
        }
        factory.revoke(tokens["revoked"])
        yield tenant, tokens
    finally:
        factory.close()


def test_no_secret_reaches_logs_responses_the_database_or_redis(
    database_url: str, tenant: tuple[Tenant, dict[str, str]], tmp_path: Path
) -> None:
    writer, tokens = tenant
    signing_key = "sk-" + secrets.token_urlsafe(24)
    password = "pw-" + secrets.token_urlsafe(12)
    log = tmp_path / "server.log"
    server = Server(
        with_password(database_url, password),
        log,
        COMMPREFS_LINK_SIGNING_KEY=signing_key,
        COMMPREFS_RATE_LIMIT="6",
        COMMPREFS_RATE_LIMIT_WINDOW_MS="60000",
        COMMPREFS_REDIS_URL=REDIS_URL,
        COMMPREFS_MAX_HEADER_BYTES="2048",
    ).start()
    token = writer.token
    near_miss = token[:-1] + ("A" if token[-1] != "A" else "B")
    seen: list[str] = []
    try:
        with httpx.Client(base_url=server.url, timeout=30.0) as client:

            def call(
                authorization: str,
                path: str | None = None,
                headers: dict[str, str] | None = None,
                content: bytes | None = None,
            ) -> None:
                response = client.post(
                    path or OPT_OUT.format(email()),
                    params={"channel": "EMAIL"},
                    headers={"Authorization": authorization, **(headers or {})},
                    content=content,
                )
                seen.append(exchange(response))

            call(f"Bearer {token}")
            call(f"Bearer {token}", headers={"Idempotency-Key": "k1"})
            call(f"Bearer {token}", headers={"Idempotency-Key": "k1"})
            call(f"Bearer {token}", OPT_OUT.format("not-an-address"))
            call(f"Bearer {token}", "/communication-preferences/v4/nothing-here")
            call(f"Bearer {token}", content=b"x" * 2_000_000)
            call(f"Bearer {tokens['reader']}")
            call(f"Bearer {tokens['revoked']}")
            call(f"Bearer {near_miss}")
            call(f"Bearer {token} trailing")
            call(f"Token {token}")
            for _ in range(4):
                call(f"Bearer {token}")  # the last ones are 429s
            seen.append(exchange(client.delete(OPT_OUT.format(email()), headers=writer.headers)))
        assert any(line.startswith("429 ") for line in seen)
        assert any(line.startswith("413 ") for line in seen)
        request = f"POST {OPT_OUT.format(email())}?channel=EMAIL HTTP/1.1\r\nHost: x\r\n"
        seen.append(
            raw_exchange(
                server.port,
                f"{request}Authorization: Bearer {token}\r\nX-Pad: {'p' * 3000}\r\n\r\n".encode(),
            )
        )
        seen.append(raw_exchange(server.port, f"BROKEN {token}\x01 HTTP/1.1\r\n\r\n".encode()))
        assert seen[-2].startswith("HTTP/1.1 431")
        assert seen[-1].startswith("HTTP/1.1 400")
    finally:
        server.stop()

    haystacks = {
        "log": log.read_text(errors="replace"),
        "responses": "\n".join(seen),
        "database": database_dump(database_url),
        "redis": redis_dump(),
    }
    assert "UNSUBSCRIBED" in haystacks["database"]  # the dump holds the data
    needles = {
        "token": token,
        "token without its prefix": token.removeprefix("cpat-"),
        "read-only token": tokens["reader"],
        "revoked token": tokens["revoked"],
        "near-miss token": near_miss,
        "signing key": signing_key,
        "database password": password,
    }
    leaks = [
        f"{needle} in {place}"
        for needle, secret in needles.items()
        for place, text in haystacks.items()
        if secret in text
    ]
    assert leaks == []
