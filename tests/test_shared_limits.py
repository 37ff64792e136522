"""The flood limit and the delivery pace shared through Redis: on the real
server when one answers and on fakeredis (the `redis_kit` fixture), two
limiters or pacers with clients of their own standing for two processes."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import time
from collections import Counter, defaultdict

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from bot.services import FloodLimiter, Verdict
from bot.services.delivery import Pacer
from bot.services.sharedlimits import MARGIN_MS, RedisFloodLimiter, RedisPacer

PASS, WARN, DROP = Verdict.PASS, Verdict.WARN, Verdict.DROP


class Clock:
    """A frozen clock; `sleep` moves it (one task at a time)."""

    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


class Flaky:
    """A Redis client that can be made unreachable."""

    def __init__(self, inner):
        self.inner, self.broken, self.calls = inner, False, 0

    def __getattr__(self, name):
        attr = getattr(self.inner, name)
        if not callable(attr):
            return attr

        def call(*args, **kwargs):
            self.calls += 1
            if self.broken:
                raise RedisConnectionError("Error 111 connecting to 127.0.0.1:6379")
            return attr(*args, **kwargs)
        return call


def limiters(kit, clock, limit=3, window=10.0, n=2) -> list[RedisFloodLimiter]:
    return [RedisFloodLimiter(kit.client(), limit, window, clock, prefix=kit.prefix)
            for _ in range(n)]


# -- the flood limit -----------------------------------------------------------------


async def test_a_burst_split_over_two_instances_is_limited_once(redis_kit):
    clock = Clock()
    a, b = limiters(redis_kit, clock)
    assert [await x.check(1) for x in (a, b, a)] == [PASS] * 3
    assert await b.check(1) is WARN  # the fourth, at the other instance
    assert [await x.check(1) for x in (a, b)] == [DROP, DROP]
    assert await a.check(2) is PASS  # per user
    clock.now += 10.0
    assert await b.check(1) is PASS
    clock.now += 0.5
    assert [await x.check(1) for x in (a, b)] == [PASS, PASS]
    assert await a.check(1) is WARN  # a new burst is told again


async def test_redis_limit_decides_as_the_local_one_does(redis_kit):
    """A seeded run of users, gaps and instances: the same verdicts as one
    in-memory FloodLimiter seeing every event."""
    clock = Clock()
    shared = limiters(redis_kit, clock, limit=4, window=3.0)
    local = FloodLimiter(4, 3.0, clock)
    rnd = random.Random(16)
    seen = Counter()
    for _ in range(300):
        clock.now += rnd.choice([0.0, 0.0, 0.0, 0.05, 0.1, 0.2, 0.7, 3.0])
        user = rnd.choice([1, 2])
        expected = local.hit(user)
        assert await rnd.choice(shared).check(user) is expected
        seen[expected] += 1
    assert min(seen.values()) > 20, seen  # every verdict was exercised


async def test_simultaneous_messages_at_two_instances_pass_at_most_the_limit(redis_kit):
    clock = Clock()
    a, b = limiters(redis_kit, clock, limit=5)
    verdicts = await asyncio.gather(*(x.check(7) for x in [a, b] * 15))
    assert Counter(verdicts) == {PASS: 5, WARN: 1, DROP: 24}


async def test_flood_keys_are_bounded_and_expire(redis_kit):
    clock = Clock()
    a, b = limiters(redis_kit, clock, limit=3, window=2.0)
    for x in [a, b] * 10:
        await x.check(9)
    client = redis_kit.client()
    events, warned = a.keys(9)
    assert await client.zcard(events) == 3  # refused events are not kept
    for key in (events, warned):
        assert 0 < await client.pttl(key) <= 2000 + MARGIN_MS
    assert await redis_kit.keys() == sorted([events, warned])


async def test_flood_limit_fails_open_to_the_local_one_and_comes_back(redis_kit, caplog):
    clock = Clock()
    flaky = Flaky(redis_kit.client())
    limiter = RedisFloodLimiter(flaky, 2, 10.0, clock, prefix=redis_kit.prefix,
                                fallback=FloodLimiter(2, 10.0, clock), retry=5.0)
    other = limiters(redis_kit, clock, limit=2)[0]
    flaky.broken = True
    with caplog.at_level(logging.WARNING, logger="bot.services.sharedlimits"):
        assert [await limiter.check(1) for _ in range(4)] == [PASS, PASS, WARN, DROP]
        calls = flaky.calls
        assert calls == 1  # Redis is not asked again for `retry` seconds
        flaky.broken = False
        clock.now += 5.0
        assert await limiter.check(1) is PASS  # Redis again: its own count for user 1
        # ... shared with the other instance
        assert [await other.check(1) for _ in range(2)] == [PASS, WARN]
    said = [r.getMessage() for r in caplog.records]
    assert len(said) == 2
    assert "Redis unreachable" in said[0] and "per process" in said[0]
    assert "shared again" in said[1]


def test_a_limit_must_allow_something():
    with pytest.raises(ValueError, match="limit >= 1"):
        RedisFloodLimiter(None, 0, 1.0, time.time)


# -- the delivery pace -----------------------------------------------------------------


async def test_two_pacers_share_the_rate_and_the_chat_interval(redis_kit):
    """Two workers' sends, all at once: the slots granted are spaced by 1/rate
    overall and by the interval per chat, whichever worker sends."""
    rate, interval = 200.0, 0.05
    pacers = [RedisPacer(redis_kit.client(), rate, interval, time.time, asyncio.sleep,
                         prefix=redis_kit.prefix) for _ in range(2)]
    granted = await _burst(pacers)
    _assert_paced(granted, rate, interval)


async def test_two_local_pacers_do_not_share_so_the_check_can_fail():
    rate, interval = 200.0, 0.05
    pacers = [Pacer(rate, interval, time.time, asyncio.sleep) for _ in range(2)]
    granted = await _burst(pacers)
    with pytest.raises(AssertionError):
        _assert_paced(granted, rate, interval)


async def _burst(pacers) -> list[tuple[float, int]]:
    granted: list[tuple[float, int]] = []

    async def send(pacer, chat):
        granted.append((await pacer.wait(chat), chat))

    jobs = [send(pacers[n % 2], chat) for n, chat in
            enumerate(itertools.chain.from_iterable([range(10)] * 3))]
    await asyncio.wait_for(asyncio.gather(*jobs), 10)
    assert len(granted) == 30
    return granted


def _assert_paced(granted, rate, interval) -> None:
    times = sorted(t for t, _ in granted)
    assert min(b - a for a, b in itertools.pairwise(times)) >= 1 / rate - 1e-6
    by_chat = defaultdict(list)
    for t, chat in granted:
        by_chat[chat].append(t)
    assert min(b - a for ts in by_chat.values()
               for a, b in itertools.pairwise(sorted(ts))) >= interval - 1e-6


async def test_a_429_at_one_worker_holds_every_worker(redis_kit):
    clock = Clock()
    a, b = (RedisPacer(redis_kit.client(), 10.0, 1.0, clock, clock.sleep,
                       prefix=redis_kit.prefix) for _ in range(2))
    start = clock.now
    assert await a.wait(5) == start
    await a.pause(5, 30.0)  # Telegram: retry after 30 s
    assert await b.chat_ready_at(5) == start + 30.0  # the chat waits at every worker
    assert await b.wait(6) == start + 30.0  # ... and so does everyone else
    assert clock.now == start + 30.0
    assert await b.wait(5) == start + 30.1  # the chat itself comes after the pause
    assert await b.chat_ready_at(5) == start + 31.1
    assert await a.chat_ready_at(404) == float("-inf")  # a chat never sent to


async def test_a_chat_waits_its_interval_at_any_worker(redis_kit):
    clock = Clock()
    a, b = (RedisPacer(redis_kit.client(), 10.0, 1.05, clock, clock.sleep,
                       prefix=redis_kit.prefix) for _ in range(2))
    start = clock.now
    assert await a.wait(1) == start
    assert await b.wait(2) == start + 0.1
    assert await b.wait(1) == start + 1.05
    client = redis_kit.client()
    assert 0 < await client.pttl(a.chat_key(1)) <= 1050 + MARGIN_MS
    assert await redis_kit.keys() == sorted([a.next_key, a.chat_key(1), a.chat_key(2)])


async def test_pace_fails_open_to_the_local_pacer(redis_kit, caplog):
    clock = Clock()
    flaky = Flaky(redis_kit.client())
    pacer = RedisPacer(flaky, 10.0, 1.0, clock, clock.sleep, prefix=redis_kit.prefix)
    flaky.broken = True
    start = clock.now
    with caplog.at_level(logging.WARNING, logger="bot.services.sharedlimits"):
        assert await pacer.wait(1) == start
        assert await pacer.wait(1) == start + 1.0  # the local pacer keeps the interval
        await pacer.pause(2, 3.0)
        assert await pacer.chat_ready_at(2) == clock.now + 3.0
    assert [r.getMessage().startswith("Redis unreachable") for r in caplog.records] == [True]
    assert await redis_kit.keys() == []
