"""/menu: sections -> topics -> page, within three taps, in one edited message."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.i18n import gettext as _

from ..services import Catalog
from . import cards, keyboards
from .callbacks import FullCB, MenuCB, TopicCB
from .replies import present, send, show


async def menu(message: Message, bot: Bot, catalog: Catalog, locale: str) -> None:
    await send(bot, message.chat.id, cards.menu_root(),
               keyboards.categories(catalog.categories(locale)))


async def navigate(callback: CallbackQuery, callback_data: MenuCB, bot: Bot, catalog: Catalog,
                   locale: str) -> None:
    topics = catalog.topics(callback_data.cat, locale) if callback_data.cat else []
    if topics:
        text = cards.menu_category(catalog.category_title(callback_data.cat, locale))
        markup = keyboards.topics(topics)
    else:
        text, markup = cards.menu_root(), keyboards.categories(catalog.categories(locale))
    await present(bot, callback, text, markup, new=callback_data.new)


async def topic(callback: CallbackQuery, callback_data: TopicCB, bot: Bot, catalog: Catalog,
                locale: str, callback_answer: CallbackAnswer) -> None:
    page = catalog.page(callback_data.id, locale)
    if page is None:
        callback_answer.text = _("This topic is no longer available.")
        await show(bot, callback, cards.menu_root(),
                   keyboards.categories(catalog.categories(locale)))
        return
    text, truncated = cards.page_card(page)
    markup = keyboards.page(page, in_menu=not callback_data.new, truncated=truncated)
    await present(bot, callback, text, markup, new=callback_data.new)


async def whole_page(callback: CallbackQuery, callback_data: FullCB, bot: Bot, catalog: Catalog,
                     locale: str, callback_answer: CallbackAnswer) -> None:
    page = catalog.page(callback_data.id, locale)
    if page is None:
        callback_answer.text = _("This topic is no longer available.")
        return
    await send(bot, callback.from_user.id, cards.page_full(page), keyboards.source(page.url))


def build() -> Router:
    router = Router(name=__name__)
    router.message.register(menu, Command("menu"))
    router.callback_query.register(navigate, MenuCB.filter())
    router.callback_query.register(topic, TopicCB.filter())
    router.callback_query.register(whole_page, FullCB.filter())
    return router
