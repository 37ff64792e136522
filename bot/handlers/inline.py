"""Inline mode: ``@bot question`` in any chat offers the best pages as results
(title, summary, verification line), in the question's language; choosing one
posts the page's card with buttons to the whole page in the bot (a deep link)
and to the official source. A question no page covers offers nothing, only the
button above the results that opens the bot.

Inline queries arrive as the user types, so none is logged as a question nor
stored; the log line says only who asked and how many results there were.
Inline mode must be switched on in BotFather (``/setinline``).
"""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.types import (
    InlineQuery,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
)
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from ..services import Answers, Catalog, Page, links, smalltalk
from . import cards, keyboards

logger = logging.getLogger(__name__)

MIN_QUERY = 3  # characters: shorter queries are not searched
RESULTS = 3
CACHE_SECONDS = 300  # results depend on the query only: Telegram may serve them to anyone
DESCRIPTION = 150  # characters of the summary under a result's title


def article(page: Page, username: str) -> InlineQueryResultArticle:
    content = cards.shared_card(page).as_kwargs(text_key="message_text")
    return InlineQueryResultArticle(
        id=f"{page.id}.{page.lang}", title=page.title,
        description=cards.quote(page.summary, DESCRIPTION) if page.summary else None,
        input_message_content=InputTextMessageContent(**content),
        reply_markup=keyboards.open_page(username, page.id, page.lang, page.url))


def _open_bot(ask: bool) -> InlineQueryResultsButton:
    if ask:
        return InlineQueryResultsButton(text=_("No answer here: ask in the bot"),
                                        start_parameter=links.Kind.ASK.value)
    return InlineQueryResultsButton(text=_("Open Saual to ask a question"),
                                    start_parameter=links.Kind.HELP.value)


async def inline(query: InlineQuery, bot: Bot, answers: Answers, catalog: Catalog,
                 i18n: I18n) -> None:
    text = " ".join(query.query.split())
    if len(text) < MIN_QUERY or smalltalk.classify(text) is not None:
        await query.answer([], cache_time=CACHE_SECONDS, button=_open_bot(ask=False))
        return
    offers = await answers.offers(smalltalk.question_text(text), RESULTS)
    username = (await bot.me()).username or ""
    with i18n.use_locale(offers.lang):
        pages = {hit.id: catalog.page(hit.id, offers.lang) for hit in offers.pages}
        results = [article(page, username) for page in pages.values() if page is not None]
        button = None if results else _open_bot(ask=offers.ask_agency)
    logger.info("inline query from user %d: lang=%s, %d results", query.from_user.id,
                offers.lang, len(results))
    await query.answer(results, cache_time=CACHE_SECONDS, is_personal=False, button=button)


def build() -> Router:
    router = Router(name=__name__)
    router.inline_query.register(inline)
    return router
