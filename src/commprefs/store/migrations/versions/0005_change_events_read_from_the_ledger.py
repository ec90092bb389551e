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

from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

# The chain's record format and the event body are stored contracts, versioned in their modules.
from commprefs.domain.chain import FIELDS
from commprefs.domain.events import event_id, event_payload

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


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
    ledger = sa.table("ledger", *(sa.column(name) for name in (*FIELDS, "hash")))
    outbox = sa.table(
        "outbox_events",
        *(sa.column(n) for n in ("portal_id", "seq", "event_id", "created_at", "payload")),
    )
    bind = op.get_bind()
    events: list[dict[str, Any]] = []
    for found in bind.execute(sa.select(ledger)).mappings():
        row = dict(found)
        identifier = event_id(row["hash"])
        events.append(
            {
                "portal_id": row["portal_id"],
                "seq": row["seq"],
                "event_id": identifier,
                "created_at": row["created_at"],
                "payload": orjson.dumps(event_payload(identifier, row)).decode(),
            }
        )
    if events:
        bind.execute(sa.insert(outbox), events)
