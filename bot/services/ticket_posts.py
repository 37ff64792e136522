"""What the ticket workflow says, and to whom: the :class:`TicketNotifier`
protocol, and :class:`TicketPosts`, which shows tickets in the agencies'
staff chats through one and acts on Telegram's answers.

Shaped like the delivery worker and its :class:`~.delivery.Courier`: the
Telegram implementation (:mod:`bot.ticket_notifier`) lives outside the
services, knows aiogram, the texts and the languages, and only says what it is
asked to, reporting back with :class:`Said`; the services decide what follows.
A card or a reminder posted is remembered (a staff reply to it answers the
ticket); a staff chat that refused the bot (``gone``: a 403, the bot was
removed from the group) is unlinked through :meth:`~.staff.StaffChats.unlink`,
the one owner of unlinking, and its open questions wait for a new link.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from embeddings import Lang

from ..storage import Storage, Ticket
from .staff import StaffChats
from .ticket_rules import Actor, Reminder

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Said:
    """Telegram's answer to one message about a ticket."""

    message_id: int | None = None  # the message sent (or edited); None: nothing was said
    gone: bool = False  # the chat refused the bot (403)

    @property
    def ok(self) -> bool:
        return self.message_id is not None


NOT_SAID = Said()
GONE = Said(gone=True)


class ChangeKind(StrEnum):
    """What a staff member did to a ticket."""

    TAKEN = "taken"
    PASSED = "passed"  # to another agency
    REJECTED = "rejected"
    ANSWERED = "answered"


@dataclass(frozen=True)
class Change:
    """What happened to a ticket, as its card's status line and its asker hear it."""

    kind: ChangeKind
    who: str = ""  # the staff member who did it, by name
    agency: str = ""  # passed: the agency the question went to
    text: str = ""  # answered: the answer as the staff wrote it (the asker reads it unmasked)
    copy: int | None = None  # answered with a file: the staff's message, copied to the asker


class TicketNotifier(Protocol):
    async def card(self, ticket: Ticket, chat_id: int, lang: str, *,
                   reopened: bool = False) -> Said:
        """Post the question's card, with its buttons, in the staff chat `chat_id`
        in `lang`; ``gone`` when the chat refused the bot."""

    async def mark(self, ticket: Ticket, lang: str, change: Change) -> Said:
        """Rewrite the ticket's card (``ticket.staff_chat``/``staff_message``) in
        `lang` with the status line of `change`: not ``ok`` when it cannot be
        edited any more (it stays as it is), ``gone`` when the chat refused the bot."""

    async def tell(self, ticket: Ticket, lang: str, change: Change) -> Said:
        """Tell the asker, in `lang`, what `change` did to their question: not
        ``ok`` when Telegram refused (they blocked the bot); the ticket still
        records the change."""

    async def remind(self, reminder: Reminder) -> Said:
        """Post the reminder in its staff chat, in the chat's language, as a reply
        to the question's card; ``gone`` when the chat refused the bot."""


class TicketPosts:
    """Tickets in the agencies' staff chats: their cards, status lines and reminders."""

    def __init__(self, storage: Storage, staff: StaffChats):
        self.storage = storage
        self.staff = staff

    async def staff_chat(self, agency: str) -> tuple[int, str] | None:
        """The agency's staff chat and its language, or None when none is linked."""
        return await self.storage.tickets.staff_chat_of(agency)

    async def posted(self, ticket_id: int, chat_id: int, message_id: int) -> Ticket:
        """The ticket's card is `message_id` in the staff chat `chat_id`."""
        await self.storage.tickets.remember(chat_id, message_id, ticket_id)
        return await self.storage.tickets.update(ticket_id, staff_chat=chat_id,
                                                 staff_message=message_id)

    async def _heard(self, said: Said, chat_id: int) -> Said:
        """`said` in the staff chat `chat_id`; a chat that refused the bot is unlinked."""
        if said.gone:
            logger.warning("staff chat %d refused the bot", chat_id)
            await self.staff.unlink(chat_id=chat_id)
        return said

    async def show(self, ticket: Ticket, say: TicketNotifier, *, reopened: bool = False) -> bool:
        """Post the ticket's card in its agency's staff chat; False when none is
        linked, or the chat refused the bot and is unlinked: the ticket waits, and
        is shown when the agency links a chat (:meth:`show_waiting`)."""
        linked = await self.staff_chat(ticket.agency)
        if linked is None:
            logger.warning("ticket %d: agency %s has no linked staff chat; it waits",
                           ticket.id, ticket.agency)
            return False
        chat_id, lang = linked
        said = await self._heard(await say.card(ticket, chat_id, lang, reopened=reopened),
                                 chat_id)
        if said.message_id is None:
            return False
        await self.posted(ticket.id, chat_id, said.message_id)
        return True

    async def show_waiting(self, agency: str, say: TicketNotifier) -> int:
        """Post the agency's tickets that waited for a staff chat; how many."""
        waiting = await self.storage.tickets.waiting(agency)
        for ticket in waiting:
            await self.show(ticket, say)
        return len(waiting)

    async def mark(self, ticket: Ticket, actor: Actor, change: Change,
                   say: TicketNotifier) -> None:
        """The ticket's card in the actor's chat says what `change` did."""
        await self._heard(await say.mark(ticket, actor.lang, change), actor.chat_id)

    async def reminders(self, now: float, before: float) -> list[Reminder]:
        """Open tickets shown in a staff chat, due within `before` seconds of `now`
        or overdue, that were not reminded of that yet; each is marked first (a
        conditional update), so a reminder goes once even with several bot
        processes on one database."""
        out = []
        for t in await self.storage.tickets.open_tickets():
            if t.staff_chat is None:
                continue
            stage = 2 if now >= t.due_at else 1 if now >= t.due_at - before else 0
            if stage > t.reminded and await self.storage.tickets.mark_reminded(t.id, stage):
                lang = await self.storage.staff.lang_of(t.staff_chat) or Lang.RU
                out.append(Reminder(t, t.staff_chat, stage == 2, lang))
        return out

    async def remind(self, reminders: list[Reminder], say: TicketNotifier) -> None:
        """Post the reminders; a reply to one answers its ticket as a reply to the
        card does."""
        for r in reminders:
            said = await self._heard(await say.remind(r), r.chat_id)
            if said.message_id is not None:
                await self.storage.tickets.remember(r.chat_id, said.message_id, r.ticket.id)
