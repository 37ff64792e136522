"""Publishing an answered question, in the agency's staff chat: nothing a citizen
typed is published. When the asker allowed publication, the staff's answer
message is followed by a request for the question's public wording with the
citizen's (masked) text to copy and edit; a reply to the request publishes the
staff's wording with their answer (the page is stored at once; the worker
builds the index with it), "🚫 Do not publish" closes it. A reopened ticket
asks again after its new answer."""

from __future__ import annotations

import contextlib
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.formatting import Bold, Code, Text
from aiogram.utils.i18n import gettext as _

from ..services import Publication, Ticket
from ..services.tickets import Tickets, valid_wording
from . import keyboards
from .callbacks import TicketCB
from .replies import send

logger = logging.getLogger(__name__)


async def ask_wording(bot: Bot, tickets: Tickets, ticket: Ticket, chat_id: int,
                      done: str) -> None:
    """Say `done` in the staff chat and ask there for the public wording of `ticket`."""
    content = Text(done, "\n\n", _(
        "📢 The citizen allowed publishing question #{id} for everyone. To publish it, reply "
        "to this message with the question as everyone will read it, without names, numbers "
        "or addresses. The citizen's text, to copy and edit:").format(id=ticket.id),
        "\n\n", Code(ticket.text))
    sent = await send(bot, chat_id, content, keyboards.ticket_publication(ticket.id))
    await tickets.ask_wording(ticket, sent.message_id)


async def publication_request(message: Message, tickets: Tickets) -> bool | dict:
    """Filter: the message replies to a waiting request for a public wording."""
    ticket = await tickets.waiting_wording(message.chat.id, message.reply_to_message.message_id)
    return {"ticket": ticket} if ticket else False


async def got_wording(message: Message, bot: Bot, agency: str, tickets: Tickets,
                      publication: Publication, ticket: Ticket) -> None:
    if ticket.agency != agency or ticket.staff_chat != message.chat.id:
        return
    wording = (message.text or "").strip()
    if not valid_wording(wording):
        await send(bot, message.chat.id, Text(_(
            "Reply to the request with the question for everyone as text, 10 to 2000 "
            "characters.")))
        return
    request = ticket.publish_message
    if await publication.approve(ticket, wording) is None:
        await send(bot, message.chat.id, Text(_(
            "The knowledge base refused the page: question #{id} is not published.").format(
            id=ticket.id)))
        return
    ticket = await tickets.get(ticket.id) or ticket
    await _close(bot, message.chat.id, request)
    await send(bot, message.chat.id, Text(Bold(_("📢 Question #{id} is published as:").format(
        id=ticket.id)), "\n", ticket.public_question or ""))


async def no_publication(callback: CallbackQuery, callback_data: TicketCB, bot: Bot,
                         agency: str, tickets: Tickets, callback_answer: CallbackAnswer) -> None:
    ticket = await tickets.get(callback_data.id)
    if ticket is None or ticket.agency != agency or ticket.publish_message is None \
            or ticket.staff_chat != callback.message.chat.id:
        callback_answer.text = _("The publication of this question is already decided.")
        return
    await tickets.decline(ticket)
    await _close(bot, callback.message.chat.id, callback.message.message_id)
    await send(bot, callback.message.chat.id, Text(_(
        "🚫 Question #{id} will not be published ({who}).").format(
        id=ticket.id, who=callback.from_user.full_name)))


async def _close(bot: Bot, chat_id: int, message_id: int | None) -> None:
    """Take the button off a request that is decided (an old one may stay as it is)."""
    if message_id is None:
        return
    with contextlib.suppress(TelegramBadRequest):
        await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id)
