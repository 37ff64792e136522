"""Community groups whose administrators muted the bot with /quiet

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "quiet_groups",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("since", sa.Float(), nullable=False,
                  comment="unix time an administrator said /quiet"),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_quiet_groups")),
        comment="community groups whose administrators muted the bot with /quiet (nothing "
                "about who said it, nor any other group is kept)",
    )


def downgrade() -> None:
    op.drop_table("quiet_groups")
