"""The index build for published answers (bot.publisher), on SQLite and
PostgreSQL: it builds the knowledge folder with the database's live pages when
a build is wanted, one worker at a time; a page the knowledge base refuses is
left out (and marked) without holding the others back."""

from __future__ import annotations

import asyncio

import pytest
from test_qa_pages import ticket

from bot.publisher import Publisher
from bot.services.qa_page import render
from bot.storage import Storage
from embeddings import CorpusError, build_index, load_index


def page(ticket_id: int, title: str, answer: str = "Обратитесь в ЦОН по месту жительства.",
         category: str = "documents") -> str:
    front = {"id": str(ticket_id), "lang": "ru", "title": title, "summary": answer,
             "category": category, "agency": "mvd", "source_url": "https://egov.kz",
             "updated": "2026-12-01", "keywords": ["паспорт"]}
    return render(front, "ru", title, answer)


async def publish(storage, title: str, **kwargs) -> int:
    tid = await ticket(storage)
    await storage.qa_pages.publish(tid, agency="mvd", lang="ru", now=1.0,
                                   markdown=page(tid, title, **kwargs))
    return tid


def built_titles(index_dir, encoder) -> dict[str, str]:
    index = load_index(index_dir, encoder)
    return {doc_id: d.title for (doc_id, _lang), d in index.documents.items()
            if d.kind == "qa"}


@pytest.fixture
def builds(monkeypatch) -> list:
    """Every index build the publisher makes."""
    made: list = []

    def counted(*args, **kwargs):
        made.append(args[0])
        return build_index(*args, **kwargs)

    monkeypatch.setattr("bot.publisher.build_index", counted)
    return made


def publisher(storage, encoder, knowledge, tmp_path, now=lambda: 0.0) -> Publisher:
    return Publisher(storage, lambda: encoder, knowledge, tmp_path / "index", clock=now)


async def test_a_build_only_when_one_is_wanted(storage, encoder, knowledge, tmp_path, builds):
    worker = publisher(storage, encoder, knowledge, tmp_path)
    assert await worker.run_once() is None and builds == []  # nothing published yet
    tid = await publish(storage, "Как восстановить паспорт?")
    report = await worker.run_once()
    assert report is not None and len(builds) == 1
    assert built_titles(tmp_path / "index", encoder) == {str(tid): "Как восстановить паспорт?"}
    state = await storage.qa_pages.state()
    assert (state.wanted, state.built, state.lease_owner) == (1, 1, None)
    assert await worker.run_once() is None and len(builds) == 1  # built: nothing wanted

    await storage.qa_pages.withdraw(tid, agency="mvd", lang="ru", now=2.0, published=True)
    assert await worker.run_once() is not None
    assert built_titles(tmp_path / "index", encoder) == {}


async def test_two_workers_racing_make_one_build(storage, database_url, encoder, knowledge,
                                                 tmp_path, builds):
    other = Storage.from_url(database_url)  # a second process on the same database
    try:
        first = publisher(storage, encoder, knowledge, tmp_path)
        second = publisher(other, encoder, knowledge, tmp_path)
        await publish(storage, "Как восстановить паспорт?")
        reports = await asyncio.gather(first.run_once(), second.run_once())
        assert len([r for r in reports if r is not None]) == 1 and len(builds) == 1
        assert not (await storage.qa_pages.state()).stale
        assert await asyncio.gather(first.run_once(), second.run_once()) == [None, None]
    finally:
        await other.close()


async def test_a_worker_that_died_mid_build_is_taken_over_when_its_lease_runs_out(
        storage, encoder, knowledge, tmp_path, builds):
    now = [0.0]
    dead = publisher(storage, encoder, knowledge, tmp_path, lambda: now[0])
    alive = publisher(storage, encoder, knowledge, tmp_path, lambda: now[0])
    await publish(storage, "Как восстановить паспорт?")
    assert await storage.qa_pages.acquire(dead.owner, now[0], dead.lease)  # ... and dies
    now[0] = dead.lease - 1
    assert await alive.run_once() is None and builds == []
    now[0] = dead.lease + 1
    assert await alive.run_once() is not None and len(builds) == 1
    assert not (await storage.qa_pages.state()).stale


async def test_a_refused_page_does_not_hold_the_others_back(storage, encoder, knowledge,
                                                            tmp_path, builds, caplog):
    good = await publish(storage, "Как восстановить паспорт?")
    bad = await publish(storage, "Как получить охотничий билет?", category="hunting")
    other = await publish(storage, "Где получить удостоверение личности?")
    worker = publisher(storage, encoder, knowledge, tmp_path)
    assert await worker.run_once() is not None
    assert set(built_titles(tmp_path / "index", encoder)) == {str(good), str(other)}
    refused = await storage.qa_pages.get(bad)
    assert refused.state == "refused" and "unknown category 'hunting'" in refused.reason
    assert f"published answer of ticket {bad}" in caplog.text
    assert not (await storage.qa_pages.state()).stale
    assert await worker.run_once() is None  # refused: not tried again until published again


async def test_the_folder_s_own_problems_stop_the_build(storage, encoder, knowledge, tmp_path,
                                                        builds):
    await publish(storage, "Как восстановить паспорт?")
    (knowledge / "pages/documents/id-card.kk.md").unlink()
    worker = publisher(storage, encoder, knowledge, tmp_path)
    with pytest.raises(CorpusError, match="has no kk page"):
        await worker.run_once()
    state = await storage.qa_pages.state()
    assert state.stale and state.lease_owner is None and builds == []  # tried again later


async def test_database_pages_replace_the_files_published_before(storage, encoder, knowledge,
                                                                 tmp_path, builds):
    """Before the database kept them, pages were files under knowledge/qa/: a page in
    the database replaces the file of its ticket, a withdrawn one withdraws it, a
    refused one leaves it serving; the other files are built as they are."""
    replaced = await publish(storage, "Новая формулировка вопроса о паспорте?")
    withdrawn, refused, kept = [await ticket(storage) for _ in range(3)]
    await storage.qa_pages.withdraw(withdrawn, agency="mvd", lang="ru", now=1.0, published=True)
    await storage.qa_pages.publish(refused, agency="mvd", lang="ru", now=1.0,
                                   markdown=page(refused, "Сломанная?", category="hunting"))
    folder = knowledge / "qa" / "mvd"
    folder.mkdir(parents=True)
    for tid in (replaced, withdrawn, refused, kept):
        (folder / f"{tid}.ru.md").write_text(page(tid, f"Вопрос из файла {tid}?"),
                                             encoding="utf-8")
    assert await publisher(storage, encoder, knowledge, tmp_path).run_once() is not None
    assert built_titles(tmp_path / "index", encoder) == {
        str(replaced): "Новая формулировка вопроса о паспорте?",
        str(refused): f"Вопрос из файла {refused}?", str(kept): f"Вопрос из файла {kept}?"}
