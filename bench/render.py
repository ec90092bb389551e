"""``python -m bench.render``: the pure-Python CPU time of one batch read (E7), without a database.

Builds what the store hands a 100-subscriber read on a portal with ten subscription types (the
real dataclasses) and times, per batch, what happens to it above the store: subscriber keys,
effective statuses, rendering and JSON encoding. Two data shapes: ``bench`` is what
``python -m bench`` loads (one stored choice per subscriber, no opt-outs of all); ``mixed`` has
several choices with legal bases, two brands and opt-outs of all, some lifted. Every stored
timestamp is distinct, so that nothing is flattered by repeated values. Times are this process's
CPU time, so that other work on a shared machine does not count.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from commprefs.api.v4.schemas import render_envelope
from commprefs.api.v4.statuses import bulk_statuses
from commprefs.domain.preferences import (
    Channel,
    Definition,
    State,
    StoredStatus,
    WideStatus,
    WideType,
)
from commprefs.domain.rules import Reading, read_subscribers
from commprefs.domain.subscribers import subscriber_key

NOW = 1_764_000_000_000
BASES = ["CONSENT_WITH_NOTICE", "LEGITIMATE_INTEREST_CLIENT", None]


@dataclass
class Scenario:
    inputs: list[str]
    definitions: list[Definition]
    stored: dict[str, dict[int, StoredStatus]]
    wides: dict[str, list[WideStatus]]


def scenario(shape: str, subscribers: int, types: int, seed: int = 8) -> Scenario:
    rng = random.Random(seed)  # noqa: S311 - repeatable data, not secrets
    units = [0] if shape == "bench" else [0, 7]
    definitions = [
        Definition(
            n,
            1,
            units[n % len(units)],
            f"Bench type {n}",
            f"Subscription type {n} of the benchmark",
            "",
            "Email",
            True,
            False,
            False,
            NOW - 9_000_000 + n * 1_013,
            NOW - 9_000_000 + n * 1_013,
        )
        for n in range(1, types + 1)
    ]
    inputs = [f"sub-{rng.randrange(100_000)}-{i}@bench.example" for i in range(subscribers)]
    stored: dict[str, dict[int, StoredStatus]] = {}
    wides: dict[str, list[WideStatus]] = {}
    clock = NOW - 5_000_000
    for i, address in enumerate(inputs):
        chosen = [definitions[i % types]] if shape == "bench" else rng.sample(definitions, 3)
        rows = {}
        for d in chosen:
            clock += rng.randrange(1, 997)
            basis = None if shape == "bench" else rng.choice(BASES)
            state = State.SUBSCRIBED if rng.random() < 0.5 else State.UNSUBSCRIBED
            text = "Asked on the form" if basis else None
            rows[d.id] = StoredStatus(d.id, state, "Public status API", basis, text, clock)
        stored[address] = rows
        found = []
        if shape == "mixed":
            for kind, unit in [(WideType.PORTAL_WIDE, 0), (WideType.BUSINESS_UNIT_WIDE, 7)]:
                if rng.random() < 0.2:
                    clock += rng.randrange(1, 997)
                    state = State.UNSUBSCRIBED if rng.random() < 0.6 else State.SUBSCRIBED
                    found.append(
                        WideStatus(address, Channel.EMAIL, kind, unit, state, "Opt-out", clock)
                    )
        wides[address] = found
    return Scenario(inputs, definitions, stored, wides)


def keys_of(s: Scenario) -> list[str]:
    return [subscriber_key(address) for address in s.inputs]


def statuses_of(s: Scenario, keys: list[str]) -> dict[str, Sequence[Reading]]:
    """What PreferencesService.read_statuses_many does once the store has answered."""
    return read_subscribers(keys, s.definitions, s.stored, s.wides)


def body_of(readings: dict[str, Sequence[Reading]]) -> dict[str, Any]:
    """What the batch read route renders."""
    return render_envelope(bulk_statuses(Channel.EMAIL, readings), NOW, NOW + 1, NOW + 2)


def encode(body: dict[str, Any]) -> bytes:
    return orjson.dumps(body)


def median_us(step: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.process_time_ns()
        step()
        times.append(time.process_time_ns() - started)
    return statistics.median(times) / 1000


def measure(s: Scenario, rounds: int) -> dict[str, float]:
    keys = keys_of(s)
    per_subscriber = statuses_of(s, keys)
    body = body_of(per_subscriber)
    return {
        "keys": median_us(lambda: keys_of(s), rounds),
        "statuses": median_us(lambda: statuses_of(s, keys), rounds),
        "render": median_us(lambda: body_of(per_subscriber), rounds),
        "encode": median_us(lambda: encode(body), rounds),
        "total": median_us(lambda: encode(body_of(statuses_of(s, keys_of(s)))), rounds),
        "bytes": float(len(encode(body))),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.render", description=__doc__)
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--types", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args(argv)
    size = f"{args.subscribers} subscribers x {args.types} types"
    print(f"median µs per batch of {size}, {args.rounds} rounds")
    print(
        f"{'shape':<7}"
        + "".join(f"{n:>10}" for n in ("keys", "statuses", "render", "encode", "total", "bytes"))
    )
    for shape in ("bench", "mixed"):
        found = measure(scenario(shape, args.subscribers, args.types), args.rounds)
        print(f"{shape:<7}" + "".join(f"{v:>10.0f}" for v in found.values()))


if __name__ == "__main__":
    main()
