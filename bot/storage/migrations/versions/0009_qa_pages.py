"""Q&A publication out of the bot process: published answers in the database (so
every instance sees them) and the index generation they wait for, with the
lease of the one worker that builds it

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "qa_pages",
        sa.Column("ticket_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("agency", sa.String(length=50), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False),
        sa.Column("markdown", sa.Text(), nullable=False,
                  comment="the page as bot.services.qa_page wrote it (masked): what is indexed"),
        sa.Column("state", sa.String(length=10), nullable=False,
                  comment="live; withdrawn (the ticket was reopened); refused (by the index "
                          "build)"),
        sa.Column("reason", sa.String(length=300), server_default="", nullable=False,
                  comment="why the index build refused the page"),
        sa.Column("generation", sa.Integer(), nullable=False,
                  comment="the wanted index generation this record's change bumped to"),
        sa.Column("updated_at", sa.Float(), nullable=False, comment="unix time"),
        sa.CheckConstraint("state IN ('live', 'withdrawn', 'refused')",
                           name=op.f("ck_qa_pages_state")),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"],
                                name=op.f("fk_qa_pages_ticket_id_tickets"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_qa_pages")),
        comment="published answers: every bot instance and worker builds the index from these",
    )
    state = op.create_table(
        "index_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False,
                  comment="always 1: one row"),
        sa.Column("wanted", sa.Integer(), server_default="0", nullable=False,
                  comment="bumped with every publication and withdrawal of a Q&A page"),
        sa.Column("built", sa.Integer(), server_default="0", nullable=False,
                  comment="the wanted generation the newest index build was made from"),
        sa.Column("lease_owner", sa.String(length=200), nullable=True,
                  comment="the worker building the index now"),
        sa.Column("lease_until", sa.Float(), nullable=True,
                  comment="unix time; a lease that ran out (its worker died) is taken over"),
        sa.CheckConstraint("id = 1", name=op.f("ck_index_state_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_index_state")),
        comment="the index build the published answers wait for, and who builds it",
    )
    # The build in service has every page published so far (they were files):
    # nothing is wanted yet.
    op.bulk_insert(state, [{"id": 1, "wanted": 0, "built": 0}])


def downgrade() -> None:
    op.drop_table("index_state")
    op.drop_table("qa_pages")
