"""Staff check their agency's pages: /review in a linked staff chat.

The list names the pages no agency has verified and those verified longer
than REVIEW_DAYS ago. A page opens in both languages under three buttons:
confirm both, or correct the Kazakh or the Russian page one section at a
time (the new text comes as a reply and waits for the maintainers). Only the
agency's staff pass the :class:`~bot.handlers.staff.LinkedChat` filter; anyone
else pressing a button, or sending /review, is told so.
"""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.formatting import Text
from aiogram.utils.i18n import gettext as _

from ..services import LANGS, ReviewError, Reviews
from ..services.reviews import DUE_LIST, SEEN_CHARS, kz_date
from . import cards, keyboards, review_cards
from .callbacks import ReviewCB
from .replies import PromptAnswer, ask_for, send, show
from .staff import LinkedChat, refused


class Correcting(StatesGroup):
    text = State()


async def review(message: Message, bot: Bot, agency: str, chat_lang: str,
                 reviews: Reviews, state: FSMContext) -> None:
    await state.clear()
    due = reviews.due(agency, chat_lang)
    name = reviews.catalog.engine.index.agencies.get(agency)
    title = name.name_in(chat_lang) if name else agency
    await send(bot, message.chat.id, review_cards.due_list(title, due, DUE_LIST),
               keyboards.review_list(due[:DUE_LIST]) if due else None)


async def open_page(callback: CallbackQuery, callback_data: ReviewCB, bot: Bot, agency: str,
                    reviews: Reviews) -> None:
    chat_id = callback.message.chat.id
    if not reviews.owned(callback_data.t, agency):
        await send(bot, chat_id, review_cards.refusal("owner"))
        return
    langs = [p.lang for p in reviews.catalog.contents(callback_data.t)]
    for lang in langs:
        page = reviews.catalog.page(callback_data.t, lang)
        if page is not None:
            await send(bot, chat_id, review_cards.page_in(page))
    seen = reviews.digest(callback_data.t)[:SEEN_CHARS]
    await send(bot, chat_id, review_cards.review_prompt([c for c in LANGS if c not in langs]),
               keyboards.review_page(callback_data.t, seen, langs))


async def confirm(callback: CallbackQuery, callback_data: ReviewCB, bot: Bot, agency: str,
                  chat_lang: str, reviews: Reviews) -> None:
    try:
        done = await reviews.confirm(callback_data.t, agency, callback.from_user.id,
                                     callback.message.chat.id, callback_data.d)
    except ReviewError as exc:
        await show(bot, callback, review_cards.refusal(str(exc)))
        return
    page = reviews.catalog.page(done.topic_id, chat_lang)
    checked = page.checked if page else None
    await show(bot, callback, review_cards.confirmed(
        page.title if page else done.topic_id,
        checked.agency if checked and checked.verified else agency,
        cards.day(kz_date(done.created_at))))


async def pick_section(callback: CallbackQuery, callback_data: ReviewCB, bot: Bot,
                       agency: str, reviews: Reviews) -> None:
    page = reviews.catalog.page(callback_data.t, callback_data.l)
    if not reviews.owned(callback_data.t, agency):
        await show(bot, callback, review_cards.refusal("owner"))
        return
    if page is None or page.lang != callback_data.l \
            or not reviews.digest(callback_data.t).startswith(callback_data.d):
        await show(bot, callback, review_cards.refusal("changed"))
        return
    await show(bot, callback, Text(_("Which section needs a correction?")),
               keyboards.review_sections(callback_data.t, callback_data.l, callback_data.d,
                                         [s.heading for s in page.sections]))


async def section_chosen(callback: CallbackQuery, callback_data: ReviewCB, bot: Bot,
                         agency: str, reviews: Reviews, state: FSMContext) -> None:
    page = reviews.catalog.page(callback_data.t, callback_data.l)
    if page is None or page.lang != callback_data.l \
            or callback_data.n >= len(page.sections):
        await show(bot, callback, review_cards.refusal("section"))
        return
    await state.set_state(Correcting.text)
    await state.update_data(t=callback_data.t, l=callback_data.l, n=callback_data.n,
                            d=callback_data.d)
    await ask_for(bot, callback.message.chat.id,
                  review_cards.section_prompt(page.sections[callback_data.n].heading,
                                              callback_data.l), state)


async def got_correction(message: Message, bot: Bot, agency: str, reviews: Reviews,
                         state: FSMContext) -> None:
    data = await state.get_data()
    try:
        done = await reviews.propose(data["t"], agency, data["l"], data["n"],
                                     message.text or "", message.from_user.id,
                                     message.chat.id, data["d"])
    except ReviewError as exc:
        code = str(exc)
        if code in ("empty", "long", "heading"):  # they can send it again
            await ask_for(bot, message.chat.id, review_cards.refusal(code), state)
            return
        await state.clear()
        await send(bot, message.chat.id, review_cards.refusal(code))
        return
    await state.clear()
    await send(bot, message.chat.id, review_cards.proposed(done.id, done.heading))


async def cancel(message: Message, bot: Bot, state: FSMContext) -> None:
    await state.clear()
    await send(bot, message.chat.id, Text(_("The correction is cancelled.")))


async def not_staff(callback: CallbackQuery, callback_answer: CallbackAnswer) -> None:
    callback_answer.text = _("Only the agency's staff can do this.")
    callback_answer.show_alert = True


def build() -> Router:
    router = Router(name=__name__)
    linked = Router(name=f"{__name__}.linked")
    linked.message.filter(LinkedChat())
    linked.callback_query.filter(LinkedChat())
    linked.message.register(review, Command("review"))
    linked.message.register(cancel, Correcting.text, Command("cancel"))
    linked.message.register(got_correction, Correcting.text, F.text, PromptAnswer())
    linked.callback_query.register(open_page, ReviewCB.filter(F.act == "open"))
    linked.callback_query.register(confirm, ReviewCB.filter(F.act == "ok"))
    linked.callback_query.register(pick_section, ReviewCB.filter(F.act == "fix"))
    linked.callback_query.register(section_chosen, ReviewCB.filter(F.act == "sec"))
    others = Router(name=f"{__name__}.others")
    others.message.register(refused, Command("review"))
    others.callback_query.register(not_staff, ReviewCB.filter())
    router.include_routers(linked, others)
    return router
