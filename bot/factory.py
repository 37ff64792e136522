"""The composition root: the only place that builds the bot's objects.

:class:`Saual` loads the index and the encoder, opens and migrates the
database, builds the services and the Dispatcher (services go in as
Dispatcher keyword arguments and reach handlers by parameter name), and owns
their shutdown. :func:`run_polling` and :func:`run_webhook` serve Telegram;
``bot.console`` drives the same Dispatcher from a terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
from pathlib import Path

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import BotCommand
from aiogram.utils.callback_answer import CallbackAnswerMiddleware
from aiogram.utils.i18n import I18n
from aiogram.webhook.aiohttp_server import setup_application
from aiohttp import web

from embeddings import EmbeddingsError, Encoder, SearchEngine, load_index, make_encoder

from .api import AnnouncementsAPI, TelegramWebhook
from .clock import SYSTEM, Clock
from .config import Settings
from .delivery import TelegramCourier
from .feedfetch import build_feeds
from .handlers import routers
from .handlers.start import commands
from .handlers.ticket_posts import send_reminders
from .middlewares import FloodMiddleware, InFlight, LocaleMiddleware, UserMiddleware
from .services import (
    LANGS,
    Announcements,
    Answers,
    Catalog,
    Delivery,
    Directory,
    FloodLimiter,
    StaffChats,
    Stations,
    Subscriptions,
    Supervisor,
    Tickets,
    Users,
)
from .services.feeds import Feeds
from .storage import Storage

logger = logging.getLogger(__name__)

LOCALES = Path(__file__).parent / "locales"
# No parse mode: every text is sent as text + entities (aiogram.utils.formatting),
# so nothing a user or a knowledge file contains is ever parsed as markup.
DEFAULTS = DefaultBotProperties(link_preview_is_disabled=True)


class ConfigurationError(Exception):
    """A setting needed for the requested mode is missing or wrong."""


def build_i18n() -> I18n:
    return I18n(path=LOCALES, default_locale="ru", domain="messages")


def load_engine(settings: Settings, encoder: Encoder | None = None) -> SearchEngine:
    """Load the published index build (blocking: run it in a thread)."""
    encoder = encoder or make_encoder(settings.encoder)
    index = load_index(settings.index_dir, encoder)
    return SearchEngine(index, encoder, settings.search_config(), settings.index_dir)


class Saual:
    """The running application: engine, storage, services and Dispatcher."""

    def __init__(
        self,
        settings: Settings,
        engine: SearchEngine,
        storage: Storage,
        *,
        clock: Clock = SYSTEM,
        fsm: BaseStorage | None = None,
    ):
        self.settings = settings
        self.clock = clock
        self.engine = engine
        self.storage = storage
        self.fsm = fsm or conversation_storage(settings)
        self.i18n = build_i18n()
        self.catalog = Catalog(engine)
        self.users = Users(storage)
        self.directory = Directory.load(settings.knowledge_dir)
        self.answers = Answers(engine, storage, self.catalog, self.directory,
                               results=settings.answer_results,
                               suggest_min_confidence=settings.suggest_min_confidence)
        self.stations = Stations(storage, settings.stations_config())
        self.subscriptions = Subscriptions(storage, self.directory)
        self.staff = StaffChats(storage, self.directory.agencies,
                                code_ttl=settings.staff_code_ttl, clock=clock.time)
        self.announcements = Announcements(storage, self.directory, clock=clock.time)
        self.feeds = build_feeds(storage, self.announcements, settings, clock)
        self.tickets = Tickets(storage, engine, self.directory, settings.knowledge_dir,
                               settings.index_dir,
                               settings.tickets_config(), clock=clock.time)
        self.supervisor = supervisor(settings, clock)
        self._delivery: Delivery | None = None
        self.limiter = FloodLimiter(settings.flood_limit, settings.flood_window,
                                    clock.monotonic)
        self.inflight = InFlight()
        self.dispatcher = self._build_dispatcher()

    @classmethod
    async def create(cls, settings: Settings, *, encoder: Encoder | None = None,
                     clock: Clock = SYSTEM, fsm: BaseStorage | None = None) -> Saual:
        engine = await asyncio.to_thread(load_engine, settings, encoder)
        storage = Storage.from_url(settings.database_url, clock=clock)
        try:
            await storage.migrate()
            # Warm the encoder and the search path before the first citizen waits.
            await engine.asearch("eGov", k=1)
            app = cls(settings, engine, storage, clock=clock, fsm=fsm)
            await app.stations.load()
        except BaseException:
            engine.close()
            await storage.close()
            raise
        logger.info("serving index build %s", engine.index.build_id)
        return app

    def _build_dispatcher(self) -> Dispatcher:
        dp = Dispatcher(name="saual", storage=self.fsm, answers=self.answers,
                        catalog=self.catalog,
                        users=self.users, stations=self.stations, i18n=self.i18n,
                        subs=self.subscriptions, staff=self.staff,
                        announcements=self.announcements, tickets=self.tickets)
        dp.update.outer_middleware(self.inflight)
        dp.update.outer_middleware(UserMiddleware(self.users))
        dp.update.outer_middleware(LocaleMiddleware(self.i18n))
        flood = FloodMiddleware(self.limiter)
        dp.message.outer_middleware(flood)
        dp.callback_query.outer_middleware(flood)
        dp.callback_query.middleware(CallbackAnswerMiddleware())
        dp.include_routers(*routers())
        dp.startup.register(self._on_startup)
        dp.shutdown.register(self._on_shutdown)
        return dp

    def bot(self, session: BaseSession | None = None, token: str | None = None) -> Bot:
        """A Bot for the configured Bot API server (or the given session)."""
        if token is None:
            if self.settings.bot_token is None:
                raise ConfigurationError("BOT_TOKEN is not set")
            token = self.settings.bot_token.get_secret_value()
        if session is None:
            session = AiohttpSession(api=TelegramAPIServer.from_base(
                self.settings.telegram_api_base))
        return Bot(token, session=session, default=DEFAULTS)

    # -- lifecycle -----------------------------------------------------------
    async def _on_startup(self, bot: Bot) -> None:
        await self.register_commands(bot)
        # Pick up a newly published index build, and precincts imported by
        # `saual stations import` in another process, even when nobody is asking.
        every = self.engine.config.reload_every
        if "index-reload" not in self.supervisor:
            self.supervisor.every("index-reload", every, self.reload_index, first_after=every)
        if "stations-refresh" not in self.supervisor:
            self.supervisor.every("stations-refresh", every, self.stations.refresh,
                                  first_after=every)

    async def _on_shutdown(self) -> None:
        await self.inflight.drain(self.settings.shutdown_timeout)
        await self.supervisor.stop("index-reload", "stations-refresh")

    async def register_commands(self, bot: Bot) -> None:
        """setMyCommands in Kazakh and Russian, and Russian as the default."""
        for lang in (*LANGS, None):
            with self.i18n.context(), self.i18n.use_locale(lang or "ru"):
                listed = [BotCommand(command=c, description=d) for c, d in commands()]
            try:
                await bot.set_my_commands(listed, language_code=lang)
            except TelegramAPIError as exc:  # the bot still works without a command list
                logger.warning("setMyCommands(%s) failed: %s", lang or "default", exc)

    async def reload_index(self) -> None:
        """Load a newly published build; a build that does not load is refused
        and the old one serves (any other error goes to the supervisor)."""
        try:
            await asyncio.to_thread(self.engine.reload, True)
        except EmbeddingsError as exc:
            logger.error("index reload failed, still serving %s: %s",
                         self.engine.index.build_id, exc)

    # -- announcements: the outbox worker and the feed poller ----------------------
    def start_services(self, bot: Bot) -> None:
        """Start draining the outbox (unless DELIVERY_ENABLED is false), polling
        feeds and reminding staff chats, each a supervised loop."""
        if "feeds" in self.supervisor:
            return
        if self.settings.delivery_enabled:
            self._delivery = delivery(self.storage, bot, self.directory, self.settings,
                                      self.clock)
            self.supervisor.keep("delivery", lambda beat: self._delivery.run(beat=beat))
        self.supervisor.every("feeds", self.settings.feed_poll_interval,
                              lambda: poll_feeds(self.feeds))
        self.supervisor.every("qa-reminders", self.settings.qa_remind_interval,
                              lambda: self.remind(bot))

    async def remind(self, bot: Bot) -> int:
        """Send the due staff-chat reminders once, each in its chat's language."""
        due = await self.tickets.reminders()
        with self.i18n.context():
            await send_reminders(bot, self.i18n, self.tickets, due)
        return len(due)

    async def stop_services(self) -> None:
        await self.supervisor.stop("delivery", "feeds", "qa-reminders")

    def health(self) -> tuple[int, dict]:
        """/healthz: 503 naming the background loops that are dead or failing
        for longer than HEALTH_FAILING_AFTER, else 200."""
        bad = self.supervisor.unhealthy(self.settings.health_failing_after)
        body = {"status": "failing" if bad else "ok", "index": self.engine.index.build_id,
                "in_flight": self.inflight.count,
                "loops": {n: s.as_dict() for n, s in self.supervisor.states.items()}}
        if bad:
            body["failing"] = bad
        return (503 if bad else 200), body

    async def close(self) -> None:
        await self.stop_services()
        await self.supervisor.stop()
        self.engine.close()
        await self.fsm.close()
        await self.storage.close()


# -- serving -------------------------------------------------------------------


def conversation_storage(settings: Settings) -> BaseStorage:
    """Where conversation states live: Redis (REDIS_URL) when several instances
    serve the bot, so a reply may reach another instance than the question; else
    the process's memory."""
    if not settings.redis_url:
        return MemoryStorage()
    from aiogram.fsm.storage.redis import RedisStorage  # needs the `redis` extra

    return RedisStorage.from_url(settings.redis_url, state_ttl=settings.fsm_ttl,
                                 data_ttl=settings.fsm_ttl)


def supervisor(settings: Settings, clock: Clock = SYSTEM) -> Supervisor:
    return Supervisor(clock=clock.monotonic, backoff=settings.loop_backoff,
                      backoff_max=settings.loop_backoff_max)


def delivery(storage: Storage, bot: Bot, directory: Directory, settings: Settings,
             clock: Clock = SYSTEM) -> Delivery:
    courier = TelegramCourier(bot, directory, timeout=settings.delivery_timeout)
    return Delivery(storage, courier, settings.delivery_config(), clock=clock.time)


async def poll_feeds(feeds: Feeds) -> None:
    queued = await feeds.poll_all()
    if queued:
        logger.info("feeds: %d new announcements", queued)


async def worker(settings: Settings, *, until_empty: bool = False) -> None:
    """Only the outbox worker (`saual worker`): no index, no Dispatcher."""
    storage = Storage.from_url(settings.database_url)
    try:
        await storage.migrate()
        directory = Directory.load(settings.knowledge_dir)
        bot = Bot(settings.bot_token.get_secret_value(), default=DEFAULTS,
                  session=AiohttpSession(api=TelegramAPIServer.from_base(
                      settings.telegram_api_base)))
        try:
            outbox = delivery(storage, bot, directory, settings)
            supervised = supervisor(settings)
            task = supervised.keep("delivery", lambda beat: outbox.run(until_empty=until_empty,
                                                                       beat=beat))
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(sig, task.cancel)
            with contextlib.suppress(asyncio.CancelledError):
                await task
            await supervised.stop()
        finally:
            await bot.session.close()
    finally:
        await storage.close()


def healthz_route(app: Saual, web_app: web.Application) -> None:
    async def healthz(_request: web.Request) -> web.Response:
        status, body = app.health()
        return web.json_response(body, status=status)

    web_app.router.add_get("/healthz", healthz)


def api_application(app: Saual) -> web.Application:
    """Only the HTTP API and /healthz (polling mode's API_PORT, `saual api`)."""
    web_app = web.Application()
    healthz_route(app, web_app)
    AnnouncementsAPI(app.announcements, app.staff).register(web_app)
    return web_app


async def serve_api(web_app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(web_app)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    logger.info("HTTP API listening on %s:%d", host, port)
    return runner


async def run_polling(settings: Settings) -> None:
    """Long polling until SIGINT/SIGTERM; answers in progress are let finish."""
    app = await Saual.create(settings)
    try:
        bot = app.bot()
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
            await bot.session.close()
    finally:
        await app.close()


def webhook_secret(settings: Settings) -> str:
    if settings.webhook_secret is not None:
        return settings.webhook_secret.get_secret_value()
    logger.warning("WEBHOOK_SECRET is not set; using a random one for this process "
                   "(set it when several instances share one webhook)")
    return secrets.token_urlsafe(32)


def web_application(app: Saual, bot: Bot, secret: str, *,
                    background: bool = True) -> web.Application:
    """The aiohttp application: the webhook route (secret-token checked) and /healthz."""
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
    app = await Saual.create(settings)
    try:
        bot = app.bot()
        runner = web.AppRunner(web_application(app, bot, webhook_secret(settings)))
        await runner.setup()
        try:
            await web.TCPSite(runner, settings.webhook_host, settings.webhook_port).start()
            app.start_services(bot)
            logger.info("webhook listening on %s:%d%s", settings.webhook_host,
                        settings.webhook_port, settings.webhook_path)
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError):
                    loop.add_signal_handler(sig, stop.set)
            await stop.wait()
            logger.info("stopping")
            await app.stop_services()
        finally:
            await runner.cleanup()
    finally:
        await app.close()
