"""``python -m bench``: the service against the same-stack baseline, workload by workload.

The servers run pinned to one core (``--server-cpus``), wrk and this driver to the other
(``--client-cpus``). Each workload: a warm-up of each server, then ``--rounds`` runs alternating
service and baseline; medians are reported. Results go to ``bench/results/<stamp>-<label>.json``
(and ``.md``), rewritten after every suite so an interrupted run keeps what it measured.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import data, machine, processes, report
from bench.environment import describe
from bench.wrk import WORKLOADS, Run, Workload, run

RESULTS = Path(__file__).resolve().parent / "results"
LOGS = RESULTS / "logs"  # server logs of each run; not committed
SUITES = {
    # name: (backend, server processes, kind)
    "sqlite": ("sqlite", 1, "workloads"),
    "postgres": ("postgres", 1, "workloads"),
    "postgres-2workers": ("postgres", 2, "workloads"),
    "scale-sqlite": ("sqlite", 1, "scale"),
    "scale-postgres": ("postgres", 1, "scale"),
}
DEFAULT_SUITES = "sqlite,postgres,postgres-2workers,scale-sqlite"
# Reads first, so that W2 and W3 see exactly the loaded subscribers; then the writers.
ORDER = ("W2", "W3", "W4", "W1")


def options(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small data, short runs")
    parser.add_argument("--suites", default=DEFAULT_SUITES, help=f"of {', '.join(SUITES)}")
    parser.add_argument("--workloads", default="W1,W2,W3,W4")
    parser.add_argument("--seconds", type=int, help="length of a measured run (10; quick 2)")
    parser.add_argument("--warmup", type=int, help="length of a warm-up run (3; quick 1)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--subscribers", type=int, help="stored for W2-W4 (100000; quick 2000)")
    parser.add_argument("--scale", help="W2 sizes (10000,100000,1000000; quick 1000,5000,20000)")
    parser.add_argument("--statuses-per-subscriber", type=int, default=1)
    parser.add_argument("--server-cpus", default="0")
    parser.add_argument("--client-cpus", default="1")
    parser.add_argument("--label", help="file name suffix (full or quick)")
    parser.add_argument(
        "--quiet-wait",
        type=float,
        help="before each run, wait up to this many seconds for the rest of the machine to go "
        "idle (20; quick 3); what other processes used during a run is recorded either way",
    )
    args = parser.parse_args(argv)
    args.seconds = args.seconds or (2 if args.quick else 10)
    args.warmup = args.warmup if args.warmup is not None else (1 if args.quick else 3)
    args.subscribers = args.subscribers or (2_000 if args.quick else 100_000)
    args.scale = [
        int(n)
        for n in (
            args.scale or ("1000,5000,20000" if args.quick else "10000,100000,1000000")
        ).split(",")
    ]
    args.label = args.label or ("quick" if args.quick else "full")
    args.quiet_wait = args.quiet_wait if args.quiet_wait is not None else (3 if args.quick else 20)
    args.stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    args.suites = [s.strip() for s in args.suites.split(",") if s.strip()]
    args.workloads = [w.strip().upper() for w in args.workloads.split(",") if w.strip()]
    unknown = [s for s in args.suites if s not in SUITES] + [
        w for w in args.workloads if w not in WORKLOADS
    ]
    if unknown:
        parser.error(f"unknown suites or workloads: {', '.join(unknown)}")
    return args


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class Bench:
    """One suite: a fresh database, the service and the baseline started once, data loaded."""

    def __init__(self, args: argparse.Namespace, name: str, folder: Path) -> None:
        self.args = args
        self.name = name
        self.backend, self.workers, self.kind = SUITES[name]
        self.folder = folder

    def measure(
        self, workload: Workload, subscribers: int, target: Any, tag: str, seconds: int
    ) -> Run:
        script_args = [
            self.tenant.token,
            tag,
            str(subscribers),
            ",".join(map(str, self.tenant.type_ids)),
        ]
        for attempt in (1, 2):
            self.revive()
            for server in (self.service, self.baseline):
                machine.wait_until_idle(server.pid)
            machine.wait_until_quiet(self.args.quiet_wait)
            failure: RuntimeError | None = None
            with (
                machine.cpu_account(target.pid) as cpu,
                machine.peak_memory(target.pid) as memory,
            ):
                try:
                    result = run(
                        workload,
                        target.url,
                        script_args,
                        seconds,
                        self.args.connections,
                        self.args.client_cpus,
                    )
                except RuntimeError as exc:
                    failure = exc
            if failure is None and self.service.running and self.baseline.running:
                break
            states = ", ".join(
                f"{s.name} {'running' if s.running else 'EXITED'}"
                for s in (self.service, self.baseline)
            )
            message = (
                f"{failure or 'a server exited during the run'} ({states}; logs in {self.logs})"
            )
            if attempt == 2:
                raise RuntimeError(message)
            say(f"  {self.name} {workload.key}: {message}; repeating the run once")
        result.peak_rss_mb = round(memory.tree_kb / 1024, 1)
        result.peak_process_rss_mb = round(memory.process_kb / 1024, 1)
        result.cpu_seconds = cpu.as_dict()
        return result

    def revive(self) -> None:
        """Restart a server that exited (stopped from outside the bench): recorded, not hidden."""
        for server in (self.service, self.baseline):
            if not server.running:
                code = server.process.returncode if server.process else None
                say(f"  {self.name}: {server.name} had exited (code {code}); restarting it")
                self.restarts.append({"server": server.name, "exit_code": code, "at": time.time()})
                server.stop()
                server.start(timeout=60)

    def compare(self, workload: Workload, subscribers: int) -> dict[str, Any]:
        stamp = f"{int(time.time())}"
        for target in (self.service, self.baseline):
            if self.args.warmup:
                self.measure(
                    workload, subscribers, target, f"warm{target.name[0]}{stamp}", self.args.warmup
                )
        runs: dict[str, list[Run]] = {"commprefs": [], "baseline": []}
        for round_number in range(1, self.args.rounds + 1):
            for target in (self.service, self.baseline):
                tag = f"{self.name}-{target.name[0]}{round_number}-{stamp}"
                result = self.measure(workload, subscribers, target, tag, self.args.seconds)
                runs[target.name].append(result)
                say(
                    f"  {self.name} {workload.key} {target.name:9} round {round_number}: "
                    f"{result.requests_per_s:8,.0f} req/s  p50 {result.latency_p50_ms:6.1f} ms  "
                    f"p99 {result.latency_p99_ms:6.1f} ms  failed {result.failures:,} "
                    f"{result.statuses}  rss {result.peak_rss_mb:.0f} MB"
                    f"  cpu {result.cpu_ms_per_request:.2f} ms/req"
                    f"  other cpu {100 * result.other_cpu_share:.0f}%"
                )
        compared = report.compare(runs["commprefs"], runs["baseline"])
        compared["title"] = workload.title
        if workload.needs_data:
            compared["data_loaded"] = self.load.error is None
        return compared

    def fill(self, subscribers: int) -> None:
        if self.load.error is not None or subscribers <= self.load.subscribers:
            return
        say(
            f"  {self.name}: loading subscribers {self.load.subscribers:,}..{subscribers:,} "
            "through the batch-write API"
        )
        data.load(
            self.service.url,
            self.tenant,
            self.load.subscribers,
            subscribers,
            self.args.statuses_per_subscriber,
            self.load,
            concurrency=4 * self.workers,
        )
        step = self.load.steps[-1]
        say(
            f"  {self.name}: {step['statuses']:,} statuses in {step['seconds']} s "
            f"= {step['statuses_per_s']:,.0f}/s"
            + (f"; FAILED: {self.load.error}" if self.load.error else "")
        )

    def execute(self) -> dict[str, Any]:
        cpus = self.args.server_cpus
        logs = self.logs = LOGS / self.args.stamp / self.name
        logs.mkdir(parents=True)
        with data.fresh_database(self.backend, self.folder) as url:
            self.tenant = data.make_tenant(url)
            self.load = data.Load()
            self.restarts: list[dict[str, Any]] = []
            self.service = processes.service(url, self.workers, cpus, logs / "commprefs.log")
            self.baseline = processes.Baseline(logs / "baseline.log", cpus, self.workers)
            with processes.running(self.service, self.baseline):
                outcome: dict[str, Any] = {
                    "suite": self.name,
                    "backend": self.backend,
                    "workers": self.workers,
                    "kind": self.kind,
                }
                if self.kind == "scale":
                    outcome["points"] = []
                    for size in self.args.scale:
                        self.fill(size)
                        outcome["points"].append(
                            {
                                "subscribers": size,
                                "load_step": self.load.steps[-1] if self.load.steps else None,
                                "W2": self.compare(WORKLOADS["W2"], size),
                            }
                        )
                else:
                    outcome["subscribers"] = self.args.subscribers
                    if any(WORKLOADS[w].needs_data for w in self.args.workloads):
                        self.fill(self.args.subscribers)
                    outcome["workloads"] = {
                        key: self.compare(WORKLOADS[key], self.args.subscribers)
                        for key in ORDER
                        if key in self.args.workloads
                    }
                outcome["server_restarts"] = self.restarts
                outcome["load"] = {
                    "subscribers": self.load.subscribers,
                    "statuses": self.load.statuses,
                    "seconds": round(self.load.seconds, 2),
                    "calls": self.load.calls,
                    "statuses_per_s": round(self.load.statuses_per_s, 1),
                    "error": self.load.error,
                    "steps": self.load.steps,
                }
        return outcome


def main(argv: list[str] | None = None) -> int:
    args = options(argv)
    # This driver (the data loader, the memory sampler) shares the load generator's core.
    os.sched_setaffinity(0, {int(c) for c in args.client_cpus.split(",")})
    document: dict[str, Any] = {
        "environment": describe(),
        "options": dict(vars(args)),
        "suites": [],
    }
    with tempfile.TemporaryDirectory(prefix="commprefs-bench-") as tmp:
        for name in args.suites:
            say(f"suite {name}")
            document["suites"].append(Bench(args, name, Path(tmp)).execute())
            document["targets"] = report.targets(document["suites"])
            path = report.save(document, RESULTS, f"{args.stamp}-{args.label}")
            table = report.markdown(document["suites"], document["targets"])
            path.with_suffix(".md").write_text(table)
    print(table)
    say(f"results: {path} and {path.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
