"""Medians, the targets of the performance issue, and the results as JSON and a Markdown table."""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.wrk import Run

RSS_LIMIT_MB = 200.0


def summarise(runs: list[Run]) -> dict[str, Any]:
    """Medians of the rounds; failures and status counts summed; the highest peak memory."""
    statuses: dict[str, int] = {}
    for run in runs:
        for code, n in run.statuses.items():
            statuses[code] = statuses.get(code, 0) + n
    return {
        "requests_per_s": round(statistics.median(r.requests_per_s for r in runs), 1),
        "latency_p50_ms": round(statistics.median(r.latency_p50_ms for r in runs), 2),
        "latency_p99_ms": round(statistics.median(r.latency_p99_ms for r in runs), 2),
        "non_2xx": sum(r.non_2xx for r in runs),
        "socket_errors": sum(sum(r.socket_errors.values()) for r in runs),
        "statuses": statuses,
        "peak_rss_mb": round(max(r.peak_rss_mb for r in runs), 1),
        "peak_process_rss_mb": round(max(r.peak_process_rss_mb for r in runs), 1),
        "other_cpu_share": round(max(r.other_cpu_share for r in runs), 3),
        "cpu_ms_per_request": round(statistics.median(r.cpu_ms_per_request for r in runs), 3),
        "postgres_cpu_ms_per_request": round(
            statistics.median(r.postgres_cpu_ms_per_request for r in runs), 3
        ),
        "rounds": len(runs),
    }


def compare(service_runs: list[Run], baseline_runs: list[Run]) -> dict[str, Any]:
    service, baseline = summarise(service_runs), summarise(baseline_runs)
    ratio = service["requests_per_s"] / baseline["requests_per_s"] if baseline else 0.0
    cpu_ratio = (
        baseline["cpu_ms_per_request"] / service["cpu_ms_per_request"]
        if service["cpu_ms_per_request"]
        else 0.0
    )
    return {
        "service": service,
        "baseline": baseline,
        "ratio": round(ratio, 3),
        # The same comparison by CPU time per request: what the ratio would be if both servers
        # had the core to themselves and were bound by it.
        "cpu_ratio": round(cpu_ratio, 3),
        "runs": {
            "service": [r.to_json() for r in service_runs],
            "baseline": [r.to_json() for r in baseline_runs],
        },
    }


@dataclass(frozen=True)
class Target:
    name: str
    wanted: float
    at_least: bool  # False: at most
    unit: str

    def judge(self, measured: float | None, note: str = "", judged: bool = True) -> dict[str, Any]:
        if measured is None:
            return {"target": self.name, "measured": None, "met": None, "note": note}
        met = measured >= self.wanted if self.at_least else measured <= self.wanted
        factor = measured / self.wanted if self.wanted else 0.0
        return {
            "target": self.name,
            "wanted": self.wanted,
            "measured": round(measured, 3),
            "unit": self.unit,
            "met": met if judged else None,
            "factor_of_target": round(factor, 2),
            "note": note,
        }


def _suite(results: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
    return next((s for s in results if s["suite"] == name), None)


def _workload(suite: dict[str, Any] | None, key: str) -> dict[str, Any] | None:
    return None if suite is None else suite.get("workloads", {}).get(key)


def targets(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The issue's targets, judged on the SQLite suite unless a target says otherwise."""
    judged: list[dict[str, Any]] = []
    main = _suite(results, "sqlite")

    def on(key: str, pick: Callable[[dict[str, Any]], float], target: Target) -> None:
        found = _workload(main, key)
        if found is None:
            judged.append(target.judge(None, "not measured in this run"))
            return
        loaded = found.get("data_loaded", True)
        note = "" if loaded else "not judged: the stored data could not be loaded"
        judged.append(target.judge(pick(found), note, judged=loaded))

    for key, wanted in (("W2", 0.4), ("W4", 0.3), ("W1", 0.2)):
        on(
            key,
            lambda w: float(w["ratio"]),
            Target(f"{key} >= {wanted} x baseline", wanted, True, "x"),
        )
    on(
        "W3",
        lambda w: float(w["service"]["requests_per_s"]),
        Target("W3 >= 250 req/s", 250, True, "req/s"),
    )
    for key in ("W1", "W2", "W4"):
        on(
            key,
            lambda w: float(w["service"]["latency_p99_ms"]),
            Target(f"{key} p99 at 32 connections <= 25 ms", 25, False, "ms"),
        )

    scale = _suite(results, "scale-sqlite")
    points = {p["subscribers"]: p for p in (scale or {}).get("points", [])}
    flat = Target("W2 at the largest size within 1.5 x of the smallest's", 1.5, False, "x")
    loaded = [n for n, p in points.items() if p["W2"].get("data_loaded")]
    if len(loaded) >= 2 and points[max(loaded)]["W2"]["service"]["requests_per_s"]:
        small, large = points[min(loaded)]["W2"], points[max(loaded)]["W2"]
        slowdown = small["service"]["requests_per_s"] / large["service"]["requests_per_s"]
        judged.append(flat.judge(slowdown, f"req/s at {min(loaded):,} / req/s at {max(loaded):,}"))
    else:
        judged.append(flat.judge(None, "no scale run with stored data"))

    # The bulk-load figure is the largest SQLite load of the run (the scale run's, when made).
    bulk = Target("bulk load >= 20,000 statuses/s (SQLite)", 20_000, True, "statuses/s")
    sqlite_loads = [s["load"] for s in results if s["backend"] == "sqlite" and s.get("load")]
    done = [ld for ld in sqlite_loads if ld["statuses"] and not ld["error"]]
    if done:
        largest = max(done, key=lambda ld: ld["statuses"])
        judged.append(bulk.judge(largest["statuses_per_s"], f"{largest['statuses']:,} statuses"))
    else:
        failed = next((ld["error"] for ld in sqlite_loads if ld["error"]), "no SQLite load")
        judged.append(bulk.judge(None, failed[:120]))

    # One-process suites: the whole server. Several workers: each process (the tree is shown).
    rss = [
        float(w["service"]["peak_rss_mb" if suite["workers"] == 1 else "peak_process_rss_mb"])
        for suite in results
        for w in _workloads_of(suite)
    ]
    judged.append(
        Target("server peak RSS <= 200 MB (per process)", RSS_LIMIT_MB, False, "MB").judge(
            max(rss) if rss else None, "highest of every suite"
        )
    )
    failures = [
        w["service"]["non_2xx"] + w["service"]["socket_errors"] for w in _all_workloads(results)
    ]
    judged.append(
        Target("0 non-2xx in every run", 0, False, "responses").judge(
            sum(failures) if failures else None,
            "service runs of every suite, socket errors included",
        )
    )
    return judged


def _workloads_of(suite: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from suite.get("workloads", {}).values()
    for point in suite.get("points", []):
        yield point["W2"]


def _all_workloads(results: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for suite in results:
        yield from _workloads_of(suite)


def markdown(results: list[dict[str, Any]], judged: list[dict[str, Any]]) -> str:
    lines = [
        "| suite | workload | req/s | p50 ms | p99 ms | baseline req/s | ratio | CPU ms/req "
        "| CPU ratio | non-2xx | peak RSS MB | other CPU |",
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for suite in results:
        rows = list(suite.get("workloads", {}).items()) + [
            (f"W2 @ {p['subscribers']:,}", p["W2"]) for p in suite.get("points", [])
        ]
        for key, w in rows:
            s, b = w["service"], w["baseline"]
            failed = s["non_2xx"] + s["socket_errors"]
            flag = "" if w.get("data_loaded", True) else " (no data)"
            rss = f"{s['peak_rss_mb']:.0f}"
            if suite["workers"] > 1:
                rss += f" ({s['peak_process_rss_mb']:.0f} per process)"
            other = max(s["other_cpu_share"], b["other_cpu_share"])
            lines.append(
                f"| {suite['suite']} | {key}{flag} | {s['requests_per_s']:,.0f} "
                f"| {s['latency_p50_ms']:.1f} | {s['latency_p99_ms']:.1f} "
                f"| {b['requests_per_s']:,.0f} | {w['ratio']:.2f} "
                f"| {s['cpu_ms_per_request']:.2f} | {w['cpu_ratio']:.2f} | {failed:,} "
                f"| {rss} | {100 * other:.0f}% |"
            )
    lines += ["", "| load | subscribers | statuses | statuses/s | error |", "|---|--:|--:|--:|---|"]
    for suite in results:
        ld = suite.get("load")
        if ld:
            lines.append(
                f"| {suite['suite']} | {ld['subscribers']:,} | {ld['statuses']:,} "
                f"| {ld['statuses_per_s']:,.0f} | {(ld['error'] or '')[:160]} |"
            )
    lines += [
        "",
        "Medians of the rounds; non-2xx and socket errors summed over them. CPU ms/req: CPU "
        "time of the server's processes per request (PostgreSQL's own is in the JSON); CPU "
        "ratio: the baseline's CPU per request over the service's. other CPU: the most that "
        "processes other than the servers, PostgreSQL, wrk and the driver used during any "
        "run of the row, in % of one core (with time stolen by the hypervisor); above a few "
        "% the req/s and latencies of that row are disturbed, CPU per request much less.",
        "",
        "| target | measured | met |",
        "|---|--:|---|",
    ]
    for t in judged:
        measured = "—" if t["measured"] is None else f"{t['measured']:,} {t['unit']}"
        verdict = {True: "yes", False: "**no**", None: "—"}[t["met"]]
        note = f" ({t['note']})" if t["note"] else ""
        lines.append(f"| {t['target']} | {measured} | {verdict}{note} |")
    return "\n".join(lines) + "\n"


def save(document: dict[str, Any], folder: Path, stem: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    return path
