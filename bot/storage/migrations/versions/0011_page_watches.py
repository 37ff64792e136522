"""Answer-change notices: the pages citizens watch, each page's last-notified
facts, and what a change notice in the outbox is about

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "page_watches",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("topic_id", sa.String(length=100), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False,
                  comment="the page's language the citizen read: changes to it are notified"),
        sa.Column("since", sa.Float(), nullable=False,
                  comment="unix time the watch was set, or the citizen last asked about the "
                          "topic since; it lapses 90 days later"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_page_watches_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", "topic_id", name=op.f("pk_page_watches")),
        comment="'notify me if this changes', pressed under an answer card",
    )
    op.create_index("ix_page_watches_topic_lang", "page_watches", ["topic_id", "lang"])
    op.create_table(
        "page_facts",
        sa.Column("topic_id", sa.String(length=100), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False,
                  comment="bumped with every change of the facts; a change notice is keyed "
                          "by it"),
        sa.Column("digest", sa.String(length=64), nullable=False, comment="sha256 of facts"),
        sa.Column("build", sa.String(length=100), nullable=False,
                  comment="the index build the facts were read from: an instance serving an "
                          "older build leaves them alone"),
        sa.Column("facts", sa.Text(), nullable=False,
                  comment="JSON: numbers, dates, links and section headings "
                          "(embeddings.facts)"),
        sa.Column("updated_at", sa.Float(), nullable=False, comment="unix time"),
        sa.PrimaryKeyConstraint("topic_id", "lang", name=op.f("pk_page_facts")),
        comment="each page's material facts as last seen by any bot instance: a new index "
                "build is compared with these, whichever instance loads it first",
    )
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.add_column(sa.Column(
            "topic_id", sa.String(length=100), nullable=True,
            comment="source 'change': the page that changed (texts: its title in kk, ru)"))
        batch_op.add_column(sa.Column(
            "changes", sa.String(length=100), server_default="", nullable=False,
            comment="source 'change': what changed (kinds, space-separated)"))
        batch_op.alter_column("source", existing_type=sa.String(length=10),
                              existing_nullable=False, comment="staff, api, feed or change")


def downgrade() -> None:
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.alter_column("source", existing_type=sa.String(length=10),
                              existing_nullable=False, comment="staff, api or feed",
                              existing_comment="staff, api, feed or change")
        batch_op.drop_column("changes")
        batch_op.drop_column("topic_id")
    op.drop_table("page_facts")
    op.drop_index("ix_page_watches_topic_lang", table_name="page_watches")
    op.drop_table("page_watches")
