"""/start, /language, /help and the language buttons; the blocked flag."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import (
    JOIN_TRANSITION,
    LEAVE_TRANSITION,
    ChatMemberUpdatedFilter,
    Command,
    CommandStart,
)
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.formatting import Text
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from ..services import LANGS, StaffChats, User, Users
from . import cards, keyboards
from .callbacks import LangCB
from .cards import fill, join
from .replies import send, show


def commands() -> list[tuple[str, str]]:
    """The bot's commands and their descriptions, in the current locale."""
    return [
        ("start", _("Start and choose the language")),
        ("menu", _("Browse the topics")),
        ("stations", _("Find your polling station")),
        ("subscriptions", _("News of agencies and regions")),
        ("stop", _("Pause all announcements")),
        ("ask", _("Ask an agency a question")),
        ("myquestions", _("Your questions to agencies")),
        ("language", _("Change the language")),
        ("help", _("How to use the bot")),
    ]


def group_commands() -> list[tuple[str, str]]:
    """The commands listed in groups, where questions come by mention or reply."""
    return [
        ("help", _("How to ask me in a group")),
        ("quiet", _("Mute me in this group (administrators; /quiet off undoes it)")),
    ]


def greeting(i18n: I18n) -> Text:
    """The first words, in both languages: the user has not chosen yet."""
    parts = []
    for code in LANGS:
        with i18n.use_locale(code):
            parts.append(Text(_("Hello! I am Saual. I answer questions about government "
                                "services using the official portals gov.kz and egov.kz."),
                              "\n", _("Choose the language:")))
    return join(parts)


def about() -> Text:
    return Text(_("Ask a question in your own words, for example: «how do I get an ID card» "
                  "or «residence registration online». I will find the answer on the official "
                  "portals and show where it comes from.\nOr look through all the topics in "
                  "the menu."))


def help_text(username: str) -> Text:
    return join([help_private(), fill(_(
        "In any other chat, a family or neighbourhood group too, type {mention} and your "
        "question: I offer answers to post there. Added to a group, I answer whoever "
        "mentions me."), mention=f"@{username}")])


def help_private() -> Text:
    return Text(_("How to use Saual:\n"
                  "• Write a question in Kazakh or Russian, in any spelling: «жеке куәлік алу», "
                  "«propiska onlain», «как получить удостоверение».\n"
                  "• Browse the topics: /menu\n"
                  "• Find your polling station by address or location: /stations\n"
                  "• Follow the news of agencies and regions: /subscriptions (/stop pauses)\n"
                  "• Change the language: /language\n\n"
                  "Every answer links to the official page it comes from. The bot does not need "
                  "your personal data: please do not send your IIN, phone or card numbers."))


async def start(message: Message, bot: Bot, i18n: I18n) -> None:
    if message.chat.type != "private":  # a group: how to ask there, no language buttons
        await send(bot, message.chat.id, cards.group_hint((await bot.me()).username or ""))
        return
    await send(bot, message.chat.id, greeting(i18n), keyboards.languages())


async def language(message: Message, bot: Bot) -> None:
    await send(bot, message.chat.id, Text(_("Choose the language:")), keyboards.languages())


async def help_(message: Message, bot: Bot) -> None:
    if message.chat.type != "private":
        await send(bot, message.chat.id, join([cards.group_hint((await bot.me()).username or ""),
                                               _("Administrators: /quiet mutes me in this "
                                                 "group, /quiet off lets me answer again.")]))
        return
    await send(bot, message.chat.id, help_text((await bot.me()).username or ""),
               keyboards.about())


async def chosen(callback: CallbackQuery, callback_data: LangCB, bot: Bot, users: Users,
                 user: User, i18n: I18n, callback_answer: CallbackAnswer) -> None:
    await users.set_language(user.id, callback_data.code)
    with i18n.use_locale(callback_data.code):
        callback_answer.text = _("Language saved.")
        await show(bot, callback, about(), keyboards.about())


async def choose(callback: CallbackQuery, bot: Bot) -> None:
    await show(bot, callback, Text(_("Choose the language:")), keyboards.languages())


async def blocked(event: ChatMemberUpdated, users: Users, staff: StaffChats) -> None:
    """The user blocked the bot in a private chat, or a group removed it: a removed
    staff chat is unlinked at once and its open questions wait for the agency."""
    if event.chat.type == "private":
        await users.set_blocked(event.from_user.id, True)
    else:
        await staff.unlink(chat_id=event.chat.id)


async def unblocked(event: ChatMemberUpdated, users: Users) -> None:
    if event.chat.type == "private":
        await users.set_blocked(event.from_user.id, False)


def build() -> Router:
    router = Router(name=__name__)
    router.message.register(start, CommandStart())
    router.message.register(language, Command("language"))
    router.message.register(help_, Command("help"))
    router.callback_query.register(chosen, LangCB.filter(F.code.in_(LANGS)))
    router.callback_query.register(choose, LangCB.filter())
    router.my_chat_member.register(blocked, ChatMemberUpdatedFilter(LEAVE_TRANSITION))
    router.my_chat_member.register(unblocked, ChatMemberUpdatedFilter(JOIN_TRANSITION))
    return router
