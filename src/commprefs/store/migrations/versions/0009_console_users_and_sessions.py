"""console users and sessions (issue 17)

Reserved so that the features of issues 14 to 17 each have their own revision in one chain; this
revision changes nothing until the issue named here fills it in.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 20:45:00
"""

from __future__ import annotations

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet (issue 17 fills this in)."""


def downgrade() -> None:
    """Nothing yet (issue 17 fills this in)."""
