"""Ask an agency: a citizen's question routed to the agency's staff chat and
tracked to an answer. When the asker allows and the staff approve a public
wording, the answer is published by :mod:`.publication`; this module keeps the
workflow (asking for the wording, declining it).

Who may do what is decided here, each action answering an :class:`Outcome` or
its :class:`Refusal`: a ticket is acted on only from the agency's linked chat
that shows it, while open; only the asker rates or reopens it. What is said
about a ticket goes through a :class:`TicketNotifier` (:mod:`.ticket_posts`).

The question and the answer are stored masked (:func:`mask`). Time comes from an
injectable clock (unix seconds); due dates count working days (Mon-Fri).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from embeddings import Agency, SearchEngine, SearchResult

from ..storage import OPEN_STATUSES, Storage, Ticket, TicketStatus
from .catalog import LANGS
from .masking import mask
from .qa_page import plain
from .regions import Directory
from .staff import StaffChats
from .ticket_posts import Change, ChangeKind, TicketNotifier, TicketPosts
from .ticket_rules import EOTINISH as EOTINISH  # re-exported: .publication reads it here
from .ticket_rules import (
    MIN_ANSWER,
    Actor,
    AgencyReport,
    Outcome,
    Refusal,
    Reminder,
    add_working_days,
    report,
    valid_length,
)

if TYPE_CHECKING:  # publication.py imports this module's helpers
    from .publication import Publication

logger = logging.getLogger(__name__)

DAY = 86400.0
_WORD = re.compile(r"\w+", re.UNICODE)
STEM = 5  # compare words by their first letters: Kazakh and Russian inflect the ending


@dataclass(frozen=True)
class TicketsConfig:
    due_days: int = 5  # working days to answer
    max_open: int = 5  # open questions per citizen
    remind_before: float = DAY  # seconds before the due time of the reminder


def word_stems(text: str) -> set[str]:
    return {w[:STEM] for w in _WORD.findall(text.lower()) if len(w) >= 4}


def agency_scores(text: str, result: SearchResult,
                  agencies: Mapping[str, Agency]) -> dict[str, float]:
    """How likely each agency handles the question `text` (searched as `result`):
    the share of its words in the agency's kk/ru description, plus the agencies
    of the search results (the first counts most: 1/2, 1/3...) and 1 for the
    agency of an out-of-scope theme that matched better than every page."""
    words = word_stems(text)
    scores: dict[str, float] = {}
    for agency_id, agency in agencies.items():
        described = word_stems(" ".join(agency.description.values()))
        scores[agency_id] = len(words & described) / (len(words) or 1)
    for rank, hit in enumerate(result.hits):
        if hit.agency in scores:
            scores[hit.agency] += 1.0 / (rank + 2)
    if result.elsewhere is not None and result.elsewhere.agency in scores:
        scores[result.elsewhere.agency] += 1.0  # a theme no page covers: its agency
    return scores


def stored_text(text: str) -> str:
    """`text` as stored: masked, without control characters (PostgreSQL refuses a
    NUL) or unpaired surrogates, stripped."""
    return mask(plain(text)).strip()


def valid_wording(text: str) -> bool:
    """A public wording is a question's length once stored (masked, cleaned)."""
    return valid_length(stored_text(text))


class Tickets:
    def __init__(self, storage: Storage, engine: SearchEngine, directory: Directory,
                 config: TicketsConfig = TicketsConfig(),
                 clock: Callable[[], float] = time.time, *, staff: StaffChats,
                 publication: Publication):
        self.storage = storage
        self.posts = TicketPosts(storage, staff)
        self.publication = publication  # withdraws the page of a reopened ticket
        self.engine = engine
        self.directory = directory
        self.config = config
        self.clock = clock

    # -- the citizen --------------------------------------------------------------
    @property
    def agencies(self) -> Mapping[str, Agency]:
        """The directory's agencies by id, in agencies.yaml order."""
        return self.directory.agencies

    async def propose(self, text: str) -> tuple[list[str], str | None, str]:
        """Agencies ranked for `text`, the closest topic and the question's language.

        Score: word overlap with the agency's kk/ru description, plus the
        agencies of the closest search results (the first counts most) and the
        agency of an out-of-scope theme that matched better than every page.
        """
        text = self.engine.fit_query(text)  # no more than a search reads
        result = await self.engine.asearch(text, k=5)
        scores = agency_scores(text, result, self.agencies)
        ranked = sorted(scores, key=lambda a: (-scores[a], a))
        topic = result.hits[0].id if result.hits else None
        return ranked, topic, result.lang

    async def can_open(self, user_id: int) -> bool:
        return await self.storage.tickets.count_open(user_id) < self.config.max_open

    async def open(self, user_id: int, agency: str, text: str, lang: str,
                   topic_id: str | None, public: bool,
                   reply_lang: str | None = None) -> Ticket | None:
        """A new ticket, or None when the citizen already has the most open ones.
        `reply_lang`: the language the bot spoke to them in (:meth:`citizen_lang`)."""
        if agency not in self.agencies:
            raise ValueError(f"unknown agency {agency!r}")
        if not valid_length(text):
            raise ValueError("a question is 10 to 2000 characters")
        if not await self.can_open(user_id):
            return None
        now = self.clock()
        await self.storage.users.get_or_create(user_id)
        ticket = await self.storage.tickets.add(
            user_id=user_id, agency=agency, lang=lang, text=stored_text(text),
            topic_id=topic_id, public=public, now=now,
            due_at=add_working_days(now, self.config.due_days),
            reply_lang=reply_lang if reply_lang in LANGS else None)
        logger.info("ticket %d from user %d to %s (lang=%s)", ticket.id, user_id, agency, lang)
        return ticket

    async def submit(self, user_id: int, agency: str, text: str, lang: str,
                     topic_id: str | None, public: bool, say: TicketNotifier,
                     reply_lang: str | None = None) -> Outcome:
        """Open a ticket (:meth:`open`) and show it in the agency's staff chat:
        TOO_MANY when the citizen has the most open ones; not `delivered` when the
        agency has no staff chat yet (the ticket waits for one)."""
        ticket = await self.open(user_id, agency, text, lang, topic_id, public, reply_lang)
        if ticket is None:
            return Outcome(refusal=Refusal.TOO_MANY)
        return Outcome(ticket, delivered=await self.posts.show(ticket, say))

    async def citizen_lang(self, ticket: Ticket) -> str:
        """The language to write to the asker in: their chosen one, else the one the
        bot spoke to them in when they asked (Telegram's), else the question's."""
        user = await self.storage.users.get(ticket.user_id)
        if user and user.language in LANGS:
            return user.language
        return ticket.reply_lang if ticket.reply_lang in LANGS else ticket.lang

    async def mine(self, user_id: int) -> list[Ticket]:
        return await self.storage.tickets.of_user(user_id)

    async def _asked(self, ticket_id: int, user_id: int) -> Ticket | None:
        ticket = await self.get(ticket_id)
        return ticket if ticket and ticket.user_id == user_id else None

    async def rate(self, ticket_id: int, user_id: int, vote: int) -> Outcome:
        """The asker's 👍 (1) or 👎 (-1) on the answer; a new vote replaces the old.
        Only the asker rates (NOT_ASKER), and only the answer in force (REPLACED:
        the ticket was reopened since)."""
        if vote not in (1, -1):
            raise ValueError(f"a vote is 1 or -1, not {vote!r}")
        ticket = await self._asked(ticket_id, user_id)
        if ticket is None:
            return Outcome(refusal=Refusal.NOT_ASKER)
        if ticket.status != TicketStatus.ANSWERED:
            return Outcome(ticket, Refusal.REPLACED)
        logger.info("ticket %d rated %+d", ticket.id, vote)
        return Outcome(await self.storage.tickets.update(ticket.id, rating=vote))

    async def reopen_by_asker(self, ticket_id: int, user_id: int,
                              say: TicketNotifier) -> Outcome:
        """The asker says the answer does not answer them: an answered ticket is
        opened again (:meth:`reopen`), its published page withdrawn, and it is
        shown to the staff again. Only the asker (NOT_ASKER); any other ticket of
        theirs is left as it is."""
        ticket = await self._asked(ticket_id, user_id)
        if ticket is None:
            return Outcome(refusal=Refusal.NOT_ASKER)
        if ticket.status == TicketStatus.ANSWERED:
            reopened = await self.reopen(ticket)
            if reopened is not None:
                await self.publication.withdraw(ticket)  # its page, if its wording was approved
                await self.posts.show(reopened, say, reopened=True)
                ticket = reopened
        return Outcome(ticket)

    # -- the staff ------------------------------------------------------------------
    async def staff_chat(self, agency: str) -> tuple[int, str] | None:
        """The agency's staff chat and its language, or None when none is linked."""
        return await self.posts.staff_chat(agency)

    async def posted(self, ticket_id: int, chat_id: int, message_id: int) -> Ticket:
        """The ticket's card is `message_id` in the staff chat `chat_id`."""
        return await self.posts.posted(ticket_id, chat_id, message_id)

    async def deliver_waiting(self, agency: str, say: TicketNotifier) -> int:
        """Show the agency's tickets that waited for a staff chat; how many."""
        return await self.posts.show_waiting(agency, say)

    async def get(self, ticket_id: int) -> Ticket | None:
        return await self.storage.tickets.get(ticket_id)

    async def held(self, ticket_id: int, actor: Actor) -> Ticket | None:
        """The ticket when it is the actor's agency's open one, shown in the actor's
        chat; None otherwise (a button pressed anywhere else acts on nothing)."""
        ticket = await self.get(ticket_id)
        if ticket and ticket.agency == actor.agency and ticket.is_open \
                and ticket.staff_chat == actor.chat_id:
            return ticket
        return None

    async def take(self, ticket_id: int, actor: Actor, say: TicketNotifier) -> Outcome:
        """The actor takes the ticket: its card says who. NOT_HERE (see :meth:`held`),
        or TAKEN when someone took it first."""
        ticket = await self.held(ticket_id, actor)
        if ticket is None:
            return Outcome(refusal=Refusal.NOT_HERE)
        taken = await self.storage.tickets.change(ticket.id, (TicketStatus.OPEN,),
                                                  status=TicketStatus.TAKEN,
                                                  taken_by=actor.user_id)
        if taken is None:
            return Outcome(ticket, Refusal.TAKEN)
        logger.info("ticket %d taken by staff user %d", ticket.id, actor.user_id)
        await self.posts.mark(taken, actor, Change(ChangeKind.TAKEN, actor.name), say)
        return Outcome(taken)

    async def reassign(self, ticket_id: int, actor: Actor, agency: str,
                       say: TicketNotifier) -> Outcome:
        """Pass the ticket on to `agency`: the old card says so, the ticket goes to
        that agency's staff chat (not `delivered`: it has none, the ticket waits)
        and the asker is told. NOT_HERE (see :meth:`held`), UNKNOWN_AGENCY."""
        old = await self.held(ticket_id, actor)
        if old is None:
            return Outcome(refusal=Refusal.NOT_HERE)
        if agency not in self.agencies:
            return Outcome(old, Refusal.UNKNOWN_AGENCY)
        ticket = await self.storage.tickets.change(
            old.id, OPEN_STATUSES, agency=agency, status=TicketStatus.OPEN, staff_chat=None,
            staff_message=None, reminded=0)
        if ticket is None:  # answered, rejected or passed on meanwhile
            return Outcome(refusal=Refusal.NOT_HERE)
        logger.info("ticket %d reassigned %s -> %s", old.id, old.agency, agency)
        await self.posts.mark(old, actor, Change(ChangeKind.PASSED, actor.name, agency=agency), say)
        delivered = await self.posts.show(ticket, say)
        await say.tell(ticket, await self.citizen_lang(ticket),
                       Change(ChangeKind.PASSED, agency=agency))
        return Outcome(ticket, delivered=delivered)

    async def reject(self, ticket_id: int, actor: Actor, reason: str,
                     say: TicketNotifier) -> Outcome:
        """Reject the ticket with `reason` (stored masked): the card and the asker
        say so. NOT_HERE (see :meth:`held`)."""
        ticket = await self.held(ticket_id, actor)
        if ticket is None:
            return Outcome(refusal=Refusal.NOT_HERE)
        ticket = await self.storage.tickets.change(ticket.id, OPEN_STATUSES,
                                                   status=TicketStatus.REJECTED,
                                                   answer=stored_text(reason),
                                                   answered_at=self.clock())
        if ticket is None:  # answered, rejected or passed on meanwhile
            return Outcome(refusal=Refusal.NOT_HERE)
        logger.info("ticket %d rejected by %s", ticket.id, ticket.agency)
        await self.posts.mark(ticket, actor, Change(ChangeKind.REJECTED, actor.name), say)
        await say.tell(ticket, await self.citizen_lang(ticket), Change(ChangeKind.REJECTED))
        return Outcome(ticket)

    async def answer(self, actor: Actor, message_id: int, text: str, say: TicketNotifier, *,
                     copy: int | None = None) -> Outcome:
        """Answer the ticket whose card (or reminder) is `message_id` in the actor's
        chat: the answer is stored masked and the asker reads it as written (after
        the staff's file `copy`, when there is one); the card says who answered.
        When `ticket.public`, publication waits for the staff's public wording of
        the question (:meth:`approve`). NOT_HERE (a card of another agency, or of
        a chat that no longer holds it), CLOSED, TOO_SHORT; not `delivered` when
        the asker blocked the bot."""
        ticket = await self.storage.tickets.by_staff_message(actor.chat_id, message_id)
        if ticket is None or ticket.agency != actor.agency or ticket.staff_chat != actor.chat_id:
            return Outcome(refusal=Refusal.NOT_HERE)
        if not ticket.is_open:
            return Outcome(ticket, Refusal.CLOSED)
        text = text.strip()
        if len(text) < MIN_ANSWER:
            return Outcome(ticket, Refusal.TOO_SHORT)
        closed = ticket
        ticket = await self.storage.tickets.change(ticket.id, OPEN_STATUSES,
                                                   status=TicketStatus.ANSWERED,
                                                   answer=stored_text(text),
                                                   answered_at=self.clock())
        if ticket is None:  # a colleague answered (or rejected) it a moment before
            return Outcome(await self.storage.tickets.get(closed.id) or closed, Refusal.CLOSED)
        logger.info("ticket %d answered by %s", ticket.id, ticket.agency)
        said = await say.tell(ticket, await self.citizen_lang(ticket),
                              Change(ChangeKind.ANSWERED, actor.name, text=text, copy=copy))
        await self.posts.mark(ticket, actor, Change(ChangeKind.ANSWERED, actor.name), say)
        return Outcome(ticket, delivered=said.ok)

    async def reopen(self, ticket: Ticket) -> Ticket | None:
        """Open an answered ticket again with a new due date. The time to answer
        keeps counting from the question (the report's median includes the
        detour); the new answer goes through the staff's approval again (the
        caller withdraws a published answer: :meth:`.Publication.withdraw`)."""
        now = self.clock()
        reopened = await self.storage.tickets.change(
            ticket.id, (TicketStatus.ANSWERED,), status=TicketStatus.OPEN, answered_at=None,
            reminded=0, taken_by=None, rating=None,
            due_at=add_working_days(now, self.config.due_days), public_question=None,
            publish_message=None)
        if reopened is None:  # reopened already (a double tap), or no longer answered
            return None
        logger.info("ticket %d reopened by the citizen", ticket.id)
        return reopened

    # -- reminders and the report ---------------------------------------------------
    async def reminders(self) -> list[Reminder]:
        """The reminders due (:meth:`TicketPosts.reminders`), each marked as sent."""
        return await self.posts.reminders(self.clock(), self.config.remind_before)

    async def remind(self, say: TicketNotifier) -> int:
        """Send the due reminders to the staff chats; how many were due."""
        due = await self.reminders()
        await self.posts.remind(due, say)
        return len(due)

    async def report(self) -> list[AgencyReport]:
        return report(await self.storage.tickets.all(), self.clock())

    # -- the public wording (publishing it: .publication) ----------------------------
    async def ask_wording(self, ticket: Ticket, message_id: int) -> Ticket:
        """`message_id` in the ticket's staff chat asks for the public wording of
        the answered `ticket`: a reply to it approves that wording, its button
        declines (:class:`.Publication` publishes). It is not an answer to the
        ticket (not remembered as one)."""
        return await self.storage.tickets.update(ticket.id, publish_message=message_id)

    async def waiting_wording(self, chat_id: int, message_id: int) -> Ticket | None:
        """The ticket whose publication waits on the request `message_id`."""
        return await self.storage.tickets.by_publish_message(chat_id, message_id)

    async def decline(self, ticket: Ticket) -> Ticket:
        """The staff chose not to publish the ticket: the request is closed."""
        logger.info("ticket %d: the staff declined publication", ticket.id)
        return await self.storage.tickets.update(ticket.id, publish_message=None)
