"""Buttons under an answer: 👍 / 👎 and "other answers"."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.formatting import Text
from aiogram.utils.i18n import gettext as _

from ..services import Answers, User
from . import keyboards
from .callbacks import MoreCB, VoteCB
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


def build() -> Router:
    router = Router(name=__name__)
    router.callback_query.register(vote, VoteCB.filter())
    router.callback_query.register(more, MoreCB.filter())
    return router
