"""Reads render exactly as they did before they were tuned for speed.

The reference below is the rules and rendering as they were (one Status per subscriber and
type, each rendered on its own): the tuned path (shared readings, renderings copied per
subscriber) must give the same bytes, and the same Status values, on any stored state.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from commprefs.api.v4.statuses import bulk_statuses
from commprefs.domain.preferences import (
    SOURCE_NOT_SPECIFIED,
    Channel,
    Definition,
    State,
    Status,
    StoredStatus,
    WideStatus,
    WideType,
)
from commprefs.domain.rules import read_subscribers

UNITS = [0, 3, 5]
TEXTS = [None, "", "Asked on the form", 'Said "yes" ✓ \u2028 </script>', "\x7f\\"]


def reference_status(
    subscriber: str,
    channel: Channel,
    definition: Definition,
    stored: StoredStatus | None,
    wides: Iterable[WideStatus],
) -> Status:
    opt_out = next(
        (
            w
            for w in wides
            if w.status is State.UNSUBSCRIBED
            and (
                w.wide_type is WideType.PORTAL_WIDE
                or w.business_unit_id == definition.business_unit_id
            )
        ),
        None,
    )
    if stored is None:
        if opt_out is not None:
            return Status(
                subscriber,
                channel,
                definition,
                State.UNSUBSCRIBED,
                opt_out.source,
                None,
                None,
                opt_out.updated_at,
                covered_by=opt_out.wide_type,
            )
        return Status(
            subscriber,
            channel,
            definition,
            State.NOT_SPECIFIED,
            SOURCE_NOT_SPECIFIED,
            None,
            None,
            definition.created_at,
        )
    if opt_out is not None and stored.status is not State.UNSUBSCRIBED:
        return Status(
            subscriber,
            channel,
            definition,
            State.UNSUBSCRIBED,
            opt_out.source,
            None,
            None,
            opt_out.updated_at,
            covered_by=opt_out.wide_type,
        )
    return Status(
        subscriber,
        channel,
        definition,
        stored.status,
        stored.source,
        stored.legal_basis,
        stored.legal_basis_explanation,
        stored.updated_at,
        covered_by=opt_out.wide_type if opt_out else None,
    )


def reference_render(status: Status) -> dict[str, Any]:
    moment = datetime.fromtimestamp(status.timestamp / 1000, tz=UTC)
    rendered: dict[str, Any] = {
        "channel": status.channel.value,
        "source": status.source,
        "status": status.status.value,
        "subscriberIdString": status.subscriber,
        "subscriptionId": status.definition.id,
        "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{status.timestamp % 1000:03d}Z",
        "businessUnitId": status.definition.business_unit_id,
        "subscriptionName": status.definition.name,
    }
    if status.legal_basis is not None:
        rendered["legalBasis"] = status.legal_basis
    if status.legal_basis_explanation is not None:
        rendered["legalBasisExplanation"] = status.legal_basis_explanation
    return rendered


def moment(rng: random.Random) -> int:
    return rng.choice([0, 1_700_000_000_000, 253_402_299_000_000]) + rng.randrange(10**6)


def scenario(
    rng: random.Random,
) -> tuple[
    list[str], list[Definition], dict[str, dict[int, StoredStatus]], dict[str, list[WideStatus]]
]:
    definitions = [
        Definition(
            n,
            1,
            rng.choice(UNITS),
            f"Type {n} ü",
            "d",
            "",
            "Email",
            True,
            False,
            False,
            *[moment(rng)] * 2,
        )
        for n in rng.sample(range(1, 50), rng.randint(0, 6))
    ]
    people = [f"p{n}@example.com" for n in range(rng.randint(0, 8))]
    keys = [rng.choice(people) for _ in range(rng.randint(0, 12))] if people else []
    stored: dict[str, dict[int, StoredStatus]] = {key: {} for key in keys}
    wides: dict[str, list[WideStatus]] = {key: [] for key in keys}
    for key in dict.fromkeys(keys):
        for d in definitions:
            if rng.random() < 0.4:
                state = rng.choice(list(State))
                basis = rng.choice(["CONSENT_WITH_NOTICE", None])
                stored[key][d.id] = StoredStatus(
                    d.id,
                    state,
                    rng.choice(["API", "Import ✓"]),
                    basis,
                    rng.choice(TEXTS),
                    moment(rng),
                )
        for _ in range(rng.choice([0, 0, 1, 2, 3])):
            kind = rng.choice(list(WideType))
            unit = 0 if kind is WideType.PORTAL_WIDE else rng.choice([*UNITS, 9])
            state = rng.choice([State.UNSUBSCRIBED, State.SUBSCRIBED])
            wides[key].append(
                WideStatus(
                    key, Channel.EMAIL, kind, unit, state, rng.choice(["Opt-out", ""]), moment(rng)
                )
            )
    return keys, definitions, stored, wides


@pytest.mark.parametrize("seed", range(300))
def test_a_batch_read_renders_the_same_bytes_and_statuses_as_before(seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - seeded: reproducible samples, not secrets
    keys, definitions, stored, wides = scenario(rng)

    readings = read_subscribers(keys, definitions, stored, wides)

    expected = {
        key: [
            reference_status(key, Channel.EMAIL, d, stored[key].get(d.id), wides[key])
            for d in definitions
        ]
        for key in dict.fromkeys(keys)
    }
    assert {
        key: [r.status_for(key, Channel.EMAIL) for r in found] for key, found in readings.items()
    } == expected
    reference_body = [
        {"subscriberIdString": key, "statuses": [reference_render(s) for s in statuses]}
        for key, statuses in expected.items()
    ]
    assert orjson.dumps(bulk_statuses(Channel.EMAIL, readings)) == orjson.dumps(reference_body)
