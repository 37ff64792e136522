"""Time in the database: every repository stamps rows with the clock `Storage`
is given (never the machine's), records carry unix seconds, and the values
stored stay what they were before the repositories dealt in unix seconds."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from dbkit import FrozenClock

from bot.storage import Outcome, Storage, metadata
from bot.storage.tables import (
    UnixTime,
    feeds,
    outbox,
    staff_codes,
    tickets,
)

# Far from any day the suite runs on, with a fraction of a second the columns keep.
MOMENT = dt.datetime(2031, 5, 5, 6, 7, 8, 250_000, tzinfo=dt.UTC)
FAR = MOMENT.timestamp()


@pytest.fixture
async def storage(database_url):
    s = Storage.from_url(database_url, clock=FrozenClock(FAR))
    await s.migrate()
    yield s
    await s.close()


async def _write_through_every_repository(storage: Storage) -> None:
    now = storage.clock.time()  # what a service hands in: the same injected clock
    for user in (1, 2):
        await storage.users.get_or_create(user)
        await storage.subscriptions.toggle(user, "agency", "mvd")
    await storage.users.set_language(1, "kk")
    await storage.users.set_blocked(3, False)
    await storage.subscriptions.toggle(1, "region", "almaty")
    await storage.subscriptions.set_paused(3, False)
    question = await storage.questions.add(user_id=1, text="прописка", lang="ru",
                                           topic_id=None, confidence=0.5, confident=True)
    await storage.feedback.set(question, 1, 1)
    await storage.feedback.set(question, 1, -1)  # a vote changed
    await storage.stations.replace(file="precincts.csv", digest="0" * 64, cities=["Алматы"],
                                   precinct_rows=[], alias_rows=None)
    await storage.announcements.create(agency="mvd", source="api", text_kk="", text_ru="x",
                                       now=now)
    sent, blocked = await storage.announcements.claim(10, lease=60.0, now=now)
    await storage.announcements.settle([
        Outcome(sent.id, sent.chat_id, "sent", 1, lease_until=sent.lease_until),
        Outcome(blocked.id, blocked.chat_id, "blocked", error="403",
                lease_until=blocked.lease_until)], now=now)
    feed = await storage.feeds.add("mvd", "https://gov.kz/rss", "ru")
    await storage.feeds.mark_seen(feed.id, ["a"], now)
    await storage.feeds.note_error(feed.id, "timeout", now)
    await storage.staff.add_code("c0de", "mvd", expires_at=now + 3600)
    assert await storage.staff.link("c0de", -100, 1, now, admins=[2]) == "mvd"
    await storage.staff.add_member("mvd", 5)
    await storage.staff.set_token("mvd", "70ken")
    await storage.tickets.add(user_id=1, agency="mvd", lang="ru", text="вопрос",
                              topic_id=None, public=False, now=now, due_at=now + 86400)


async def test_every_row_written_through_every_repository_carries_the_injected_time(storage):
    await _write_through_every_repository(storage)
    stamped = {(t.name, c.name) for t in metadata.sorted_tables for c in t.columns
               if isinstance(c.type, UnixTime)}
    assert {t for t, _ in stamped} == {
        "users", "questions", "feedback", "station_imports", "subscriptions", "staff_chats",
        "staff_members", "api_tokens", "announcements", "feeds"}
    # ... and the unix-time Float columns that mean "when this happened".
    stamped |= {(outbox.name, "not_before"), (outbox.name, "sent_at"),
                (feeds.name, "polled_at"), (feeds.name, "failed_at"),
                (staff_codes.name, "used_at"), (tickets.name, "created_at")}
    async with storage.engine.connect() as conn:
        for table, column in sorted(stamped):
            values = set((await conn.execute(
                sa.select(metadata.tables[table].c[column]))).scalars()) - {None}
            assert (table, column, values) == (table, column, {FAR})


async def test_records_carry_unix_seconds(storage):
    await _write_through_every_repository(storage)
    user = await storage.users.get(1)
    assert (user.created_at, user.updated_at) == (FAR, FAR)
    question = (await storage.questions.recent())[0]
    assert question.created_at == FAR
    assert [v.updated_at for v in await storage.feedback.for_question(question.id)] == [FAR]
    assert (await storage.stations.latest_import()).created_at == FAR
    assert [a.created_at for a in await storage.announcements.recent("mvd")] == [FAR]
    assert {m.added_at for m in await storage.staff.members("mvd")} == {FAR}
    assert [t.created_at for t in await storage.tickets.all()] == [FAR]


# The columns as they were declared before UnixTime: what older code wrote and read.
legacy = sa.Table("users", sa.MetaData(),
                  sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
                  sa.Column("language", sa.String(2)),
                  sa.Column("blocked", sa.Boolean, nullable=False),
                  sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
                  sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False))


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


async def test_stored_values_are_what_they_were(storage):
    """A row the repositories write reads, as a plain DateTime, as the moment in
    UTC that older code stored; a row older code wrote reads as its unix seconds."""
    await storage.users.get_or_create(1)
    async with storage.engine.begin() as conn:
        row = (await conn.execute(sa.select(legacy).where(legacy.c.id == 1))).one()
        assert _aware(row.created_at) == _aware(row.updated_at) == MOMENT
        if storage.engine.dialect.name == "sqlite":  # the text SQLite keeps
            raw = (await conn.exec_driver_sql("SELECT created_at FROM users")).scalar()
            assert raw == "2031-05-05 06:07:08.250000"
        older = dt.datetime(2026, 11, 23, 9, 0, 0, 123_456, tzinfo=dt.UTC)
        await conn.execute(legacy.insert().values(id=2, language="ru", blocked=False,
                                                  created_at=older, updated_at=older))
    user = await storage.users.get(2)
    assert user.created_at == user.updated_at == older.timestamp()


def test_a_timestamp_column_takes_unix_seconds_only():
    column = UnixTime()
    assert column.process_bind_param(FAR, None) == MOMENT
    assert column.process_bind_param(None, None) is None
    assert column.process_result_value(MOMENT.replace(tzinfo=None), None) == FAR  # SQLite
    for wrong in (MOMENT, "2031-05-05", True):
        with pytest.raises(TypeError, match="unix seconds"):
            column.process_bind_param(wrong, None)
