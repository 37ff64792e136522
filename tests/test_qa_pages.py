"""The published answers' repository on SQLite and PostgreSQL: a publication or a
withdrawal is one transaction with the bump of the wanted index generation;
the build lease is held by one owner at a time and taken over when it runs out."""

from __future__ import annotations

import asyncio

from bot.storage import IndexState


async def ticket(storage, user_id: int = 7) -> int:
    await storage.users.get_or_create(user_id)
    made = await storage.tickets.add(user_id=user_id, agency="mvd", lang="ru", text="Вопрос?",
                                     topic_id=None, public=True, now=1.0, due_at=2.0)
    return made.id


async def test_a_publication_stores_the_page_and_asks_for_a_build(storage):
    pages = storage.qa_pages
    assert await pages.state() == IndexState(0, 0, None, None)
    first, second = await ticket(storage), await ticket(storage)
    page = await pages.publish(first, agency="mvd", lang="ru", markdown="# one", now=10.0)
    assert (page.state, page.markdown, page.generation, page.updated_at) == (
        "live", "# one", 1, 10.0)
    await pages.publish(second, agency="mvd", lang="kk", markdown="# two", now=11.0)
    again = await pages.publish(first, agency="mvd", lang="ru", markdown="# one, v2", now=12.0)
    assert (again.markdown, again.generation) == ("# one, v2", 3)
    state = await pages.state()
    assert (state.wanted, state.built, state.stale) == (3, 0, True)
    wanted, snapshot = await pages.snapshot()
    assert wanted == 3 and [(p.ticket_id, p.lang) for p in snapshot] == [(first, "ru"),
                                                                          (second, "kk")]


async def test_a_withdrawal_asks_for_a_build_once(storage):
    pages = storage.qa_pages
    live, legacy, never = await ticket(storage), await ticket(storage), await ticket(storage)
    await pages.publish(live, agency="mvd", lang="ru", markdown="# page", now=1.0)
    assert await pages.withdraw(live, agency="mvd", lang="ru", now=2.0, published=True)
    page = await pages.get(live)
    assert (page.state, page.markdown, page.generation) == ("withdrawn", "# page", 2)
    assert not await pages.withdraw(live, agency="mvd", lang="ru", now=3.0, published=True)
    # No record: a page published as a file before the database kept them is
    # withdrawn by a record; a ticket never published asks for nothing.
    assert await pages.withdraw(legacy, agency="mvd", lang="ru", now=4.0, published=True)
    assert (await pages.get(legacy)).state == "withdrawn"
    assert not await pages.withdraw(never, agency="mvd", lang="ru", now=5.0, published=False)
    assert await pages.get(never) is None
    assert (await pages.state()).wanted == 3


async def test_a_refusal_touches_only_the_page_the_build_read(storage):
    pages = storage.qa_pages
    tid = await ticket(storage)
    read = await pages.publish(tid, agency="mvd", lang="ru", markdown="# bad", now=1.0)
    await pages.publish(tid, agency="mvd", lang="ru", markdown="# fixed", now=2.0)
    assert not await pages.refuse(tid, read.generation, "unknown category", now=3.0)
    assert (await pages.get(tid)).state == "live"  # published again since the build read it
    newer = await pages.get(tid)
    assert await pages.refuse(tid, newer.generation, "x" * 500, now=4.0)
    refused = await pages.get(tid)
    assert (refused.state, len(refused.reason)) == ("refused", 300)
    assert (await pages.state()).wanted == 2  # a refusal asks for no build


async def test_one_build_lease_at_a_time_taken_over_when_it_runs_out(storage):
    pages = storage.qa_pages
    assert not await pages.acquire("a", now=0.0, ttl=60)  # nothing wanted
    assert await pages.acquire("a", now=0.0, ttl=60, stale_only=False)  # `saual index`
    assert await pages.release("a", built=0)
    await pages.publish(await ticket(storage), agency="mvd", lang="ru", markdown="#", now=0.0)
    won = await asyncio.gather(pages.acquire("a", now=1.0, ttl=60),
                               pages.acquire("b", now=1.0, ttl=60))
    assert sorted(won) == [False, True]
    holder, other = ("a", "b") if won[0] else ("b", "a")
    assert not await pages.acquire(other, now=30.0, ttl=60)
    assert await pages.renew(holder, now=30.0, ttl=60)  # now until 90
    assert not await pages.acquire(other, now=80.0, ttl=60)
    assert await pages.acquire(other, now=91.0, ttl=60)  # the holder died: taken over
    assert not await pages.renew(holder, now=92.0, ttl=60)
    assert not await pages.release(holder, built=1)  # lost: records nothing
    assert (await pages.state()).built == 0
    assert await pages.release(other, built=1)
    assert await pages.state() == IndexState(1, 1, None, None)
    assert not await pages.acquire(holder, now=100.0, ttl=60)  # built: nothing wanted


async def test_built_never_goes_back(storage):
    pages = storage.qa_pages
    tid = await ticket(storage)
    for n in range(3):
        await pages.publish(tid, agency="mvd", lang="ru", markdown=f"# {n}", now=float(n))
    assert await pages.acquire("a", now=0.0, ttl=60)
    assert await pages.release("a", built=3)
    assert await pages.acquire("b", now=0.0, ttl=60, stale_only=False)
    assert await pages.release("b", built=2)  # an older snapshot finished last
    assert (await pages.state()).built == 3
