"""The ledger's hash chain: a fixed, versioned record of each entry, chained per portal.

Each entry's hash is SHA-256 over the previous entry's hash (of the same portal) and a canonical
JSON record of the entry. Changing, removing or reordering any entry breaks every later link, which
``commprefs ledger verify`` reports. The record format is a stored contract: entries written today
must verify in ten years, so it never changes without a new version tag.

The consent context (issue 16, a JSON text with sorted keys) joined the record as the key
``context``, present only when the entry has one: an entry without context hashes exactly as it
did before, so every entry written earlier still verifies, and no record of the earlier form has
a ``context`` key that a later one could be mistaken for.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import orjson

VERSION = b"commprefs-ledger-v1"
GENESIS = "0" * 64

# The columns a hash covers: everything that says who changed what, when and why.
FIELDS = (
    "portal_id",
    "seq",
    "subscriber",
    "channel",
    "subscription_id",
    "wide_type",
    "business_unit_id",
    "old_status",
    "new_status",
    "legal_basis",
    "legal_basis_explanation",
    "source",
    "api",
    "token_id",
    "request_id",
    "created_at",
    "occurred_at",
)


def entry_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    """The hash of one entry (a mapping with every name of FIELDS, and ``context`` if it has
    one) that follows ``prev_hash``."""
    fields = {name: row[name] for name in FIELDS}
    if row.get("context") is not None:
        fields["context"] = row["context"]
    record = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(VERSION + b"\n" + prev_hash.encode() + b"\n" + record).hexdigest()
