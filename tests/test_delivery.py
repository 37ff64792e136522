"""The outbox worker with a scripted courier: faults, pace, leases."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import defaultdict

import pytest
from dbkit import outbox_rows

from bot.services import (
    Announcements,
    Delivery,
    DeliveryConfig,
    Directory,
    Draft,
    Result,
    Subscriptions,
)

FIXTURE_KNOWLEDGE = __import__("pathlib").Path(__file__).parent / "fixtures" / "knowledge"


@pytest.fixture
def announcements(storage) -> Announcements:
    return Announcements(storage, Directory.load(FIXTURE_KNOWLEDGE))


async def followers(storage, ids) -> None:
    for i in ids:
        await storage.users.get_or_create(i)
        await storage.subscriptions.toggle(i, "agency", "mvd")


class Scripted:
    """Answers per chat from a script (then OK); records every send with its time."""

    def __init__(self, script: dict[int, list[Result | str]] | None = None):
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.sent: list[tuple[float, int, str]] = []
        self.attempts: dict[int, int] = defaultdict(int)

    def render(self, announcement, lang):
        return [announcement.text_ru or announcement.text_kk]

    async def send(self, chat_id, part):
        self.attempts[chat_id] += 1
        steps = self.script.get(chat_id)
        step = steps.pop(0) if steps else "ok"
        if step == "hang":
            await asyncio.sleep(0.05)  # a request that timed out
            return Result("transient", reason="network: request timeout")
        if isinstance(step, Result):
            return step
        self.sent.append((time.monotonic(), chat_id, part))
        return Result("ok")


FAST = DeliveryConfig(rate=500, chat_interval=0.05, idle=0.01, flush=0.01, backoff=0.01,
                      max_attempts=3, lease=5, send_timeout=0.5)


async def test_faults_end_delivered_once_or_accounted_for(storage, announcements):
    await followers(storage, range(1, 8))
    courier = Scripted({
        1: [Result("retry_after", 0.2, "429")],
        2: [Result("blocked", reason="Forbidden: bot was blocked by the user")],
        3: [Result("transient", reason="Internal Server Error"),
            Result("transient", reason="Internal Server Error")],
        4: [Result("transient", reason="Bad Gateway")] * 5,
        5: ["hang"],
        6: [Result("blocked", reason="Bad Request: chat not found")],
        7: [Result("permanent", reason="Bad Request: message is too long")],
    })
    found, _ = await announcements.publish("mvd", Draft(text_ru="hello"), source="api")
    started = time.monotonic()
    await asyncio.wait_for(Delivery(storage, courier, FAST).run(until_empty=True), 10)
    rows = {r["chat_id"]: r for r in await outbox_rows(storage, found.id)}
    assert {c: r["status"] for c, r in rows.items()} == {
        1: "sent", 2: "blocked", 3: "sent", 4: "failed", 5: "sent", 6: "blocked", 7: "failed"}
    assert sorted(c for _, c, _ in courier.sent) == [1, 3, 5]  # exactly once each
    assert courier.attempts[4] == 3 and rows[4]["error"] == "Bad Gateway"
    assert rows[1]["attempts"] == 1  # waiting out a 429 is not a failed attempt
    assert time.monotonic() - started >= 0.2
    blocked = await storage.users.get(2)
    assert blocked.blocked
    again, _ = await announcements.publish("mvd", Draft(text_ru="more"), source="api")
    assert again.recipients == 5  # the two gone chats get nothing more


async def test_pace_global_rate_and_one_message_per_chat_interval(storage, announcements):
    await followers(storage, range(1, 21))
    for n in range(3):
        await announcements.publish("mvd", Draft(text_ru=f"n{n}"), source="api")
    courier = Scripted()
    config = DeliveryConfig(rate=40, chat_interval=0.3, idle=0.01, flush=0.01)
    await asyncio.wait_for(Delivery(storage, courier, config).run(until_empty=True), 20)
    assert len(courier.sent) == 60
    by_chat = defaultdict(list)
    for t, chat, _ in courier.sent:
        by_chat[chat].append(t)
    gaps = [b - a for times in by_chat.values() for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.3 - 0.01
    times = sorted(t for t, _, _ in courier.sent)
    span = times[-1] - times[0]
    assert 59 / span <= 40 * 1.05  # never faster than the configured rate


async def test_a_dead_workers_rows_are_taken_again_when_the_lease_runs_out(storage,
                                                                          announcements):
    await followers(storage, range(1, 6))
    await announcements.publish("mvd", Draft(text_ru="x"), source="api")
    claimed = await storage.announcements.claim(3, lease=0.3, now=time.time())
    assert len(claimed) == 3  # ... and that worker dies here
    courier = Scripted()
    await asyncio.wait_for(Delivery(storage, courier, FAST).run(until_empty=True), 10)
    assert sorted(c for _, c, _ in courier.sent) == [1, 2, 3, 4, 5]
    assert {r["status"] for r in await outbox_rows(storage)} == {"sent"}


class Counted:
    """An observer that keeps what the worker told it."""

    def __init__(self) -> None:
        self.results: list[str] = []

    def sent(self, result) -> None:
        self.results.append(str(result))


async def test_every_settled_message_is_counted_by_result(storage, announcements):
    await followers(storage, range(1, 5))
    courier = Scripted({
        2: [Result("blocked", reason="Forbidden: bot was blocked by the user")],
        3: [Result("permanent", reason="Bad Request: message is too long")],
        4: [Result("transient", reason="Bad Gateway")],  # then sent on the retry
    })
    await announcements.publish("mvd", Draft(text_ru="hello"), source="api")
    observer = Counted()
    await asyncio.wait_for(Delivery(storage, courier, FAST, observer=observer)
                           .run(until_empty=True), 10)
    assert sorted(observer.results) == ["blocked", "failed", "retry", "sent", "sent"]


async def test_two_announcements_of_several_parts_reach_a_chat_one_after_the_other(
        storage, announcements):
    # One task per claimed row and a pacer that is not first come, first served:
    # A's and B's parts arrived interleaved (a review's find).
    class Parts:
        def __init__(self):
            self.sent = []

        def render(self, announcement, lang):
            return [f"{announcement.text_ru} {n}" for n in (1, 2, 3)]

        async def send(self, chat_id, part):
            await asyncio.sleep(0.005)
            self.sent.append(part)
            return Result("ok")

    await followers(storage, [7])
    await announcements.publish("mvd", Draft(text_ru="A"), source="api")
    await announcements.publish("mvd", Draft(text_ru="B"), source="api")
    courier = Parts()
    config = DeliveryConfig(rate=500, chat_interval=0.02, idle=0.01, flush=0.01,
                            backoff=0.01, max_attempts=3, lease=5, send_timeout=0.5,
                            db_retry=0.001)
    await asyncio.wait_for(Delivery(storage, courier, config).run(until_empty=True), 10)
    assert courier.sent == ["A 1", "A 2", "A 3", "B 1", "B 2", "B 3"]


async def test_what_was_queued_for_a_subscriber_who_stops_is_not_sent(storage, announcements):
    # A broadcast to many takes an hour: a citizen who sends /stop meanwhile got
    # it all the same (a review's find); resuming does not bring it back.
    await followers(storage, [7, 8])
    [announcement, _] = await announcements.publish("mvd", Draft(text_ru="A"), source="api")
    subscriptions = Subscriptions(storage, announcements.directory)
    await subscriptions.set_paused(7, True)
    await subscriptions.set_paused(7, False)
    courier = Scripted()
    await asyncio.wait_for(Delivery(storage, courier, FAST).run(until_empty=True), 10)
    assert {chat for _, chat, _ in courier.sent} == {8}
    counts = (await announcements.status(announcement.id)).counts
    assert (counts["sent"], counts["blocked"]) == (1, 1)


async def test_what_was_queued_from_an_unfollowed_agency_is_not_sent(storage, announcements):
    # Unfollowing an agency while its broadcast was on its way still brought the
    # broadcast (a review's leftover). What the citizen still receives through
    # another follow (a region of a regional announcement) stays, and so does
    # what comes from agencies they still follow.
    await followers(storage, [7, 8, 9])
    subscriptions = Subscriptions(storage, announcements.directory)
    await subscriptions.toggle(7, "agency", "cec")
    await subscriptions.toggle(9, "region", "almaty")
    [national, _] = await announcements.publish("mvd", Draft(text_ru="A"), source="api")
    [regional, _] = await announcements.publish(
        "mvd", Draft(text_ru="B", regions=("almaty",)), source="api")
    [other, _] = await announcements.publish("cec", Draft(text_ru="C"), source="api")
    assert await subscriptions.toggle(7, "agency", "mvd") is False
    assert await subscriptions.toggle(9, "agency", "mvd") is False
    courier = Scripted()
    await asyncio.wait_for(Delivery(storage, courier, FAST).run(until_empty=True), 10)
    assert sorted((chat, part) for _, chat, part in courier.sent) == [
        (7, "C"), (8, "A"), (8, "B"), (9, "B")]
    counts = (await announcements.status(national.id)).counts
    assert (counts["sent"], counts["blocked"]) == (1, 2)
    assert (await announcements.status(regional.id)).counts["sent"] == 2
    assert (await announcements.status(other.id)).counts["sent"] == 1
