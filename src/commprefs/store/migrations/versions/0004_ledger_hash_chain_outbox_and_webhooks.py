"""ledger hash chain, outbox and webhooks

Chains the ledger (seq, prev_hash, hash per portal; entries recorded before this revision are
chained in id order, the one time ledger rows are written after insertion), records when an
imported change happened (occurred_at), makes the ledger append-only in the database itself
(triggers refuse UPDATE and DELETE), and adds the outbox of change events and the webhooks that
receive them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 05:14:59.085662
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from datetime import date
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen: the chain's record format (commprefs-ledger-v1) and the event body as they were when
# this revision was written (domain/chain.py, domain/events.py of 2026-11-27). A migration never
# imports live code, so a later change to either cannot change what this revision did.
_FIELDS = (
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
_GENESIS = "0" * 64
_LEDGER_COLUMNS = ("id", *_FIELDS, "prev_hash", "hash")

APPEND_ONLY = "the ledger is append-only"
SQLITE_TRIGGERS = {
    "ledger_append_only_update": "UPDATE",
    "ledger_append_only_delete": "DELETE",
}


def upgrade() -> None:
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

    op.create_table(
        "webhooks",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("portal_id", sa.BigInteger(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("delivered_seq", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger(), nullable=False),
        sa.Column("last_attempt_at", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["portal_id"], ["portals.id"], name=op.f("fk_webhooks_portal_id_portals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
    )
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhooks_portal_id"), ["portal_id"], unique=False)

    with op.batch_alter_table("ledger", schema=None) as batch_op:
        batch_op.add_column(sa.Column("occurred_at", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    _chain_existing_entries()
    with op.batch_alter_table("ledger", schema=None) as batch_op:
        batch_op.alter_column("seq", existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(
            batch_op.f("uq_ledger_portal_id_seq"), ["portal_id", "seq"]
        )
    _make_ledger_append_only()


def _chain_existing_entries() -> None:
    bind = op.get_bind()
    ledger = sa.table("ledger", *(sa.column(name) for name in _LEDGER_COLUMNS))
    outbox = sa.table(
        "outbox_events",
        *(sa.column(n) for n in ("portal_id", "seq", "event_id", "created_at", "payload")),
    )
    rows = bind.execute(sa.select(ledger).order_by(ledger.c.portal_id, ledger.c.id)).mappings()
    updates: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    heads: dict[int, tuple[int, str]] = {}
    for found in rows:
        row = dict(found)
        seq, previous = heads.get(row["portal_id"], (0, _GENESIS))
        row.update(seq=seq + 1, prev_hash=previous)
        row["hash"] = _entry_hash(previous, row)
        heads[row["portal_id"]] = (row["seq"], row["hash"])
        updates.append(
            {"row_id": row["id"], "seq": row["seq"], "prev": previous, "digest": row["hash"]}
        )
        event_id = str(uuid.uuid4())
        events.append(
            {
                "portal_id": row["portal_id"],
                "seq": row["seq"],
                "event_id": event_id,
                "created_at": row["created_at"],
                "payload": orjson.dumps(_event_payload(event_id, row)).decode(),
            }
        )
    if not updates:
        return
    bind.execute(
        sa.update(ledger)
        .where(ledger.c.id == sa.bindparam("row_id"))
        .values(
            seq=sa.bindparam("seq"), prev_hash=sa.bindparam("prev"), hash=sa.bindparam("digest")
        ),
        updates,
    )
    bind.execute(sa.insert(outbox), events)


def _entry_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    """Frozen copy of domain/chain.py ``entry_hash`` (record format commprefs-ledger-v1)."""
    record = orjson.dumps({name: row[name] for name in _FIELDS}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(
        b"commprefs-ledger-v1\n" + prev_hash.encode() + b"\n" + record
    ).hexdigest()


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


def _make_ledger_append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION commprefs_ledger_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            f"RAISE EXCEPTION '{APPEND_ONLY}: % is refused', TG_OP; "
            "END $$"
        )
        op.execute(
            "CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger "
            "FOR EACH ROW EXECUTE FUNCTION commprefs_ledger_append_only()"
        )
        op.execute(
            "CREATE TRIGGER ledger_no_truncate BEFORE TRUNCATE ON ledger "
            "FOR EACH STATEMENT EXECUTE FUNCTION commprefs_ledger_append_only()"
        )
        return
    for name, operation in SQLITE_TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} BEFORE {operation} ON ledger "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}: {operation} is refused'); END"
        )


def _drop_append_only() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_no_truncate ON ledger")
        op.execute("DROP TRIGGER IF EXISTS ledger_append_only ON ledger")
        op.execute("DROP FUNCTION IF EXISTS commprefs_ledger_append_only()")
        return
    for name in SQLITE_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")


def downgrade() -> None:
    _drop_append_only()
    with op.batch_alter_table("ledger", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_ledger_portal_id_seq"), type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
        batch_op.drop_column("occurred_at")

    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhooks_portal_id"))
    op.drop_table("webhooks")
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_events_portal_id_created_at"))
    op.drop_table("outbox_events")
