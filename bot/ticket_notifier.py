"""The Telegram side of the ticket workflow: a :class:`~bot.services.TicketNotifier`
that posts the question's card in the agency's staff chat (in that chat's
language), rewrites its status line, posts the reminders, and writes to the
asker (in theirs).

Built once (:class:`bot.app.Saual`) without a bot and handed to the
handlers; :meth:`TelegramNotifier.via` gives the one that sends through the bot
an update came with (or the reminder loop's). Like the delivery courier it
answers with :class:`~bot.services.Said` instead of raising for a chat that
refused the bot (403), and the workflow decides what follows; Telegram's other
errors when posting a card reach the error handler, as any handler's do.
"""

from __future__ import annotations

import logging

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.types import ReplyParameters
from aiogram.utils.formatting import Bold, Text
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from .handlers import cards, keyboards, review_cards
from .handlers.replies import send
from .handlers.ticket_cards import card, date, informal, passed
from .services import GONE, NOT_SAID, Change, Directory, Reminder, Said, Ticket, Weekly
from .services.ticket_posts import ChangeKind

logger = logging.getLogger(__name__)
REASON_CHARS = 500  # of a rejection reason on the staff card (the citizen gets it whole)


class TelegramNotifier:
    def __init__(self, i18n: I18n, directory: Directory, bot: Bot | None = None):
        self.i18n = i18n
        self.directory = directory
        self._bot = bot

    def via(self, bot: Bot) -> TelegramNotifier:
        """This notifier, sending through `bot`."""
        return TelegramNotifier(self.i18n, self.directory, bot)

    @property
    def bot(self) -> Bot:
        if self._bot is None:
            raise RuntimeError("a notifier sends through a bot: use notifier.via(bot)")
        return self._bot

    async def card(self, ticket: Ticket, chat_id: int, lang: str, *,
                   reopened: bool = False) -> Said:
        with self.i18n.context(), self.i18n.use_locale(lang):
            content = card(ticket, reopened=reopened)
            markup = keyboards.ticket_staff(ticket.id)
        try:
            sent = await send(self.bot, chat_id, content, markup)
        except TelegramForbiddenError:  # the bot was removed from the group: the chat is gone
            return GONE
        return Said(sent.message_id)

    def _status(self, ticket: Ticket, change: Change, lang: str) -> str:
        if change.kind == ChangeKind.TAKEN:
            return _("{who} took question #{id}.").format(who=change.who, id=ticket.id)
        if change.kind == ChangeKind.PASSED:
            return "↪️ " + passed(ticket.id, self.directory.name(change.agency, lang))
        if change.kind == ChangeKind.REJECTED:
            # Quoted short: the card is edited with this line, and a reason of
            # thousands of characters made the edit too long to be accepted.
            return "⛔ " + _("Rejected by {who}: {reason}").format(
                who=change.who, reason=cards.quote(ticket.answer or "", REASON_CHARS))
        return "✅ " + _("Answered by {who}.").format(who=change.who)

    async def digest(self, chat_id: int, lang: str, weekly: Weekly) -> bool:
        """The weekly digest in the staff chat; False when the chat is gone."""
        with self.i18n.context(), self.i18n.use_locale(lang):
            content = review_cards.weekly(self.directory.name(weekly.agency, lang), weekly)
        try:
            await send(self.bot, chat_id, content)
        except TelegramForbiddenError:
            return False
        return True

    async def mark(self, ticket: Ticket, lang: str, change: Change) -> Said:
        if ticket.staff_chat is None or ticket.staff_message is None:
            return NOT_SAID
        with self.i18n.context(), self.i18n.use_locale(lang):
            content = card(ticket, self._status(ticket, change, lang))
            markup = keyboards.ticket_staff(ticket.id, taken=True) \
                if change.kind == ChangeKind.TAKEN else None  # only the buttons still useful
        try:
            await self.bot.edit_message_text(chat_id=ticket.staff_chat,
                                             message_id=ticket.staff_message,
                                             **content.as_kwargs(), reply_markup=markup)
        except TelegramForbiddenError:
            return GONE
        except TelegramBadRequest as exc:  # too old to edit: the card stays as it is
            logger.info("ticket %d: the staff card was not updated (%s)", ticket.id, exc.message)
            return NOT_SAID
        return Said(ticket.staff_message)

    def _news(self, ticket: Ticket, change: Change, lang: str) -> Text:
        agency = self.directory.name(ticket.agency, lang)
        if change.kind == ChangeKind.PASSED:
            return Text(_("Your question #{id} is passed to {agency}.").format(
                id=ticket.id, agency=agency))
        if change.kind == ChangeKind.REJECTED:
            return Text(_("The agency rejected your question #{id}. Reason:").format(
                id=ticket.id), "\n", ticket.answer, "\n\n", informal())
        return Text(Bold(_("{agency} answered your question #{id}:").format(
            agency=agency, id=ticket.id)), "\n\n", change.text)

    async def tell(self, ticket: Ticket, lang: str, change: Change) -> Said:
        with self.i18n.context(), self.i18n.use_locale(lang):
            content = self._news(ticket, change, lang)
            answered = change.kind == ChangeKind.ANSWERED
            markup = keyboards.ticket_answer(ticket.id) if answered else None
        if change.copy is not None:  # a file, a photo...: the asker gets it as the staff sent it
            try:
                await self.bot.copy_message(chat_id=ticket.user_id,
                                            from_chat_id=ticket.staff_chat,
                                            message_id=change.copy)
            except TelegramAPIError as exc:  # blocked: the text below fails the same way
                logger.warning("ticket %d: the file was not copied to the citizen (%s)",
                               ticket.id, exc)
        try:
            sent = await send(self.bot, ticket.user_id, content, markup)
        except TelegramAPIError as exc:
            logger.warning("ticket %d: the citizen was not reached (%s)", ticket.id, exc)
            return GONE if isinstance(exc, TelegramForbiddenError) else NOT_SAID
        return Said(sent.message_id)

    async def remind(self, reminder: Reminder) -> Said:
        r = reminder
        with self.i18n.context(), self.i18n.use_locale(r.lang):
            text = _("Overdue: question #{id} was due {date}. Answer by replying to its "
                     "message.") if r.overdue else _("Reminder: question #{id} is due {date}.")
            content = Text(text.format(id=r.ticket.id, date=date(r.ticket.due_at)))
        try:
            sent = await self.bot.send_message(chat_id=r.chat_id, **content.as_kwargs(),
                                               reply_parameters=ReplyParameters(
                                                   message_id=r.ticket.staff_message,
                                                   allow_sending_without_reply=True))
        except TelegramAPIError as exc:
            logger.warning("ticket %d: reminder not delivered to chat %d (%s)",
                           r.ticket.id, r.chat_id, exc)
            return GONE if isinstance(exc, TelegramForbiddenError) else NOT_SAID
        return Said(sent.message_id)
