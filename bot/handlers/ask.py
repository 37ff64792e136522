"""Any text is a question: the answer card, or an honest "no answer". Goes last."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.types import Message
from aiogram.utils.chat_action import ChatActionSender
from aiogram.utils.formatting import Text
from aiogram.utils.i18n import gettext as _

from ..services import Answers, Entry, User
from . import cards, keyboards
from .replies import send


async def unknown_command(message: Message, bot: Bot) -> None:
    await send(bot, message.chat.id, Text(_("I don't know this command. See /help.")))


async def question(message: Message, bot: Bot, answers: Answers, user: User,
                   locale: str) -> None:
    assert message.text is not None
    async with ChatActionSender.typing(bot=bot, chat_id=message.chat.id):
        answer = await answers.ask(user.id, message.text)
    if answer.confident:
        await send(bot, message.chat.id, cards.answer_card(answer), keyboards.answer(answer))
        return
    close = [Entry(h.id, h.title) for h in answer.suggestions]
    agency = answers.agency_name(answer.elsewhere.agency, locale) if answer.elsewhere else ""
    await send(bot, message.chat.id, cards.no_answer(message.text, close, answer.elsewhere, agency),
               keyboards.topic_list(close, ask=answer.question_id))


def build() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.message.register(unknown_command, F.text.startswith("/"))
    router.message.register(question, F.text)
    return router
