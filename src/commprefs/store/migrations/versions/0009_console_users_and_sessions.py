"""console users and sessions (issue 17)

Issue 17 is built by two branches: the console (users and sessions) and the admin API. Each fills
in its own block below; the admin API's makes tokens.portal_id nullable (an instance token
belongs to no portal) and adds the audit records of administrative changes and the import jobs
started over HTTP.

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


def downgrade() -> None:
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
