"""What the bot posts about a ticket, outside the handler that changed it: the
question card in the agency's staff chat (in that chat's language), its
status line, the reminders, and messages to the citizen (in theirs).

Shared by the ask-an-agency handlers, the staff chat's /link (which posts the
questions that waited for the agency) and the reminder loop.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup, ReplyParameters
from aiogram.utils.formatting import Bold, Text
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from ..services import Ticket
from ..services.tickets import Reminder, Tickets
from . import keyboards
from .replies import send

logger = logging.getLogger(__name__)


def date(moment: float) -> str:
    return dt.datetime.fromtimestamp(moment, dt.UTC).strftime("%d.%m.%Y")


def card(ticket: Ticket, status: str = "", *, reopened: bool = False) -> Text:
    """The question as staff see it; `status` (taken, answered...) goes last."""
    head = _("Question #{id} · language: {lang} · due {date}").format(
        id=ticket.id, lang=ticket.lang, date=date(ticket.due_at))
    parts: list[object] = [Bold(head), "\n\n", ticket.text, "\n\n"]
    if reopened:
        parts += [_("Reopened: the citizen says the answer does not answer the question."),
                  "\n"]
    if ticket.public:
        parts += [_("The citizen allowed publishing the answer in the bot: write it for "
                    "everyone, without names or personal details."), "\n"]
    parts.append(status or _("Answer by replying to this message."))
    return Text(*parts)


async def post(bot: Bot, i18n: I18n, tickets: Tickets, ticket: Ticket, *,
               reopened: bool = False) -> bool:
    """Show the ticket in its agency's staff chat; False when none is linked, or
    the chat refused the bot and is unlinked (the ticket waits and is posted
    when the agency links a chat)."""
    linked = await tickets.staff_chat(ticket.agency)
    if linked is None:
        logger.warning("ticket %d: agency %s has no linked staff chat; it waits",
                       ticket.id, ticket.agency)
        return False
    chat_id, lang = linked
    try:
        with i18n.use_locale(lang):
            sent = await send(bot, chat_id, card(ticket, reopened=reopened),
                              keyboards.ticket_staff(ticket.id))
    except TelegramForbiddenError:  # the bot was removed from the group: the chat is gone
        await tickets.chat_lost(chat_id)
        return False
    await tickets.posted(ticket.id, chat_id, sent.message_id)
    return True


async def post_waiting(bot: Bot, i18n: I18n, tickets: Tickets, agency: str) -> int:
    """Post the agency's tickets that waited for a staff chat; how many."""
    waiting = await tickets.waiting(agency)
    for ticket in waiting:
        await post(bot, i18n, tickets, ticket)
    return len(waiting)


async def mark(bot: Bot, i18n: I18n, ticket: Ticket, lang: str, status: str,
               markup: InlineKeyboardMarkup | None = None) -> None:
    """Rewrite the ticket's card in the staff chat with a status line (and the
    buttons still useful). A card that cannot be edited any more stays as it is."""
    if ticket.staff_chat is None or ticket.staff_message is None:
        return
    with i18n.use_locale(lang):
        content = card(ticket, status)
    try:
        await bot.edit_message_text(chat_id=ticket.staff_chat, message_id=ticket.staff_message,
                                    **content.as_kwargs(), reply_markup=markup)
    except TelegramBadRequest as exc:
        logger.info("ticket %d: the staff card was not updated (%s)", ticket.id, exc.message)


async def to_citizen(bot: Bot, i18n: I18n, tickets: Tickets, ticket: Ticket,
                     render: Callable[[], Text],
                     markup: Callable[[], InlineKeyboardMarkup] | None = None) -> bool:
    """Send the citizen `render()` (and `markup()`) in their language; False when
    Telegram refused (they blocked the bot): the ticket still records the event."""
    with i18n.use_locale(await tickets.citizen_lang(ticket)):
        content, buttons = render(), markup() if markup else None
    try:
        await send(bot, ticket.user_id, content, buttons)
    except TelegramAPIError as exc:
        logger.warning("ticket %d: the citizen was not reached (%s)", ticket.id, exc)
        return False
    return True


async def send_reminders(bot: Bot, i18n: I18n, tickets: Tickets,
                         reminders: list[Reminder]) -> None:
    """Post due-soon and overdue reminders to the staff chats, each in its language,
    as a reply to the question's card."""
    for r in reminders:
        with i18n.use_locale(r.lang):
            text = _("Overdue: question #{id} was due {date}. Answer by replying to its "
                     "message.") if r.overdue else _("Reminder: question #{id} is due {date}.")
            content = Text(text.format(id=r.ticket.id, date=date(r.ticket.due_at)))
        try:
            sent = await bot.send_message(chat_id=r.chat_id, **content.as_kwargs(),
                                          reply_parameters=ReplyParameters(
                                              message_id=r.ticket.staff_message,
                                              allow_sending_without_reply=True))
        except TelegramAPIError as exc:
            logger.warning("ticket %d: reminder not delivered to chat %d (%s)",
                           r.ticket.id, r.chat_id, exc)
            if isinstance(exc, TelegramForbiddenError):
                await tickets.chat_lost(r.chat_id)
            continue
        await tickets.mentioned(r.ticket.id, r.chat_id, sent.message_id)
