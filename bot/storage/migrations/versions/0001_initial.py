"""users, question log, answer feedback

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False,
                  comment="Telegram user id"),
        sa.Column("language", sa.String(length=2), nullable=True,
                  comment="kk or ru once the user chose; NULL until then"),
        sa.Column("blocked", sa.Boolean(), server_default=sa.false(), nullable=False,
                  comment="the user blocked the bot"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_table(
        "questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False, comment="the question, masked"),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("topic_id", sa.String(length=100), nullable=True,
                  comment="best topic, if any"),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("confident", sa.Boolean(), nullable=False),
        sa.Column("results", sa.Text(), server_default="", nullable=False,
                  comment="topic ids in rank order, space-separated"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_questions_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questions")),
    )
    with op.batch_alter_table("questions") as batch:
        batch.create_index(batch.f("ix_questions_user_id"), ["user_id"], unique=False)
        batch.create_index(batch.f("ix_questions_created_at"), ["created_at"], unique=False)
    op.create_table(
        "feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("value", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("value IN (-1, 1)", name=op.f("ck_feedback_value")),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"],
                                name=op.f("fk_feedback_question_id_questions"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_feedback_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback")),
        sa.UniqueConstraint("question_id", "user_id", name="uq_feedback_question_user"),
    )


def downgrade() -> None:
    op.drop_table("feedback")
    with op.batch_alter_table("questions") as batch:
        batch.drop_index(batch.f("ix_questions_created_at"))
        batch.drop_index(batch.f("ix_questions_user_id"))
    op.drop_table("questions")
    op.drop_table("users")
