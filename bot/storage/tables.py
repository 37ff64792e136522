"""The database schema, as SQLAlchemy Core tables.

Migrations in ``migrations/versions`` must produce exactly this schema; a test
compares the two. Citizens' text is stored only after masking
(:func:`bot.services.masking.mask`).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa


class UnixTime(sa.types.TypeDecorator):
    """A moment as unix seconds (``float``) in Python, stored as a time-zone-aware
    ``DateTime`` column: the repositories deal in one timestamp type (what
    :meth:`bot.clock.Clock.time` gives) while the schema and the values already
    stored stay what they were. Written in UTC; SQLite keeps no time zone, so a
    naive value read back is UTC. Microseconds are what the column keeps.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TypeError(f"a UnixTime column takes unix seconds, not {value!r}")
        return dt.datetime.fromtimestamp(value, dt.UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.timestamp()


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
    sa.Column("paused", sa.Boolean, nullable=False, server_default=sa.false(),
              comment="/stop: no announcements until /subscriptions resumes them"),
    sa.Column("created_at", UnixTime(), nullable=False),
    sa.Column("updated_at", UnixTime(), nullable=False),
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
    sa.Column("created_at", UnixTime(), nullable=False, index=True),
    sa.Column("outcome", sa.String(10), nullable=True,
              comment="what the citizen got: answered, clarified, redirected or abstained "
                      "(null: logged before this was recorded)"),
    sa.Column("chat_type", sa.String(7), nullable=True,
              comment="where it was asked: private (the bot's chat) or group (a community "
                      "group that mentioned the bot); null: logged before this was recorded"),
)

feedback = sa.Table(
    "feedback", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("question_id", sa.Integer, sa.ForeignKey("questions.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"),
              nullable=False),
    sa.Column("value", sa.SmallInteger, nullable=False),
    sa.Column("created_at", UnixTime(), nullable=False),
    sa.Column("updated_at", UnixTime(), nullable=False),
    sa.UniqueConstraint("question_id", "user_id", name="uq_feedback_question_user"),
    sa.CheckConstraint("value IN (-1, 1)", name="value"),
)

# -- polling stations (imported with `saual stations import`) -------------------

station_imports = sa.Table(
    "station_imports", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("file", sa.String(500), nullable=False, comment="the precinct file imported"),
    sa.Column("digest", sa.String(64), nullable=False,
              comment="sha256 of the precinct file and its aliases file"),
    sa.Column("cities", sa.Text, nullable=False,
              comment="the cities (city_ru) it replaced, one per line"),
    sa.Column("precincts", sa.Integer, nullable=False),
    sa.Column("aliases", sa.Integer, nullable=True,
              comment="aliases imported; NULL when no aliases file was given"),
    sa.Column("created_at", UnixTime(), nullable=False),
)

precincts = sa.Table(
    "precincts", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("import_id", sa.Integer,
              sa.ForeignKey("station_imports.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("city_kk", sa.String(100), nullable=False),
    sa.Column("city_ru", sa.String(100), nullable=False, comment="the city's key"),
    sa.Column("district_kk", sa.String(100), nullable=False, server_default=""),
    sa.Column("district_ru", sa.String(100), nullable=False, server_default=""),
    sa.Column("number", sa.Integer, nullable=False, comment="precinct number"),
    sa.Column("name_kk", sa.String(300), nullable=False),
    sa.Column("name_ru", sa.String(300), nullable=False),
    sa.Column("address_kk", sa.String(300), nullable=False),
    sa.Column("address_ru", sa.String(300), nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("phone", sa.String(40), nullable=False, server_default="",
              comment="empty when unknown"),
    sa.Column("hours", sa.String(20), nullable=False),
    sa.Column("boundary", sa.Text, nullable=False,
              comment="streets and microdistricts, knowledge/polling_stations/README.md syntax"),
    sa.Column("source", sa.String(300), nullable=False,
              comment="the decision that set the boundary; 'sample' for synthetic data"),
    sa.UniqueConstraint("city_ru", "number", name="uq_precincts_city_number"),
    # Ids are never reused (SQLite would reuse them after a delete), so a button from
    # an older import can never open another precinct.
    sqlite_autoincrement=True,
)

street_aliases = sa.Table(
    "street_aliases", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("import_id", sa.Integer,
              sa.ForeignKey("station_imports.id", ondelete="CASCADE"), nullable=False,
              index=True),
    sa.Column("city_ru", sa.String(100), nullable=False, index=True),
    sa.Column("street", sa.String(200), nullable=False,
              comment="the street as named in the boundaries"),
    sa.Column("alias", sa.String(200), nullable=False),
    sa.Column("lang", sa.String(3), nullable=False, comment="kk, ru or lat"),
    sa.Column("kind", sa.String(10), nullable=False, comment="name, old or variant"),
)

# -- subscriptions, staff chats and announcements (migration 0003) ----------------

subscriptions = sa.Table(
    "subscriptions", metadata,
    sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("kind", sa.String(10), primary_key=True, comment="agency or region"),
    sa.Column("target", sa.String(50), primary_key=True,
              comment="an agency id (agencies.yaml) or a region id (regions.yaml)"),
    sa.Column("created_at", UnixTime(), nullable=False),
    sa.CheckConstraint("kind IN ('agency', 'region')", name="kind"),
)

staff_chats = sa.Table(
    "staff_chats", metadata,
    sa.Column("chat_id", sa.BigInteger, primary_key=True, autoincrement=False,
              comment="a Telegram group of an agency's staff"),
    sa.Column("agency", sa.String(50), nullable=False, index=True),
    sa.Column("linked_by", sa.BigInteger, nullable=False, comment="the user who sent /link"),
    sa.Column("linked_at", UnixTime(), nullable=False),
    sa.Column("lang", sa.String(2), nullable=False, server_default="ru",
              comment="the language the bot writes in there"),
)

staff_members = sa.Table(
    "staff_members", metadata,
    sa.Column("agency", sa.String(50), primary_key=True),
    sa.Column("user_id", sa.BigInteger, primary_key=True, autoincrement=False,
              comment="a Telegram user who may act for the agency in its linked chat"),
    sa.Column("added_by", sa.BigInteger, nullable=True,
              comment="who linked the group (its admins then), or NULL: a maintainer"),
    sa.Column("added_at", UnixTime(), nullable=False),
)

staff_codes = sa.Table(
    "staff_codes", metadata,
    sa.Column("code_hash", sa.String(64), primary_key=True, comment="sha256 of the code"),
    sa.Column("agency", sa.String(50), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False, comment="unix time"),
    sa.Column("used_at", sa.Float, nullable=True, comment="unix time; the code is spent"),
)

api_tokens = sa.Table(
    "api_tokens", metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True, comment="sha256 of the token"),
    sa.Column("agency", sa.String(50), nullable=False, unique=True,
              comment="one token per agency: a new one replaces the old"),
    sa.Column("created_at", UnixTime(), nullable=False),
)

announcements = sa.Table(
    "announcements", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("agency", sa.String(50), nullable=False, index=True),
    sa.Column("source", sa.String(10), nullable=False, comment="staff, api, feed or change"),
    sa.Column("dedupe_key", sa.String(300), nullable=True,
              comment="api:<Idempotency-Key> or feed:<feed id>:<guid or link>"),
    sa.Column("body_hash", sa.String(64), nullable=True,
              comment="sha256 of the API request body, to refuse a reused key"),
    sa.Column("text_kk", sa.Text, nullable=False, server_default=""),
    sa.Column("text_ru", sa.Text, nullable=False, server_default=""),
    sa.Column("url", sa.String(1000), nullable=False, server_default=""),
    sa.Column("regions", sa.Text, nullable=False, server_default="",
              comment="region ids, space-separated; empty: the whole country"),
    sa.Column("recipients", sa.Integer, nullable=False),
    sa.Column("created_at", UnixTime(), nullable=False),
    sa.Column("topic_id", sa.String(100), nullable=True,
              comment="source 'change': the page that changed (texts: its title in kk, ru)"),
    sa.Column("changes", sa.String(100), nullable=False, server_default="",
              comment="source 'change': what changed (kinds, space-separated)"),
    sa.UniqueConstraint("agency", "dedupe_key", name="uq_announcements_agency_dedupe"),
    sqlite_autoincrement=True,
)

outbox = sa.Table(
    "outbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("announcement_id", sa.Integer,
              sa.ForeignKey("announcements.id", ondelete="CASCADE"), nullable=False),
    sa.Column("chat_id", sa.BigInteger, nullable=False),
    sa.Column("lang", sa.String(2), nullable=False, comment="the text to send: kk or ru"),
    sa.Column("status", sa.String(10), nullable=False,
              comment="pending, sending (claimed, lease_until), sent, failed or blocked"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("parts_sent", sa.Integer, nullable=False, server_default="0",
              comment="parts of a long text already delivered"),
    sa.Column("not_before", sa.Float, nullable=False, comment="unix time"),
    sa.Column("lease_until", sa.Float, nullable=True, comment="unix time, while sending"),
    sa.Column("error", sa.String(300), nullable=False, server_default=""),
    sa.Column("sent_at", sa.Float, nullable=True),
    sa.UniqueConstraint("announcement_id", "chat_id", name="uq_outbox_announcement_chat"),
    sa.Index("ix_outbox_status_not_before", "status", "not_before"),
)

feeds = sa.Table(
    "feeds", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("agency", sa.String(50), nullable=False),
    sa.Column("url", sa.String(1000), nullable=False),
    sa.Column("lang", sa.String(2), nullable=False, comment="the language of its items"),
    sa.Column("polled_at", sa.Float, nullable=True,
              comment="unix time of the last good poll; NULL: never (the first poll "
                      "takes the items already there as seen)"),
    sa.Column("last_error", sa.String(300), nullable=True,
              comment="why the last poll failed; NULL after a good poll"),
    sa.Column("failed_at", sa.Float, nullable=True, comment="unix time of the last failed poll"),
    sa.Column("created_at", UnixTime(), nullable=False),
    sa.UniqueConstraint("agency", "url", name="uq_feeds_agency_url"),
)

feed_items = sa.Table(
    "feed_items", metadata,
    sa.Column("feed_id", sa.Integer, sa.ForeignKey("feeds.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("key", sa.String(500), primary_key=True, comment="the item's guid, else link"),
)

# -- ask an agency: citizens' questions to agency staff (migration 0004) ----------

tickets = sa.Table(
    "tickets", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"),
              nullable=False, index=True),
    sa.Column("agency", sa.String(50), nullable=False, index=True,
              comment="the agency answering now (changes on reassign)"),
    sa.Column("lang", sa.String(2), nullable=False),
    sa.Column("text", sa.Text, nullable=False, comment="the question, masked"),
    sa.Column("topic_id", sa.String(100), nullable=True,
              comment="the closest topic when asked (its category files the Q&A page)"),
    sa.Column("public", sa.Boolean, nullable=False,
              comment="the answer may be published without the asker's name"),
    sa.Column("status", sa.String(10), nullable=False,
              comment="open, taken, answered or rejected"),
    sa.Column("answer", sa.Text, nullable=False, server_default="",
              comment="the staff answer, or the reason of a rejection"),
    sa.Column("staff_chat", sa.BigInteger, nullable=True,
              comment="the staff chat and message showing the question"),
    sa.Column("staff_message", sa.BigInteger, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False, comment="unix time"),
    sa.Column("due_at", sa.Float, nullable=False, comment="unix time"),
    sa.Column("answered_at", sa.Float, nullable=True, comment="unix time"),
    sa.Column("reminded", sa.Integer, nullable=False, server_default="0",
              comment="0 none, 1 the due-soon reminder, 2 the overdue one"),
    sa.Column("taken_by", sa.BigInteger, nullable=True,
              comment="the staff member who took the question"),
    sa.Column("rating", sa.SmallInteger, nullable=True,
              comment="the citizen's 👍 (1) or 👎 (-1) on the answer"),
    sa.Column("reply_lang", sa.String(2), nullable=True,
              comment="the language of the bot's interface when the citizen asked (kk or "
                      "ru): what notices about the ticket are written in, unless they chose "
                      "one; null: asked before it was recorded"),
    sa.Column("public_question", sa.Text, nullable=True,
              comment="the question as the agency's staff worded it for publication (masked); "
                      "the only question text a Q&A page shows"),
    sa.Column("publish_message", sa.BigInteger, nullable=True,
              comment="the staff-chat message asking for the public wording, while "
                      "the publication waits for the staff"),
    sa.CheckConstraint("status IN ('open', 'taken', 'answered', 'rejected')", name="status"),
    sqlite_autoincrement=True,
)

ticket_messages = sa.Table(
    "ticket_messages", metadata,
    sa.Column("chat_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("message_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id", ondelete="CASCADE"),
              nullable=False),
    comment="bot messages in staff chats about a ticket (its card, reminders): "
            "a reply to any of them answers the ticket",
)

# -- Q&A publication: published answers and the index build they wait for (0009) --

qa_pages = sa.Table(
    "qa_pages", metadata,
    sa.Column("ticket_id", sa.Integer, sa.ForeignKey("tickets.id", ondelete="CASCADE"),
              primary_key=True, autoincrement=False),
    sa.Column("agency", sa.String(50), nullable=False),
    sa.Column("lang", sa.String(2), nullable=False),
    sa.Column("markdown", sa.Text, nullable=False,
              comment="the page as bot.services.qa_page wrote it (masked): what is indexed"),
    sa.Column("state", sa.String(10), nullable=False,
              comment="live; withdrawn (the ticket was reopened); refused (by the index build)"),
    sa.Column("reason", sa.String(300), nullable=False, server_default="",
              comment="why the index build refused the page"),
    sa.Column("generation", sa.Integer, nullable=False,
              comment="the wanted index generation this record's change bumped to"),
    sa.Column("updated_at", sa.Float, nullable=False, comment="unix time"),
    sa.CheckConstraint("state IN ('live', 'withdrawn', 'refused')", name="state"),
    comment="published answers: every bot instance and worker builds the index from these",
)

index_state = sa.Table(
    "index_state", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False,
              comment="always 1: one row"),
    sa.Column("wanted", sa.Integer, nullable=False, server_default="0",
              comment="bumped with every publication and withdrawal of a Q&A page"),
    sa.Column("built", sa.Integer, nullable=False, server_default="0",
              comment="the wanted generation the newest index build was made from"),
    sa.Column("lease_owner", sa.String(200), nullable=True,
              comment="the worker building the index now"),
    sa.Column("lease_until", sa.Float, nullable=True,
              comment="unix time; a lease that ran out (its worker died) is taken over"),
    sa.CheckConstraint("id = 1", name="one_row"),
    comment="the index build the published answers wait for, and who builds it",
)

# -- the content loop: agencies' reviews of their pages, weekly digests (0010) ------

page_reviews = sa.Table(
    "page_reviews", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("topic_id", sa.String(100), nullable=False, index=True),
    sa.Column("agency", sa.String(50), nullable=False),
    sa.Column("kind", sa.String(10), nullable=False,
              comment="confirm (the page is right, both languages) or correction"),
    sa.Column("lang", sa.String(2), nullable=False, server_default="",
              comment="the page a correction is for; '' for a confirmation"),
    sa.Column("section", sa.Integer, nullable=True,
              comment="a correction's section: its index among the page's ## sections"),
    sa.Column("heading", sa.String(300), nullable=False, server_default="",
              comment="that section's heading when the correction was proposed"),
    sa.Column("text", sa.Text, nullable=False, server_default="",
              comment="a correction's new section text, as the staff member sent it"),
    sa.Column("page_digest", sa.String(64), nullable=False,
              comment="the content of both pages the staff saw: a confirmation holds "
                      "for that content only"),
    sa.Column("user_id", sa.BigInteger, nullable=False, comment="the staff member"),
    sa.Column("chat_id", sa.BigInteger, nullable=False, comment="the staff chat"),
    sa.Column("state", sa.String(10), nullable=False, server_default="pending",
              comment="pending; applied (written to the page files); rejected"),
    sa.Column("created_at", sa.Float, nullable=False, comment="unix time"),
    sa.Column("decided_at", sa.Float, nullable=True, comment="unix time: applied or rejected"),
    sa.CheckConstraint("kind IN ('confirm', 'correction')", name="kind"),
    sa.CheckConstraint("state IN ('pending', 'applied', 'rejected')", name="state"),
    sqlite_autoincrement=True,
    comment="staff confirmations and proposed corrections of knowledge pages",
)

staff_digests = sa.Table(
    "staff_digests", metadata,
    sa.Column("agency", sa.String(50), primary_key=True),
    sa.Column("week", sa.String(8), primary_key=True, comment="ISO week, e.g. 2026-W49"),
    sa.Column("sent_at", sa.Float, nullable=False, comment="unix time"),
    sa.Column("lease_until", sa.Float, nullable=True,
              comment="unix time until which the instance that claimed the digest may send "
                      "it; null once sent (and for digests sent before it was recorded)"),
    comment="the weekly digest sent to each agency's staff chat: one a week, whichever "
            "instance claims it",
)

# -- answer-change notices: watched pages and their last-notified facts (0011) -----

page_watches = sa.Table(
    "page_watches", metadata,
    sa.Column("user_id", sa.BigInteger, sa.ForeignKey("users.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("topic_id", sa.String(100), primary_key=True),
    sa.Column("lang", sa.String(2), nullable=False,
              comment="the page's language the citizen read: changes to it are notified"),
    sa.Column("since", sa.Float, nullable=False,
              comment="unix time the watch was set, or the citizen last asked about the "
                      "topic since; it lapses 90 days later"),
    sa.Index("ix_page_watches_topic_lang", "topic_id", "lang"),
    comment="'notify me if this changes', pressed under an answer card",
)

page_facts = sa.Table(
    "page_facts", metadata,
    sa.Column("topic_id", sa.String(100), primary_key=True),
    sa.Column("lang", sa.String(2), primary_key=True),
    sa.Column("version", sa.Integer, nullable=False,
              comment="bumped with every change of the facts; a change notice is keyed by it"),
    sa.Column("digest", sa.String(64), nullable=False, comment="sha256 of facts"),
    sa.Column("build", sa.String(100), nullable=False,
              comment="the index build the facts were read from: an instance serving an "
                      "older build leaves them alone"),
    sa.Column("facts", sa.Text, nullable=False,
              comment="JSON: numbers, dates, links and section headings (embeddings.facts)"),
    sa.Column("updated_at", sa.Float, nullable=False, comment="unix time"),
    comment="each page's material facts as last seen by any bot instance: a new index "
            "build is compared with these, whichever instance loads it first",
)

# -- community groups: where the bot was told to keep quiet (0012) -----------------

quiet_groups = sa.Table(
    "quiet_groups", metadata,
    sa.Column("chat_id", sa.BigInteger, primary_key=True),
    sa.Column("since", sa.Float, nullable=False, comment="unix time an administrator said /quiet"),
    comment="community groups whose administrators muted the bot with /quiet (nothing about "
            "who said it, nor any other group is kept)",
)
