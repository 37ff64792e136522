"""GET /metrics on the API server, the webhook server and the worker: scraped
after what citizens, the outbox and the tickets did."""

from __future__ import annotations

import asyncio
import socket

import sqlalchemy as sa
from aiohttp import ClientError, ClientSession
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from bot.runners import run_worker, web_application
from bot.services import Draft
from bot.storage import TicketStatus

ALLOWED_LABELS = {"type", "outcome", "result", "status", "loop", "le"}


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name.startswith("saual_"):
                # Only small fixed label sets: no user id, no text.
                assert set(s.labels) <= ALLOWED_LABELS, s
            samples[s.name, frozenset(s.labels.items())] = s.value
    return samples


def value(samples: dict, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


async def scrape(client) -> dict:
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return parse(await response.text())


async def test_a_scrape_shows_what_citizens_questions_did(client, citizen):
    before = await scrape(client)
    assert value(before, "saual_updates_total", type="message") == 0
    assert value(before, "saual_answers_total", outcome="answered") == 0
    assert value(before, "saual_search_seconds_count") == 0

    await citizen.send("жеке куәлікті қайдан аламын")  # the id-card page answers
    await citizen.send("рецепт плова с бараниной")  # nothing on a recipe: abstains
    await citizen.press("Меню")

    after = await scrape(client)
    assert value(after, "saual_updates_total", type="message") == 2
    assert value(after, "saual_updates_total", type="callback_query") == 1
    assert value(after, "saual_answers_total", outcome="answered") == 1
    assert value(after, "saual_answers_total", outcome="abstained") == 1
    assert value(after, "saual_answers_total", outcome="clarified") == 0
    assert value(after, "saual_answers_total", outcome="redirected") == 0
    assert value(after, "saual_search_seconds_count") == 2
    assert 0 < value(after, "saual_search_seconds_sum") < 10
    assert value(after, "saual_search_seconds_bucket", le="+Inf") == 2
    assert value(after, "saual_search_seconds_bucket", le="0.005") is not None


async def test_outbox_and_tickets_are_counted_at_scrape_time(client, saual, clock):
    storage = saual.storage
    for user in (1, 2):
        await storage.users.get_or_create(user)
        await storage.subscriptions.toggle(user, "agency", "mvd")
    await saual.announcements.publish("mvd", Draft(text_ru="Новость"), source="api")
    now = clock.time()
    ticket = dict(user_id=1, agency="mvd", lang="ru", text="вопрос", topic_id=None,
                  public=False, now=now - 100)
    await storage.tickets.add(**ticket, due_at=now - 10)  # overdue
    await storage.tickets.add(**ticket, due_at=now + 10)
    done = await storage.tickets.add(**ticket, due_at=now - 10)
    await storage.tickets.update(done.id, status=TicketStatus.ANSWERED, answered_at=now)

    samples = await scrape(client)
    assert value(samples, "saual_outbox_messages", status="pending") == 2
    assert value(samples, "saual_outbox_messages", status="sent") == 0
    assert value(samples, "saual_tickets", status="open") == 2
    assert value(samples, "saual_tickets", status="answered") == 1
    assert value(samples, "saual_tickets", status="rejected") == 0
    assert value(samples, "saual_tickets_overdue") == 1  # the answered one is not
    assert value(samples, "saual_metrics_database_up") == 1

    clock.now += 20  # the second open ticket is overdue now
    assert value(await scrape(client), "saual_tickets_overdue") == 2


async def test_a_database_that_fails_or_is_slow_keeps_the_last_counts(client, saual,
                                                                      monkeypatch):
    await saual.storage.users.get_or_create(1)
    await saual.storage.subscriptions.toggle(1, "agency", "mvd")
    await saual.announcements.publish("mvd", Draft(text_ru="Новость"), source="api")
    assert value(await scrape(client), "saual_outbox_messages", status="pending") == 1

    async def down():
        raise sa.exc.OperationalError("SELECT", {}, OSError("connection refused"))

    monkeypatch.setattr(saual.storage.announcements, "depth", down)
    samples = await scrape(client)
    assert value(samples, "saual_metrics_database_up") == 0
    assert value(samples, "saual_outbox_messages", status="pending") == 1

    async def slow():
        await asyncio.sleep(30)

    monkeypatch.setattr(saual.storage.announcements, "depth", slow)
    monkeypatch.setattr(saual.metrics, "db_timeout", 0.05)
    samples = await asyncio.wait_for(scrape(client), 5)  # the scrape is not held up
    assert value(samples, "saual_metrics_database_up") == 0
    monkeypatch.undo()
    assert value(await scrape(client), "saual_metrics_database_up") == 1


async def test_the_webhook_server_serves_metrics_with_the_loops(saual, bot):
    secret = "s3cret-token"
    async with TestClient(TestServer(web_application(saual, bot, secret,
                                                     background=False))) as client:
        update = {"update_id": 1, "message": {
            "message_id": 5, "date": 1764230400, "text": "/help",
            "chat": {"id": 99, "type": "private"},
            "from": {"id": 99, "is_bot": False, "first_name": "A", "language_code": "kk"}}}
        response = await client.post("/telegram", json=update,
                                     headers={"X-Telegram-Bot-Api-Secret-Token": secret})
        assert response.status == 200
        samples = await scrape(client)
    assert value(samples, "saual_updates_total", type="message") == 1
    # The Dispatcher's start-up started the reload loops: each is reported.
    for loop in ("index-reload", "stations-refresh", "reviews-refresh"):
        assert value(samples, "saual_loop_running", loop=loop) == 1
        assert value(samples, "saual_loop_healthy", loop=loop) == 1
        assert value(samples, "saual_loop_failures", loop=loop) == 0
        assert value(samples, "saual_loop_seconds_since_success", loop=loop) == 0
        assert value(samples, "saual_loop_restarts_total", loop=loop) == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_the_worker_serves_metrics_and_health_on_metrics_port(settings):
    port = free_port()
    settings = settings.model_copy(update={"metrics_port": port})
    worker = asyncio.create_task(run_worker(settings))
    base = f"http://127.0.0.1:{port}"
    try:
        async with ClientSession() as http:
            for _ in range(200):
                assert not worker.done(), worker.exception()
                try:
                    async with http.get(f"{base}/metrics") as response:
                        text = await response.text()
                        status = response.status
                    break
                except ClientError:
                    await asyncio.sleep(0.05)
            else:
                raise AssertionError(f"the worker's metrics server never answered on {port}")
            assert status == 200
            samples = parse(text)
            assert value(samples, "saual_loop_running", loop="delivery") == 1
            assert value(samples, "saual_loop_running", loop="publication") == 1
            assert value(samples, "saual_outbox_messages", status="pending") == 0
            assert value(samples, "saual_metrics_database_up") == 1
            assert value(samples, "saual_outbox_sends_total", result="sent") == 0
            async with http.get(f"{base}/healthz") as response:
                assert response.status == 200
                body = await response.json()
            assert body["status"] == "ok" and set(body["loops"]) == {"delivery", "publication"}
    finally:
        worker.cancel()
        await asyncio.gather(worker, return_exceptions=True)
    with socket.socket() as s:  # the server is closed with the worker
        assert s.connect_ex(("127.0.0.1", port)) != 0

