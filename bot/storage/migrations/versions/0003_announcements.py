"""subscriptions, staff chats, announcements, outbox, feeds

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=50), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False, comment="staff, api or feed"),
        sa.Column(
            "dedupe_key",
            sa.String(length=300),
            nullable=True,
            comment="api:<Idempotency-Key> or feed:<feed id>:<guid or link>",
        ),
        sa.Column(
            "body_hash",
            sa.String(length=64),
            nullable=True,
            comment="sha256 of the API request body, to refuse a reused key",
        ),
        sa.Column("text_kk", sa.Text(), server_default="", nullable=False),
        sa.Column("text_ru", sa.Text(), server_default="", nullable=False),
        sa.Column("url", sa.String(length=1000), server_default="", nullable=False),
        sa.Column(
            "regions",
            sa.Text(),
            server_default="",
            nullable=False,
            comment="region ids, space-separated; empty: the whole country",
        ),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_announcements")),
        sa.UniqueConstraint("agency", "dedupe_key", name="uq_announcements_agency_dedupe"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_announcements_agency"), ["agency"], unique=False)

    op.create_table(
        "api_tokens",
        sa.Column(
            "token_hash", sa.String(length=64), nullable=False, comment="sha256 of the token"
        ),
        sa.Column(
            "agency",
            sa.String(length=50),
            nullable=False,
            comment="one token per agency: a new one replaces the old",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("agency", name=op.f("uq_api_tokens_agency")),
    )
    op.create_table(
        "feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(length=50), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("lang", sa.String(length=2), nullable=False, comment="the language of its items"),
        sa.Column(
            "polled_at",
            sa.Float(),
            nullable=True,
            comment="unix time of the last good poll; NULL: never (the first poll "
            "takes the items already there as seen)",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feeds")),
        sa.UniqueConstraint("agency", "url", name="uq_feeds_agency_url"),
    )
    op.create_table(
        "staff_chats",
        sa.Column(
            "chat_id",
            sa.BigInteger(),
            autoincrement=False,
            nullable=False,
            comment="a Telegram group of an agency's staff",
        ),
        sa.Column("agency", sa.String(length=50), nullable=False),
        sa.Column("linked_by", sa.BigInteger(), nullable=False, comment="the user who sent /link"),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", name=op.f("pk_staff_chats")),
    )
    with op.batch_alter_table("staff_chats", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_chats_agency"), ["agency"], unique=False)

    op.create_table(
        "staff_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False, comment="sha256 of the code"),
        sa.Column("agency", sa.String(length=50), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False, comment="unix time"),
        sa.Column("used_at", sa.Float(), nullable=True, comment="unix time; the code is spent"),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_staff_codes")),
    )
    op.create_table(
        "feed_items",
        sa.Column("feed_id", sa.Integer(), nullable=False),
        sa.Column(
            "key", sa.String(length=500), nullable=False, comment="the item's guid, else link"
        ),
        sa.ForeignKeyConstraint(
            ["feed_id"], ["feeds.id"], name=op.f("fk_feed_items_feed_id_feeds"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("feed_id", "key", name=op.f("pk_feed_items")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("announcement_id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "lang", sa.String(length=2), nullable=False, comment="the text to send: kk or ru"
        ),
        sa.Column(
            "status",
            sa.String(length=10),
            nullable=False,
            comment="pending, sending (claimed, lease_until), sent, failed or blocked",
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "parts_sent",
            sa.Integer(),
            server_default="0",
            nullable=False,
            comment="parts of a long text already delivered",
        ),
        sa.Column("not_before", sa.Float(), nullable=False, comment="unix time"),
        sa.Column("lease_until", sa.Float(), nullable=True, comment="unix time, while sending"),
        sa.Column("error", sa.String(length=300), server_default="", nullable=False),
        sa.Column("sent_at", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["announcement_id"],
            ["announcements.id"],
            name=op.f("fk_outbox_announcement_id_announcements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("announcement_id", "chat_id", name="uq_outbox_announcement_chat"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index("ix_outbox_status_not_before", ["status", "not_before"], unique=False)

    op.create_table(
        "subscriptions",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False, comment="agency or region"),
        sa.Column(
            "target",
            sa.String(length=50),
            nullable=False,
            comment="an agency id (agencies.yaml) or a region id (regions.yaml)",
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('agency', 'region')", name=op.f("ck_subscriptions_kind")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_subscriptions_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", "target", name=op.f("pk_subscriptions")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "paused",
                sa.Boolean(),
                server_default=sa.false(),
                nullable=False,
                comment="/stop: no announcements until /subscriptions resumes them",
            )
        )


def downgrade() -> None:

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("paused")

    op.drop_table("subscriptions")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_status_not_before")

    op.drop_table("outbox")
    op.drop_table("feed_items")
    op.drop_table("staff_codes")
    with op.batch_alter_table("staff_chats", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_chats_agency"))

    op.drop_table("staff_chats")
    op.drop_table("feeds")
    op.drop_table("api_tokens")
    with op.batch_alter_table("announcements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_announcements_agency"))

    op.drop_table("announcements")
