"""Any text is a question: the answer card, or an honest "no answer". Goes last.

Small talk (a greeting, thanks, an insult, emoji, "?") is answered in kind,
with a hint on how to ask, and is neither searched nor logged as a question.
"""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.types import Message
from aiogram.utils.chat_action import ChatActionSender
from aiogram.utils.formatting import Text
from aiogram.utils.i18n import gettext as _

from ..services import Answers, Entry, User, smalltalk
from ..services.smalltalk import Kind
from . import cards, keyboards
from .replies import send

logger = logging.getLogger(__name__)


async def unknown_command(message: Message, bot: Bot) -> None:
    await send(bot, message.chat.id, Text(_("I don't know this command. See /help.")))


def hint() -> str:
    return _("Write your question in your own words, for example: «how do I get an ID card». "
             "All the topics are in the /menu.")


def small_talk(kind: Kind) -> Text:
    """The reply to small talk: a few polite words, then how to ask. An insult is
    answered calmly and never repeated."""
    first = {
        Kind.GREETING: _("Hello! I answer questions about government services."),
        Kind.THANKS: _("You are welcome, glad to help!"),
        Kind.GOODBYE: _("All the best! Come back with any question."),
        Kind.INSULT: _("I am sorry if I could not help. Let us try again: I look for answers "
                       "on the official portals."),
        Kind.EMOJI: _("Alas, I do not understand emoji 🙂"),
        Kind.NOISE: _("I did not quite understand the message."),
    }[kind]
    return cards.join([first, hint()])


async def question(message: Message, bot: Bot, answers: Answers, user: User,
                   locale: str) -> None:
    assert message.text is not None
    kind = smalltalk.classify(message.text)
    if kind is not None:
        logger.info("small talk from user %d: %s", user.id, kind)
        await send(bot, message.chat.id, small_talk(kind), keyboards.topic_list([]))
        return
    text = smalltalk.question_text(message.text)  # no rude word: none searched, logged, quoted
    async with ChatActionSender.typing(bot=bot, chat_id=message.chat.id):
        answer = await answers.ask(user.id, text)
    if answer.confident:
        await send(bot, message.chat.id, cards.answer_card(answer), keyboards.answer(answer))
        return
    if answer.clarify:
        options = [Entry(h.id, h.title) for h in answer.clarify]
        await send(bot, message.chat.id, cards.clarify(options),
                   keyboards.topic_list(options, ask=answer.question_id))
        return
    close = [Entry(h.id, h.title) for h in answer.suggestions]
    if not close and answer.elsewhere is None and smalltalk.one_word(text):
        # one word and nothing close: how to ask helps more than "no answer"
        await send(bot, message.chat.id,
                   cards.join([_("One word is not enough for me to find the answer."), hint()]),
                   keyboards.topic_list([]))
        return
    agency = answers.agency_name(answer.elsewhere.agency, locale) if answer.elsewhere else ""
    ask = answer.ask_agency or answer.elsewhere is not None
    await send(bot, message.chat.id,
               cards.no_answer(text, close, answer.elsewhere, agency, ask=ask),
               keyboards.topic_list(close, ask=answer.question_id if ask else None))


def build() -> Router:
    router = Router(name=__name__)
    router.message.filter(F.chat.type == "private")
    router.message.register(unknown_command, F.text.startswith("/"))
    router.message.register(question, F.text)
    return router
