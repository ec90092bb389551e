"""The hash chain's record format and instants as users write them."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from commprefs.domain.chain import FIELDS, GENESIS, entry_hash
from commprefs.domain.clock import iso_ms, parse_instant

ENTRY: dict[str, Any] = {
    "portal_id": 7,
    "seq": 1,
    "subscriber": "jane@example.com",
    "channel": "EMAIL",
    "subscription_id": 12,
    "wide_type": None,
    "business_unit_id": None,
    "old_status": "NOT_SPECIFIED",
    "new_status": "SUBSCRIBED",
    "legal_basis": "CONSENT_WITH_NOTICE",
    "legal_basis_explanation": "Ticked the box — “yes please”",
    "source": "Public status API",
    "api": "v4",
    "token_id": 3,
    "request_id": "c0ffee",
    "created_at": 1_795_755_600_000,
    "occurred_at": None,
}


def test_the_format_is_the_documented_one_and_frozen() -> None:
    """SHA-256 of: version tag, newline, previous hash, newline, the entry as compact JSON with
    sorted keys in UTF-8. Anyone can recompute it; entries written today verify for ever."""
    record = json.dumps(ENTRY, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    spelled_out = hashlib.sha256(
        b"commprefs-ledger-v1\n" + GENESIS.encode() + b"\n" + record.encode()
    ).hexdigest()
    assert entry_hash(GENESIS, ENTRY) == spelled_out
    assert entry_hash(GENESIS, dict(reversed(ENTRY.items()))) == spelled_out
    assert spelled_out == "31d664b3a781ffc47a7f95389d82d32e65e8b46fc8821ce3d3128a74a624d96c"


@pytest.mark.parametrize("field", FIELDS)
def test_every_field_is_covered(field: str) -> None:
    changed = {**ENTRY, field: "x" if ENTRY[field] != "x" else "y"}
    assert entry_hash(GENESIS, changed) != entry_hash(GENESIS, ENTRY)


def test_the_previous_hash_is_covered() -> None:
    assert entry_hash("1" * 64, ENTRY) != entry_hash(GENESIS, ENTRY)


def test_columns_that_are_not_part_of_the_record_do_not_count() -> None:
    assert entry_hash(GENESIS, {**ENTRY, "id": 99, "hash": "z"}) == entry_hash(GENESIS, ENTRY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-27T05:00:00.123Z", "2026-11-27T05:00:00.123Z"),
        ("2026-11-27T06:00:00+01:00", "2026-11-27T05:00:00.000Z"),
        ("2026-11-27T05:00:00", "2026-11-27T05:00:00.000Z"),
        ("2026-11-27", "2026-11-27T00:00:00.000Z"),
        ("1795755600123", "2026-11-27T05:00:00.123Z"),
    ],
)
def test_instants_in_the_forms_people_write(text: str, expected: str) -> None:
    assert iso_ms(parse_instant(text)) == expected


@pytest.mark.parametrize("text", ["", "yesterday", "2026-13-01", "1969-12-31T23:59:59Z"])
def test_what_is_not_an_instant(text: str) -> None:
    with pytest.raises(ValueError, match=r"."):
        parse_instant(text)
