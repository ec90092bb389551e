"""change events are read from the ledger itself

The outbox held one row per ledger entry, written in the same transaction: the same entries a
second time, with a JSON body, a random id and two more indexes. It doubled what every write
wrote (37 database pages per unsubscribe-all, 16 without it). The ledger is already an ordered,
durable, append-only log per portal, so events are now made from its rows when they are sent,
with ids derived from the entry's hash (the same id on every resend).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 09:05:00
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Frozen: the event body and its id as they were when this revision was written (domain/events.py
# of 2026-11-27). A migration never imports live code, so a later change to the event body cannot
# change what going back to revision 0004's outbox writes.
_EVENT_COLUMNS = (
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
    "request_id",
    "created_at",
    "occurred_at",
    "hash",
)


def upgrade() -> None:
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_events_portal_id_created_at"))
    op.drop_table("outbox_events")


def downgrade() -> None:
    op.create_table(
        "outbox_events",
        sa.Column("portal_id", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("portal_id", "seq", name=op.f("pk_outbox_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_events_event_id")),
    )
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_outbox_events_portal_id_created_at"),
            ["portal_id", "created_at"],
            unique=False,
        )
    # Revision 0004 kept an event per entry: give every entry its event again.
    ledger = sa.table("ledger", *(sa.column(name) for name in _EVENT_COLUMNS))
    outbox = sa.table(
        "outbox_events",
        *(sa.column(n) for n in ("portal_id", "seq", "event_id", "created_at", "payload")),
    )
    bind = op.get_bind()
    events: list[dict[str, Any]] = []
    for found in bind.execute(sa.select(ledger)).mappings():
        row = dict(found)
        identifier = _event_id(row["hash"])
        events.append(
            {
                "portal_id": row["portal_id"],
                "seq": row["seq"],
                "event_id": identifier,
                "created_at": row["created_at"],
                "payload": orjson.dumps(_event_payload(identifier, row)).decode(),
            }
        )
    if events:
        bind.execute(sa.insert(outbox), events)


def _event_id(ledger_hash: str) -> str:
    """Frozen copy of domain/events.py ``event_id``: a UUID made from the entry's hash."""
    return str(uuid.UUID(hex=ledger_hash[:32], version=4))


def _event_payload(event_id: str, row: Mapping[str, Any]) -> dict[str, Any]:
    """Frozen copy of domain/events.py ``event_payload``: the body of a ledger row's event."""
    occurred = row["occurred_at"] if row["occurred_at"] is not None else row["created_at"]
    return {
        "id": event_id,
        "type": "wide_status.changed" if row["wide_type"] else "subscription_status.changed",
        "portalId": row["portal_id"],
        "sequence": row["seq"],
        "occurredAt": _iso_ms(occurred),
        "recordedAt": _iso_ms(row["created_at"]),
        "subscriberIdString": row["subscriber"],
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


def _iso_ms(epoch_ms: int) -> str:
    """Frozen equivalent of domain/clock.py ``iso_ms``: UTC, milliseconds, ``Z``."""
    seconds, millis = divmod(epoch_ms, 1000)
    days, second = divmod(seconds, 86_400)
    minute, second = divmod(second, 60)
    day = date.fromordinal(date(1970, 1, 1).toordinal() + days).isoformat()
    return f"{day}T{minute // 60:02d}:{minute % 60:02d}:{second:02d}.{millis:03d}Z"
