"""Ask an agency: a citizen's question routed to the agency's staff chat and
tracked to an answer. When the asker allows and the staff approve a public
wording, the answer is published by :mod:`.publication`; this module keeps the
workflow (asking for the wording, declining it).

The question and the answer are stored masked (:func:`mask`). Time comes from an
injectable clock (unix seconds); due dates count working days (Mon-Fri).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from embeddings import Agency, SearchEngine

from ..storage import Storage, Ticket
from .catalog import LANGS
from .masking import mask
from .qa_page import plain
from .regions import Directory

logger = logging.getLogger(__name__)

MIN_CHARS = 10
MAX_CHARS = 2000
EOTINISH = "https://eotinish.kz"
DAY = 86400.0
_WORD = re.compile(r"\w+", re.UNICODE)
STEM = 5  # compare words by their first letters: Kazakh and Russian inflect the ending


@dataclass(frozen=True)
class TicketsConfig:
    due_days: int = 5  # working days to answer
    max_open: int = 5  # open questions per citizen
    remind_before: float = DAY  # seconds before the due time of the reminder


@dataclass(frozen=True)
class Reminder:
    ticket: Ticket
    chat_id: int
    overdue: bool
    lang: str  # the staff chat's language


@dataclass(frozen=True)
class AgencyReport:
    agency: str
    open: int
    overdue: int
    answered: int
    median_hours: float | None
    waiting: int = 0  # open questions no staff chat has seen: the agency has linked none


def add_working_days(start: float, days: int) -> float:
    """`start` plus `days` working days (Saturday and Sunday are skipped)."""
    moment = dt.datetime.fromtimestamp(start, dt.UTC)
    while days > 0:
        moment += dt.timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    return moment.timestamp()


def _stems(text: str) -> set[str]:
    return {w[:STEM] for w in _WORD.findall(text.lower()) if len(w) >= 4}


def _stored(text: str) -> str:
    """`text` as stored: masked, without control characters (PostgreSQL refuses a
    NUL) or unpaired surrogates, stripped."""
    return mask(plain(text)).strip()


def valid_length(text: str) -> bool:
    return MIN_CHARS <= len(text.strip()) <= MAX_CHARS


def valid_wording(text: str) -> bool:
    """A public wording is a question's length once stored (masked, cleaned)."""
    return valid_length(_stored(text))


def has_personal_data(text: str) -> bool:
    return mask(text) != text


def report(tickets: list[Ticket], now: float) -> list[AgencyReport]:
    """Per agency: open, overdue, answered, the median hours to answer, and the
    open questions waiting for the agency to link a staff chat."""
    by_agency: dict[str, list[Ticket]] = {}
    for t in tickets:
        by_agency.setdefault(t.agency, []).append(t)
    out = []
    for agency in sorted(by_agency):
        items = by_agency[agency]
        done = [t for t in items if t.status == "answered" and t.answered_at is not None]
        hours = [(t.answered_at - t.created_at) / 3600 for t in done]
        out.append(AgencyReport(agency, sum(t.is_open for t in items),
                                sum(t.is_open and now > t.due_at for t in items), len(done),
                                statistics.median(hours) if hours else None,
                                sum(t.is_open and t.staff_chat is None for t in items)))
    return out


class Tickets:
    def __init__(self, storage: Storage, engine: SearchEngine, directory: Directory,
                 config: TicketsConfig = TicketsConfig(),
                 clock: Callable[[], float] = time.time):
        self.storage = storage
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
        words = _stems(text)
        scores: dict[str, float] = {}
        for agency_id, agency in self.agencies.items():
            described = _stems(" ".join(agency.description.values()))
            scores[agency_id] = len(words & described) / (len(words) or 1)
        for rank, hit in enumerate(result.hits):
            if hit.agency in scores:
                scores[hit.agency] += 1.0 / (rank + 2)
        if result.elsewhere is not None and result.elsewhere.agency in scores:
            scores[result.elsewhere.agency] += 1.0  # a theme no page covers: its agency
        ranked = sorted(scores, key=lambda a: (-scores[a], a))
        topic = result.hits[0].id if result.hits else None
        return ranked, topic, result.lang

    async def can_open(self, user_id: int) -> bool:
        return await self.storage.tickets.count_open(user_id) < self.config.max_open

    async def open(self, user_id: int, agency: str, text: str, lang: str,
                   topic_id: str | None, public: bool) -> Ticket | None:
        """A new ticket, or None when the citizen already has the most open ones."""
        if agency not in self.agencies:
            raise ValueError(f"unknown agency {agency!r}")
        if not valid_length(text):
            raise ValueError("a question is 10 to 2000 characters")
        if not await self.can_open(user_id):
            return None
        now = self.clock()
        await self.storage.users.get_or_create(user_id)
        ticket = await self.storage.tickets.add(
            user_id=user_id, agency=agency, lang=lang, text=_stored(text),
            topic_id=topic_id, public=public, now=now,
            due_at=add_working_days(now, self.config.due_days))
        logger.info("ticket %d from user %d to %s (lang=%s)", ticket.id, user_id, agency, lang)
        return ticket

    async def citizen_lang(self, ticket: Ticket) -> str:
        """The language to write to the asker in: their chosen one, else the question's."""
        user = await self.storage.users.get(ticket.user_id)
        return user.language if user and user.language in LANGS else ticket.lang

    async def mine(self, user_id: int) -> list[Ticket]:
        return await self.storage.tickets.of_user(user_id)

    # -- the staff ------------------------------------------------------------------
    async def staff_chat(self, agency: str) -> tuple[int, str] | None:
        """The agency's staff chat and its language, or None when none is linked."""
        return await self.storage.tickets.staff_chat_of(agency)

    async def chat_lost(self, chat_id: int) -> None:
        """The staff chat refused the bot (403: the bot was removed from the group):
        it is unlinked, and its open questions wait for the agency as when no chat
        is linked (``saual qa report`` counts them under "no chat")."""
        for chat in await self.storage.staff.unlink(chat_id=chat_id):
            logger.warning("staff chat %d of %s refused the bot: unlinked; its open "
                           "questions wait for a new link", chat.chat_id, chat.agency)

    async def waiting(self, agency: str) -> list[Ticket]:
        """Open tickets of `agency` that no staff chat has seen (it had none linked)."""
        return await self.storage.tickets.waiting(agency)

    async def posted(self, ticket_id: int, chat_id: int, message_id: int) -> Ticket:
        """The ticket's card is `message_id` in the staff chat `chat_id`."""
        await self.storage.tickets.remember(chat_id, message_id, ticket_id)
        return await self.storage.tickets.update(ticket_id, staff_chat=chat_id,
                                                 staff_message=message_id)

    async def mentioned(self, ticket_id: int, chat_id: int, message_id: int) -> None:
        """A bot message in the staff chat (a reminder) is about the ticket: a reply
        to it answers the ticket as a reply to the card does."""
        await self.storage.tickets.remember(chat_id, message_id, ticket_id)

    async def get(self, ticket_id: int) -> Ticket | None:
        return await self.storage.tickets.get(ticket_id)

    async def by_staff_message(self, chat_id: int, message_id: int) -> Ticket | None:
        return await self.storage.tickets.by_staff_message(chat_id, message_id)

    async def take(self, ticket: Ticket, staff_user: int) -> Ticket | None:
        """The ticket taken by `staff_user`, or None when it was no longer free."""
        if not await self.storage.tickets.take(ticket.id, staff_user):
            return None
        logger.info("ticket %d taken by staff user %d", ticket.id, staff_user)
        return await self.storage.tickets.get(ticket.id)

    async def rate(self, ticket: Ticket, vote: int) -> Ticket:
        """The citizen's 👍 (1) or 👎 (-1) on the answer; a new vote replaces the old."""
        if vote not in (1, -1):
            raise ValueError(f"a vote is 1 or -1, not {vote!r}")
        logger.info("ticket %d rated %+d", ticket.id, vote)
        return await self.storage.tickets.update(ticket.id, rating=vote)

    async def reassign(self, ticket: Ticket, agency: str) -> Ticket:
        if agency not in self.agencies:
            raise ValueError(f"unknown agency {agency!r}")
        logger.info("ticket %d reassigned %s -> %s", ticket.id, ticket.agency, agency)
        return await self.storage.tickets.update(ticket.id, agency=agency, status="open",
                                                 staff_chat=None, staff_message=None,
                                                 reminded=0)

    async def reject(self, ticket: Ticket, reason: str) -> Ticket:
        logger.info("ticket %d rejected by %s", ticket.id, ticket.agency)
        return await self.storage.tickets.update(ticket.id, status="rejected",
                                                 answer=_stored(reason),
                                                 answered_at=self.clock())

    async def answer(self, ticket: Ticket, text: str) -> Ticket:
        """Record the staff answer, masked. When `ticket.public`, publication waits
        for the staff's public wording of the question (:meth:`ask_wording`)."""
        ticket = await self.storage.tickets.update(ticket.id, status="answered",
                                                   answer=_stored(text),
                                                   answered_at=self.clock())
        logger.info("ticket %d answered by %s", ticket.id, ticket.agency)
        return ticket

    async def reopen(self, ticket: Ticket) -> Ticket:
        """Open an answered ticket again with a new due date. The time to answer
        keeps counting from the question (the report's median includes the
        detour); the new answer goes through the staff's approval again (the
        caller withdraws a published answer: :meth:`.Publication.withdraw`)."""
        now = self.clock()
        ticket = await self.storage.tickets.update(
            ticket.id, status="open", answered_at=None, reminded=0, taken_by=None, rating=None,
            due_at=add_working_days(now, self.config.due_days), public_question=None,
            publish_message=None)
        logger.info("ticket %d reopened by the citizen", ticket.id)
        return ticket

    # -- reminders and the report ---------------------------------------------------
    async def reminders(self) -> list[Reminder]:
        """Open tickets due soon or overdue that were not reminded of that yet;
        each is marked first (a conditional update), so a reminder goes once even
        with several bot processes on one database."""
        now = self.clock()
        out = []
        for t in await self.storage.tickets.open_tickets():
            if t.staff_chat is None:
                continue
            stage = 2 if now >= t.due_at else 1 if now >= t.due_at - self.config.remind_before \
                else 0
            if stage > t.reminded and await self.storage.tickets.mark_reminded(t.id, stage):
                lang = await self.storage.staff.lang_of(t.staff_chat) or "ru"
                out.append(Reminder(t, t.staff_chat, stage == 2, lang))
        return out

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
