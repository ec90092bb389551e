"""One wrk run of one workload script, pinned to the load generator's core."""

from __future__ import annotations

import json
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

LUA = Path(__file__).resolve().parent / "lua"
MARKER = "BENCH_RESULT "


@dataclass(frozen=True)
class Workload:
    key: str
    title: str
    script: str
    needs_data: bool


WORKLOADS = {
    w.key: w
    for w in (
        Workload("W1", "POST unsubscribe-all, new addresses", "w1_unsubscribe_all.lua", False),
        Workload("W2", "GET statuses of a stored subscriber", "w2_read.lua", True),
        Workload("W3", "POST batch/read, 100 inputs", "w3_batch_read.lua", True),
        Workload("W4", "POST status update, alternating states", "w4_update.lua", True),
    )
}


@dataclass
class Run:
    """What wrk measured in one run against one server."""

    requests: int
    seconds: float
    latency_p50_ms: float
    latency_p99_ms: float
    latency_max_ms: float
    statuses: dict[str, int]
    socket_errors: dict[str, int]
    peak_rss_mb: float = 0.0  # the server's process tree, summed
    peak_process_rss_mb: float = 0.0  # its largest process
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # machine.CpuSplit

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def other_cpu_share(self) -> float:
        """How much of a core other processes of the machine used during the run."""
        other = self.cpu_seconds.get("other", 0.0) + self.cpu_seconds.get("steal", 0.0)
        return other / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        """CPU time of the server's processes per request: unlike req/s, hardly moved by other
        work on the machine."""
        return 1000 * self.cpu_seconds.get("server", 0.0) / self.requests if self.requests else 0.0

    @property
    def postgres_cpu_ms_per_request(self) -> float:
        postgres = self.cpu_seconds.get("postgres", 0.0)
        return 1000 * postgres / self.requests if self.requests else 0.0

    @property
    def non_2xx(self) -> int:
        return sum(n for code, n in self.statuses.items() if not code.startswith("2"))

    @property
    def failures(self) -> int:
        """Answers that were not 2xx, and requests that got no answer at all."""
        return self.non_2xx + sum(self.socket_errors.values())

    def to_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "requests_per_s": round(self.requests_per_s, 1),
            "non_2xx": self.non_2xx,
            "other_cpu_share": round(self.other_cpu_share, 3),
            "cpu_ms_per_request": round(self.cpu_ms_per_request, 3),
            "postgres_cpu_ms_per_request": round(self.postgres_cpu_ms_per_request, 3),
        }


def run(
    workload: Workload,
    url: str,
    script_args: list[str],
    seconds: float,
    connections: int,
    cpus: str,
) -> Run:
    command = [
        "taskset",
        "-c",
        cpus,
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "5s",
        "-s",
        workload.script,
        url,
        "--",
        *script_args,
    ]
    done = subprocess.run(
        command, cwd=LUA, capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith(MARKER)), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    raw = json.loads(line[len(MARKER) :])
    return Run(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        latency_p50_ms=raw["latency_p50_us"] / 1000,
        latency_p99_ms=raw["latency_p99_us"] / 1000,
        latency_max_ms=raw["latency_max_us"] / 1000,
        statuses={str(code): n for code, n in raw["statuses"].items()},
        socket_errors=raw["socket_errors"],
    )
