"""One error handler, and an answer for buttons nothing else handles."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.exceptions import TelegramForbiddenError
from aiogram.types import CallbackQuery, ErrorEvent
from aiogram.utils.formatting import Text
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from embeddings import Lang

from ..services import StaffChats, Users

logger = logging.getLogger(__name__)


async def _refused(exc: TelegramForbiddenError, staff: StaffChats, users: Users) -> int | None:
    """Telegram refused to write to a chat (403): only that chat is marked. A
    linked staff chat (the bot was removed from the group) is unlinked; a private
    chat (its id is its user's) marks that user blocked; any other chat, nobody.
    The refusing chat's id, or None when the call named none."""
    chat_id = getattr(exc.method, "chat_id", None)
    if not isinstance(chat_id, int):
        logger.warning("a 403 for no chat id (%s): nobody is marked", type(exc.method).__name__)
        return None
    if await staff.chat(chat_id):
        await staff.unlink(chat_id=chat_id)
    elif chat_id > 0:
        logger.info("the user %d blocked the bot", chat_id)
        await users.set_blocked(chat_id, True)
    else:
        logger.warning("chat %d refused the bot: not a linked chat, nobody is marked", chat_id)
    return chat_id


async def on_error(event: ErrorEvent, bot: Bot, users: Users, staff: StaffChats, i18n: I18n,
                   locale: str = Lang.RU) -> None:
    update = event.update
    chat_id = None
    if update.message:
        chat_id = update.message.chat.id
    elif update.callback_query:
        chat_id = update.callback_query.from_user.id
    if isinstance(event.exception, TelegramForbiddenError):
        refused = await _refused(event.exception, staff, users)
        logger.info("update %d: chat %s refused the bot", update.update_id, refused)
        if refused is None or refused == chat_id:  # nothing can be said there
            return
    # (logger.exception, with the exception named: this runs inside aiogram's
    # `except`, but saying which exception does not depend on that.)
    logger.error("update %d (%s) failed", update.update_id, update.event_type,
                 exc_info=event.exception)
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
