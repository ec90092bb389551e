"""What the machine did during a run: CPU time by whom, and the peak memory of a process tree.

All of it read from /proc: the servers are measured from outside, unmodified.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants (children of every thread, recursively)."""
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        for children in Path(f"/proc/{pid}/task").glob("*/children"):
            try:
                pending.extend(int(child) for child in children.read_text().split())
            except OSError:
                continue  # the task ended while we looked
    return found


def _stat(pid: int | str) -> tuple[str, list[str]] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    name, _, rest = text.partition(" (")[2].rpartition(")")
    return name, rest.split()


def _ticks(fields: list[str], children: bool = False) -> int:
    # Fields after the name: state is [0], utime [11], stime [12], cutime [13], cstime [14].
    own = int(fields[11]) + int(fields[12])
    return own + (int(fields[13]) + int(fields[14]) if children else 0)


def tree_cpu_ticks(root: int) -> int:
    return sum(_ticks(found[1]) for pid in process_tree(root) if (found := _stat(pid)))


def _machine_ticks() -> tuple[int, int]:
    """CPU time of every process on the machine (all cores), and the time the hypervisor took
    (steal). Interrupt time is left out: the loopback traffic of the run itself shows there."""
    user, nice, system, _idle, _iowait, _irq, _softirq, steal = map(
        int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return user + nice + system, steal


def _busy_ticks() -> int:
    return _machine_ticks()[0]


def _postgres_ticks() -> dict[int, int]:
    found = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(entry.name)) and stat[0] == "postgres":
            found[int(entry.name)] = _ticks(stat[1])
    return found


@dataclass
class CpuSplit:
    """CPU seconds used during a run, by whom."""

    server: float
    postgres: float
    client: float  # this driver and wrk (its reaped child)
    other: float  # any other process on the machine: the measurement was not alone
    steal: float  # taken by the hypervisor from this virtual machine

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 2) for k, v in vars(self).items()}


def _counters(server_root: int) -> tuple[int, int, int, int]:
    own = _stat("self")
    return (
        *_machine_ticks(),
        tree_cpu_ticks(server_root),
        _ticks(own[1], children=True) if own else 0,
    )


@contextmanager
def cpu_account(server_root: int) -> Iterator[CpuSplit]:
    """The CPU time used while the block runs, filled in when it ends."""
    split = CpuSplit(0.0, 0.0, 0.0, 0.0, 0.0)
    postgres_before = _postgres_ticks()
    before = _counters(server_root)
    yield split
    busy, steal, server, client = (
        (b - a) / TICKS_PER_S for a, b in zip(before, _counters(server_root), strict=True)
    )
    # PostgreSQL backends come and go: count what each one present at the end used since the
    # start (all of it for a new one).
    after = _postgres_ticks()
    split.postgres = sum(t - postgres_before.get(pid, 0) for pid, t in after.items()) / TICKS_PER_S
    split.server, split.client, split.steal = server, client, steal
    split.other = max(0.0, busy - server - split.postgres - client)


def wait_until_idle(root: int, timeout: float = 30.0, window: float = 0.25) -> float:
    """Wait until a process tree stops using the CPU; returns the seconds waited.

    A server keeps working through the requests it had accepted when wrk stopped; on a shared
    core that work would be charged to whichever server is measured next.
    """
    started = time.monotonic()
    before = tree_cpu_ticks(root)
    while time.monotonic() - started < timeout:
        time.sleep(window)
        after = tree_cpu_ticks(root)
        if after - before <= 1:  # at most one clock tick (10 ms) in the window
            break
        before = after
    return time.monotonic() - started


def wait_until_quiet(timeout: float, share: float = 0.1, window: float = 1.0) -> float:
    """Wait (at most ``timeout`` s) until the rest of the machine uses under ``share`` of one
    core, so that other work does not run in the measurement; returns the share last seen."""
    deadline = time.monotonic() + timeout
    while True:
        own = _stat("self")
        before = _busy_ticks() - (_ticks(own[1], children=True) if own else 0)
        time.sleep(window)
        own = _stat("self")
        after = _busy_ticks() - (_ticks(own[1], children=True) if own else 0)
        seen = (after - before) / TICKS_PER_S / window
        if seen < share or time.monotonic() >= deadline:
            return seen


@dataclass
class Peak:
    tree_kb: int = 0  # the sum over the process tree
    process_kb: int = 0  # its largest process


@contextmanager
def peak_memory(root: int, interval: float = 0.05) -> Iterator[Peak]:
    """Samples the resident memory of a process tree every ``interval`` seconds, in a thread,
    while the block runs."""
    peak = Peak()
    stop = threading.Event()

    def sample() -> None:
        sizes = []
        for pid in process_tree(root):
            try:
                sizes.append(int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB)
            except (OSError, IndexError, ValueError):
                continue
        peak.tree_kb = max(peak.tree_kb, sum(sizes))
        peak.process_kb = max(peak.process_kb, max(sizes, default=0))

    def sampler() -> None:
        while not stop.wait(interval):
            sample()

    thread = threading.Thread(target=sampler, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join()
        sample()
