"""ask an agency: the public wording of a question, approved by the agency's staff
before anything is published, and the staff-chat message that asks for it

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            "public_question", sa.Text(), nullable=True,
            comment="the question as the agency's staff worded it for publication (masked); "
                    "the only question text a Q&A page shows"))
        batch_op.add_column(sa.Column(
            "publish_message", sa.BigInteger(), nullable=True,
            comment="the staff-chat message asking for the public wording, while "
                    "the publication waits for the staff"))


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("publish_message")
        batch_op.drop_column("public_question")
