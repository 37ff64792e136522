"""The language of the bot's interface when a ticket was asked: the agency's
answer and the other notices go out in it (a citizen with Telegram in Kazakh
who wrote the question in Russian got them in Russian)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column(
            "reply_lang", sa.String(2), nullable=True,
            comment="the language of the bot's interface when the citizen asked (kk or "
                    "ru): what notices about the ticket are written in, unless they chose "
                    "one; null: asked before it was recorded"))


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("reply_lang")
