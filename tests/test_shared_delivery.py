"""Two outbox workers on one database (SQLite and PostgreSQL) and one Redis
pace: every message goes out exactly once (the leases), and the two together
keep the global rate and the per-chat interval (the shared pacer)."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections import Counter, defaultdict

from dbkit import outbox_rows

from bot.services import Announcements, Delivery, DeliveryConfig, Directory, Draft, Result
from bot.services.sharedlimits import RedisPacer
from bot.storage import Storage

FIXTURE_KNOWLEDGE = __import__("pathlib").Path(__file__).parent / "fixtures" / "knowledge"
RATE, INTERVAL = 100.0, 0.2
CONFIG = DeliveryConfig(rate=RATE, chat_interval=INTERVAL, batch=8, idle=0.01, flush=0.01,
                        backoff=0.01, lease=5, send_timeout=0.5)


class Recording(RedisPacer):
    """The shared pacer, noting the time each send was granted and by whom."""

    def __init__(self, worker: str, granted: list, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.worker, self.granted = worker, granted

    async def wait(self, chat_id: int) -> float:
        at = await super().wait(chat_id)
        self.granted.append((at, chat_id, self.worker))
        return at


class Courier:
    """Records every message sent (worker, chat, text); chat 3 gets one 429."""

    def __init__(self, worker: str, sent: list, retry_after: dict[int, float]):
        self.worker, self.sent, self.retry_after = worker, sent, retry_after

    def render(self, announcement, lang):
        return [announcement.text_ru]

    async def send(self, chat_id, part):
        if self.retry_after.pop(chat_id, None) is not None:
            return Result("retry_after", 0.3, "Too Many Requests: retry after 0.3")
        self.sent.append((self.worker, chat_id, part))
        return Result("ok")


async def test_two_workers_send_each_message_once_within_the_shared_pace(database_url,
                                                                        shared_redis):
    first = Storage.from_url(database_url)
    await first.migrate()
    second = Storage.from_url(database_url)  # the other worker's own connections
    try:
        announcements = Announcements(first, Directory.load(FIXTURE_KNOWLEDGE))
        chats = range(1, 25)
        for chat in chats:
            await first.users.get_or_create(chat)
            await first.subscriptions.toggle(chat, "agency", "mvd")
        for n in range(3):
            await announcements.publish("mvd", Draft(text_ru=f"n{n}"), source="api")
        sent: list = []
        granted: list = []
        retry_after = {3: 0.3}
        workers = [
            Delivery(storage, Courier(name, sent, retry_after), CONFIG,
                     pacer=Recording(name, granted, shared_redis.client(), RATE, INTERVAL,
                                     time.time, asyncio.sleep, prefix=shared_redis.prefix))
            for name, storage in (("a", first), ("b", second))]
        await asyncio.wait_for(asyncio.gather(*(w.run(until_empty=True) for w in workers)), 60)

        assert Counter((chat, text) for _, chat, text in sent) == {
            (chat, f"n{n}"): 1 for chat in chats for n in range(3)}  # each exactly once
        assert {worker for worker, _, _ in sent} == {"a", "b"}  # both took their share
        assert {r["status"] for r in await outbox_rows(first)} == {"sent"}
        # The pace holds for both workers together, on the times they were granted.
        times = sorted(at for at, _, _ in granted)
        assert min(b - a for a, b in itertools.pairwise(times)) >= 1 / RATE - 1e-6
        by_chat = defaultdict(list)
        for at, chat, _ in granted:
            by_chat[chat].append(at)
        assert min(b - a for ts in by_chat.values()
                   for a, b in itertools.pairwise(sorted(ts))) >= INTERVAL - 1e-6
        assert {w for _, _, w in granted} == {"a", "b"}
    finally:
        await second.close()
        await first.close()
