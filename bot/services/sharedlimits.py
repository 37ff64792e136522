"""The flood limit and the delivery pace shared through Redis (REDIS_URL).

Several webhook instances and several outbox workers then respect one set of
limits together: a citizen's burst split across instances is limited once,
and the workers together send at most DELIVERY_RATE messages a second and one
per DELIVERY_CHAT_INTERVAL to a chat; a 429 pauses every worker.

Atomic across processes without Lua: the flood limit is a MULTI transaction
on a sorted set per user (add, then count), and the pace is reserved with
WATCH/MULTI/EXEC (optimistic: a reservation that raced another one is retried).
No Lua keeps one code path for real Redis and fakeredis (whose Lua needs the
`lupa` package, not a dependency of this project).

Times are the callers' wall clocks (unix seconds, `Clock.time`), as for the
outbox leases: the machines must keep their clocks in sync (NTP). Every key
expires once it no longer matters, so memory stays bounded; the stored times
decide, the expiries only clean up.

If Redis cannot be reached (or answers with an error), both fail open to
their local, per-process counterpart with a logged warning, and try Redis
again after `retry` seconds: a citizen must still get answers, and the outbox
must still drain.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import math
import os
from collections.abc import Awaitable, Callable
from typing import Any

from redis.exceptions import RedisError, WatchError

from .delivery import Pacer
from .flood import FloodLimiter, Verdict

logger = logging.getLogger(__name__)

UNREACHABLE = (RedisError, OSError, TimeoutError)
MARGIN_MS = 1000  # keys live this long past the moment they stop mattering


def _ms(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000)) + MARGIN_MS


def _time(raw: Any) -> float:
    return float(raw) if raw is not None else float("-inf")


class _Fallback:
    """When Redis failed: use the local limit for `retry` seconds, say so once."""

    def __init__(self, what: str, clock: Callable[[], float], retry: float):
        self.what, self.clock, self.retry = what, clock, retry
        self._down_until: float | None = None

    def down(self) -> bool:
        return self._down_until is not None and self.clock() < self._down_until

    def failed(self, exc: BaseException) -> None:
        if self._down_until is None:
            logger.warning("Redis unreachable (%s: %s): the %s is per process until it "
                           "answers again", type(exc).__name__, exc, self.what)
        self._down_until = self.clock() + self.retry

    def worked(self) -> None:
        if self._down_until is not None:
            logger.warning("Redis answers again: the %s is shared again", self.what)
            self._down_until = None


class RedisFloodLimiter:
    """:class:`~bot.services.flood.FloodLimiter`'s limit, kept in Redis.

    Per user a sorted set of the accepted events' times (at most `limit`
    entries plus the ones being decided) and the time of the last warning.
    An event is added and counted in one transaction; one over the limit is
    taken out again (refused events do not count, as in memory), and only the
    first refusal in a window wins the warning (WATCH on the warning's key).
    """

    def __init__(self, redis: Any, limit: int, window: float,
                 clock: Callable[[], float], *, prefix: str = "saual",
                 fallback: FloodLimiter | None = None, retry: float = 5.0):
        if limit < 1 or window <= 0:
            raise ValueError("the flood limit needs limit >= 1 and window > 0")
        self.redis, self.limit, self.window, self.clock = redis, limit, window, clock
        self.prefix = prefix
        self.local = fallback or FloodLimiter(limit, window)
        self._fallback = _Fallback("flood limit", clock, retry)
        self._token = os.urandom(6).hex()  # event members are unique across processes
        self._seq = itertools.count()

    def keys(self, key: int) -> tuple[str, str]:
        # {user} is a hash tag: both keys of a user live in one Cluster slot.
        base = f"{self.prefix}:flood:{{{key}}}"
        return base, f"{base}:warned"

    async def check(self, key: int) -> Verdict:
        if self._fallback.down():
            return self.local.hit(key)
        try:
            verdict = await self._check(key)
        except UNREACHABLE as exc:
            self._fallback.failed(exc)
            return self.local.hit(key)
        self._fallback.worked()
        return verdict

    async def _check(self, key: int) -> Verdict:
        events, warned = self.keys(key)
        now = self.clock()
        member = f"{now!r}:{self._token}:{next(self._seq)}"
        ttl = _ms(self.window)
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(events, "-inf", now - self.window)
            pipe.zadd(events, {member: now})
            pipe.zcard(events)
            pipe.pexpire(events, ttl)
            pipe.exists(warned)
            _, _, count, _, was_warned = await pipe.execute()
        if count <= self.limit:
            if was_warned:  # a new burst is told again
                await self.redis.delete(warned)
            return Verdict.PASS
        await self.redis.zrem(events, member)
        async with self.redis.pipeline(transaction=True) as pipe:
            await pipe.watch(warned)
            last = await pipe.get(warned)
            if last is not None and now - float(last) < self.window:
                return Verdict.DROP
            pipe.multi()
            pipe.set(warned, repr(now), px=ttl)
            try:
                await pipe.execute()
            except WatchError:  # another instance warned this user just now
                return Verdict.DROP
        return Verdict.WARN


class RedisPacer:
    """:class:`~bot.services.delivery.Pacer`'s pace, shared by every worker.

    Two kinds of keys: the global next free slot, and per chat the time its
    last message passes. A send reserves its slot (at least 1/rate after the
    previous one, at the earliest now) and its chat's turn in one transaction;
    the worker then sleeps until the slot. A chat whose turn has not come
    waits without reserving. A 429 moves both keys forward for every worker.

    Unlike the local Pacer there is no catch-up: slots follow each other on a
    grid of 1/rate while there is a queue, so nothing is lost to a late wake-up,
    and two reserved slots are never closer than 1/rate.
    """

    def __init__(self, redis: Any, rate: float, chat_interval: float,
                 clock: Callable[[], float], sleep: Callable[[float], Awaitable[Any]], *,
                 prefix: str = "saual", fallback: Pacer | None = None, retry: float = 5.0,
                 attempts: int = 100):
        self.redis = redis
        self.step = 1.0 / rate
        self.chat_interval = chat_interval
        self.clock, self.sleep = clock, sleep
        self.prefix = prefix
        self.local = fallback or Pacer(rate, chat_interval, clock, sleep)
        self.attempts = attempts
        self._fallback = _Fallback("delivery pace", clock, retry)
        # One reservation at a time per process: the workers' many sends would
        # otherwise keep invalidating each other's WATCH.
        self._lock = asyncio.Lock()

    # {pace} is a hash tag: all pace keys live in one Cluster slot (one transaction).
    @property
    def next_key(self) -> str:
        return f"{self.prefix}:{{pace}}:next"

    def chat_key(self, chat_id: int) -> str:
        return f"{self.prefix}:{{pace}}:chat:{chat_id}"

    async def chat_ready_at(self, chat_id: int) -> float:
        """When `chat_id` may get its next message (-inf: now)."""
        if not self._fallback.down():
            try:
                last = await self.redis.get(self.chat_key(chat_id))
            except UNREACHABLE as exc:
                self._fallback.failed(exc)
            else:
                self._fallback.worked()
                return _time(last) + self.chat_interval
        return await self.local.chat_ready_at(chat_id)

    async def wait(self, chat_id: int) -> float:
        """Until `chat_id` may have a message; the time it passes (this clock)."""
        while not self._fallback.down():
            try:
                granted, at = await self._reserve(chat_id)
            except UNREACHABLE as exc:
                self._fallback.failed(exc)
                break
            self._fallback.worked()
            delay = at - self.clock()
            if granted:
                if delay > 0:
                    await self.sleep(delay)
                return at
            await self.sleep(max(delay, 0.005))
        return await self.local.wait(chat_id)

    async def pause(self, chat_id: int, seconds: float) -> None:
        """A 429: nothing to anyone, from any worker, for `seconds`, and this chat after that."""
        await self.local.pause(chat_id, seconds)  # ready if Redis goes away meanwhile
        if self._fallback.down():
            return
        until = self.clock() + seconds
        try:
            await self._transaction(lambda nxt, last: (
                max(nxt, until), max(last, until - self.chat_interval)), chat_id)
        except UNREACHABLE as exc:
            self._fallback.failed(exc)
        else:
            self._fallback.worked()

    async def _reserve(self, chat_id: int) -> tuple[bool, float]:
        """(True, slot) when a slot was reserved for `chat_id`; (False, when its
        turn comes) when the chat must wait first."""
        result: list[tuple[bool, float]] = []

        def reserve(nxt: float, last: float) -> tuple[float, float] | None:
            now = self.clock()
            ready = last + self.chat_interval
            if ready > now:
                result.append((False, ready))
                return None
            slot = max(nxt, now)
            result.append((True, slot))
            return slot + self.step, slot

        await self._transaction(reserve, chat_id)
        return result[-1]

    async def _transaction(self, change: Callable[[float, float], tuple[float, float] | None],
                           chat_id: int) -> None:
        """Read the next slot and the chat's last time, write what `change`
        makes of them (None: nothing), atomically; retried when raced."""
        nk, ck = self.next_key, self.chat_key(chat_id)
        async with self._lock:
            for _ in range(self.attempts):
                async with self.redis.pipeline(transaction=True) as pipe:
                    await pipe.watch(nk, ck)
                    nxt, last = await pipe.mget(nk, ck)
                    new = change(_time(nxt), _time(last))
                    if new is None:
                        return
                    new_next, new_last = new
                    now = self.clock()
                    pipe.multi()
                    pipe.set(nk, repr(new_next), px=_ms(new_next - now))
                    pipe.set(ck, repr(new_last), px=_ms(new_last + self.chat_interval - now))
                    try:
                        await pipe.execute()
                    except WatchError:
                        continue
                    return
        raise RedisError(f"pace keys {nk}, {ck}: changed by others {self.attempts} times "
                         "in a row")
