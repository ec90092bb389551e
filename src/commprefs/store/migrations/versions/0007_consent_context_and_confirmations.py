"""consent context on ledger entries and double opt-in confirmations (issue 16)

Reserved so that the features of issues 14 to 17 each have their own revision in one chain; this
revision changes nothing until the issue named here fills it in.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 20:45:00
"""

from __future__ import annotations

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Nothing yet (issue 16 fills this in)."""


def downgrade() -> None:
    """Nothing yet (issue 16 fills this in)."""
