"""bot/metrics.py without a server: the background loops' health as scraped, and
the cost and isolation of the counters."""

from __future__ import annotations

import asyncio
import time

from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import Metrics
from bot.services import Supervisor
from bot.services.observe import AnswerOutcome, SendResult


def samples(metrics: Metrics) -> dict[tuple[str, str], float]:
    text = metrics.render().decode()
    return {(s.name, s.labels.get("loop", s.labels.get("type", ""))): s.value
            for f in text_string_to_metric_families(text) for s in f.samples}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_loops_are_reported_running_failing_and_unhealthy_like_healthz():
    clock = Clock()
    rounds = asyncio.Event()
    stop = asyncio.Event()
    broken = True

    async def sleep(_seconds: float) -> None:
        rounds.set()
        await stop.wait()

    async def feeds() -> None:
        if broken:
            raise ConnectionError("feed host down")

    supervisor = Supervisor(clock=clock, sleep=sleep, backoff=1, backoff_max=1)
    metrics = Metrics(process=False)
    metrics.watch(supervisor, failing_after=60)
    supervisor.every("feeds", 600, feeds)
    await asyncio.wait_for(rounds.wait(), 5)  # one failed round, waiting for its retry
    clock.now += 30
    found = samples(metrics)
    assert found["saual_loop_running", "feeds"] == 1
    assert found["saual_loop_failures", "feeds"] == 1
    assert found["saual_loop_healthy", "feeds"] == 1  # failing, but not for long yet
    assert found["saual_loop_seconds_since_success", "feeds"] == 30  # since it started
    clock.now += 31
    found = samples(metrics)
    assert found["saual_loop_healthy", "feeds"] == 0  # /healthz answers 503 now
    assert "feeds" in supervisor.unhealthy(60)
    await supervisor.stop()
    assert ("saual_loop_running", "feeds") not in samples(metrics)


async def test_a_dead_loop_is_not_running_and_unhealthy():
    clock = Clock()
    supervisor = Supervisor(clock=clock)
    metrics = Metrics(process=False)
    metrics.watch(supervisor, failing_after=60)

    async def job(beat) -> None:
        beat()
        clock.now += 5

    task = supervisor.keep("delivery", job)
    await task  # a kept job that returns is finished, not dead
    found = samples(metrics)
    assert found["saual_loop_running", "delivery"] == 0
    assert found["saual_loop_healthy", "delivery"] == 1
    clock.now += 7
    assert samples(metrics)["saual_loop_seconds_since_success", "delivery"] == 7
    async def forever(beat) -> None:
        await asyncio.Event().wait()

    task = supervisor.keep("delivery", forever)
    await asyncio.sleep(0)
    task.cancel()  # killed from outside, not stopped by the supervisor: dead
    await asyncio.gather(task, return_exceptions=True)
    found = samples(metrics)
    assert found["saual_loop_running", "delivery"] == 0
    assert found["saual_loop_healthy", "delivery"] == 0


def test_each_process_counts_in_its_own_registry():
    one, two = Metrics(process=False), Metrics(process=False)
    one.update("message")
    one.update("a_type_from_a_newer_bot_api")
    one.answered(AnswerOutcome.CLARIFIED, 0.02)
    one.sent(SendResult.RETRY)
    one.polled(False)
    found = samples(one)
    assert found["saual_updates_total", "message"] == 1
    assert found["saual_updates_total", "other"] == 1
    assert samples(two)["saual_updates_total", "message"] == 0
    text = one.render().decode()
    assert 'saual_answers_total{outcome="clarified"} 1.0' in text
    assert 'saual_outbox_sends_total{result="retry"} 1.0' in text
    assert 'saual_feed_polls_total{result="failed"} 1.0' in text
    assert 'saual_search_seconds_bucket{le="0.02"} 1.0' in text


def test_counting_an_update_costs_next_to_nothing():
    metrics = Metrics(process=False)
    n = 20_000
    started = time.perf_counter()
    for _ in range(n):
        metrics.update("message")
    per_update = (time.perf_counter() - started) / n
    assert samples(metrics)["saual_updates_total", "message"] == n
    assert per_update < 50e-6  # a lock and an add: ~1 µs; an update takes milliseconds
