"""staff rights per person: the agency's staff members

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_members",
        sa.Column("agency", sa.String(length=50), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False,
                  comment="a Telegram user who may act for the agency in its linked chat"),
        sa.Column("added_by", sa.BigInteger(), nullable=True,
                  comment="who linked the group (its admins then), or NULL: a maintainer"),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("agency", "user_id", name=op.f("pk_staff_members")),
    )


def downgrade() -> None:
    op.drop_table("staff_members")
