"""The delivery worker: drains the outbox within Telegram's limits.

Rows are claimed with a lease (status ``sending`` until ``lease_until``), sent
through a :class:`Courier`, and settled after Telegram answers: ``sent``,
``blocked`` (403, chat not found, deactivated: the user becomes inactive and
gets nothing more), ``failed`` (a permanent refusal, or transient errors past
``max_attempts``), or back to ``pending`` with a time to retry (429 waits
``retry_after``; network errors and 5xx back off exponentially). A worker that
dies leaves its claimed rows ``sending``; when their lease runs out any worker
takes them again, so nothing is lost and at most the messages in flight at
that moment are sent twice. A long announcement goes as several messages
(parts); the parts sent are recorded as they go (and when a send is
cancelled), so a retry sends only the parts not yet sent.

Database errors that pass (a locked SQLite file, a PostgreSQL restart) are
retried around ``claim`` and ``settle`` (:func:`retry_transient`, a bounded
loop); past that, :meth:`Delivery.run` raises and its supervisor
(:mod:`bot.services.periodic`) starts it again after a backoff.

Pace: a global rate (messages per second, evenly spaced) and at most one
message per ``chat_interval`` seconds per chat. A row whose chat is ready soon
waits for it without holding up the others; one whose chat waits longer (after
a 429) goes back to the queue. :class:`Pacer` keeps the pace of one worker;
with REDIS_URL every worker shares one pace
(:class:`~bot.services.sharedlimits.RedisPacer`). Several workers are safe
for correctness either way: a row is sent by the worker holding its lease.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, Protocol

from ..storage import (
    TRANSIENT_DB_ERRORS,
    Announcement,
    OutboxItem,
    OutboxStatus,
    Outcome,
    Storage,
)
from .observe import UNOBSERVED, Observer, SendResult
from .periodic import Beat, retry_transient

logger = logging.getLogger(__name__)


class Sent(StrEnum):
    """What became of one send, as the courier reads Telegram's answer."""

    OK = "ok"
    RETRY_AFTER = "retry_after"  # 429: wait `retry_after` seconds
    BLOCKED = "blocked"  # the chat is gone: the user blocked the bot, was deleted...
    TRANSIENT = "transient"  # a network or server error: try again later
    PERMANENT = "permanent"  # Telegram refused this message: never again


@dataclass(frozen=True)
class Result:
    """Telegram's answer to one send."""

    kind: Sent
    retry_after: float = 0.0
    reason: str = ""


OK = Result(Sent.OK)
# A settled row as the metrics count it: back to pending is a retry.
SENT_AS = {OutboxStatus.SENT: SendResult.SENT, OutboxStatus.FAILED: SendResult.FAILED,
           OutboxStatus.BLOCKED: SendResult.BLOCKED, OutboxStatus.PENDING: SendResult.RETRY,
           OutboxStatus.SENDING: SendResult.RETRY}


class Courier(Protocol):
    def render(self, announcement: Announcement, lang: str) -> list[Any]:
        """The messages (parts) to send for `announcement` in `lang`."""

    async def send(self, chat_id: int, part: Any) -> Result:
        """Send one part; never raises for Telegram's or the network's errors."""


@dataclass(frozen=True)
class DeliveryConfig:
    rate: float = 25.0  # messages per second, all chats together
    chat_interval: float = 1.05  # seconds between two messages to one chat (1 s + margin)
    lease: float = 60.0  # seconds a claimed row stays ours
    batch: int = 200  # rows claimed at most at once
    max_attempts: int = 5  # transient failures before "failed"
    backoff: float = 2.0  # first retry delay; doubles per attempt
    backoff_max: float = 300.0
    idle: float = 0.5  # seconds between looks at an empty outbox
    flush: float = 0.05  # at most this long between writes of settled rows
    send_timeout: float = 10.0  # a send must be answered this long before the lease ends
    db_attempts: int = 5  # tries of a claim or settle that meets a passing database error
    db_retry: float = 0.2  # first wait between them; doubles, at most 2 s


class Pace(Protocol):
    """The pace of sends: :class:`Pacer` in one process, or
    :class:`~bot.services.sharedlimits.RedisPacer` shared by every worker."""

    async def chat_ready_at(self, chat_id: int) -> float:
        """When `chat_id` may get its next message."""

    async def wait(self, chat_id: int) -> float:
        """Until a message to `chat_id` may go; the time it passes."""

    async def pause(self, chat_id: int, seconds: float) -> None:
        """A 429: hold every send for `seconds`, and this chat after that."""


class Pacer:
    """The global rate and the per-chat interval, decided when a send is due.

    Sends pass one at a time, each at least 1/rate after the previous one; a
    pass that was held up (a busy event loop, a slow database write) may catch
    up by at most `slack` seconds, so a stall never turns into a burst. A chat
    gets its next message `chat_interval` after the previous one passed.
    """

    def __init__(self, rate: float, chat_interval: float, clock: Callable[[], float],
                 sleep: Callable[[float], Awaitable[Any]], slack: float = 0.02):
        self.step = 1.0 / rate
        self.slack = max(self.step, slack)
        self.chat_interval = chat_interval
        self.clock, self.sleep = clock, sleep
        self._next = 0.0
        self._last: dict[int, float] = {}  # chat -> when its last message passed
        self._busy: set[int] = set()  # chats with a message passing now
        self._lock = asyncio.Lock()

    async def chat_ready_at(self, chat_id: int) -> float:
        """When `chat_id` may get its next message (-inf: now)."""
        return self._ready_at(chat_id)

    def _ready_at(self, chat_id: int) -> float:
        if chat_id in self._busy:
            return self.clock() + self.chat_interval
        return self._last.get(chat_id, float("-inf")) + self.chat_interval

    async def wait(self, chat_id: int) -> float:
        """Until `chat_id` may have a message; the time it passes."""
        while True:
            now = self.clock()
            ready = self._ready_at(chat_id)
            if ready <= now:
                break
            await self.sleep(max(ready - now, 0.005))
        self._busy.add(chat_id)
        try:
            async with self._lock:
                now = self.clock()
                slot = max(self._next, now - self.slack)
                if slot > now:
                    await self.sleep(slot - now)
                self._next = slot + self.step
            now = self.clock()
            self._last[chat_id] = now
            if len(self._last) > 50_000:  # forget chats whose interval has passed
                self._last = {c: t for c, t in self._last.items()
                              if t + self.chat_interval > now}
        finally:
            self._busy.discard(chat_id)
        return now

    async def pause(self, chat_id: int, seconds: float) -> None:
        """A 429: nothing to anyone for `seconds`, and this chat after that."""
        until = self.clock() + seconds
        self._next = max(self._next, until)
        self._last[chat_id] = max(self._last.get(chat_id, float("-inf")),
                                  until - self.chat_interval)


class Delivery:
    def __init__(self, storage: Storage, courier: Courier, config: DeliveryConfig, *,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 pacer: Pace | None = None,
                 observer: Observer = UNOBSERVED):
        self.repo = storage.announcements
        self.observer = observer
        self.courier = courier
        self.config = config
        self.clock, self.sleep = clock, sleep
        self.pacer = pacer or Pacer(config.rate, config.chat_interval, clock, sleep)
        self._announcements: dict[int, Announcement] = {}
        self._settled: list[Outcome] = []
        # Chats found blocked or deleted (reason, when): rows claimed before that
        # moment must not reach them. Forgotten after a lease, so a user who
        # unblocks the bot later gets new announcements.
        self._gone: dict[int, tuple[str, float]] = {}
        self._progress: dict[int, int] = {}  # outbox row -> parts sent, while sending
        self._chats: dict[int, asyncio.Task] = {}  # chat -> its last row's task (_start)
        self._ready = asyncio.Event()  # results wait to be recorded

    async def _db(self, what: str, operation: Callable[[], Awaitable[Any]]) -> Any:
        return await retry_transient(operation, transient=TRANSIENT_DB_ERRORS,
                                     what=f"outbox {what}", attempts=self.config.db_attempts,
                                     delay=self.config.db_retry, sleep=self.sleep)

    async def run(self, *, until_empty: bool = False, beat: Beat | None = None) -> None:
        """Deliver until cancelled (or, with `until_empty`, until nothing is left);
        `beat()` after each good look at the outbox."""
        cfg = self.config
        flusher = asyncio.create_task(self._flush_loop(), name="outbox-flush")
        tasks: set[asyncio.Task] = set()
        claim_at_most = max(1, min(cfg.batch, int(cfg.rate * cfg.lease / 4)))
        try:
            while True:
                if len(tasks) <= claim_at_most // 2:
                    wanted = claim_at_most - len(tasks)
                    items = await self._db("claim", lambda n=wanted: self.repo.claim(
                        n, cfg.lease, self.clock()))
                    tasks |= {self._start(i) for i in items}
                    if beat is not None:
                        beat()
                if not tasks:
                    if until_empty:
                        await self._flush()
                        if not await self._db("count", self.repo.outstanding):
                            return
                    await self.sleep(cfg.idle)
                    continue
                _done, tasks = await asyncio.wait(tasks, timeout=cfg.idle,
                                                  return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await flusher
            try:
                await self._flush()
            except Exception:  # kept for the next run(); else their lease runs out
                logger.exception("outbox: %d results not recorded on the way out",
                                 len(self._settled))

    async def _flush_loop(self) -> None:
        """Record results as soon as there are any: what was sent but not yet
        recorded is what a killed worker sends twice. Results that arrive during
        a write go together in the next one."""
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), self.config.flush)
            self._ready.clear()
            try:
                await self._flush()
            except Exception:  # the loop must outlive a database hiccup; rows stay queued
                logger.exception("outbox: could not record delivery results")
                await self.sleep(self.config.flush)

    async def _flush(self) -> None:
        settled, self._settled = self._settled, []
        if not settled:
            return
        try:
            await self._db("settle", lambda: self.repo.settle(settled, self.clock()))
        except BaseException:
            self._settled = settled + self._settled
            raise

    async def _announcement(self, announcement_id: int) -> Announcement | None:
        found = self._announcements.get(announcement_id)
        if found is None:
            found = await self.repo.get(announcement_id)
            if found is not None:
                if len(self._announcements) > 1000:
                    self._announcements.clear()
                self._announcements[announcement_id] = found
        return found

    def _start(self, item: OutboxItem) -> asyncio.Task:
        """Deliver `item` after this worker's earlier rows for the same chat (rows
        are claimed in outbox order): two announcements of several parts each
        reach a chat one after the other, not with their parts interleaved."""
        before = self._chats.get(item.chat_id)

        async def in_turn() -> None:
            if before is not None:
                await asyncio.wait([before])
            await self._deliver(item)

        task = asyncio.create_task(in_turn())
        self._chats[item.chat_id] = task
        task.add_done_callback(
            lambda done, chat=item.chat_id: self._chats.pop(chat, None)
            if self._chats.get(chat) is done else None)
        return task

    async def _deliver(self, item: OutboxItem) -> None:
        self._progress[item.id] = item.parts_sent
        try:
            outcome = await self._attempt(item)
        except asyncio.CancelledError:
            # Stopped mid-send: keep the parts already sent, so that the retry
            # sends only the rest (settled by run()'s last flush).
            self._settled.append(Outcome(item.id, item.chat_id, OutboxStatus.PENDING,
                                         self._progress[item.id], self.clock(),
                                         "interrupted", count_attempt=False,
                                         lease_until=item.lease_until))
            raise
        except Exception as exc:  # a bug in rendering: keep the row, retry later
            logger.exception("outbox row %d: delivery failed", item.id)
            outcome = self._transient(item, self._progress[item.id], type(exc).__name__)
        finally:
            self._progress.pop(item.id, None)
        self.observer.sent(SENT_AS[outcome.status])
        self._settled.append(replace(outcome, lease_until=item.lease_until))
        self._ready.set()

    async def _sent_part(self, item: OutboxItem, sent: int, total: int) -> None:
        """One more part went out: remember it, and record it now when parts
        remain (a worker killed before the rest then resends only the rest)."""
        self._progress[item.id] = sent
        if sent < total:
            try:
                await self.repo.progress(item.id, item.lease_until, sent)
            except TRANSIENT_DB_ERRORS as exc:  # recorded when the row settles
                logger.warning("outbox row %d: progress not recorded (%s)", item.id,
                               type(exc).__name__)

    async def _attempt(self, item: OutboxItem) -> Outcome:
        now = self.clock()
        ready = await self.pacer.chat_ready_at(item.chat_id)
        if ready > now + 2 * self.config.chat_interval:
            # This chat waits a while (a 429): give the row back rather than hold it.
            return Outcome(item.id, item.chat_id, OutboxStatus.PENDING, item.parts_sent, ready,
                           count_attempt=False)
        announcement = await self._announcement(item.announcement_id)
        if announcement is None:
            return Outcome(item.id, item.chat_id, OutboxStatus.FAILED, item.parts_sent,
                           error="announcement not found")
        parts = self.courier.render(announcement, item.lang)
        sent = item.parts_sent
        while sent < len(parts):
            await self.pacer.wait(item.chat_id)
            gone = self._gone.get(item.chat_id)
            if gone and self.clock() - gone[1] < self.config.lease:
                return Outcome(item.id, item.chat_id, OutboxStatus.BLOCKED, sent, error=gone[0])
            if self.clock() + self.config.send_timeout >= item.lease_until:
                # Waited too long for a slot: the row may soon be another worker's.
                return Outcome(item.id, item.chat_id, OutboxStatus.PENDING, sent, self.clock(),
                               count_attempt=False)
            result = await self.courier.send(item.chat_id, parts[sent])
            match result.kind:
                case Sent.OK:
                    sent += 1
                    await self._sent_part(item, sent, len(parts))
                case Sent.RETRY_AFTER:
                    await self.pacer.pause(item.chat_id, result.retry_after)
                    logger.info("outbox row %d: 429, retry after %.1fs", item.id,
                                result.retry_after)
                    return Outcome(item.id, item.chat_id, OutboxStatus.PENDING, sent,
                                   self.clock() + result.retry_after, result.reason,
                                   count_attempt=False)
                case Sent.BLOCKED:
                    logger.info("chat %d is gone (%s): inactive", item.chat_id, result.reason)
                    if len(self._gone) > 100_000:
                        self._gone.clear()
                    self._gone[item.chat_id] = (result.reason, self.clock())
                    return Outcome(item.id, item.chat_id, OutboxStatus.BLOCKED, sent,
                                   error=result.reason)
                case Sent.PERMANENT:
                    logger.warning("outbox row %d refused: %s", item.id, result.reason)
                    return Outcome(item.id, item.chat_id, OutboxStatus.FAILED, sent,
                                   error=result.reason)
                case _:
                    return self._transient(item, sent, result.reason)
        return Outcome(item.id, item.chat_id, OutboxStatus.SENT, sent)

    def _transient(self, item: OutboxItem, sent: int, reason: str) -> Outcome:
        cfg = self.config
        if item.attempts >= cfg.max_attempts:
            logger.warning("outbox row %d failed after %d attempts: %s", item.id,
                           item.attempts, reason)
            return Outcome(item.id, item.chat_id, OutboxStatus.FAILED, sent, error=reason)
        delay = min(cfg.backoff * 2 ** (item.attempts - 1), cfg.backoff_max)
        logger.info("outbox row %d: %s, retry in %.1fs", item.id, reason, delay)
        return Outcome(item.id, item.chat_id, OutboxStatus.PENDING, sent, self.clock() + delay,
                       reason)
