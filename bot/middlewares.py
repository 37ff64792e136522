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

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, Update
from aiogram.types import User as TelegramUser
from aiogram.types.update import UpdateTypeLookupError
from aiogram.utils.formatting import Text
from aiogram.utils.i18n import I18nMiddleware
from aiogram.utils.i18n import gettext as _

from .services import Users, Verdict, choose_locale
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
    """Puts the user's record in `data["user"]`, creating it on first contact.

    Updates without a user (channel posts and the like) are not for this bot
    and are dropped here.
    """

    def __init__(self, users: Users):
        self.users = users

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]):
        tg_user: TelegramUser | None = data.get("event_from_user")
        if tg_user is None or tg_user.is_bot:
            return None
        data["user"] = await self.users.seen(tg_user.id)
        return await handler(event, data)


class LocaleMiddleware(I18nMiddleware):
    """The interface language: the saved choice, else Telegram's language (kk/ru)."""

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user = data.get("user")
        tg_user: TelegramUser | None = data.get("event_from_user")
        locale = choose_locale(user.language if user else None,
                               tg_user.language_code if tg_user else None)
        data["locale"] = locale
        return locale


class Limiter(Protocol):
    async def check(self, key: int) -> Verdict: ...


class FloodMiddleware(BaseMiddleware):
    """At most `limit` messages and button presses per user in a time window:
    a FloodLimiter in this process, or the RedisFloodLimiter every instance shares."""

    def __init__(self, limiter: Limiter):
        self.limiter = limiter

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]):
        tg_user: TelegramUser | None = data.get("event_from_user")
        if tg_user is None:
            return await handler(event, data)
        verdict = await self.limiter.check(tg_user.id)
        if verdict is Verdict.PASS:
            return await handler(event, data)
        logger.info("flood limit: user %d, %s", tg_user.id, verdict.value)
        text = _("Too many messages at once. Please wait a few seconds.")
        if isinstance(event, CallbackQuery):
            await event.answer(text)  # a button press must always be answered
        elif isinstance(event, Message) and verdict is Verdict.WARN:
            await event.answer(**Text(text).as_kwargs())
        return None
