"""``python -m bench.inprocess [W1|W2|W3|W4|BW|all]``: the service's CPU time per request, with
no HTTP in between.

The real app (``create_app``) runs its lifespan and is called as an ASGI app from the same event
loop (the standard asyncio one): no sockets, HTTP parser, server or load generator, so what is
measured is the service and its framework. The tenant is made as for ``python -m bench`` (a
portal, ten subscription types, a token) and 2,000 subscribers are stored through the batch-write
API, in-process. Each workload (those of ``python -m bench``, and BW: the batch write of 100 new
subscribers that bulk loads use) gets a warm-up, then three repetitions of N requests; printed is
the median CPU time of this process per request. ``time.process_time`` counts every thread, so
work handed to threads (SQLite's checkpoints) is included; PostgreSQL's own work is not. Then
the framework floor: the same call loop against the fixed Starlette route of
``bench/baseline.py`` and a FastAPI route with the parameters of GET statuses, so that the share
of a request that is the framework shows.

Every request must be answered 200: the first that is not stops the run with its status and
body. ``--profile``: cProfile of one more repetition of each workload, top 30 by own time.
``--frames`` (SQLite): WAL frames written per request of the write workloads. ``--metrics``
and ``--json-logs``: with COMMPREFS_METRICS=true / COMMPREFS_LOG_FORMAT=json (lines formatted
and written to /dev/null), to measure what each costs a request.
``--emulator``:
the app as it is and the app in emulator mode (issue 15: every request journaled) on the same
database, their repetitions taken in turns, so that what emulator mode costs a request shows.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import functools
import itertools
import os
import pstats
import random
import sqlite3
import statistics
import sys
import tempfile
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import orjson
from fastapi import FastAPI
from starlette.types import ASGIApp

from bench import asgi, baseline, data
from bench.asgi import Call, Headers, RequestFailed, bearer, cpu_us_per_request, fastapi_floor
from bench.wrk import WORKLOADS
from commprefs.api.metrics import RequestObserver
from commprefs.app import create_app
from commprefs.config import Settings
from commprefs.observability.logs import use_json_logs

SUBSCRIBERS = 2_000
REPETITIONS = 3
ORDER = ("W2", "W3", "W4", "W1", "BW")  # reads first: they see exactly the stored subscribers
TITLES = {key: w.title for key, w in WORKLOADS.items()}
TITLES["BW"] = "POST batch/write, 100 new subscribers"
WRITES = ("W4", "W1", "BW")
BATCHES = ("W3", "BW")
REQUESTS = 1_000  # per repetition; a tenth of that for the batches of 100
FLOOR_REQUESTS = 5_000
FRAMES_REQUESTS = 100
PREFIX = baseline.PREFIX
EMAIL = b"channel=EMAIL"
STATES = ("SUBSCRIBED", "UNSUBSCRIBED")
FLOORS = (
    ("starlette fixed route", baseline.app),
    ("fastapi fixed route (same parameter shape as GET statuses)", fastapi_floor()),
)


class Requests:
    """The requests of each workload, made as bench/lua/*.lua makes them."""

    def __init__(self, tenant: data.BenchTenant) -> None:
        self.tenant = tenant
        self.rng = random.Random(8)  # noqa: S311 - repeatable picks, not secrets
        self.counter = itertools.count()
        self.next_new = SUBSCRIBERS  # BW stores the subscribers after the stored ones

    def stored(self) -> str:
        return data.stored_subscriber(self.rng.randrange(SUBSCRIBERS))

    def make(self, workload: str) -> Call:
        n = next(self.counter)
        if workload == "W1":
            return Call("POST", f"{PREFIX}/statuses/w1-{n}@bench.example/unsubscribe-all", EMAIL)
        if workload == "W2":
            return Call("GET", f"{PREFIX}/statuses/{self.stored()}", EMAIL)
        if workload == "W3":
            inputs = [self.stored() for _ in range(data.BATCH_INPUTS)]
            body = orjson.dumps({"inputs": inputs})
            return Call("POST", f"{PREFIX}/statuses/batch/read", EMAIL, body)
        if workload == "W4":
            change = {
                "channel": "EMAIL",
                "statusState": STATES[n % 2],
                "subscriptionId": self.rng.choice(self.tenant.type_ids),
            }
            return Call("POST", f"{PREFIX}/statuses/{self.stored()}", body=orjson.dumps(change))
        first, self.next_new = self.next_new, self.next_new + data.BATCH_INPUTS
        body, _ = next(data.batch_bodies(first, self.next_new, self.tenant, 1))
        return Call("POST", data.BATCH_WRITE, body=body)

    def calls(self, workload: str, count: int) -> list[Call]:
        return [self.make(workload) for _ in range(count)]


async def repeated(
    app: ASGIApp, calls: Callable[[int], list[Call]], headers: Headers, count: int
) -> list[float]:
    await cpu_us_per_request(app, calls(max(count // 5, 1)), headers)  # warm-up
    return [await cpu_us_per_request(app, calls(count), headers) for _ in range(REPETITIONS)]


def line(name: str, runs: list[float], count: int) -> str:
    each = ", ".join(f"{run:,.0f}" for run in runs)
    median = statistics.median(runs)
    return f"{name:<66} {median:>7,.0f} µs CPU/request  ({each}; {count} requests each)"


async def profiled(app: ASGIApp, calls: list[Call], headers: Headers) -> None:
    profile = cProfile.Profile()
    profile.enable()
    for call in calls:
        await asgi.request(app, call, headers)
    profile.disable()
    pstats.Stats(profile, stream=sys.stdout).sort_stats("tottime").print_stats(30)


async def frames_per_request(app: FastAPI, path: str, calls: list[Call], headers: Headers) -> float:
    """WAL frames (pages) written per request: the log is emptied first and the service's own
    checkpoints are held off, so that the log holds what these requests wrote and nothing else."""
    checkpointer = getattr(app.state.services.database, "_checkpointer", None)
    every = checkpointer.every if checkpointer is not None else 0
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        # Waits (sqlite3's busy timeout) for a checkpoint of the service's that is under way.
        if conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]:
            raise RuntimeError("the write-ahead log could not be emptied")
        if checkpointer is not None:
            checkpointer.every = sys.maxsize
        try:
            for call in calls:
                await asgi.request(app, call, headers)
        finally:
            if checkpointer is not None:
                checkpointer.every = every
        frames: int = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()[1]
    return frames / len(calls)


async def measure(args: argparse.Namespace, url: str, tenant: data.BenchTenant) -> None:
    if args.emulator:
        await emulator_cost(args, url, tenant)
        return
    log_format = "json" if args.json_logs else "text"
    app = create_app(Settings(database_url=url, metrics=args.metrics, log_format=log_format))
    if args.json_logs:  # formatted and written, to nowhere: the cost, not the lines
        use_json_logs(stream=open(os.devnull, "w"))  # noqa: SIM115, ASYNC230 - once, for the run
    headers = bearer(tenant.token)
    requests = Requests(tenant)
    async with app.router.lifespan_context(app):
        for body, _ in data.batch_bodies(0, SUBSCRIBERS, tenant, 1):
            await asgi.request(app, Call("POST", data.BATCH_WRITE, body=body), headers)
        for key in args.workloads:
            count = args.requests or (REQUESTS // 10 if key in BATCHES else REQUESTS)
            calls = functools.partial(requests.calls, key)
            runs = await repeated(app, calls, headers, count)
            print(line(f"{args.backend} {key} {TITLES[key]}", runs, count), flush=True)
            if args.frames and key in WRITES:
                path = url.removeprefix("sqlite:///")
                frames = await frames_per_request(app, path, calls(FRAMES_REQUESTS), headers)
                print(f"  WAL frames per request: {frames:.1f}", flush=True)
            if args.profile:
                print(f"\ncProfile of {count} {key} requests on {args.backend}:", flush=True)
                await profiled(app, calls(count), headers)
    get = Call("GET", f"{PREFIX}/statuses/{data.stored_subscriber(1)}", EMAIL)
    count = args.requests or FLOOR_REQUESTS
    floors: list[tuple[str, ASGIApp]] = list(FLOORS)
    if args.metrics or args.json_logs:
        # The same fixed route inside the metrics/log middleware: its cost alone, next to the
        # plain route's (the workloads above move by more than it between runs).
        observed = RequestObserver(
            baseline.app, app.state.services, metrics=args.metrics, log=args.json_logs
        )
        floors.insert(1, ("starlette fixed route, observed as configured", observed))
    for name, floor in floors:
        runs = await repeated(floor, lambda n: [get] * n, bearer("floor"), count)
        print(line(f"floor: {name}", runs, count), flush=True)


async def emulator_cost(args: argparse.Namespace, url: str, tenant: data.BenchTenant) -> None:
    """Each workload's CPU time per request without and with emulator mode, taken in turns."""
    plain = create_app(Settings(database_url=url))
    emulated = create_app(Settings(database_url=url, emulator=True))
    apps = {"": plain, " (emulator mode)": emulated}
    headers = bearer(tenant.token)
    requests = Requests(tenant)
    print(f"(without and with emulator mode: {REPETITIONS + 2} repetitions each, in turns)")
    async with plain.router.lifespan_context(plain), emulated.router.lifespan_context(emulated):
        for body, _ in data.batch_bodies(0, SUBSCRIBERS, tenant, 1):
            await asgi.request(plain, Call("POST", data.BATCH_WRITE, body=body), headers)
        for key in args.workloads:
            count = args.requests or (REQUESTS // 10 if key in BATCHES else REQUESTS)
            runs: dict[str, list[float]] = {mode: [] for mode in apps}
            for app in apps.values():  # warm-up
                await cpu_us_per_request(app, requests.calls(key, max(count // 5, 1)), headers)
            for _ in range(REPETITIONS + 2):  # in turns, so that both see the same machine
                for mode, app in apps.items():
                    calls = requests.calls(key, count)
                    runs[mode].append(await cpu_us_per_request(app, calls, headers))
            for mode, times in runs.items():
                print(line(f"{args.backend} {key} {TITLES[key]}{mode}", times, count), flush=True)


def options(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.inprocess", description=__doc__)
    parser.add_argument("workload", nargs="?", default="all", choices=[*ORDER, "all"])
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--requests", type=int, help=f"per repetition ({REQUESTS}; batches /10)")
    parser.add_argument("--profile", action="store_true", help="cProfile, top 30 by own time")
    parser.add_argument("--frames", action="store_true", help="SQLite WAL frames per write")
    parser.add_argument("--metrics", action="store_true", help="COMMPREFS_METRICS=true")
    parser.add_argument(
        "--json-logs", action="store_true", help="COMMPREFS_LOG_FORMAT=json (to /dev/null)"
    )
    parser.add_argument(
        "--emulator", action="store_true", help="without and with emulator mode, in turns"
    )
    args = parser.parse_args(argv)
    if args.frames and args.backend != "sqlite":
        parser.error("--frames counts SQLite's write-ahead log: use it with --backend sqlite")
    if args.requests is not None and args.requests < 1:
        parser.error("--requests must be at least 1")
    args.workloads = list(ORDER) if args.workload == "all" else [args.workload]
    return args


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    with (
        tempfile.TemporaryDirectory(prefix="commprefs-inprocess-") as tmp,
        data.fresh_database(args.backend, Path(tmp)) as url,
    ):
        tenant = data.make_tenant(url)
        print(
            f"CPU time of this process per request (median of {REPETITIONS} repetitions), "
            f"{SUBSCRIBERS:,} stored subscribers, {args.backend}",
            flush=True,
        )
        try:
            asyncio.run(measure(args, url, tenant))
        except RequestFailed as failure:
            print(f"request failed: {failure}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
