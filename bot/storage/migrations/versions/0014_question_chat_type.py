"""Where each logged question was asked: the bot's private chat or a community
group (the gap report can then tell a group's passing questions from the
bot's own conversations)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("questions") as batch:
        batch.add_column(sa.Column(
            "chat_type", sa.String(7), nullable=True,
            comment="where it was asked: private (the bot's chat) or group (a community "
                    "group that mentioned the bot); null: logged before this was recorded"))


def downgrade() -> None:
    with op.batch_alter_table("questions") as batch:
        batch.drop_column("chat_type")
