"""A per-user flood limit: at most `limit` events in any `window` seconds."""

from __future__ import annotations

import enum
import time
from collections import deque
from collections.abc import Callable


class Verdict(enum.Enum):
    PASS = "pass"
    WARN = "warn"  # the first event over the limit: tell the user once
    DROP = "drop"  # further events in the same burst: ignore quietly


class FloodLimiter:
    """A sliding-window counter per key, in memory.

    One process keeps its own counters; several webhook instances behind a
    load balancer share one limit through
    :class:`~bot.services.sharedlimits.RedisFloodLimiter` (REDIS_URL), which
    falls back to this one while Redis cannot be reached.
    """

    def __init__(self, limit: int, window: float,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = 100_000):
        if limit < 1 or window <= 0:
            raise ValueError("the flood limit needs limit >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self.clock = clock
        self.max_keys = max_keys
        self._events: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}

    async def check(self, key: int) -> Verdict:
        """:meth:`hit`, awaitable like the Redis limiter's (no I/O here)."""
        return self.hit(key)

    def hit(self, key: int) -> Verdict:
        now = self.clock()
        events = self._events.get(key)
        if events is None:
            if len(self._events) >= self.max_keys:
                self._prune(now)
            events = self._events[key] = deque()
        while events and now - events[0] >= self.window:
            events.popleft()
        if len(events) < self.limit:
            events.append(now)
            self._warned.pop(key, None)
            return Verdict.PASS
        if key in self._warned and now - self._warned[key] < self.window:
            return Verdict.DROP
        self._warned[key] = now
        return Verdict.WARN

    def _prune(self, now: float) -> None:
        stale = [k for k, ev in self._events.items() if not ev or now - ev[-1] >= self.window]
        for k in stale:
            del self._events[k]
            self._warned.pop(k, None)
