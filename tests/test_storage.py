import datetime as dt
import logging

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from dbkit import FrozenClock
from sqlalchemy.exc import IntegrityError

from bot.storage import Storage, alembic_config, metadata

MONDAY = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC).timestamp()


@pytest.fixture
async def storage(database_url):
    s = Storage.from_url(database_url, clock=FrozenClock(MONDAY))
    yield s
    await s.close()


def _revisions(url: str) -> list[str]:
    script = ScriptDirectory.from_config(alembic_config(url))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


async def _tables(storage) -> set[str]:
    async with storage.engine.connect() as conn:
        names = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
    return set(names) - {"alembic_version"}


async def test_every_migration_goes_up_down_and_up_again(storage):
    """The stairway: each revision upgrades, downgrades to its parent, upgrades again."""
    revisions = _revisions(str(storage.engine.url))
    assert revisions, "no migrations found"
    previous = "base"
    for revision in revisions:
        await storage.migrate(revision)
        await storage.downgrade(previous)
        await storage.migrate(revision)
        previous = revision
    assert await _tables(storage) == {"users", "questions", "feedback", "station_imports",
                                      "precincts", "street_aliases", "subscriptions",
                                      "staff_chats", "staff_members", "staff_codes", "api_tokens",
                                      "announcements", "outbox", "feeds", "feed_items",
                                      "tickets", "ticket_messages", "qa_pages", "index_state",
                                      "page_reviews", "staff_digests",
                                      "page_watches", "page_facts", "quiet_groups"}
    await storage.downgrade("base")
    assert await _tables(storage) == set()


async def test_a_schema_change_is_one_log_line_and_a_current_schema_none(storage, caplog):
    """Every process migrates on start: alembic's own lines would repeat each time
    (they are kept out of the log below DEBUG); the storage says what changed."""
    caplog.set_level(logging.INFO, logger="bot.storage")
    revisions = _revisions(str(storage.engine.url))
    assert await storage.revision() is None
    await storage.migrate(revisions[1])
    await storage.migrate()
    await storage.migrate()  # already the newest: nothing to say
    assert await storage.revision() == revisions[-1]
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.storage"]
    assert lines == [f"database schema upgraded from empty to {revisions[1]}",
                     f"database schema upgraded from {revisions[1]} to {revisions[-1]}"]


async def test_migrations_build_exactly_the_declared_schema(storage):
    await storage.migrate()

    def diff(connection):
        return compare_metadata(MigrationContext.configure(connection), metadata)

    async with storage.engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_sqlite_runs_in_wal_mode_with_foreign_keys(storage):
    if storage.engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings")
    await storage.migrate()
    async with storage.engine.connect() as conn:
        assert (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar() == "wal"
        assert (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1


async def test_users(storage):
    await storage.migrate()
    assert await storage.users.get(7) is None
    user = await storage.users.get_or_create(7)
    assert (user.id, user.language, user.blocked) == (7, None, False)
    assert user.created_at == user.updated_at == MONDAY  # unix seconds, the clock's
    assert await storage.users.get_or_create(7) == user
    storage.clock.now += 60
    chosen = await storage.users.set_language(7, "kk")
    assert chosen.language == "kk" and chosen.updated_at == user.updated_at + 60
    assert chosen.created_at == user.created_at
    await storage.users.set_blocked(7, True)
    assert (await storage.users.get(7)).blocked
    # setting a flag on an unknown user creates the user
    await storage.users.set_language(8, "ru")
    assert (await storage.users.get(8)).language == "ru"


async def test_questions_and_feedback(storage):
    await storage.migrate()
    await storage.users.get_or_create(7)
    qid = await storage.questions.add(user_id=7, text="прописка [phone]", lang="ru",
                                      topic_id="residence-registration", confidence=0.91,
                                      confident=True, results=["residence-registration", "id"],
                                      outcome="answered", chat_type="group")
    question = await storage.questions.get(qid)
    assert question.results == ("residence-registration", "id") and question.confident
    assert question.outcome == "answered" and question.chat_type == "group"
    assert (await storage.questions.recent())[0] == question
    assert await storage.questions.get(qid + 1) is None

    await storage.feedback.set(qid, 7, 1)
    await storage.feedback.set(qid, 7, -1)
    [vote] = await storage.feedback.for_question(qid)
    assert vote.value == -1
    with pytest.raises(IntegrityError):  # only +1 or -1
        await storage.feedback.set(qid, 7, 5)
    with pytest.raises(IntegrityError):  # foreign keys are enforced
        await storage.questions.add(user_id=999, text="x", lang="ru", topic_id=None,
                                    confidence=0.0, confident=False)


async def test_one_linked_chat_per_agency_and_its_staff(storage):
    await storage.migrate()
    repo = storage.staff
    for code in ("a", "b"):
        await repo.add_code(code, "mvd", expires_at=100.0)
    assert await repo.link("a", -1, 10, 1.0, "ru", admins=[11]) == "mvd"
    assert [m.user_id for m in await repo.members("mvd")] == [10, 11]
    assert await repo.staff_chat(-1, 11) == ("mvd", "ru")
    assert await repo.staff_chat(-1, 12) is None  # in the chat, without rights
    assert await repo.link("a", -2, 10, 1.0) is None  # a spent code
    assert await repo.link("b", -2, 20, 1.0, "kk") == "mvd"  # replaces chat -1 and its staff
    assert await repo.chat_of(-1) is None and await repo.staff_chat(-1, 10) is None
    assert await repo.staff_chat(-2, 20) == ("mvd", "kk") and await repo.staff_chat(-2, 11) is None
    assert await repo.add_member("mvd", 11) and not await repo.add_member("mvd", 11)
    assert (await repo.members("mvd"))[0].added_by is None  # 11: added by a maintainer
    assert await repo.remove_member("mvd", 11) and not await repo.remove_member("mvd", 11)
    assert [c.chat_id for c in await repo.unlink(agency="mvd")] == [-2]
    assert await repo.unlink(chat_id=-2) == []
    assert await repo.staff_chat(-2, 20) is None
