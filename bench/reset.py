"""How long the emulator's reset takes (issue 15): ``POST /_commprefs/reset`` against a served
``commprefs serve --emulator`` on SQLite, seeded with 10 subscription types and 100 statuses.

    python -m bench.reset [--resets 200]

Before each timed reset a batch write of 20 statuses changes the state (so that every reset has
something to undo); only the reset is timed, from the client (request and answer over loopback)
and as the server measured it (``durationMs``). Prints the median and the 95th percentile, and
the median of 20 ``POST /_commprefs/seed`` of the same document (a new baseline each time).
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import httpx

from commprefs.testing import Emulator

TYPES = 10
STATUSES = 100


def seed() -> dict[str, Any]:
    types = [
        {"id": 33583163 + n, "name": f"Type {n}", "purpose": "Marketing"} for n in range(TYPES)
    ]
    statuses = [
        {
            "email": f"user{n}@example.com",
            "subscriptionId": 33583163 + n % TYPES,
            "status": "SUBSCRIBED" if n % 2 else "UNSUBSCRIBED",
            "timestamp": "2024-05-01T10:00:00Z",
        }
        for n in range(STATUSES)
    ]
    return {
        "portals": [{"id": 1, "name": "Bench"}],
        "subscriptionDefinitions": types,
        "statuses": statuses,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="The emulator's reset, timed.")
    parser.add_argument("--resets", type=int, default=200)
    options = parser.parse_args()
    client_ms: list[float] = []
    server_ms: list[float] = []
    with Emulator(seed=seed()) as emulator, httpx.Client(base_url=emulator.base_url) as http:
        auth = {"Authorization": f"Bearer {emulator.token}"}
        inputs = [
            {
                "subscriberIdString": f"change{n}@example.com",
                "subscriptionId": 33583163 + n % TYPES,
                "statusState": "UNSUBSCRIBED",
                "channel": "EMAIL",
            }
            for n in range(20)
        ]
        for round_ in range(options.resets + 10):  # the first 10 warm up
            wrote = http.post(
                "/communication-preferences/v4/statuses/batch/write",
                json={"inputs": inputs},
                headers=auth,
            )
            assert wrote.status_code == 200, wrote.text
            started = time.perf_counter()
            reset = http.post("/_commprefs/reset")
            elapsed = (time.perf_counter() - started) * 1000
            assert reset.status_code == 200, reset.text
            if round_ >= 10:
                client_ms.append(elapsed)
                server_ms.append(float(reset.json()["durationMs"]))
        seed_ms = []
        for _ in range(20):
            started = time.perf_counter()
            assert http.post("/_commprefs/seed", json=seed()).status_code == 200
            seed_ms.append((time.perf_counter() - started) * 1000)
    for name, values in (("client", client_ms), ("server", server_ms)):
        ordered = sorted(values)
        p95 = ordered[int(len(ordered) * 0.95) - 1]
        print(
            f"reset ({TYPES} types, {STATUSES} statuses, SQLite), {name}: "
            f"median {statistics.median(values):.2f} ms, p95 {p95:.2f} ms, n={len(values)}"
        )
    print(f"seed (the same document), client: median {statistics.median(seed_ms):.1f} ms, n=20")


if __name__ == "__main__":
    main()
