"""Supervised background loops: delivery, publication, feed polling, reminders,
index reload.

A loop that raises is not allowed to end silently. :class:`Supervisor` runs
each background job under a name, logs every failure with its traceback,
waits a bounded exponential backoff (``backoff``, doubled per failure in a
row, at most ``backoff_max``) and runs it again. It keeps each loop's
:class:`LoopState` (running, failures in a row, last error, last success),
from which :meth:`Supervisor.unhealthy` names the loops that are dead or
have been failing for longer than a threshold (the /healthz endpoint).

Two kinds of job:

- :meth:`Supervisor.every`: a round (``job()``) every ``interval`` seconds;
  a round that returns is a success.
- :meth:`Supervisor.keep`: a job that loops by itself (the outbox worker);
  it gets a ``beat()`` to call after each good round, and is started again
  when it raises. When it returns, the loop is finished (not dead).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

Beat = Callable[[], None]


@dataclass
class LoopState:
    """What one supervised loop is doing (times from the supervisor's clock)."""

    name: str
    running: bool = False
    finished: bool = False  # the job returned on its own (e.g. the outbox is empty)
    failures: int = 0  # failures in a row
    last_error: str = ""  # the last exception's type
    failing_since: float | None = None  # the first failure of the current run of them
    last_success: float | None = None
    restarts: int = 0
    started: float | None = None  # when the supervisor started it (the metrics' "since")

    def as_dict(self) -> dict[str, Any]:
        return {"running": self.running, "finished": self.finished,
                "failures": self.failures, "last_error": self.last_error,
                "failing_since": self.failing_since, "last_success": self.last_success,
                "restarts": self.restarts}


class Supervisor:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 backoff: float = 1.0, backoff_max: float = 60.0):
        self.clock, self.sleep = clock, sleep
        self.backoff, self.backoff_max = backoff, max(backoff, backoff_max)
        self.states: dict[str, LoopState] = {}
        self._tasks: dict[str, asyncio.Task] = {}

    # -- starting ------------------------------------------------------------
    def every(self, name: str, interval: float, job: Callable[[], Awaitable[Any]], *,
              first_after: float = 0.0) -> asyncio.Task:
        """Run `job()` every `interval` seconds (the first after `first_after`)."""

        async def loop(state: LoopState) -> None:
            if first_after:
                await self.sleep(first_after)
            while True:
                if await self._round(state, job):
                    await self.sleep(interval)
                else:
                    await self.sleep(self.delay(state))

        return self._start(name, loop)

    def keep(self, name: str, job: Callable[[Beat], Awaitable[Any]]) -> asyncio.Task:
        """Keep `job(beat)` running; start it again after a backoff when it raises."""

        async def loop(state: LoopState) -> None:
            def beat() -> None:
                self._success(state)

            while True:
                if await self._round(state, lambda: job(beat)):
                    state.finished = True
                    return
                await self.sleep(self.delay(state))
                state.restarts += 1
                logger.info("%s: starting again (failure %d in a row)", name, state.failures)

        return self._start(name, loop)

    def _start(self, name: str, loop: Callable[[LoopState], Awaitable[None]]) -> asyncio.Task:
        task = self._tasks.get(name)
        if task is not None and not task.done():
            raise RuntimeError(f"background loop {name!r} is already running")
        state = self.states[name] = LoopState(name, running=True, started=self.clock())

        async def run() -> None:
            try:
                await loop(state)
            finally:
                state.running = False

        task = self._tasks[name] = asyncio.create_task(run(), name=name)
        return task

    # -- one round -------------------------------------------------------------
    async def _round(self, state: LoopState, job: Callable[[], Awaitable[Any]]) -> bool:
        try:
            await job()
        except Exception as exc:  # logged, counted, retried after a backoff
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # raised by the job's clean-up while being stopped: stop() logs it
            if state.failures == 0:
                state.failing_since = self.clock()
            state.failures += 1
            # The type only: a message may quote data; the log has the traceback.
            state.last_error = type(exc).__name__
            logger.exception("%s failed (%d in a row); retrying in %.1fs", state.name,
                             state.failures, self.delay(state))
            return False
        self._success(state)
        return True

    def _success(self, state: LoopState) -> None:
        state.failures = 0
        state.failing_since = None
        state.last_success = self.clock()

    def delay(self, state: LoopState) -> float:
        """The wait before the next try: doubled per failure in a row, capped."""
        return min(self.backoff * 2 ** max(state.failures - 1, 0), self.backoff_max)

    # -- health and stop -------------------------------------------------------------
    def unhealthy(self, failing_after: float) -> dict[str, str]:
        """Loops that are dead, or failing for longer than `failing_after`
        seconds: name -> why."""
        now = self.clock()
        bad = {}
        for name, state in self.states.items():
            if not state.running and not state.finished:
                task = self._tasks.get(name)
                if task is not None and task.done():
                    bad[name] = "dead: " + (state.last_error or "stopped")
            elif state.failing_since is not None and now - state.failing_since > failing_after:
                bad[name] = (f"failing for {now - state.failing_since:.0f}s "
                             f"({state.failures} in a row): {state.last_error}")
        return bad

    async def stop(self, *names: str) -> None:
        """Cancel the named loops (all without names) and wait for them; a loop
        that had ended with an exception is logged, not swallowed."""
        for name in names or list(self._tasks):
            task = self._tasks.pop(name, None)
            if task is None:
                continue
            task.cancel()
            await asyncio.wait([task])
            if not task.cancelled() and task.exception() is not None:
                logger.error("background loop %s had ended with an error", name,
                             exc_info=task.exception())
            self.states.pop(name, None)

    def __contains__(self, name: str) -> bool:
        task = self._tasks.get(name)
        return task is not None and not task.done()


async def retry_transient(operation: Callable[[], Awaitable[Any]], *,
                          transient: tuple[type[BaseException], ...], what: str,
                          attempts: int = 5, delay: float = 0.1, delay_max: float = 2.0,
                          sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> Any:
    """`await operation()`, tried again (a bounded loop) while it raises one of
    `transient`; the last error is raised when `attempts` are spent."""
    for attempt in range(1, attempts + 1):
        try:
            return await operation()
        except transient as exc:
            if attempt == attempts:
                raise
            wait = min(delay * 2 ** (attempt - 1), delay_max)
            logger.warning("%s: %s (attempt %d of %d), trying again in %.2fs", what,
                           type(exc).__name__, attempt, attempts, wait)
            await sleep(wait)
    raise AssertionError("unreachable")  # pragma: no cover
