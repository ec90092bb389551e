"""The ledger's hash chain: a fixed, versioned record of each entry, chained per portal.

Since erasure (issue 16, revision 0008) entries are chained under ``commprefs-ledger-sealed-v1``
(SEALED_FIELDS): the personal fields are not in the record but in ``sealed``, the AES-256-GCM blob
of domain/sealing.py, so that destroying a subscriber's key leaves every hash checkable. The
v1 record (FIELDS) is kept to check entries written before then: each carries its v1 hash
(``legacy_hash``), which ``ledger verify`` recomputes while the subscriber's key exists.

Each entry's hash is SHA-256 over the previous entry's hash (of the same portal) and a canonical
JSON record of the entry. Changing, removing or reordering any entry breaks every later link, which
``commprefs ledger verify`` reports. The record format is a stored contract: entries written today
must verify in ten years, so it never changes without a new version tag.

Revision 0007 (consent context, issue 16) added to the v1 record the key ``context`` (the
context's JSON text, keys sorted), present only when the entry has one: an entry without context
hashes exactly as it did before. That is the v1 rule ``entry_hash`` keeps, the one the legacy
hashes of migrated entries are checked with. Since revision 0008 the context is a personal field,
sealed with the address (domain/sealing.py), so new entries carry it only inside ``sealed``.
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


SEALED_VERSION = b"commprefs-ledger-sealed-v1"

# What a sealed entry's hash covers: every column of the ledger but its own hash and links.
SEALED_FIELDS = (
    "portal_id",
    "seq",
    "kind",
    "key_id",
    "subject_hash",
    "channel",
    "subscription_id",
    "wide_type",
    "business_unit_id",
    "old_status",
    "new_status",
    "legal_basis",
    "source",
    "api",
    "token_id",
    "request_id",
    "created_at",
    "occurred_at",
    "sealed",
    "legacy_hash",
)


def sealed_entry_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    """The hash of one sealed entry (a mapping with every name of SEALED_FIELDS; ``sealed``
    bytes or None) that follows ``prev_hash``."""
    fields = {name: row[name] for name in SEALED_FIELDS}
    if fields["sealed"] is not None:
        fields["sealed"] = bytes(fields["sealed"]).hex()
    record = orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(SEALED_VERSION + b"\n" + prev_hash.encode() + b"\n" + record).hexdigest()
