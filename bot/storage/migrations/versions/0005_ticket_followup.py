"""ask an agency: who took a ticket, the citizen's rating, a staff chat's language,
the staff-chat messages about each ticket

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("taken_by", sa.BigInteger(), nullable=True,
                                      comment="the staff member who took the question"))
        batch_op.add_column(sa.Column("rating", sa.SmallInteger(), nullable=True,
                                      comment="the citizen's 👍 (1) or 👎 (-1) on the answer"))
    with op.batch_alter_table("staff_chats", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lang", sa.String(length=2), server_default="ru",
                                      nullable=False,
                                      comment="the language the bot writes in there"))
    op.create_table(
        "ticket_messages",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"],
                                name=op.f("fk_ticket_messages_ticket_id_tickets"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("chat_id", "message_id", name=op.f("pk_ticket_messages")),
        comment="bot messages in staff chats about a ticket (its card, reminders): "
                "a reply to any of them answers the ticket",
    )


def downgrade() -> None:
    op.drop_table("ticket_messages")
    with op.batch_alter_table("staff_chats", schema=None) as batch_op:
        batch_op.drop_column("lang")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_column("rating")
        batch_op.drop_column("taken_by")
