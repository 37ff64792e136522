"""Deep links (``/start <payload>`` in a private chat): a page, the polling-station
lookup, a question to an agency, an agency's news, or the help
(:mod:`bot.services.links`). A payload that is not one of these, or names a
topic or agency the bot does not serve, gets the ordinary /start. Opening a
link ends whatever the user was in the middle of (an address being asked, a
question being written): the link is a new beginning."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.filters import CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from aiogram.utils.formatting import Bold, Text
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from ..services import Catalog, Stations, Subscriptions, Tickets, User, links
from . import cards, keyboards, start
from . import stations as station_handlers
from . import tickets as ticket_handlers
from .replies import send

logger = logging.getLogger(__name__)


async def opened(message: Message, command: CommandObject, bot: Bot, state: FSMContext,
                 catalog: Catalog, stations: Stations, subs: Subscriptions,
                 tickets: Tickets, user: User, locale: str, i18n: I18n) -> None:
    target = links.parse(command.args or "")
    if target is None:
        logger.info("user %d opened a link the bot does not know (%d characters)", user.id,
                    len(command.args or ""))
        await start.start(message, bot, i18n)
        return
    await state.clear()
    chat = message.chat.id
    if target.kind is links.Kind.TOPIC:
        lang = target.lang or locale
        page = catalog.page(target.id, lang)
        if page is None:
            await start.start(message, bot, i18n)
            return
        with i18n.use_locale(lang):
            text, truncated = cards.page_card(page)
            await send(bot, chat, text, keyboards.page(page, in_menu=False, truncated=truncated))
    elif target.kind is links.Kind.STATIONS:
        await station_handlers.begin(bot, chat, state, stations, locale)
    elif target.kind is links.Kind.ASK:
        await ticket_handlers.begin(chat, bot, state, tickets, user, "", locale)
    elif target.kind is links.Kind.HELP:
        await start.help_(message, bot)
    elif target.id in subs.directory.agencies:
        followed = target.id in (await subs.following(user.id)).agencies
        name = subs.directory.name(target.id, locale)
        if followed:
            content = Text(Bold(name), "\n\n", _("You already follow this agency's news."))
            markup = keyboards.subscriptions_button()
        else:
            content = Text(Bold(name), "\n\n", _(
                "Follow this agency's news? Its announcements will come here, in the bot; "
                "you can stop them at any time with /stop."))
            markup = keyboards.follow_agency(target.id)
        await send(bot, chat, content, markup)
    else:
        await start.start(message, bot, i18n)
        return
    logger.info("user %d opened the deep link %s", user.id, target.payload)


def build() -> Router:
    router = Router(name=__name__)
    router.message.register(opened, CommandStart(deep_link=True), F.chat.type == "private")
    return router

