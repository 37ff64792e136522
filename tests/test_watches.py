"""Answer-change notices (bot.services.watches): watches, their lapse, and one
outbox row per watcher per material change of a page, however many times and
by however many instances a build is loaded. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.services import LAPSE, Watches
from bot.storage.tables import announcements, outbox, page_facts
from embeddings import Facts, build_index, load_index, load_knowledge

DAY = 24 * 3600.0
T0 = 1_790_000_000.0
ID_CARD_RU = Path("pages/documents/id-card.ru.md")


class Clock:
    def __init__(self, now: float = T0):
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def watches(storage, clock) -> Watches:
    return Watches(storage, clock=clock)


def edit(knowledge: Path, page: Path, old: str, new: str) -> None:
    path = knowledge / page
    text = path.read_text(encoding="utf-8")
    assert old in text, (old, path)
    path.write_text(text.replace(old, new), encoding="utf-8")


def build(knowledge: Path, encoder, root: Path):
    """Build and publish the knowledge folder as it is now (a topic of the
    catalogue may be withdrawn); the loaded build."""
    build_index(load_knowledge(knowledge, require_catalog=False), encoder, root,
                topic_model=False)
    return load_index(root, encoder)


async def rows(storage, table):
    async with storage.engine.connect() as conn:
        return (await conn.execute(sa.select(table).order_by(*table.primary_key))).all()


async def citizen(storage, user_id: int, language: str | None) -> None:
    await storage.users.get_or_create(user_id)
    if language:
        await storage.users.set_language(user_id, language)


async def test_a_watch_is_set_renewed_by_asking_and_lapses_after_90_days(watches, storage,
                                                                        clock):
    await watches.set(1, "id-card", "ru", True)
    assert await watches.watching(1, "id-card")
    assert not await watches.watching(1, "residence-registration")
    assert not await watches.watching(2, "id-card")

    clock.now += 80 * DAY
    assert await watches.asked(1, "id-card")  # asked again: 90 days from now
    clock.now += 80 * DAY
    assert await watches.watching(1, "id-card")
    clock.now += 11 * DAY
    assert not await watches.watching(1, "id-card")
    assert not await watches.asked(1, "id-card")  # a lapsed watch is not revived by asking

    await watches.set(1, "id-card", "ru", True)  # pressing again starts over
    assert await watches.watching(1, "id-card")
    await watches.set(1, "id-card", "ru", False)
    assert not await watches.watching(1, "id-card")
    await watches.set(1, "id-card", "ru", False)  # twice is no error
    assert LAPSE == 90 * DAY


async def test_a_material_change_queues_one_message_per_live_watcher(
        watches, storage, clock, knowledge, encoder, tmp_path):
    root = tmp_path / "index"
    first = build(knowledge, encoder, root)
    report = await watches.check(first)
    assert report.new == report.pages == 6 and report.notices == 0  # first sight: stored
    assert len(await rows(storage, page_facts)) == 6

    await citizen(storage, 1, "ru")
    await citizen(storage, 2, "kk")  # reads Kazakh, watched the Russian page
    await citizen(storage, 3, "kk")  # watches the Kazakh page: not this change
    await citizen(storage, 4, "ru")  # a lapsed watch
    await citizen(storage, 5, "ru")  # blocked the bot
    await citizen(storage, 6, "ru")  # watches another topic
    for user, topic, lang in [(1, "id-card", "ru"), (2, "id-card", "ru"), (3, "id-card", "kk"),
                              (5, "id-card", "ru"), (6, "residence-registration", "ru")]:
        await watches.set(user, topic, lang, True)
    clock.now -= 100 * DAY
    await watches.set(4, "id-card", "ru", True)
    clock.now += 100 * DAY
    await storage.users.set_blocked(5, True)

    edit(knowledge, ID_CARD_RU, "с 16 лет. Документ", "с 14 лет. Документ")
    second = build(knowledge, encoder, root)
    report = await watches.check(second)
    assert (report.changed, report.notices, report.recipients) == (1, 1, 2)

    [notice] = await rows(storage, announcements)
    assert (notice.source, notice.agency, notice.topic_id, notice.changes) == (
        "change", "", "id-card", "number")
    assert notice.text_ru == "Получение удостоверения личности"
    assert notice.text_kk == "Жеке куәлік алу"
    queued = await rows(storage, outbox)
    assert sorted((r.chat_id, r.lang, r.status) for r in queued) == [
        (1, "ru", "pending"), (2, "kk", "pending")]
    assert {r.announcement_id for r in queued} == {notice.id}

    # The same build loaded again, by this instance or another one: nothing more.
    assert (await watches.check(second)).notices == 0
    other = Watches(storage, clock=clock)
    assert (await other.check(load_index(root, encoder))).changed == 0
    assert len(await rows(storage, outbox)) == 2
    # An instance still serving the older build does not turn the facts back.
    assert (await other.check(first)).changed == 0
    assert len(await rows(storage, announcements)) == 1


async def test_instances_loading_a_changed_build_at_once_queue_it_once(
        storage, clock, knowledge, encoder, tmp_path):
    root = tmp_path / "index"
    instances = [Watches(storage, clock=clock) for _ in range(4)]
    await asyncio.gather(*(w.check(build(knowledge, encoder, root)) for w in instances[:1]))
    await asyncio.gather(*(w.check(load_index(root, encoder)) for w in instances))
    await citizen(storage, 1, "ru")
    await instances[0].set(1, "id-card", "ru", True)
    edit(knowledge, ID_CARD_RU, "https://egov.kz/cms/ru/services/passport/id_card",
         "https://egov.kz/cms/ru/services/passport/id_card_new")
    build(knowledge, encoder, root)
    reports = await asyncio.gather(*(w.check(load_index(root, encoder)) for w in instances))
    assert sum(r.notices for r in reports) == 1 and sum(r.changed for r in reports) == 1
    [notice] = await rows(storage, announcements)
    assert notice.changes == "url"
    assert [(r.chat_id, r.announcement_id) for r in await rows(storage, outbox)] == [
        (1, notice.id)]


async def test_a_typo_fix_or_a_reworded_heading_queues_nothing(
        watches, storage, knowledge, encoder, tmp_path):
    root = tmp_path / "index"
    await watches.check(build(knowledge, encoder, root))
    await citizen(storage, 1, "ru")
    await watches.set(1, "id-card", "ru", True)
    edit(knowledge, ID_CARD_RU, "Старое удостоверение или свидетельство",
         "Старое удостоверение либо свидетельство")
    report = await watches.check(build(knowledge, encoder, root))
    assert (report.changed, report.reworded, report.notices) == (0, 0, 0)
    edit(knowledge, ID_CARD_RU, "## Документы", "## Какие документы нужны")
    report = await watches.check(build(knowledge, encoder, root))
    assert (report.changed, report.reworded, report.notices) == (0, 1, 0)
    assert await rows(storage, announcements) == [] and await rows(storage, outbox) == []
    # ...and a real change after them is still one notice.
    edit(knowledge, ID_CARD_RU, "действует 10 лет", "действует 5 лет")
    report = await watches.check(build(knowledge, encoder, root))
    assert (report.changed, report.notices, report.recipients) == (1, 1, 1)


async def test_a_withdrawn_topic_queues_nothing(watches, storage, knowledge, encoder,
                                               tmp_path):
    root = tmp_path / "index"
    await watches.check(build(knowledge, encoder, root))
    await citizen(storage, 1, "ru")
    await watches.set(1, "id-card", "ru", True)
    for lang in ("kk", "ru"):
        (knowledge / f"pages/documents/id-card.{lang}.md").unlink()
    report = await watches.check(build(knowledge, encoder, root))
    assert report.pages == 4 and report.changed == 0
    assert await rows(storage, announcements) == []


async def test_a_change_nobody_watches_is_stored_without_a_notice(
        watches, storage, knowledge, encoder, tmp_path):
    root = tmp_path / "index"
    await watches.check(build(knowledge, encoder, root))
    edit(knowledge, ID_CARD_RU, "с 16 лет. Документ", "с 14 лет. Документ")
    report = await watches.check(build(knowledge, encoder, root))
    assert (report.changed, report.notices) == (1, 0)
    assert await rows(storage, announcements) == []
    stored = {(r.topic_id, r.lang): r for r in await rows(storage, page_facts)}
    assert stored[("id-card", "ru")].version == 2 and stored[("id-card", "kk")].version == 1
    assert '"14"' in stored[("id-card", "ru")].facts


async def test_facts_stored_by_older_rules_are_stored_again_without_a_notice(
        watches, storage, knowledge, encoder, tmp_path):
    """An upgrade of the extraction rules (embeddings.facts.RULES) reads some
    pages differently; what was stored by the old rules is no base to compare."""
    root = tmp_path / "index"
    first = build(knowledge, encoder, root)
    await watches.check(first)
    await citizen(storage, 1, "ru")
    await watches.set(1, "id-card", "ru", True)
    # As the rules before versions stored it: no "rules", and other numbers
    # (the old rules read a phone number as three).
    old = Facts.from_json(next(r.facts for r in await rows(storage, page_facts)
                               if (r.topic_id, r.lang) == ("id-card", "ru")))
    record = {**old.as_record(), "numbers": [*sorted(old.numbers), "8", "7777"]}
    del record["rules"]
    async with storage.engine.begin() as conn:
        await conn.execute(sa.update(page_facts).where(
            page_facts.c.topic_id == "id-card", page_facts.c.lang == "ru").values(
            facts=json.dumps(record), digest="0" * 64))
    report = await watches.check(first)
    assert (report.changed, report.reworded, report.notices) == (0, 1, 0)
    stored = {(r.topic_id, r.lang): r for r in await rows(storage, page_facts)}
    assert Facts.from_json(stored[("id-card", "ru")].facts) == old
    # ...and a real change after it is one notice again.
    edit(knowledge, ID_CARD_RU, "с 16 лет. Документ", "с 14 лет. Документ")
    report = await watches.check(build(knowledge, encoder, root))
    assert (report.changed, report.notices) == (1, 1)
