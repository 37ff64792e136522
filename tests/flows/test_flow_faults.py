"""Background loops under faults, through the production composition root: a failed
outbox claim does not stop delivery, a loop that raises is started again and
/healthz names it while it keeps failing."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from dataclasses import replace

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer
from dbkit import outbox_rows

from bot.app import Services
from bot.runners import api_application
from bot.services import Draft

LOCKED = sa.exc.OperationalError("UPDATE outbox ...", {},
                                 sqlite3.OperationalError("database is locked"))


@pytest.fixture
def settings(settings):
    return settings.model_copy(update={"loop_backoff": 0.01, "loop_backoff_max": 0.05,
                                       "health_failing_after": 60.0})


async def until(condition, timeout: float = 10.0) -> None:
    async def wait():
        while True:
            met = condition()
            if asyncio.iscoroutine(met):
                met = await met
            if met:
                return
            await asyncio.sleep(0.01)

    await asyncio.wait_for(wait(), timeout)


async def follower(saual, chat: int) -> None:
    await saual.storage.users.get_or_create(chat)
    await saual.storage.subscriptions.toggle(chat, "agency", "mvd")


def failing(method, errors):
    """`method`, raising the given errors on its first calls."""
    pending = list(errors)

    async def call(*args, **kwargs):
        if pending:
            raise pending.pop(0)
        return await method(*args, **kwargs)

    return call


async def test_a_claim_that_fails_once_does_not_stop_delivery(saual, bot, session, monkeypatch):
    repo = saual.storage.announcements
    monkeypatch.setattr(repo, "claim", failing(repo.claim, [LOCKED]))
    await follower(saual, 501)
    saual.start_services(bot)
    try:
        await saual.announcements.publish("mvd", Draft(text_ru="ЦОН работает в субботу"),
                                          source="api")
        await until(lambda: session.named("sendMessage"))
        [sent] = session.named("sendMessage")
        assert sent.params["chat_id"] == 501 and "ЦОН работает в субботу" in sent.text
        state = saual.supervisor.states["delivery"]
        assert state.running and state.restarts == 0  # retried inside, not restarted


        async def settled():
            return {r["status"] for r in await outbox_rows(saual.storage)} == {"sent"}

        await until(settled)
    finally:
        await saual.stop_services()


async def test_delivery_that_keeps_failing_is_started_again(saual, bot, session, monkeypatch):
    repo = saual.storage.announcements
    # More failures than one claim's retries: Delivery.run raises, the supervisor restarts it.
    monkeypatch.setattr(repo, "claim", failing(repo.claim, [LOCKED] * 7))
    built = Services.delivery

    def quick_retries(*args, **kwargs):
        outbox = built(*args, **kwargs)
        outbox.config = replace(outbox.config, db_retry=0.001)
        return outbox

    monkeypatch.setattr(Services, "delivery", quick_retries)
    await follower(saual, 502)
    saual.start_services(bot)
    try:
        await saual.announcements.publish("mvd", Draft(text_ru="Приём граждан"), source="api")
        await until(lambda: session.named("sendMessage"))
        assert saual.supervisor.states["delivery"].restarts >= 1
        assert len(session.named("sendMessage")) == 1
    finally:
        await saual.stop_services()


async def test_a_loop_that_raises_is_restarted_and_healthz_names_it(saual, bot, clock,
                                                                     monkeypatch, caplog):
    calls = []

    async def broken_poll():
        calls.append(clock.now)
        raise RuntimeError("feed parser crashed")

    monkeypatch.setattr(saual.feeds, "poll_all", broken_poll)
    saual.start_services(bot)
    try:
        async with TestClient(TestServer(api_application(saual))) as client:
            await until(lambda: len(calls) >= 3)  # started again after each failure
            state = saual.supervisor.states["feeds"]
            assert state.running and state.failures >= 3 and state.last_error == "RuntimeError"
            assert "feeds failed" in caplog.text and "feed parser crashed" in caplog.text
            response = await client.get("/healthz")
            assert response.status == 200  # failing, but not for long yet
            clock.now += 61
            response = await client.get("/healthz")
            body = await response.json()
            assert response.status == 503 and body["status"] == "failing"
            assert list(body["failing"]) == ["feeds"]
            assert "RuntimeError" in body["failing"]["feeds"]
            assert body["loops"]["delivery"]["running"]

            async def fixed_poll():
                return 0

            monkeypatch.setattr(saual.feeds, "poll_all", fixed_poll)
            await until(lambda: saual.supervisor.states["feeds"].failures == 0)
            response = await client.get("/healthz")
            assert response.status == 200 and (await response.json())["status"] == "ok"
    finally:
        await saual.stop_services()


async def test_a_loop_that_died_is_reported_and_logged_at_stop(saual, caplog):
    async def dies(_state):
        raise RuntimeError("supervisor bug")

    task = saual.supervisor._start("stations-refresh", dies)
    await asyncio.wait([task])
    status, body = saual.health()
    assert status == 503 and body["failing"]["stations-refresh"].startswith("dead")
    with caplog.at_level(logging.ERROR):
        await saual.supervisor.stop()
    assert "stations-refresh had ended with an error" in caplog.text
    assert "supervisor bug" in caplog.text


async def test_while_the_database_is_down_questions_are_answered_and_delivery_resumes(
        saual, bot, session, citizen, clock, database_url, request):
    if not database_url.startswith("postgresql"):
        pytest.skip("a server that stops and starts again: the PostgreSQL half")
    server = request.getfixturevalue("postgres_server")
    await follower(saual, 503)
    await saual.announcements.publish("mvd", Draft(text_ru="Объявление после сбоя"),
                                      source="api")
    await asyncio.to_thread(server.halt)
    try:
        saual.start_services(bot)
        calls = await citizen.send("прописка онлайн")  # a first contact, too
        [card] = [c for c in calls if c.method == "sendMessage"]
        assert card.text.startswith("Регистрация по месту жительства")
        await until(lambda: saual.supervisor.states["delivery"].failures >= 1)
        assert not [c for c in session.named("sendMessage") if c.params["chat_id"] == 503]
        clock.now += 61
        status, body = saual.health()
        assert status == 503 and "delivery" in body["failing"]
    finally:
        await asyncio.to_thread(server.resume)
    try:
        await until(lambda: [c for c in session.named("sendMessage")
                             if c.params["chat_id"] == 503], timeout=20)
        # Every loop recovers, each at its next attempt after its backoff: the
        # feeds or reminders loop may still be sleeping when delivery resumes
        # (seen once under a full suite on two cores).
        await until(lambda: saual.health()[0] == 200, timeout=20)
    finally:
        await saual.stop_services()


@pytest.mark.slow
async def test_while_the_sqlite_file_is_locked_questions_are_answered_and_delivery_resumes(
        saual, bot, session, citizen, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("a file lock: the SQLite half")
    await follower(saual, 504)
    await saual.announcements.publish("mvd", Draft(text_ru="Объявление после блокировки"),
                                      source="api")
    # Another process holds the write lock past the 5 s busy timeout.
    holder = sqlite3.connect(database_url.split("///", 1)[1], isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    release = asyncio.get_running_loop().call_later(6.0, holder.execute, "ROLLBACK")
    try:
        saual.start_services(bot)
        calls = await citizen.send("прописка онлайн")  # a first contact: its insert fails
        [card] = [c for c in calls if c.method == "sendMessage" and c.params["chat_id"] == 777]
        assert card.text.startswith("Регистрация по месту жительства")
        await until(lambda: [c for c in session.named("sendMessage")
                             if c.params["chat_id"] == 504], timeout=30)
        assert saual.health()[0] == 200
    finally:
        release.cancel()
        holder.close()
        await saual.stop_services()
