"""console users and sessions (issue 17)

The operators' web console: its users (one portal each, admin or viewer, argon2id password
hashes), their sessions (stored as the SHA-256 of the cookie's secret, with the session's CSRF
token), the failed logins that throttle guessing, what each user changed besides statuses
(types, brands, tokens, imports: the ledger records status changes), each portal's last ledger
verification, and
the overview's changes per day of past days (which never change: the ledger is append-only and
records entries at the time they are written), so that it reads today's entries only.
An index of wide statuses by scope for the overview (the statuses' and the ledger's are read
along their keys: an index on them would cost every write).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 20:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "console_users",
        sa.Column("id", _BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("portal_id", sa.BigInteger(), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("disabled_at", sa.BigInteger()),
        sa.ForeignKeyConstraint(
            ["portal_id"], ["portals.id"], name="fk_console_users_portal_id_portals"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_console_users"),
        sa.UniqueConstraint("email", name="uq_console_users_email"),
    )
    op.create_table(
        "console_sessions",
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("last_seen_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["console_users.id"], name="fk_console_sessions_user_id_console_users"
        ),
        sa.PrimaryKeyConstraint("secret_sha256", name="pk_console_sessions"),
    )
    op.create_index("ix_console_sessions_user_id", "console_sessions", ["user_id"])
    op.create_table(
        "console_login_failures",
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("first_failure_at", sa.BigInteger(), nullable=False),
        sa.Column("locked_until", sa.BigInteger()),
        sa.PrimaryKeyConstraint("email", name="pk_console_login_failures"),
    )
    op.create_table(
        "ledger_verifications",
        sa.Column("portal_id", sa.BigInteger(), nullable=False),
        sa.Column("verified_at", sa.BigInteger(), nullable=False),
        sa.Column("head_seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("intact", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["portal_id"], ["portals.id"], name="fk_ledger_verifications_portal_id_portals"
        ),
        sa.PrimaryKeyConstraint("portal_id", name="pk_ledger_verifications"),
    )
    op.create_table(
        "console_actions",
        sa.Column("id", _BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("portal_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("detail", sa.String(500), nullable=False),
        sa.Column("request_id", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["console_users.id"], name="fk_console_actions_user_id_console_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_console_actions"),
    )
    op.create_index("ix_console_actions_portal_id_id", "console_actions", ["portal_id", "id"])
    op.create_table(
        "console_day_counts",
        sa.Column("portal_id", sa.BigInteger(), nullable=False),
        sa.Column("day", sa.BigInteger(), nullable=False),
        sa.Column("new_status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(200), nullable=False),
        sa.Column("legal_basis", sa.String(40), nullable=False),
        sa.Column("changes", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(
            "portal_id", "day", "new_status", "source", "legal_basis", name="pk_console_day_counts"
        ),
    )
    op.create_table(
        "console_rollups",
        sa.Column("portal_id", sa.BigInteger(), nullable=False),
        sa.Column("through_day", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("portal_id", name="pk_console_rollups"),
    )
    op.create_index(
        "ix_wide_statuses_portal_id_status_wide_type_business_unit_id",
        "wide_statuses",
        ["portal_id", "status", "wide_type", "business_unit_id"],
    )


def downgrade() -> None:
    op.drop_index("ix_wide_statuses_portal_id_status_wide_type_business_unit_id", "wide_statuses")
    op.drop_table("console_rollups")
    op.drop_table("console_day_counts")
    op.drop_index("ix_console_actions_portal_id_id", "console_actions")
    op.drop_table("console_actions")
    op.drop_table("ledger_verifications")
    op.drop_table("console_login_failures")
    op.drop_index("ix_console_sessions_user_id", "console_sessions")
    op.drop_table("console_sessions")
    op.drop_table("console_users")
