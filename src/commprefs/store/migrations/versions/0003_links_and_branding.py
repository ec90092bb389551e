"""link signing keys and business-unit branding

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27 12:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "link_signing_keys",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("retired_at", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_signing_keys")),
    )
    with op.batch_alter_table("business_units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("brand_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("brand_colour", sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column("brand_logo_url", sa.String(length=2000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("business_units", schema=None) as batch_op:
        batch_op.drop_column("brand_logo_url")
        batch_op.drop_column("brand_colour")
        batch_op.drop_column("brand_name")
    op.drop_table("link_signing_keys")
