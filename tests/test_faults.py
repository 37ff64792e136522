"""Faults inside one process: a long announcement interrupted mid-way, the
supervisor's backoff, passing database errors around the outbox."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
import sqlalchemy as sa
from dbkit import outbox_rows

from bot.services import Announcements, Delivery, DeliveryConfig, Directory, Draft, Result
from bot.services.periodic import LoopState, Supervisor, retry_transient
from bot.storage import TRANSIENT_DB_ERRORS

FIXTURE_KNOWLEDGE = __import__("pathlib").Path(__file__).parent / "fixtures" / "knowledge"
FAST = DeliveryConfig(rate=500, chat_interval=0.01, idle=0.01, flush=0.01, backoff=0.01,
                      max_attempts=3, lease=5, send_timeout=0.5, db_retry=0.001)


@pytest.fixture
def announcements(storage) -> Announcements:
    return Announcements(storage, Directory.load(FIXTURE_KNOWLEDGE))


class FourParts:
    """Renders every announcement as four parts; with `stall_at`, the send of
    that part never returns (a request that hangs until the worker stops)."""

    def __init__(self, stall_at: int | None = None):
        self.stall_at = stall_at
        self.sent: list[tuple[int, str]] = []
        self.stalled = asyncio.Event()

    def render(self, announcement, lang):
        return [f"part {n} of 4" for n in range(1, 5)]

    async def send(self, chat_id, part):
        if self.stall_at is not None and part == f"part {self.stall_at} of 4":
            self.stalled.set()
            await asyncio.Event().wait()
        self.sent.append((chat_id, part))
        return Result("ok")


async def test_a_long_announcement_interrupted_after_two_parts_sends_only_the_rest(
        storage, announcements):
    await storage.users.get_or_create(7)
    await storage.subscriptions.toggle(7, "agency", "mvd")
    await announcements.publish("mvd", Draft(text_ru="long"), source="api")

    first = FourParts(stall_at=3)
    worker = asyncio.create_task(Delivery(storage, first, FAST).run())
    await asyncio.wait_for(first.stalled.wait(), 10)
    # Recorded before the worker stops: a worker killed here resends only parts 3-4.
    [row] = await outbox_rows(storage)
    assert (row["status"], row["parts_sent"]) == ("sending", 2)
    worker.cancel()
    with pytest.raises(asyncio.CancelledError):
        await worker
    [row] = await outbox_rows(storage)
    assert (row["status"], row["parts_sent"]) == ("pending", 2)

    second = FourParts()
    await asyncio.wait_for(Delivery(storage, second, FAST).run(until_empty=True), 10)
    assert [p for _, p in first.sent + second.sent] == [
        "part 1 of 4", "part 2 of 4", "part 3 of 4", "part 4 of 4"]  # 4 parts, not 6
    [row] = await outbox_rows(storage)
    assert (row["status"], row["parts_sent"]) == ("sent", 4)


async def test_claims_and_settles_outlive_passing_database_errors(storage, announcements,
                                                                 monkeypatch):
    for chat in (1, 2, 3):
        await storage.users.get_or_create(chat)
        await storage.subscriptions.toggle(chat, "agency", "mvd")
    await announcements.publish("mvd", Draft(text_ru="x"), source="api")
    repo = storage.announcements
    locked = sa.exc.OperationalError("stmt", {}, sqlite3.OperationalError("database is locked"))
    failures = {"claim": 2, "settle": 2}
    for name in failures:
        method = getattr(repo, name)

        async def flaky(*args, _name=name, _method=method, **kwargs):
            if failures[_name]:
                failures[_name] -= 1
                raise locked
            return await _method(*args, **kwargs)

        monkeypatch.setattr(repo, name, flaky)
    courier = FourParts()
    await asyncio.wait_for(Delivery(storage, courier, FAST).run(until_empty=True), 10)
    assert failures == {"claim": 0, "settle": 0}
    assert sorted(c for c, _ in courier.sent) == [1] * 4 + [2] * 4 + [3] * 4
    assert {r["status"] for r in await outbox_rows(storage)} == {"sent"}


async def test_retry_is_bounded_and_raises_the_last_error():
    calls = []

    async def always_locked():
        calls.append(1)
        raise sa.exc.OperationalError("stmt", {}, sqlite3.OperationalError("locked"))

    async def no_wait(_seconds):
        return None

    with pytest.raises(sa.exc.OperationalError):
        await retry_transient(always_locked, transient=TRANSIENT_DB_ERRORS, what="claim",
                              attempts=4, sleep=no_wait)
    assert len(calls) == 4

    async def bug():
        calls.append(2)
        raise KeyError("not a database error")

    with pytest.raises(KeyError):  # only passing database errors are tried again
        await retry_transient(bug, transient=TRANSIENT_DB_ERRORS, what="claim", sleep=no_wait)
    assert calls.count(2) == 1


def test_backoff_doubles_per_failure_and_is_capped():
    supervisor = Supervisor(backoff=0.5, backoff_max=30.0)
    state = LoopState("x")
    waits = []
    for failures in range(1, 10):
        state.failures = failures
        waits.append(supervisor.delay(state))
    assert waits == [0.5, 1, 2, 4, 8, 16, 30, 30, 30]


async def test_a_job_that_raises_is_run_again_after_a_backoff(caplog):
    waits: list[float] = []
    runs = []

    async def record_sleep(seconds):
        waits.append(seconds)
        await asyncio.sleep(0)

    async def job():
        runs.append(1)
        if len(runs) <= 3:
            raise ConnectionError("feed host down")
        if len(runs) == 5:
            raise asyncio.CancelledError  # the test is done

    now = iter(range(100))
    supervisor = Supervisor(clock=lambda: next(now), sleep=record_sleep, backoff=1,
                            backoff_max=3)
    task = supervisor.every("feeds", 600, job)
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)
    assert waits == [1, 2, 3, 600]  # backoff, doubled, capped; then the interval again
    assert caplog.text.count("feeds failed") == 3
    assert "ConnectionError: feed host down" in caplog.text


async def test_stopping_a_loop_whose_clean_up_fails_ends_it_and_logs_the_error(caplog):
    started = asyncio.Event()

    async def job(_beat):
        try:
            started.set()
            await asyncio.Event().wait()
        finally:
            raise ConnectionError("could not record results on the way out")

    supervisor = Supervisor(backoff=0.01)
    supervisor.keep("delivery", job)
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.wait_for(supervisor.stop(), 5)  # not caught and retried as a failure
    assert "delivery had ended with an error" in caplog.text
    assert "could not record results on the way out" in caplog.text
    assert "delivery failed" not in caplog.text
