"""feeds: why the last poll failed, and when

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_error", sa.String(length=300), nullable=True,
                                      comment="why the last poll failed; NULL after a good poll"))
        batch_op.add_column(sa.Column("failed_at", sa.Float(), nullable=True,
                                      comment="unix time of the last failed poll"))


def downgrade() -> None:
    with op.batch_alter_table("feeds", schema=None) as batch_op:
        batch_op.drop_column("failed_at")
        batch_op.drop_column("last_error")
