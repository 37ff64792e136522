"""The process's Prometheus metrics, served as ``GET /metrics`` (bot/runners.py).

One :class:`Metrics` per process (the bot, or ``saual worker``), each with its
own :class:`~prometheus_client.CollectorRegistry` rather than the library's
global one: two applications in one process (the flow tests build many; a
test of two instances builds two) each count only their own, and nothing is
registered at import time.

What is counted, and how it is kept cheap:

- as it happens (one dict lookup and one increment; the label children are
  made once, here): updates by type (:meth:`update`, from a middleware), answer
  outcomes and the search latency (:meth:`answered`), outbox send results
  (:meth:`sent`) and feed polls (:meth:`polled`): the services' :class:`Observer`;
- at scrape time, from the Supervisor's states (no work between scrapes):
  each background loop's health (:class:`LoopCollector`);
- at scrape time, from the database (:meth:`refresh`, bounded by
  ``db_timeout``): the outbox rows per status and the tickets per status and
  overdue. Read when asked rather than by a loop, so the numbers are fresh and
  a process that nobody scrapes queries nothing; several instances sharing a
  database each report the same totals (take ``max`` across instances). A
  database that does not answer in time leaves the last values and sets
  ``saual_metrics_database_up`` to 0.

Labels are small fixed sets only: update types, outcomes, results, statuses and
loop names, never a user id or a text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

from aiogram.types import Update
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from .clock import SYSTEM, Clock
from .services import Supervisor
from .services.observe import AnswerOutcome, SendResult
from .storage import STATUSES, TRANSIENT_DB_ERRORS, Storage, TicketStatus

logger = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
# Telegram's update types (aiogram's Update fields); anything newer counts as "other".
UPDATE_TYPES = tuple(name for name in Update.model_fields if name != "update_id")
# Search latency: the engine answers in ~5-50 ms on the bundled model; a slow
# disk, a cold cache or a busy CPU push it to hundreds.
SEARCH_BUCKETS = (0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5)
DB_TIMEOUT = 2.0  # seconds the database may take to answer a scrape's counts


class LoopCollector:
    """The Supervisor's loops, read at scrape time: running, healthy (what
    /healthz says), failures in a row, restarts, and the seconds since the last
    success (since the start while a loop has not succeeded yet)."""

    def __init__(self, supervisor: Supervisor, failing_after: float):
        self.supervisor = supervisor
        self.failing_after = failing_after

    def collect(self) -> Iterator[Metric]:
        sup = self.supervisor
        now = sup.clock()
        bad = sup.unhealthy(self.failing_after)
        labels = ["loop"]
        running = GaugeMetricFamily("saual_loop_running",
                                    "1 while the background loop runs", labels=labels)
        healthy = GaugeMetricFamily(
            "saual_loop_healthy", "0 when the loop is dead or failing for longer than "
            "HEALTH_FAILING_AFTER (what /healthz answers 503 for)", labels=labels)
        failures = GaugeMetricFamily("saual_loop_failures",
                                     "failures of the loop in a row (0 after a success)",
                                     labels=labels)
        since = GaugeMetricFamily(
            "saual_loop_seconds_since_success", "seconds since the loop last succeeded "
            "(since it started, when it has not yet)", labels=labels)
        restarts = CounterMetricFamily("saual_loop_restarts",
                                       "times a kept loop (delivery) was started again",
                                       labels=labels)
        for name, state in sorted(sup.states.items()):
            running.add_metric([name], 1.0 if state.running else 0.0)
            healthy.add_metric([name], 0.0 if name in bad else 1.0)
            failures.add_metric([name], float(state.failures))
            last = state.last_success if state.last_success is not None else state.started
            if last is not None:
                since.add_metric([name], max(0.0, now - last))
            restarts.add_metric([name], float(state.restarts))
        yield from (running, healthy, failures, since, restarts)


class Metrics:
    """The metrics of one process; the services' :class:`~bot.services.observe.Observer`."""

    def __init__(self, storage: Storage | None = None, clock: Clock = SYSTEM, *,
                 db_timeout: float = DB_TIMEOUT, process: bool = True):
        self.storage, self.clock, self.db_timeout = storage, clock, db_timeout
        self.registry = registry = CollectorRegistry()
        if process:  # process_*: CPU, memory, open files (Linux's /proc), the usual names
            ProcessCollector(registry=registry)

        updates = Counter("saual_updates_total", "Telegram updates received, by type",
                          ["type"], registry=registry)
        self._updates = {kind: updates.labels(kind) for kind in UPDATE_TYPES}
        self._other_update = updates.labels("other")
        answers = Counter("saual_answers_total", "citizens' questions by what the bot did: "
                          "answered, clarified (asked which topic), redirected (out of "
                          "scope: another agency), abstained", ["outcome"], registry=registry)
        self._answers = {o: answers.labels(o.value) for o in AnswerOutcome}
        self._search = Histogram("saual_search_seconds", "time to search one question",
                                 buckets=SEARCH_BUCKETS, registry=registry)
        sends = Counter("saual_outbox_sends_total", "outbox messages settled by the worker, by "
                        "result: sent, failed, blocked, retry", ["result"], registry=registry)
        self._sends = {r: sends.labels(r.value) for r in SendResult}
        polls = Counter("saual_feed_polls_total", "agency feeds polled, by result: ok, failed",
                        ["result"], registry=registry)
        self._polls = {True: polls.labels("ok"), False: polls.labels("failed")}

        self._outbox = Gauge("saual_outbox_messages", "outbox rows by status (pending and "
                             "sending: still to send), read at scrape time", ["status"],
                             registry=registry)
        self._tickets = Gauge("saual_tickets", "citizens' questions to agencies by status, "
                              "read at scrape time", ["status"], registry=registry)
        self._overdue = Gauge("saual_tickets_overdue", "open or taken tickets past their due "
                              "time, read at scrape time", registry=registry)
        self._db_up = Gauge("saual_metrics_database_up", "1 when the last scrape read the "
                            "database's counts in time, else 0", registry=registry)
        for status in STATUSES:
            self._outbox.labels(str(status))
        for status in TicketStatus:
            self._tickets.labels(str(status))

    # -- the Observer (cheap: called on every update, question and send) ------------
    def update(self, kind: str) -> None:
        self._updates.get(kind, self._other_update).inc()

    def answered(self, outcome: AnswerOutcome, search_seconds: float) -> None:
        self._answers[outcome].inc()
        self._search.observe(search_seconds)

    def sent(self, result: SendResult) -> None:
        self._sends[result].inc()

    def polled(self, ok: bool) -> None:
        self._polls[ok].inc()

    # -- scrape time -------------------------------------------------------------------
    def watch(self, supervisor: Supervisor, failing_after: float) -> None:
        """Report `supervisor`'s loops (once per process)."""
        self.registry.register(LoopCollector(supervisor, failing_after))

    async def refresh(self) -> None:
        """Read the database's counts (outbox, tickets), within `db_timeout`; a
        database that is unavailable or slow keeps the last values."""
        if self.storage is None:
            return
        try:
            async with asyncio.timeout(self.db_timeout):
                depth = await self.storage.announcements.depth()
                tickets, overdue = await self.storage.tickets.census(self.clock.time())
        except TRANSIENT_DB_ERRORS as exc:  # TimeoutError included
            logger.warning("metrics: database counts not read (%s)", type(exc).__name__)
            self._db_up.set(0)
            return
        for status, n in depth.items():
            self._outbox.labels(status).set(n)
        for status, n in tickets.items():
            self._tickets.labels(status).set(n)
        self._overdue.set(overdue)
        self._db_up.set(1)

    def render(self) -> bytes:
        """The text exposition format (CONTENT_TYPE)."""
        return generate_latest(self.registry)

    async def scrape(self) -> bytes:
        await self.refresh()
        return self.render()
