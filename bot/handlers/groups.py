"""Community groups: the bot answers a question when it is mentioned
(``@bot how do I get an ID card``) or when someone replies to its message;
it never starts a conversation there. Group answers are short: the page's
title, summary and verification line, with buttons to the whole page in a
private chat (a deep link) and to the official source. Administrators mute the
bot with ``/quiet`` and let it answer again with ``/quiet off``.

Linked staff chats are groups too: there the staff routers (before this one)
handle replies to the bot, and nobody else is answered. What a group member
writes is neither stored nor logged unless it is a question to the bot, which
goes to the masked question log like any other.
"""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import Message, MessageEntity, ReplyParameters
from aiogram.types import User as TelegramUser
from aiogram.utils.formatting import Text
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from embeddings import DocKind

from ..services import Answer, Answers, Catalog, Groups, StaffChats, User, links, smalltalk
from ..services.answers import GROUP
from . import cards, keyboards
from .replies import send
from .staff import GROUPS, admins

logger = logging.getLogger(__name__)

QUIET = "quiet"
UNQUIET = ("off", "выкл", "өшір", "жоқ", "нет", "no")  # "/quiet off" lets it answer again


def _mentions(message: Message, me: TelegramUser) -> list[MessageEntity]:
    """The entities of the message's text that mention the bot."""
    text = message.text or ""
    name = f"@{me.username}".casefold() if me.username else None
    return [entity for entity in message.entities or []
            if (entity.type == "mention" and name
                and entity.extract_from(text).casefold() == name)
            or (entity.type == "text_mention" and entity.user and entity.user.id == me.id)]


def _cut(text: str, entities: list[MessageEntity]) -> str:
    """`text` with each entity's span (UTF-16 offsets, as Telegram counts them)
    replaced by a space: the very mention Telegram marked, not the same
    characters elsewhere in the text."""
    units = text.encode("utf-16-le")
    for entity in sorted(entities, key=lambda e: e.offset, reverse=True):
        units = units[: 2 * entity.offset] + " ".encode("utf-16-le") \
            + units[2 * (entity.offset + entity.length):]
    return units.decode("utf-16-le")


def _to_bot(message: Message, me: TelegramUser) -> bool:
    """A reply to one of the bot's answers in a group: a message from the bot
    whose buttons link to it (every group answer has one). Replies to its other
    messages are not questions: a ticket card or a prompt in a staff chat that
    has since been unlinked, say."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != me.id:
        return False
    markup = replied.reply_markup
    bot_url = links.url(me.username) if me.username else None
    return bot_url is not None and markup is not None and any(
        button.url == bot_url or (button.url or "").startswith(bot_url + "?")
        for row in markup.inline_keyboard for button in row)


async def question_in(message: Message, bot: Bot) -> str | None:
    """What a group message asks the bot: its text without the mentions of the
    bot, when it mentions the bot or replies to its answer; a bare mention in
    reply to someone's message asks that message. None when the message does
    neither (or is a command)."""
    text = message.text
    if not text or text.startswith("/"):
        return None
    me = await bot.me()
    mentions = _mentions(message, me)
    if not mentions and not _to_bot(message, me):
        return None
    question = " ".join(_cut(text, mentions).split())
    replied = message.reply_to_message
    if not question and mentions and replied is not None and replied.text \
            and (replied.from_user is None or replied.from_user.id != me.id):
        # "@bot" alone in reply to a neighbour's question: that question is asked
        question = " ".join(replied.text.split())
    return question


def _command(message: Message, me: TelegramUser) -> str | None:
    """The command's name when the message is a command for this bot ("/help",
    "/help@this_bot"), else None ("/help@other_bot" is another bot's)."""
    text = message.text or ""
    if not text.startswith("/"):
        return None
    name, _at, mention = text.split(maxsplit=1)[0][1:].partition("@")
    if mention and (not me.username or mention.casefold() != me.username.casefold()):
        return None
    return name.casefold()


async def addressed(message: Message, bot: Bot) -> bool:
    """A command for this bot, a mention of it, or a reply to it."""
    if (message.text or "").startswith("/"):
        return _command(message, await bot.me()) is not None
    return await question_in(message, bot) is not None


async def is_quiet_command(message: Message, bot: Bot) -> bool:
    return _command(message, await bot.me()) == QUIET


class Asked(Filter):
    """A question put to the bot in a group: gives handlers its `question`."""

    async def __call__(self, message: Message, bot: Bot) -> bool | dict[str, str]:
        question = await question_in(message, bot)
        return {"question": question} if question is not None else False


async def _reply(bot: Bot, message: Message, content: Text, markup=None) -> None:
    """A reply to the group member's message (sent anyway if it was deleted)."""
    await bot.send_message(chat_id=message.chat.id, **content.as_kwargs(), reply_markup=markup,
                           reply_parameters=ReplyParameters(message_id=message.message_id,
                                                            allow_sending_without_reply=True))


async def quiet(message: Message, command: CommandObject, bot: Bot, groups: Groups,
                staff: StaffChats) -> None:
    """/quiet mutes the bot in the group, /quiet off lets it answer again: for the
    group's administrators (an anonymous one writes as the group itself)."""
    if message.chat.type not in GROUPS:
        await send(bot, message.chat.id, Text(_("/quiet works in groups: it stops me "
                                                "answering there until /quiet off.")))
        return
    if await staff.chat(message.chat.id):
        await send(bot, message.chat.id, Text(_("This is an agency's staff chat: I only pass "
                                                "on citizens' questions and announcements "
                                                "here and do not answer questions myself, so "
                                                "there is nothing to mute.")))
        return
    anonymous = message.sender_chat is not None and message.sender_chat.id == message.chat.id
    if not anonymous and message.from_user.id not in await admins(bot, message.chat.id):
        await send(bot, message.chat.id, Text(_("Only an administrator of this group can "
                                                "mute me or let me answer again.")))
        return
    on = (command.args or "").strip().casefold() not in UNQUIET
    await groups.set_quiet(message.chat.id, on)
    if on:
        text = _("I will keep quiet in this group. An administrator can send /quiet off to "
                 "let me answer questions again.")
    else:
        text = _("I will answer again here when someone mentions me or replies to my "
                 "message.")
    await send(bot, message.chat.id, Text(text))


async def question(message: Message, question: str, bot: Bot, answers: Answers,
                   catalog: Catalog, staff: StaffChats, user: User, i18n: I18n) -> None:
    if await staff.chat(message.chat.id):  # a staff chat: only its staff's work is handled
        return
    me = await bot.me()
    if not question or smalltalk.classify(question) is not None:
        await _reply(bot, message, cards.group_hint(me.username or ""),
                     keyboards.ask_in_bot(me.username or "", ask=False))
        return
    answer = await answers.ask(user.id, smalltalk.question_text(question), chat_type=GROUP)
    with i18n.use_locale(answer.lang):
        content, markup = _answer(answer, catalog, answers, me.username or "")
        await _reply(bot, message, content, markup)


def _answer(answer: Answer, catalog: Catalog, answers: Answers, username: str):
    """A group answer: short, with the way to the whole page in a private chat."""
    if answer.confident and answer.best is not None:
        best = answer.best
        page = catalog.page(best.id, best.lang) if best.kind == DocKind.PAGE else None
        return (cards.group_answer(answer),
                keyboards.open_page(username, page.id if page else "", best.lang, best.url))
    options = answer.clarify or answer.suggestions
    if options:
        return (cards.group_options(),
                keyboards.topic_links(username, [(h.id, h.title) for h in options],
                                      answer.lang))
    agency = answers.agency_name(answer.elsewhere.agency, answer.lang) if answer.elsewhere \
        else ""
    return (cards.group_no_answer(answer.elsewhere, agency),
            keyboards.ask_in_bot(username, ask=answer.ask_agency
                                 or answer.elsewhere is not None))


def build() -> Router:
    router = Router(name=__name__)
    router.message.register(quiet, Command(QUIET))
    router.message.register(question, F.chat.type.in_(GROUPS), Asked())
    return router
