"""The database schema, as SQLAlchemy Core tables.

Migrations in ``migrations/versions`` must produce exactly this schema; a test
compares the two. Citizens' text is stored only after masking
(:func:`bot.services.masking.mask`).
"""

from __future__ import annotations

import sqlalchemy as sa

# Constraint names are explicit so that migrations can drop and alter them on
# every backend (SQLite batch mode needs names).
metadata = sa.MetaData(naming_convention={
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

users = sa.Table(
    "users", metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False,
              comment="Telegram user id"),
    sa.Column("language", sa.String(2), nullable=True,
              comment="kk or ru once the user chose; NULL until then"),
    sa.Column("blocked", sa.Boolean, nullable=False, server_default=sa.false(),
              comment="the user blocked the bot"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

questions = sa.Table(
    "questions", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("text", sa.Text, nullable=False, comment="the question, masked"),
    sa.Column("lang", sa.String(2), nullable=False),
    sa.Column("topic_id", sa.String(100), nullable=True, comment="best topic, if any"),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("confident", sa.Boolean, nullable=False),
    sa.Column("results", sa.Text, nullable=False, server_default="",
              comment="topic ids in rank order, space-separated"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
)

feedback = sa.Table(
    "feedback", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("question_id", sa.Integer, sa.ForeignKey("questions.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("value", sa.SmallInteger, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("question_id", "user_id", name="uq_feedback_question_user"),
    sa.CheckConstraint("value IN (-1, 1)", name="value"),
)
