"""``python -m bench.floor``: how fast the framework alone serves W2, against the baseline.

The FastAPI floor (bench/asgi.py) is a FastAPI route with the parameters of GET statuses (the
service's own annotations and one dependency) answering a fixed body: what any FastAPI service
with this route costs before it does anything. Both servers run on the same uvicorn settings,
pinned like ``python -m bench`` pins them, driven by W2's wrk script, alternating, medians of
the rounds. The service's W2 req/s cannot exceed the floor's, so floor / baseline bounds the
W2 ratio of the performance targets from above.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench import machine
from bench.processes import Baseline, PinnedServer, running
from bench.wrk import WORKLOADS, Run, run

W2 = WORKLOADS["W2"]


class FastApiFloor(Baseline):
    probe = "/communication-preferences/v4/statuses/probe@bench.example?channel=EMAIL"

    def __init__(self, log: Path, cpus: str) -> None:
        super().__init__(log, cpus, 1)
        self.name = "fastapi-floor"

    def command(self) -> list[str]:
        return [*super().command(), "--fastapi"]


def measure(server: PinnedServer, seconds: int, args: argparse.Namespace) -> Run:
    machine.wait_until_idle(server.pid)
    machine.wait_until_quiet(20)
    with machine.cpu_account(server.pid) as cpu:
        result = run(W2, server.url, ["unused", "floor", "1000", "1"], seconds, 32, args.client)
    result.cpu_seconds = cpu.as_dict()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--server", default="0", help="cores of the servers (taskset -c)")
    parser.add_argument("--client", default="1", help="cores of wrk")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        baseline = Baseline(Path(folder, "baseline.log"), args.server, 1)
        floor = FastApiFloor(Path(folder, "floor.log"), args.server)
        with running(baseline, floor):
            for server in (baseline, floor):
                measure(server, 2, args)  # warm-up
            runs: dict[str, list[Run]] = {"baseline": [], "fastapi-floor": []}
            for _ in range(args.rounds):
                for server in (baseline, floor):
                    runs[server.name].append(measure(server, args.seconds, args))
    print(f"W2 (GET statuses), 32 connections, medians of {args.rounds} x {args.seconds} s runs")
    rates = {}
    for name, results in runs.items():
        failed = sum(r.failures for r in results)
        rates[name] = statistics.median(r.requests_per_s for r in results)
        cpu = statistics.median(r.cpu_ms_per_request for r in results)
        p99 = statistics.median(r.latency_p99_ms for r in results)
        print(
            f"  {name:14} {rates[name]:9,.0f} req/s  p99 {p99:5.1f} ms  "
            f"{1000 * cpu:5.0f} µs CPU/request  non-2xx or failed: {failed}"
        )
    print(f"  floor / baseline: {rates['fastapi-floor'] / rates['baseline']:.2f}")
    print(f"  ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})")


if __name__ == "__main__":
    main()
