"""Serving Saual: long polling, the webhook, the outbox worker and the HTTP API.

Each runner takes its objects from :mod:`bot.app` (the composition root) and
serves until SIGINT/SIGTERM (:func:`until_stopped`, the one place signals are
handled outside aiogram's own polling loop); answers in progress are let
finish and the background loops are stopped before the database closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
from collections.abc import AsyncIterator

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.webhook.aiohttp_server import setup_application
from aiohttp import web

from .api import AnnouncementsAPI, TelegramWebhook
from .app import ConfigurationError, Saual, database, make_bot, supervisor, wire
from .clock import SYSTEM, Clock
from .config import Settings
from .metrics import CONTENT_TYPE, Metrics
from .publisher import publisher
from .services import Supervisor

logger = logging.getLogger(__name__)


async def until_stopped(task: asyncio.Future | None = None) -> None:
    """Wait for SIGINT or SIGTERM (or for `task` to end, when given)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
    waiter = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({waiter} if task is None else {waiter, task},
                           return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
        for sig in handled:
            loop.remove_signal_handler(sig)


# -- the HTTP side: /healthz, /metrics and the announcements API ----------------------


def healthz_route(app: Saual, web_app: web.Application) -> None:
    async def healthz(_request: web.Request) -> web.Response:
        status, body = app.health()
        return web.json_response(body, status=status)

    web_app.router.add_get("/healthz", healthz)


def metrics_route(metrics: Metrics, web_app: web.Application) -> None:
    """GET /metrics: Prometheus's text format (bot/metrics.py)."""

    async def scrape(_request: web.Request) -> web.Response:
        return web.Response(body=await metrics.scrape(), headers={"Content-Type": CONTENT_TYPE})

    web_app.router.add_get("/metrics", scrape)


def api_application(app: Saual) -> web.Application:
    """Only the HTTP API, /healthz and /metrics (polling mode's API_PORT, `saual api`)."""
    web_app = web.Application()
    healthz_route(app, web_app)
    metrics_route(app.metrics, web_app)
    AnnouncementsAPI(app.announcements, app.staff).register(web_app)
    return web_app


async def serve_api(web_app: web.Application, host: str, port: int, *,
                    what: str = "HTTP API") -> web.AppRunner:
    runner = web.AppRunner(web_app)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except BaseException:
        await runner.cleanup()
        raise
    logger.info("%s listening on %s:%d", what, host, port)
    return runner


# -- Telegram: long polling and the webhook -----------------------------------------


@contextlib.asynccontextmanager
async def serving(settings: Settings) -> AsyncIterator[tuple[Saual, Bot]]:
    """The application and its Bot for one run; both closed on the way out."""
    bot = make_bot(settings)  # no token, no start: before the index and the database load
    try:
        app = await Saual.create(settings)
        try:
            yield app, bot
        finally:
            await app.close()
    finally:
        await bot.session.close()


async def run_polling(settings: Settings) -> None:
    """Long polling until SIGINT/SIGTERM; answers in progress are let finish."""
    async with serving(settings) as (app, bot):
        try:
            await bot.delete_webhook(drop_pending_updates=False)
        except TelegramAPIError as exc:
            logger.warning("deleteWebhook failed: %s", exc)
        runner = None
        if settings.api_port:
            runner = await serve_api(api_application(app), settings.api_host, settings.api_port)
        app.start_services(bot)
        try:
            await app.dispatcher.start_polling(bot, handle_signals=True,
                                               close_bot_session=False)
        finally:
            await app.stop_services()
            if runner is not None:
                await runner.cleanup()


def webhook_secret(settings: Settings) -> str:
    if settings.webhook_secret is not None:
        return settings.webhook_secret.get_secret_value()
    logger.warning("WEBHOOK_SECRET is not set; using a random one for this process "
                   "(set it when several instances share one webhook)")
    return secrets.token_urlsafe(32)


def web_application(app: Saual, bot: Bot, secret: str, *,
                    background: bool = True) -> web.Application:
    """The aiohttp application: the webhook route (secret-token checked), the
    HTTP API, /healthz and /metrics."""
    settings = app.settings
    web_app = web.Application()

    async def set_webhook(_web_app: web.Application) -> None:
        if settings.webhook_url:
            await bot.set_webhook(
                url=settings.webhook_url.rstrip("/") + settings.webhook_path,
                secret_token=secret,
                allowed_updates=app.dispatcher.resolve_used_update_types(),
            )

    healthz_route(app, web_app)
    metrics_route(app.metrics, web_app)
    AnnouncementsAPI(app.announcements, app.staff).register(web_app)
    # Shutdown runs in registration order: the Dispatcher's shutdown (which
    # waits for answers in progress) must come before the handler closes the
    # bot's session.
    setup_application(web_app, app.dispatcher, bot=bot)
    web_app.on_startup.append(set_webhook)
    # TelegramWebhook: aiogram's handler, answering 400 to a body that is not an update.
    TelegramWebhook(dispatcher=app.dispatcher, bot=bot, secret_token=secret,
                    handle_in_background=background).register(web_app,
                                                              path=settings.webhook_path)
    return web_app


async def run_webhook(settings: Settings) -> None:
    """Serve the webhook until SIGINT/SIGTERM."""
    if not settings.webhook_url:
        raise ConfigurationError("WEBHOOK_URL is not set")
    async with serving(settings) as (app, bot):
        runner = web.AppRunner(web_application(app, bot, webhook_secret(settings)))
        await runner.setup()
        try:
            await web.TCPSite(runner, settings.webhook_host, settings.webhook_port).start()
            app.start_services(bot)
            logger.info("webhook listening on %s:%d%s", settings.webhook_host,
                        settings.webhook_port, settings.webhook_path)
            await until_stopped()
            logger.info("stopping")
            await app.stop_services()
        finally:
            await runner.cleanup()


# -- the outbox worker -----------------------------------------------------------------


def worker_application(metrics: Metrics, supervised: Supervisor,
                       failing_after: float) -> web.Application:
    """The worker's small server (METRICS_PORT): /metrics, and /healthz (503
    naming a loop that is dead or failing for longer than `failing_after`)."""
    web_app = web.Application()

    async def healthz(_request: web.Request) -> web.Response:
        bad = supervised.unhealthy(failing_after)
        body = {"status": "failing" if bad else "ok",
                "loops": {n: s.as_dict() for n, s in supervised.states.items()}}
        if bad:
            body["failing"] = bad
        return web.json_response(body, status=503 if bad else 200)

    web_app.router.add_get("/healthz", healthz)
    metrics_route(metrics, web_app)
    return web_app


async def run_worker(settings: Settings, *, until_empty: bool = False,
                     clock: Clock = SYSTEM) -> None:
    """Only the worker's loops (`saual worker`): the outbox, and the index build
    for published answers; no Dispatcher. Until SIGINT/SIGTERM, or until the
    outbox is empty with `until_empty`. With METRICS_PORT set, /metrics and
    /healthz are served on METRICS_HOST:METRICS_PORT meanwhile."""
    bot = make_bot(settings)
    async with contextlib.AsyncExitStack() as stack:  # closed in the reverse order
        stack.push_async_callback(bot.session.close)
        storage = await stack.enter_async_context(database(settings, clock))
        metrics = Metrics(storage, clock)
        services = wire(settings, storage, clock, observer=metrics)
        stack.push_async_callback(services.close)
        outbox = services.delivery(bot)
        supervised = supervisor(settings, clock)
        metrics.watch(supervised, settings.health_failing_after)
        if settings.metrics_port:
            runner = await serve_api(
                worker_application(metrics, supervised, settings.health_failing_after),
                settings.metrics_host, settings.metrics_port, what="metrics")
            stack.push_async_callback(runner.cleanup)
        stack.push_async_callback(supervised.stop)
        task = supervised.keep("delivery", lambda beat: outbox.run(until_empty=until_empty,
                                                                   beat=beat))
        supervised.every("publication", settings.publish_interval,
                         publisher(storage, settings, clock=clock.time).run_once)
        await until_stopped(task)
