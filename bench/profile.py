"""``python -m bench.profile W1``: where the service spends its time under one workload.

Starts the service pinned like ``python -m bench`` does, drives it with the workload's wrk script
and attaches py-spy (a sampling profiler; the server runs unmodified) for the same duration.
Only the thread holding the GIL is sampled: the server's CPU time is its event-loop thread's
(aiosqlite's worker threads mostly wait, and SQLite itself releases the GIL). Writes
``bench/results/profile-<workload>-<backend>.txt``: the samples by package and the functions with
the most own and inclusive time; the collapsed stacks (the input of flame-graph tools, megabytes)
go to ``bench/results/logs/``, which is not committed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench import data, processes
from bench.wrk import WORKLOADS, run

RESULTS = Path(__file__).resolve().parent / "results"
PY_SPY = str(Path(sys.executable).with_name("py-spy"))
PACKAGES = (
    "commprefs",
    "sqlalchemy",
    "aiosqlite",
    "asyncpg",
    "fastapi",
    "starlette",
    "pydantic",
    "uvicorn",
    "asyncio",
    "email_validator",
    "idna",
)


def _package(frame: str) -> str:
    location = frame.rsplit("(", 1)[-1]
    for name in PACKAGES:
        if location.startswith(f"{name}/") or f"/{name}/" in location:
            return name
    # The standard library shows as bare file names (enum.py:12, <frozen os>:6, <string>:3).
    return "other" if "/" in location else "standard library"


def _function(frame: str) -> str:
    """``name (path/to/file.py:12)`` → ``name (package/file.py)``: lines merged."""
    name, _, location = frame.partition(" (")
    path = location.rstrip(")").rsplit(":", 1)[0]
    parts = path.split("/")
    return f"{name} ({'/'.join(parts[-2:])})"


def summarise(collapsed: str, top: int = 25) -> str:
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    for line in collapsed.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if "(" in f]
        if not frames:
            continue
        total += count
        own[_function(frames[-1])] += count
        packages[_package(frames[-1])] += count
        # Inclusive time of our own functions only: the framework layers above them would
        # otherwise fill the list with 100% entries.
        for name in {_function(f) for f in frames if _package(f) == "commprefs"}:
            inclusive[name] += count

    def table(title: str, counts: Counter[str], limit: int) -> list[str]:
        rows = [f"{title} (% of {total} samples)"]
        rows += [f"  {100 * n / total:5.1f}%  {name}" for name, n in counts.most_common(limit)]
        return [*rows, ""]

    if not total:
        return "no samples\n"
    return "\n".join(
        table("own time by package", packages, len(packages))
        + table("own time by function", own, top)
        + table("inclusive time of commprefs functions", inclusive, top)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("workload", choices=sorted(WORKLOADS))
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    args = parser.parse_args(argv)
    os.sched_setaffinity(0, {1})
    workload = WORKLOADS[args.workload]
    stem = f"profile-{workload.key}-{args.backend}"
    with (
        tempfile.TemporaryDirectory(prefix="commprefs-profile-") as tmp,
        data.fresh_database(args.backend, Path(tmp)) as url,
    ):
        tenant = data.make_tenant(url)
        server = processes.service(url, 1, "0", Path(tmp) / "commprefs.log")
        with processes.running(server):
            if workload.needs_data:
                loaded = data.Load()
                data.load(server.url, tenant, 0, args.subscribers, 1, loaded)
                if loaded.error:
                    print(f"could not load data: {loaded.error}", file=sys.stderr)
                    return 1
            raw = Path(tmp) / "stacks.txt"
            profiler = subprocess.Popen(
                [
                    *("taskset", "-c", "1", PY_SPY, "record", "--pid", str(server.pid)),
                    *("--duration", str(args.seconds), "--rate", str(args.rate)),
                    *("--format", "raw", "--output", str(raw), "--gil"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            script_args = [tenant.token, "profile", str(args.subscribers)]
            script_args.append(",".join(map(str, tenant.type_ids)))
            measured = run(workload, server.url, script_args, args.seconds, args.connections, "1")
            _, errors = profiler.communicate(timeout=args.seconds + 60)
            if profiler.returncode != 0 or not raw.exists():
                print(f"py-spy failed: {errors}", file=sys.stderr)
                return 1
            collapsed = raw.read_text()
    header = (
        f"{workload.key} ({workload.title}) on {args.backend}, {args.connections} connections, "
        f"{args.seconds} s: {measured.requests_per_s:,.0f} req/s under the profiler, "
        f"p99 {measured.latency_p99_ms:.1f} ms, statuses {measured.statuses}\n\n"
    )
    summary = summarise(collapsed)
    stacks = RESULTS / "logs" / f"{stem}-stacks.txt"
    stacks.parent.mkdir(parents=True, exist_ok=True)
    stacks.write_text(collapsed)
    out = RESULTS / f"{stem}.txt"
    out.write_text(
        header + summary + f"\ncollapsed stacks: {stacks.relative_to(RESULTS.parent.parent)}\n"
    )
    print(header + summary)
    print(f"written: {out} and {stacks}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
