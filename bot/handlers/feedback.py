"""Buttons under an answer: 👍 / 👎, "other answers", and "notify me if this changes"."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.formatting import Text
from aiogram.utils.i18n import gettext as _

from ..services import Answers, Catalog, User, Watches
from . import keyboards
from .callbacks import MoreCB, VoteCB, WatchCB
from .replies import send


def marked(markup: InlineKeyboardMarkup, vote: int) -> InlineKeyboardMarkup:
    """The same buttons with the chosen vote ticked."""
    rows = []
    for row in markup.inline_keyboard:
        new_row = []
        for button in row:
            data = button.callback_data or ""
            if data.startswith(VoteCB.__prefix__ + VoteCB.__separator__):
                v = VoteCB.unpack(data).v
                label = ("👍" if v == 1 else "👎") + (" ✓" if v == vote else "")
                button = InlineKeyboardButton(text=label, callback_data=data)
            new_row.append(button)
        rows.append(new_row)
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def vote(callback: CallbackQuery, callback_data: VoteCB, answers: Answers, user: User,
               callback_answer: CallbackAnswer) -> None:
    if callback_data.v not in (1, -1):
        return
    if not await answers.vote(callback_data.q, user.id, callback_data.v):
        callback_answer.text = _("This answer is no longer available.")
        return
    callback_answer.text = _("Thank you for your feedback!")
    message = callback.message
    if isinstance(message, Message) and message.reply_markup:
        new = marked(message.reply_markup, callback_data.v)
        if new != message.reply_markup:
            await message.edit_reply_markup(reply_markup=new)


async def more(callback: CallbackQuery, callback_data: MoreCB, bot: Bot, answers: Answers,
               locale: str, callback_answer: CallbackAnswer) -> None:
    entries = await answers.others(callback_data.q, locale)
    if not entries:
        callback_answer.text = _("There are no other answers.")
        return
    await send(bot, callback.from_user.id, Text(_("Other answers:")),
               keyboards.topic_list(entries))


def with_watch(markup: InlineKeyboardMarkup, topic_id: str,
               watching: bool) -> InlineKeyboardMarkup:
    """The same buttons with the bell of `topic_id` showing `watching`."""
    prefix = WatchCB.__prefix__ + WatchCB.__separator__
    rows = []
    for row in markup.inline_keyboard:
        new_row = []
        for button in row:
            data = button.callback_data or ""
            if data.startswith(prefix) and WatchCB.unpack(data).id == topic_id:
                button = keyboards.watch_button(topic_id, watching)
            new_row.append(button)
        rows.append(new_row)
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def watch(callback: CallbackQuery, callback_data: WatchCB, catalog: Catalog,
                watches: Watches, user: User, locale: str,
                callback_answer: CallbackAnswer) -> None:
    """🔔 / 🔕: the topic comes from the client (it may be forged or gone), so
    only a knowledge page of the build in service is watched."""
    page = catalog.page(callback_data.id, locale)
    if callback_data.on and page is None:
        callback_answer.text = _("This page is no longer available.")
        return
    await watches.set(user.id, callback_data.id, page.lang if page else locale,
                      callback_data.on)
    if callback_data.on:
        callback_answer.text = _("Done: I will write here if the amounts, dates, links or "
                                 "sections of this page change (for 90 days). Press again "
                                 "to stop.")
    else:
        callback_answer.text = _("Done: no more notices about this page.")
    message = callback.message
    if isinstance(message, Message) and message.reply_markup:
        new = with_watch(message.reply_markup, callback_data.id, callback_data.on)
        if new != message.reply_markup:
            await message.edit_reply_markup(reply_markup=new)


def build() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(vote, VoteCB.filter())
    router.callback_query.register(more, MoreCB.filter())
    router.callback_query.register(watch, WatchCB.filter())
    return router
