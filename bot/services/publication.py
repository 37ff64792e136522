"""Publishing an agency's answer as a Q&A page, for every citizen to find.

Nothing a citizen typed is published: the page shows the question as the
agency's staff worded it for everyone (:meth:`Publication.approve`) and their
answer, written by :mod:`.qa_page`. The page is checked at once by the
knowledge base's own parser, then stored in the database with a request for a
new index build; the build runs in the worker (:mod:`bot.publisher`), never
here, and every running bot picks the new build up as it does any other. A
reopened ticket's page is withdrawn the same way (:meth:`Publication.withdraw`).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable

from embeddings import CorpusError, Lang, SearchEngine, parse_page

from ..storage import QAPage, Storage, Ticket, TicketStatus
from .qa_page import render
from .regions import Directory
from .tickets import EOTINISH, stored_text, valid_wording, word_stems

logger = logging.getLogger(__name__)


def page_name(agency: str, ticket_id: int, lang: str) -> str:
    """Where the page sits in the knowledge folder's layout (and what a page
    file of that name, published before the database kept pages, is replaced by)."""
    return f"qa/{agency}/{ticket_id}.{lang}.md"


class Publication:
    def __init__(self, storage: Storage, engine: SearchEngine, directory: Directory,
                 clock: Callable[[], float] = time.time):
        self.storage = storage
        self.engine = engine
        self.directory = directory
        self.clock = clock

    async def approve(self, ticket: Ticket, wording: str) -> QAPage | None:
        """Publish the answered `ticket` with `wording`, the question as the staff
        wrote it for everyone (masked): the page is stored and an index build is
        asked for. None when the knowledge base refuses the page."""
        answered = ticket.status == TicketStatus.ANSWERED
        if not (ticket.public and answered and valid_wording(wording)):
            raise ValueError(f"ticket {ticket.id} cannot be published with this wording")
        ticket = await self.storage.tickets.update(ticket.id, public_question=stored_text(wording))
        text = self.page(ticket)
        name = page_name(ticket.agency, ticket.id, ticket.lang)
        try:
            parse_page(text, name, qa=True)
        except CorpusError as exc:
            logger.error("ticket %d: the knowledge base refused the page: %s", ticket.id, exc)
            return None
        page = await self.storage.qa_pages.publish(ticket.id, agency=ticket.agency,
                                                   lang=ticket.lang, markdown=text,
                                                   now=self.clock())
        await self.storage.tickets.update(ticket.id, publish_message=None)
        logger.info("ticket %d published as %s (index generation %d wanted)", ticket.id, name,
                    page.generation)
        return page

    async def withdraw(self, ticket: Ticket) -> bool:
        """Withdraw the ticket's page, if it has one (`ticket` as it was before it
        was reopened: an approved wording means a page may exist)."""
        if not ticket.public:
            return False
        done = await self.storage.qa_pages.withdraw(
            ticket.id, agency=ticket.agency, lang=ticket.lang, now=self.clock(),
            published=ticket.public_question is not None)
        if done:
            logger.info("ticket %d: the published answer is withdrawn", ticket.id)
        return done

    def page(self, ticket: Ticket) -> str:
        """The Q&A page of an answer, with the question as the staff worded it;
        never the citizen's text."""
        if ticket.public_question is None:
            raise ValueError(f"ticket {ticket.id} has no public wording approved by the staff")
        agency = self.directory.agencies.get(ticket.agency)
        front = {
            "id": str(ticket.id), "lang": ticket.lang, "title": ticket.public_question,
            "summary": ticket.answer, "category": self._category(ticket),
            "agency": ticket.agency, "source_url": agency.website if agency else EOTINISH,
            "updated": dt.datetime.fromtimestamp(ticket.answered_at or self.clock(),
                                                 dt.UTC).date().isoformat(),
            "keywords": sorted(word_stems(ticket.public_question))[:10] or [ticket.agency],
        }
        return render(front, ticket.lang, ticket.public_question, ticket.answer)

    def _category(self, ticket: Ticket) -> str:
        """The category of the closest topic when asked (any of its languages)."""
        documents = self.engine.index.documents
        for lang in (ticket.lang, Lang.RU, Lang.KK):
            doc = documents.get((ticket.topic_id, lang)) if ticket.topic_id else None
            if doc and doc.category:
                return doc.category
        return next(iter(self.engine.index.categories), "qa")
