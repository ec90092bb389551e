"""console users and sessions (issue 17)

Issue 17 in two parts, each in its own block below. The admin API's makes tokens.portal_id
nullable (an instance token belongs to no portal) and adds the audit records of administrative
changes (over HTTP and in the console, whose user it names; console logins too) and the import
jobs (started over HTTP or in the console). The console's adds the operators' web console: its
users (one portal each, admin or viewer, argon2id password hashes), their sessions (stored as the
SHA-256 of the cookie's secret, with the session's CSRF token), the failed logins that throttle
guessing, each portal's last ledger verification, and the overview's changes per day of past
days (which never change: the ledger is append-only and records entries at the time they are
written), so that it reads today's entries only. An index of wide statuses by scope for the
overview (the statuses' and the ledger's are read along their keys: an index on them would cost
every write).

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

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    _upgrade_admin_api()
    _upgrade_console()


def downgrade() -> None:
    _downgrade_console()
    _downgrade_admin_api()


# -- the admin API (issue 17, branch admin-api) ----------------------------------------------------


def _upgrade_admin_api() -> None:
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.alter_column("portal_id", existing_type=sa.BigInteger(), nullable=True)
    op.create_table(
        "admin_audit",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("portal_id", sa.BigInteger(), nullable=True),
        sa.Column("token_id", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_admin_audit")),
    )
    op.create_index(
        op.f("ix_admin_audit_portal_id_id"), "admin_audit", ["portal_id", "id"], unique=False
    )
    op.create_table(
        "import_jobs",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("portal_id", sa.BigInteger(), nullable=False),
        sa.Column("token_id", sa.BigInteger(), nullable=True),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=False),
        sa.Column("imported", sa.BigInteger(), nullable=False),
        sa.Column("rejected", sa.BigInteger(), nullable=False),
        sa.Column("header", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("finished_at", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["portal_id"], ["portals.id"], name=op.f("fk_import_jobs_portal_id_portals")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_jobs")),
    )
    op.create_index(op.f("ix_import_jobs_portal_id"), "import_jobs", ["portal_id"], unique=False)
    op.create_table(
        "import_rejects",
        sa.Column("job_id", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("row", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["import_jobs.id"], name=op.f("fk_import_rejects_job_id_import_jobs")
        ),
        sa.PrimaryKeyConstraint("job_id", "n", name=op.f("pk_import_rejects")),
    )


def _downgrade_admin_api() -> None:
    op.drop_table("import_rejects")
    op.drop_index(op.f("ix_import_jobs_portal_id"), table_name="import_jobs")
    op.drop_table("import_jobs")
    op.drop_index(op.f("ix_admin_audit_portal_id_id"), table_name="admin_audit")
    op.drop_table("admin_audit")
    op.execute("DELETE FROM tokens WHERE portal_id IS NULL")
    with op.batch_alter_table("tokens", schema=None) as batch_op:
        batch_op.alter_column("portal_id", existing_type=sa.BigInteger(), nullable=False)


# -- the console (issue 17, branch console) --------------------------------------------------------


def _upgrade_console() -> None:
    op.create_table(
        "console_users",
        sa.Column("id", _ID, primary_key=True, autoincrement=True),
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


def _downgrade_console() -> None:
    op.drop_index("ix_wide_statuses_portal_id_status_wide_type_business_unit_id", "wide_statuses")
    op.drop_table("console_rollups")
    op.drop_table("console_day_counts")
    op.drop_table("ledger_verifications")
    op.drop_table("console_login_failures")
    op.drop_index("ix_console_sessions_user_id", "console_sessions")
    op.drop_table("console_sessions")
    op.drop_table("console_users")
