"""Middlewares: in-flight tracking, the user record, the locale, the flood limit.

Order (outer middlewares on updates, in registration order): the update
count (every update, even one dropped later) -> in-flight -> user -> locale;
then the flood limit on messages and callback queries, so its reply is
already localised.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiogram import BaseMiddleware, Bot
from aiogram.types import CallbackQuery, Chat, InlineQuery, Message, TelegramObject, Update
from aiogram.types import User as TelegramUser
from aiogram.types.update import UpdateTypeLookupError
from aiogram.utils.formatting import Text
from aiogram.utils.i18n import I18nMiddleware
from aiogram.utils.i18n import gettext as _

from .handlers import groups as group_chat
from .services import Groups, Users, Verdict, choose_locale
from .services.observe import Observer

logger = logging.getLogger(__name__)

Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class UpdateCounter(BaseMiddleware):
    """Counts every update by its type (the metrics' saual_updates_total)."""

    def __init__(self, observer: Observer):
        self.observer = observer

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]):
        kind = "other"
        if isinstance(event, Update):
            with contextlib.suppress(UpdateTypeLookupError):  # a type newer than aiogram
                kind = event.event_type
        self.observer.update(kind)
        return await handler(event, data)


class InFlight(BaseMiddleware):
    """Counts updates being handled, so shutdown can let them finish."""

    def __init__(self) -> None:
        self.count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]):
        self.count += 1
        self._idle.clear()
        try:
            return await handler(event, data)
        finally:
            self.count -= 1
            if not self.count:
                self._idle.set()

    async def drain(self, timeout: float) -> bool:
        """Wait until no update is in progress; False if `timeout` ran out first."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            logger.warning("%d updates still in progress after %.0fs; stopping anyway",
                           self.count, timeout)
            return False
        return True


class UserMiddleware(BaseMiddleware):
    """Puts the user's record in `data["user"]`.

    The record is created on first contact in a private chat (or a button
    press); in a group or in inline mode an existing one is read and nothing is
    written (:meth:`Users.seen`). Updates without a person behind them (channel
    posts, other bots) are not for this bot and are dropped here; a group's
    anonymous administrator (Telegram's GroupAnonymousBot, writing as the group)
    is a person.
    """

    def __init__(self, users: Users):
        self.users = users

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]):
        tg_user: TelegramUser | None = data.get("event_from_user")
        if tg_user is None or (tg_user.is_bot and not _anonymous_admin(event)):
            return None
        chat: Chat | None = data.get("event_chat")
        keep = (chat is not None and chat.type == "private") or (
            isinstance(event, Update) and event.callback_query is not None)
        data["user"] = await self.users.seen(tg_user.id, keep=keep)
        return await handler(event, data)


def _anonymous_admin(event: TelegramObject) -> bool:
    message = event.message if isinstance(event, Update) else None
    return message is not None and message.sender_chat is not None \
        and message.sender_chat.id == message.chat.id


class LocaleMiddleware(I18nMiddleware):
    """The interface language: the saved choice, else Telegram's language (kk/ru)."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user = data.get("user")
        tg_user: TelegramUser | None = data.get("event_from_user")
        locale = choose_locale(user.language if user else None,
                               tg_user.language_code if tg_user else None)
        data["locale"] = locale
        return locale


class GroupGate(BaseMiddleware):
    """Group messages: says in `data["addressed"]` whether one is for the bot (a
    command, a mention, a reply to the bot), and drops those in a group whose
    administrators said /quiet, except /quiet itself (to undo it)."""

    def __init__(self, groups: Groups):
        self.groups = groups

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]):
        if not isinstance(event, Message) or event.chat.type == "private":
            return await handler(event, data)
        bot: Bot = data["bot"]
        data["addressed"] = addressed = await group_chat.addressed(event, bot)
        if addressed and not await group_chat.is_quiet_command(event, bot) \
                and await self.groups.quiet(event.chat.id):
            return None
        return await handler(event, data)


class Limiter(Protocol):
    async def check(self, key: int) -> Verdict: ...


class FloodMiddleware(BaseMiddleware):
    """At most `limit` messages and button presses per user in a time window:
    a FloodLimiter in this process, or the RedisFloodLimiter every instance shares.

    In a group only what is addressed to the bot counts (with privacy mode off
    the bot sees every message there), and over the limit it keeps quiet there
    rather than write to everyone. Inline queries have a limiter of their own
    (clients send one as the user types): over it, an empty answer that no
    one else is served from Telegram's cache.
    """

    def __init__(self, limiter: Limiter):
        self.limiter = limiter

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]):
        tg_user: TelegramUser | None = data.get("event_from_user")
        if tg_user is None:
            return await handler(event, data)
        group = isinstance(event, Message) and event.chat.type != "private"
        if group and not data.get("addressed", True):  # see GroupGate
            return await handler(event, data)
        verdict = await self.limiter.check(tg_user.id)
        if verdict is Verdict.PASS:
            return await handler(event, data)
        logger.info("flood limit: user %d, %s", tg_user.id, verdict.value)
        text = _("Too many messages at once. Please wait a few seconds.")
        if isinstance(event, CallbackQuery):
            await event.answer(text)  # a button press must always be answered
        elif isinstance(event, InlineQuery):
            await event.answer([], cache_time=0, is_personal=True)
        elif isinstance(event, Message) and verdict is Verdict.WARN and not group:
            await event.answer(**Text(text).as_kwargs())
        return None
