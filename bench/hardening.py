"""What the hardening costs per request: the rate limiter (in-process and Redis) and
Idempotency-Key, measured against real `commprefs serve` processes on SQLite over HTTP.

    python -m bench.hardening [--rounds 7] [--requests 300]

Configurations run interleaved, round by round, so that a noisy machine shifts all of them alike;
the figure is the median over rounds of the mean latency of sequential keep-alive requests. The
absolute numbers include the Python client; the differences are the cost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from commprefs.api.ratelimit import MemoryRateLimiter, RedisRateLimiter
from commprefs.config import Settings
from commprefs.services import Services
from commprefs.store.migrate import upgrade

COMMPREFS = str(Path(sys.executable).with_name("commprefs"))
OPT_OUT = "/communication-preferences/v4/statuses/{}/unsubscribe-all"
REDIS_URL = "redis://127.0.0.1:6379/0"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def seed(url: str) -> tuple[str, str]:
    services = Services.build(Settings(database_url=url))
    try:
        await upgrade(services.database)
        portal = await services.portals.create_portal("bench")
        for n in range(3):
            await services.portals.create_definition(portal.id, f"Type {n}", "bench type")
        _, writer = await services.tokens.create(portal.id, ["communication_preferences.write"])
        _, reader = await services.tokens.create(portal.id, ["communication_preferences.read"])
        return writer, reader
    finally:
        await services.database.dispose()


def start(url: str, folder: Path, name: str, **env: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = (folder / f"{name}.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - our own CLI, arguments built here
        [COMMPREFS, "serve", "--port", str(port), "--database", url],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **env},
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(base + "/openapi.json", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError(f"{name} did not start")


def mean_latency_us(client: httpx.Client, requests: int, call: object) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        call(client)  # type: ignore[operator]
    return (time.perf_counter() - started) / requests * 1e6


async def limiter_cost_us() -> dict[str, float]:
    """The limiters alone: one ``hit`` each, as the auth dependency makes it per call."""
    memory = MemoryRateLimiter(limit=100_000, window_ms=10_000)
    shared = RedisRateLimiter(REDIS_URL, limit=100_000, window_ms=10_000)
    await shared.start()
    costs = {}
    try:
        for name, limiter, calls in [("in-process", memory, 50_000), ("Redis", shared, 3_000)]:
            tokens = [uuid.uuid4().hex for _ in range(100)]
            started = time.perf_counter()
            for n in range(calls):
                await limiter.hit(tokens[n % 100])
            costs[name] = (time.perf_counter() - started) / calls * 1e6
    finally:
        await shared.close()
    return costs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="commprefs-bench-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    writer, reader = asyncio.run(seed(url))
    no_limit = {"COMMPREFS_RATE_LIMIT": "0"}
    memory = {"COMMPREFS_RATE_LIMIT": "100000"}
    shared = {**memory, "COMMPREFS_REDIS_URL": REDIS_URL}
    servers = {
        name: start(url, folder, name, **env)
        for name, env in [("off", no_limit), ("memory", memory), ("redis", shared)]
    }

    def forbidden(token: str):  # authenticated, counted, refused at the scope check: no write
        def call(client: httpx.Client) -> None:
            assert (
                client.post(
                    OPT_OUT.format("a@example.com"),
                    params={"channel": "EMAIL"},
                    headers={"Authorization": f"Bearer {token}"},
                ).status_code
                == 403
            )

        return call

    def write(token: str, keyed: bool):
        def call(client: httpx.Client) -> None:
            headers = {"Authorization": f"Bearer {token}"}
            if keyed:
                headers["Idempotency-Key"] = str(uuid.uuid4())
            response = client.post(
                OPT_OUT.format(f"{uuid.uuid4().hex}@example.com"),
                params={"channel": "EMAIL"},
                headers=headers,
            )
            assert response.status_code == 200, response.text

        return call

    cases = {
        "auth-only call, rate limit off": ("off", forbidden(reader)),
        "auth-only call, in-process limiter": ("memory", forbidden(reader)),
        "auth-only call, Redis limiter": ("redis", forbidden(reader)),
        "write, no Idempotency-Key": ("off", write(writer, keyed=False)),
        "write, with Idempotency-Key": ("off", write(writer, keyed=True)),
    }
    results: dict[str, list[float]] = {case: [] for case in cases}
    clients = {name: httpx.Client(base_url=base, timeout=30) for name, (_, base) in servers.items()}
    try:
        for server, call in cases.values():  # warm-up
            mean_latency_us(clients[server], 50, call)
        for _ in range(args.rounds):
            for case, (server, call) in cases.items():
                results[case].append(mean_latency_us(clients[server], args.requests, call))
    finally:
        for client in clients.values():
            client.close()
        for process, _ in servers.values():
            process.terminate()
            process.wait()
    print(
        f"{args.rounds} rounds x {args.requests} sequential requests, SQLite, {os.cpu_count()} CPUs"
    )
    for name, cost in asyncio.run(limiter_cost_us()).items():
        print(f"  {name + ' limiter alone, per call':<38} {cost:8.1f} us")
    for case, samples in results.items():
        median = statistics.median(samples)
        print(f"  {case:<38} {median:8.0f} us/request  ({1e6 / median:6.0f} req/s)")


if __name__ == "__main__":
    main()
