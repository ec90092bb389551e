"""consent context on ledger entries and double opt-in confirmations (issue 16)

Adds the ledger's ``context`` (the consent context of each new entry, JSON with sorted keys,
covered by its hash; NULL, and so hashed as before, on every entry recorded earlier): a new
column, so no ledger row is written and the triggers that refuse UPDATE and DELETE stay as they
are. Adds the pending double opt-in confirmations and their mails (the outbox the mail worker
sends from).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 20:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # ALTER TABLE … ADD COLUMN on both databases: the table is not rebuilt, no row is touched.
    op.add_column("ledger", sa.Column("context", sa.Text(), nullable=True))
    op.create_table(
        "confirmations",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.Column("portal_id", sa.BigInteger(), nullable=False),
        sa.Column("subscriber", sa.String(length=320), nullable=False),
        sa.Column("business_unit_id", sa.BigInteger(), nullable=False),
        sa.Column("subscription_ids", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("legal_basis_explanation", sa.Text(), nullable=True),
        sa.Column("requested_at", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("request_context", sa.Text(), nullable=True),
        sa.Column("confirmed_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["portal_id"], ["portals.id"], name=op.f("fk_confirmations_portal_id_portals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_confirmations")),
        sa.UniqueConstraint("public_id", name=op.f("uq_confirmations_public_id")),
    )
    op.create_index(
        op.f("ix_confirmations_portal_id_subscriber"),
        "confirmations",
        ["portal_id", "subscriber"],
        unique=False,
    )
    op.create_table(
        "confirmation_mails",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("confirmation_id", sa.BigInteger(), nullable=False),
        sa.Column("requested_at", sa.BigInteger(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.BigInteger(), nullable=True),
        sa.Column("last_attempt_at", sa.BigInteger(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_until", sa.BigInteger(), nullable=True),
        sa.Column("sent_at", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["confirmation_id"],
            ["confirmations.id"],
            name=op.f("fk_confirmation_mails_confirmation_id_confirmations"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_confirmation_mails")),
    )
    op.create_index(
        op.f("ix_confirmation_mails_next_attempt_at"),
        "confirmation_mails",
        ["next_attempt_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_confirmation_mails_confirmation_id"),
        "confirmation_mails",
        ["confirmation_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_confirmation_mails_confirmation_id"), table_name="confirmation_mails")
    op.drop_index(op.f("ix_confirmation_mails_next_attempt_at"), table_name="confirmation_mails")
    op.drop_table("confirmation_mails")
    op.drop_index(op.f("ix_confirmations_portal_id_subscriber"), table_name="confirmations")
    op.drop_table("confirmations")
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+), not a batch rebuild: a rebuilt table would lose
    # the append-only triggers.
    op.drop_column("ledger", "context")
