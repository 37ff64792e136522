"""The content loop: staff confirmations and proposed corrections of knowledge
pages, and the weekly digest each staff chat gets

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "page_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.String(length=100), nullable=False),
        sa.Column("agency", sa.String(length=50), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False,
                  comment="confirm (the page is right, both languages) or correction"),
        sa.Column("lang", sa.String(length=2), server_default="", nullable=False,
                  comment="the page a correction is for; '' for a confirmation"),
        sa.Column("section", sa.Integer(), nullable=True,
                  comment="a correction's section: its index among the page's ## sections"),
        sa.Column("heading", sa.String(length=300), server_default="", nullable=False,
                  comment="that section's heading when the correction was proposed"),
        sa.Column("text", sa.Text(), server_default="", nullable=False,
                  comment="a correction's new section text, as the staff member sent it"),
        sa.Column("page_digest", sa.String(length=64), nullable=False,
                  comment="the content of both pages the staff saw: a confirmation holds "
                          "for that content only"),
        sa.Column("user_id", sa.BigInteger(), nullable=False, comment="the staff member"),
        sa.Column("chat_id", sa.BigInteger(), nullable=False, comment="the staff chat"),
        sa.Column("state", sa.String(length=10), server_default="pending", nullable=False,
                  comment="pending; applied (written to the page files); rejected"),
        sa.Column("created_at", sa.Float(), nullable=False, comment="unix time"),
        sa.Column("decided_at", sa.Float(), nullable=True,
                  comment="unix time: applied or rejected"),
        sa.CheckConstraint("kind IN ('confirm', 'correction')",
                           name=op.f("ck_page_reviews_kind")),
        sa.CheckConstraint("state IN ('pending', 'applied', 'rejected')",
                           name=op.f("ck_page_reviews_state")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_page_reviews")),
        sqlite_autoincrement=True,
        comment="staff confirmations and proposed corrections of knowledge pages",
    )
    op.create_index(op.f("ix_page_reviews_topic_id"), "page_reviews", ["topic_id"])
    op.create_table(
        "staff_digests",
        sa.Column("agency", sa.String(length=50), nullable=False),
        sa.Column("week", sa.String(length=8), nullable=False,
                  comment="ISO week, e.g. 2026-W49"),
        sa.Column("sent_at", sa.Float(), nullable=False, comment="unix time"),
        sa.PrimaryKeyConstraint("agency", "week", name=op.f("pk_staff_digests")),
        comment="the weekly digest sent to each agency's staff chat: one a week, whichever "
                "instance claims it",
    )


def downgrade() -> None:
    op.drop_table("staff_digests")
    op.drop_index(op.f("ix_page_reviews_topic_id"), table_name="page_reviews")
    op.drop_table("page_reviews")
