"""The composition root: the only place that builds the bot's objects.

:func:`wire` builds the services that need neither the index nor Telegram
(directory, users, stations, subscriptions, staff chats, announcements,
feeds); the bot (:class:`Saual`), the outbox worker and the command line all
take them from it. :class:`Saual` adds the search engine, the services that
answer from it and the Dispatcher (services go in as Dispatcher keyword
arguments and reach handlers by parameter name), and owns their shutdown.
:func:`make_bot` is the one builder of a :class:`~aiogram.Bot`.
:mod:`bot.runners` serves them (polling, webhook, worker, HTTP API);
``bot.console`` drives the same Dispatcher from a terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import BotCommand, BotCommandScopeAllGroupChats, BotCommandScopeDefault
from aiogram.utils.callback_answer import CallbackAnswerMiddleware
from aiogram.utils.i18n import I18n

from embeddings import EmbeddingsError, Encoder, Lang, SearchEngine, load_index, make_encoder

from .clock import SYSTEM, Clock
from .config import Settings
from .delivery import TelegramCourier
from .feedfetch import build_feeds
from .handlers import routers
from .handlers.start import commands, group_commands
from .metrics import Metrics
from .middlewares import (
    FloodMiddleware,
    GroupGate,
    InFlight,
    LocaleMiddleware,
    UpdateCounter,
    UserMiddleware,
)
from .publisher import publisher
from .services import (
    LANGS,
    Announcements,
    Answers,
    Catalog,
    Delivery,
    Directory,
    FloodLimiter,
    Groups,
    Publication,
    Reviews,
    StaffChats,
    Stations,
    Subscriptions,
    Supervisor,
    Tickets,
    Users,
    Watches,
)
from .services.feeds import Feeds
from .services.gaps import Gap, gap_report
from .services.observe import UNOBSERVED, Observer
from .storage import TRANSIENT_DB_ERRORS, Storage
from .ticket_notifier import TelegramNotifier

if TYPE_CHECKING:
    from .services.sharedlimits import RedisFloodLimiter

logger = logging.getLogger(__name__)

LOCALES = Path(__file__).parent / "locales"
DIGEST_GAP_GROUPS = 200  # gap-report groups read for the weekly digests (then by agency)
# No parse mode: every text is sent as text + entities (aiogram.utils.formatting),
# so nothing a user or a knowledge file contains is ever parsed as markup.
DEFAULTS = DefaultBotProperties(link_preview_is_disabled=True)


class ConfigurationError(Exception):
    """A setting needed for the requested mode is missing or wrong."""


def build_i18n() -> I18n:
    return I18n(path=LOCALES, default_locale=Lang.RU, domain="messages")


def load_engine(settings: Settings, encoder: Encoder | None = None) -> SearchEngine:
    """Load the published index build (blocking: run it in a thread)."""
    encoder = encoder or make_encoder(settings.encoder)
    index = load_index(settings.index_dir, encoder)
    return SearchEngine(index, encoder, settings.search_config(), settings.index_dir)


def make_bot(settings: Settings, session: BaseSession | None = None,
             token: str | None = None) -> Bot:
    """A Bot for the configured Bot API server (or the given session); refuses
    to build one without BOT_TOKEN."""
    if token is None:
        if settings.bot_token is None:
            raise ConfigurationError("BOT_TOKEN is not set (see .env.example)")
        token = settings.bot_token.get_secret_value()
    if session is None:
        session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_base))
    return Bot(token, session=session, default=DEFAULTS)


@dataclass
class Services:
    """What every process of Saual serves from the database: the bot, the
    outbox worker and the command line."""

    settings: Settings
    clock: Clock
    storage: Storage
    directory: Directory
    users: Users
    stations: Stations
    subscriptions: Subscriptions
    staff: StaffChats
    announcements: Announcements
    feeds: Feeds
    watches: Watches
    groups: Groups  # community groups: which ones said /quiet
    redis: Any = None  # the client of the shared limits (REDIS_URL), else None
    owns_redis: bool = False  # made by wire(), so closed by close()
    observer: Observer = UNOBSERVED  # the process's metrics

    def delivery(self, bot: Bot) -> Delivery:
        """The outbox worker, sending through `bot`, at the pace shared in Redis
        by every worker when there is one."""
        courier = TelegramCourier(bot, self.directory, timeout=self.settings.delivery_timeout,
                                  i18n=build_i18n())
        config = self.settings.delivery_config()
        pacer = None
        if self.redis is not None:
            from .services.sharedlimits import RedisPacer

            pacer = RedisPacer(self.redis, config.rate, config.chat_interval, self.clock.time,
                               asyncio.sleep, prefix=self.settings.redis_prefix)
        return Delivery(self.storage, courier, config, clock=self.clock.time, pacer=pacer,
                        observer=self.observer)

    def flood_limiter(self, scope: str = "") -> FloodLimiter | RedisFloodLimiter:
        """The per-user flood limit: shared in Redis when there is one (falling
        back to this process's own while Redis is down), else this process's.
        A `scope` ("inline") counts apart from messages and buttons."""
        settings = self.settings
        local = FloodLimiter(settings.flood_limit, settings.flood_window, self.clock.monotonic)
        if self.redis is None:
            return local
        from .services.sharedlimits import RedisFloodLimiter

        prefix = f"{settings.redis_prefix}:{scope}" if scope else settings.redis_prefix
        return RedisFloodLimiter(self.redis, settings.flood_limit, settings.flood_window,
                                 self.clock.time, prefix=prefix, fallback=local)

    async def close(self) -> None:
        """Close what wire() opened (the database is its opener's)."""
        if self.owns_redis and self.redis is not None:
            await self.redis.aclose()


def wire(settings: Settings, storage: Storage, clock: Clock = SYSTEM,
         redis: Any = None, *, observer: Observer = UNOBSERVED) -> Services:
    """The one wiring of the services over `storage` (agencies.yaml read once);
    the shared limits use `redis`, else a client of REDIS_URL when it is set;
    what the services do is counted by `observer` (the process's metrics)."""
    owns_redis = redis is None and bool(settings.redis_url)
    if owns_redis:
        redis = redis_client(settings)
    directory = Directory.load(settings.knowledge_dir)
    announcements = Announcements(storage, directory, clock=clock.time)
    return Services(
        settings=settings, clock=clock, storage=storage, directory=directory,
        users=Users(storage), stations=Stations(storage, settings.stations_config()),
        subscriptions=Subscriptions(storage, directory),
        staff=StaffChats(storage, directory.agencies, code_ttl=settings.staff_code_ttl,
                         clock=clock.time),
        announcements=announcements,
        feeds=build_feeds(storage, announcements, settings, clock, observer),
        watches=Watches(storage, clock=clock.time),
        groups=Groups(storage),
        redis=redis, owns_redis=owns_redis,
        observer=observer,
    )


@contextlib.asynccontextmanager
async def database(settings: Settings, clock: Clock = SYSTEM) -> AsyncIterator[Storage]:
    """The database opened (its rows stamped by `clock`) and brought to the newest
    migration; closed on the way out."""
    storage = Storage.from_url(settings.database_url, clock=clock)
    try:
        await storage.migrate()
        yield storage
    finally:
        await storage.close()


@contextlib.asynccontextmanager
async def opened(settings: Settings, clock: Clock = SYSTEM,
                 observer: Observer = UNOBSERVED) -> AsyncIterator[Services]:
    """The services wired over the opened database (the worker and the command line)."""
    async with database(settings, clock) as storage:
        services = wire(settings, storage, clock, observer=observer)
        try:
            yield services
        finally:
            await services.close()


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
        redis: Any = None,
    ):
        self.settings = settings
        self.clock = clock
        self.engine = engine
        self.storage = storage
        self.fsm = fsm or conversation_storage(settings)
        self.i18n = build_i18n()
        self.metrics = Metrics(storage, clock)  # this process's /metrics
        self.services = services = wire(settings, storage, clock, redis,
                                             observer=self.metrics)
        self.directory, self.users = services.directory, services.users
        self.stations, self.subscriptions = services.stations, services.subscriptions
        self.staff, self.announcements = services.staff, services.announcements
        self.feeds, self.watches = services.feeds, services.watches
        self.groups = services.groups
        self._facts_build: str | None = None  # the build last compared with page_facts
        self.catalog = Catalog(engine)
        self.answers = Answers(engine, storage, self.catalog, self.directory,
                               results=settings.answer_results,
                               suggest_min_confidence=settings.suggest_min_confidence,
                               watches=self.watches, observer=self.metrics)
        self.publication = Publication(storage, engine, self.directory, clock=clock.time)
        self.reviews = Reviews(storage, self.catalog, review_days=settings.review_days,
                               clock=clock.time)
        self.publisher = publisher(storage, settings, engine.encoder, clock.time)
        self.tickets = Tickets(storage, engine, self.directory, settings.tickets_config(),
                               clock=clock.time, staff=self.staff, publication=self.publication)
        self.notifier = TelegramNotifier(self.i18n, self.directory)  # ticket cards, reminders
        self.supervisor = supervisor(settings, clock)
        self.metrics.watch(self.supervisor, settings.health_failing_after)
        self._delivery: Delivery | None = None
        self.limiter = services.flood_limiter()
        self.inline_limiter = services.flood_limiter("inline")
        self.inflight = InFlight()
        self.dispatcher = self._build_dispatcher()

    @classmethod
    async def create(cls, settings: Settings, *, encoder: Encoder | None = None,
                     clock: Clock = SYSTEM, fsm: BaseStorage | None = None,
                     redis: Any = None) -> Saual:
        engine = await asyncio.to_thread(load_engine, settings, encoder)
        storage = Storage.from_url(settings.database_url, clock=clock)
        try:
            await storage.migrate()
            # Warm the encoder and the search path before the first citizen waits.
            await engine.asearch("eGov", k=1)
            app = cls(settings, engine, storage, clock=clock, fsm=fsm, redis=redis)
            await app.stations.load()
            await app.reviews.refresh()
        except BaseException:
            engine.close()
            await storage.close()
            raise
        try:
            await app.check_changes()
        except Exception:  # answering comes first; the reload loop tries again
            logger.exception("build %s: change notices not checked", engine.index.build_id)
        logger.info("serving index build %s", engine.index.build_id)
        return app

    def _build_dispatcher(self) -> Dispatcher:
        dp = Dispatcher(name="saual", storage=self.fsm, answers=self.answers,
                        catalog=self.catalog,
                        users=self.users, stations=self.stations, i18n=self.i18n,
                        subs=self.subscriptions, staff=self.staff,
                        announcements=self.announcements, tickets=self.tickets,
                        publication=self.publication, notifier=self.notifier,
                        reviews=self.reviews, watches=self.watches, groups=self.groups)
        dp.update.outer_middleware(UpdateCounter(self.metrics))
        dp.update.outer_middleware(self.inflight)
        dp.update.outer_middleware(UserMiddleware(self.users))
        dp.update.outer_middleware(LocaleMiddleware(self.i18n))
        dp.message.outer_middleware(GroupGate(self.groups))  # before the flood limit
        flood = FloodMiddleware(self.limiter)
        dp.message.outer_middleware(flood)
        dp.callback_query.outer_middleware(flood)
        dp.inline_query.outer_middleware(FloodMiddleware(self.inline_limiter))
        dp.callback_query.middleware(CallbackAnswerMiddleware())
        dp.include_routers(*routers())
        dp.startup.register(self._on_startup)
        dp.shutdown.register(self._on_shutdown)
        return dp

    def bot(self, session: BaseSession | None = None, token: str | None = None) -> Bot:
        """A Bot for the configured Bot API server (or the given session)."""
        return make_bot(self.settings, session, token)

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
        if "reviews-refresh" not in self.supervisor:  # staff confirmations by other instances
            self.supervisor.every("reviews-refresh", every, self.reviews.refresh,
                                  first_after=every)

    async def _on_shutdown(self) -> None:
        await self.inflight.drain(self.settings.shutdown_timeout)
        await self.supervisor.stop("index-reload", "stations-refresh", "reviews-refresh")

    async def register_commands(self, bot: Bot) -> None:
        """setMyCommands in Kazakh and Russian, and Russian as the default: the
        citizens' commands in private chats, /help and /quiet in groups."""
        for lang in (*LANGS, None):
            for which, scope in ((commands, BotCommandScopeDefault()),
                                 (group_commands, BotCommandScopeAllGroupChats())):
                with self.i18n.context(), self.i18n.use_locale(lang or Lang.RU):
                    listed = [BotCommand(command=c, description=d) for c, d in which()]
                try:
                    await bot.set_my_commands(listed, scope=scope, language_code=lang)
                except TelegramAPIError as exc:  # the bot still works without a command list
                    logger.warning("setMyCommands(%s, %s) failed: %s", lang or "default",
                                   scope.type, exc)

    async def reload_index(self) -> None:
        """Load a newly published build; a build that does not load is refused
        and the old one serves (any other error goes to the supervisor). Then
        the build's pages are compared with their stored facts (answer-change
        notices), until that succeeds once per build."""
        try:
            await asyncio.to_thread(self.engine.reload, True)
        except EmbeddingsError as exc:
            logger.error("index reload failed, still serving %s: %s",
                         self.engine.index.build_id, exc)
        await self.check_changes()

    async def check_changes(self) -> None:
        """Compare the build in service with the pages' stored facts, once per
        build: queue the notices of material changes. A database that is
        unavailable only delays it to the next reload tick."""
        index = self.engine.index
        if index.build_id == self._facts_build:
            return
        try:
            report = await self.watches.check(index)
        except TRANSIENT_DB_ERRORS as exc:
            logger.warning("build %s not compared with the pages' facts yet: database "
                           "unavailable (%s)", index.build_id, type(exc).__name__)
            return
        self._facts_build = index.build_id
        logger.info("build %s compared with the pages' facts: %s", index.build_id, report)

    # -- announcements: the outbox worker and the feed poller ----------------------
    def start_services(self, bot: Bot) -> None:
        """Start draining the outbox and building the index for published answers
        (unless DELIVERY_ENABLED is false), polling feeds and reminding staff
        chats, each a supervised loop."""
        if "feeds" in self.supervisor:
            return
        if self.settings.delivery_enabled:
            self._delivery = self.services.delivery(bot)
            self.supervisor.keep("delivery", lambda beat: self._delivery.run(beat=beat))
            self.supervisor.every("publication", self.settings.publish_interval,
                                  self.publisher.run_once)
        self.supervisor.every("feeds", self.settings.feed_poll_interval,
                              lambda: poll_feeds(self.feeds))
        self.supervisor.every("qa-reminders", self.settings.qa_remind_interval,
                              lambda: self.remind(bot))
        self.supervisor.every("staff-digest", self.settings.digest_interval,
                              lambda: self.send_digests(bot))

    async def remind(self, bot: Bot) -> int:
        """Send the due staff-chat reminders once, each in its chat's language."""
        return await self.tickets.remind(self.notifier.via(bot))

    async def send_digests(self, bot: Bot) -> int:
        """Send this week's digest to every linked staff chat that has not had it."""
        chats = await self.storage.staff.all_chats()
        return await self.reviews.send_digests(chats, await self.tickets.report(),
                                               self.notifier.via(bot).digest, self.gaps)

    async def gaps(self, since: float) -> list[Gap]:
        """The groups of questions not answered since `since`, each with its agency."""
        report = await gap_report(self.storage, self.engine, self.directory.agencies, since,
                                  limit=DIGEST_GAP_GROUPS)
        return report.gaps

    async def stop_services(self) -> None:
        await self.supervisor.stop("delivery", "publication", "feeds", "qa-reminders",
                                   "staff-digest")

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
        await self.services.close()
        await self.storage.close()





def conversation_storage(settings: Settings) -> BaseStorage:
    """Where conversation states live: Redis (REDIS_URL) when several instances
    serve the bot, so a reply may reach another instance than the question; else
    the process's memory."""
    if not settings.redis_url:
        return MemoryStorage()
    from aiogram.fsm.storage.redis import RedisStorage  # needs the `redis` extra

    return RedisStorage.from_url(settings.redis_url, state_ttl=settings.fsm_ttl,
                                 data_ttl=settings.fsm_ttl)


def redis_client(settings: Settings) -> Any:
    """A client of REDIS_URL for the shared limits (connects on first use);
    a command slower than REDIS_TIMEOUT fails, and the limits fall back to the
    process's own."""
    from redis.asyncio import Redis  # needs the `redis` extra

    return Redis.from_url(settings.redis_url, socket_timeout=settings.redis_timeout,
                          socket_connect_timeout=settings.redis_timeout)


def supervisor(settings: Settings, clock: Clock = SYSTEM) -> Supervisor:
    return Supervisor(clock=clock.monotonic, backoff=settings.loop_backoff,
                      backoff_max=settings.loop_backoff_max)

async def poll_feeds(feeds: Feeds) -> None:
    queued = await feeds.poll_all()
    if queued:
        logger.info("feeds: %d new announcements", queued)
