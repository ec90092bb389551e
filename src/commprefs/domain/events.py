"""The JSON body of a change event, made from a ledger entry as it is recorded.

One event per ledger entry. ``type`` says whether a subscription type's status changed or a wide
("opted out of all") status; ``sequence`` is the entry's place in the portal's ledger and
``ledgerHash`` its chain hash, so receivers hold anchors of the chain too.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from commprefs.domain.clock import iso_ms

STATUS_CHANGED = "subscription_status.changed"
WIDE_STATUS_CHANGED = "wide_status.changed"
SUBSCRIBER_ERASED = "subscriber.erased"  # domain/ledger.py ERASED: erase downstream too


def event_id(ledger_hash: str) -> str:
    """An event's id: a UUID made from its ledger entry's hash, so the same on every resend
    (receivers de-duplicate on it) and never shared by two entries."""
    return str(uuid.UUID(hex=ledger_hash[:32], version=4))


def row_event_id(row: Mapping[str, Any]) -> str:
    """The event id of a ledger row: from its hash in the chain it was first written in (an
    entry migrated by revision 0008 keeps the id its event had before)."""
    return event_id(row.get("legacy_hash") or row["hash"])


def event_payload(event_id: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """``row`` holds a ledger row's column values (store/models.py ``ledger``), its personal
    fields opened (None where the subscriber was erased)."""
    occurred = row["occurred_at"] if row["occurred_at"] is not None else row["created_at"]
    if row.get("kind") == SUBSCRIBER_ERASED:
        return {
            "id": event_id,
            "type": SUBSCRIBER_ERASED,
            "portalId": row["portal_id"],
            "sequence": row["seq"],
            "occurredAt": iso_ms(occurred),
            "recordedAt": iso_ms(row["created_at"]),
            "subscriberHash": row["subject_hash"],
            "channel": row["channel"],
            "source": row["source"],
            "api": row["api"],
            "requestId": row["request_id"],
            "ledgerHash": row["hash"],
        }
    return {
        "id": event_id,
        "type": WIDE_STATUS_CHANGED if row["wide_type"] else STATUS_CHANGED,
        "portalId": row["portal_id"],
        "sequence": row["seq"],
        "occurredAt": iso_ms(occurred),
        "recordedAt": iso_ms(row["created_at"]),
        "subscriberIdString": row["subscriber"],
        # The keyed hash a later subscriber.erased event names: receivers keep it to erase too.
        "subscriberHash": row.get("subject_hash"),
        "channel": row["channel"],
        "subscriptionId": row["subscription_id"],
        "wideStatusType": row["wide_type"],
        "businessUnitId": row["business_unit_id"],
        "oldStatus": row["old_status"],
        "newStatus": row["new_status"],
        "legalBasis": row["legal_basis"],
        "legalBasisExplanation": row["legal_basis_explanation"],
        "source": row["source"],
        "api": row["api"],
        "requestId": row["request_id"],
        "ledgerHash": row["hash"],
    }
