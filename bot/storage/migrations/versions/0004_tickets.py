"""ask an agency: tickets

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("agency", sa.String(length=50), nullable=False,
                  comment="the agency answering now (changes on reassign)"),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("text", sa.Text(), nullable=False, comment="the question, masked"),
        sa.Column("topic_id", sa.String(length=100), nullable=True,
                  comment="the closest topic when asked (its category files the Q&A page)"),
        sa.Column("public", sa.Boolean(), nullable=False,
                  comment="the answer may be published without the asker's name"),
        sa.Column("status", sa.String(length=10), nullable=False,
                  comment="open, taken, answered or rejected"),
        sa.Column("answer", sa.Text(), server_default="", nullable=False,
                  comment="the staff answer, or the reason of a rejection"),
        sa.Column("staff_chat", sa.BigInteger(), nullable=True,
                  comment="the staff chat and message showing the question"),
        sa.Column("staff_message", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.Float(), nullable=False, comment="unix time"),
        sa.Column("due_at", sa.Float(), nullable=False, comment="unix time"),
        sa.Column("answered_at", sa.Float(), nullable=True, comment="unix time"),
        sa.Column("reminded", sa.Integer(), server_default="0", nullable=False,
                  comment="0 none, 1 the due-soon reminder, 2 the overdue one"),
        sa.CheckConstraint("status IN ('open', 'taken', 'answered', 'rejected')",
                           name=op.f("ck_tickets_status")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_tickets_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tickets_agency"), ["agency"], unique=False)
        batch_op.create_index(batch_op.f("ix_tickets_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tickets_user_id"))
        batch_op.drop_index(batch_op.f("ix_tickets_agency"))
    op.drop_table("tickets")
