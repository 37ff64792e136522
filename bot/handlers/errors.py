"""One error handler, and an answer for buttons nothing else handles."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramForbiddenError
from aiogram.types import CallbackQuery, ErrorEvent
from aiogram.utils.formatting import Text
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from ..services import Users

logger = logging.getLogger(__name__)


async def on_error(event: ErrorEvent, bot: Bot, users: Users, i18n: I18n,
                   locale: str = "ru") -> None:
    update = event.update
    if isinstance(event.exception, TelegramForbiddenError):
        # The user blocked the bot: nothing can be sent; remember it.
        who = update.event.from_user if hasattr(update.event, "from_user") else None
        logger.info("update %d: the user %s blocked the bot", update.update_id,
                    who.id if who else "?")
        if who:
            await users.set_blocked(who.id, True)
        return
    # (logger.exception, with the exception named: this runs inside aiogram's
    # `except`, but saying which exception does not depend on that.)
    logger.error("update %d (%s) failed", update.update_id, update.event_type,
                 exc_info=event.exception)
    chat_id = None
    if update.message:
        chat_id = update.message.chat.id
    elif update.callback_query:
        chat_id = update.callback_query.from_user.id
    if chat_id is None:
        return
    # The locale middleware's context has ended by now: set it again.
    with i18n.context(), i18n.use_locale(locale):
        text = _("Something went wrong on my side. Please try again a little later.")
    # (A button press was already answered by the callback-answer middleware.)
    try:
        await bot.send_message(chat_id=chat_id, **Text(text).as_kwargs())
    except Exception:
        logger.exception("update %d: could not tell the user about the error", update.update_id)


async def stale_button(callback: CallbackQuery) -> None:
    """A button from an older version of the bot, or one that does nothing now.

    Matching it is enough: the callback-answer middleware answers it, so the
    user's client stops waiting.
    """
    logger.debug("unhandled button %r", callback.data)


def build() -> Router:
    router = Router(name=__name__)
    router.errors.register(on_error)
    router.callback_query.register(stale_button)
    return router
