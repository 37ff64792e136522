"""Tickets: citizens' questions to an agency, from asked to answered."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa

from .base import Repo
from .tables import staff_chats, ticket_messages, tickets


class TicketStatus(StrEnum):
    """Where a ticket is (the values stored in ``tickets.status``)."""

    OPEN = "open"  # waiting for the agency
    TAKEN = "taken"  # a staff member took it
    ANSWERED = "answered"
    REJECTED = "rejected"


OPEN_STATUSES = (TicketStatus.OPEN, TicketStatus.TAKEN)


@dataclass(frozen=True)
class Ticket:
    id: int
    user_id: int
    agency: str
    lang: str
    text: str
    topic_id: str | None
    public: bool
    status: TicketStatus
    answer: str
    staff_chat: int | None
    staff_message: int | None
    created_at: float
    due_at: float
    answered_at: float | None
    reminded: int
    taken_by: int | None = None
    rating: int | None = None
    public_question: str | None = None  # the staff's public wording: set = approved
    publish_message: int | None = None  # the staff-chat message asking for that wording
    reply_lang: str | None = None  # the interface's language when asked

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


def _ticket(row) -> Ticket:
    values = row._mapping
    return Ticket(**{**values, "status": TicketStatus(values["status"])})


class TicketRepo(Repo):
    async def add(self, *, user_id: int, agency: str, lang: str, text: str,
                  topic_id: str | None, public: bool, now: float, due_at: float,
                  reply_lang: str | None = None) -> Ticket:
        async with self.engine.begin() as conn:
            new_id = (await conn.execute(tickets.insert().values(
                user_id=user_id, agency=agency, lang=lang, text=text, topic_id=topic_id,
                public=public, status=TicketStatus.OPEN, created_at=now, due_at=due_at,
                reply_lang=reply_lang)
                .returning(tickets.c.id))).scalar_one()
        found = await self.get(new_id)
        assert found is not None
        return found

    async def get(self, ticket_id: int) -> Ticket | None:
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(tickets).where(tickets.c.id == ticket_id))).first()
        return _ticket(row) if row else None

    async def by_staff_message(self, chat_id: int, message_id: int) -> Ticket | None:
        """The ticket a bot message in a staff chat is about (see :meth:`remember`)."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(tickets).join(
                ticket_messages, ticket_messages.c.ticket_id == tickets.c.id).where(
                ticket_messages.c.chat_id == chat_id,
                ticket_messages.c.message_id == message_id))).first()
        return _ticket(row) if row else None

    async def by_publish_message(self, chat_id: int, message_id: int) -> Ticket | None:
        """The ticket whose publication waits on the request `message_id` in `chat_id`."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(tickets).where(
                tickets.c.staff_chat == chat_id,
                tickets.c.publish_message == message_id))).first()
        return _ticket(row) if row else None

    async def remember(self, chat_id: int, message_id: int, ticket_id: int) -> None:
        """Note that a bot message in a staff chat is about `ticket_id`."""
        async with self.engine.begin() as conn:
            await conn.execute(self.upsert(ticket_messages).values(
                chat_id=chat_id, message_id=message_id, ticket_id=ticket_id)
                .on_conflict_do_nothing())

    async def of_user(self, user_id: int, limit: int = 20) -> list[Ticket]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(sa.select(tickets).where(tickets.c.user_id == user_id)
                                      .order_by(tickets.c.id.desc()).limit(limit))
            return [_ticket(r) for r in rows]

    async def count_open(self, user_id: int) -> int:
        async with self.engine.connect() as conn:
            return (await conn.execute(sa.select(sa.func.count()).select_from(tickets).where(
                tickets.c.user_id == user_id, tickets.c.status.in_(OPEN_STATUSES)))).scalar_one()

    async def open_tickets(self) -> list[Ticket]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(sa.select(tickets).where(tickets.c.status.in_(OPEN_STATUSES))
                                      .order_by(tickets.c.id))
            return [_ticket(r) for r in rows]

    async def census(self, now: float) -> tuple[dict[str, int], int]:
        """Tickets per status (every status present), and the open ones past
        their due time at `now` (the metrics scrape)."""
        by_status = {str(s): 0 for s in TicketStatus}
        async with self.engine.connect() as conn:
            rows = (await conn.execute(sa.select(tickets.c.status, sa.func.count())
                                       .group_by(tickets.c.status))).all()
            overdue = (await conn.execute(
                sa.select(sa.func.count()).select_from(tickets).where(
                    tickets.c.status.in_(OPEN_STATUSES), tickets.c.due_at < now))).scalar_one()
        for status, n in rows:
            by_status[str(TicketStatus(status))] = int(n)
        return by_status, int(overdue)

    async def all(self) -> list[Ticket]:
        async with self.engine.connect() as conn:
            return [_ticket(r) for r in await conn.execute(sa.select(tickets)
                                                           .order_by(tickets.c.id))]

    async def mark_reminded(self, ticket_id: int, stage: int) -> bool:
        """Record reminder `stage` unless it (or a later one) was recorded already;
        True for the one caller that recorded it, so one reminder goes however
        many bot processes check at once."""
        async with self.engine.begin() as conn:
            done = await conn.execute(tickets.update().where(
                tickets.c.id == ticket_id, tickets.c.reminded < stage).values(reminded=stage))
            return done.rowcount == 1

    async def waiting(self, agency: str) -> list[Ticket]:
        """The agency's open tickets not shown in any staff chat yet."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(sa.select(tickets).where(
                tickets.c.agency == agency, tickets.c.status.in_(OPEN_STATUSES),
                tickets.c.staff_chat.is_(None)).order_by(tickets.c.id))
            return [_ticket(r) for r in rows]

    async def update(self, ticket_id: int, **values) -> Ticket:
        """Set columns of one ticket; the ticket as it is now."""
        async with self.engine.begin() as conn:
            await conn.execute(tickets.update().where(tickets.c.id == ticket_id).values(**values))
        found = await self.get(ticket_id)
        assert found is not None
        return found

    async def change(self, ticket_id: int, statuses: tuple[str, ...], **values) -> Ticket | None:
        """Set columns of one ticket if its status is still one of `statuses`; the
        ticket as it is now, or None when another change came first (two staff
        answering at once: one answer is stored and sent, not both)."""
        async with self.engine.begin() as conn:
            done = await conn.execute(tickets.update().where(
                tickets.c.id == ticket_id, tickets.c.status.in_([str(s) for s in statuses]))
                .values(**values))
        if done.rowcount != 1:
            return None
        return await self.get(ticket_id)

    async def staff_chat_of(self, agency: str) -> tuple[int, str] | None:
        """The agency's staff chat and its language (the most recently linked chat)."""
        async with self.engine.connect() as conn:
            row = (await conn.execute(sa.select(staff_chats.c.chat_id, staff_chats.c.lang)
                                      .where(staff_chats.c.agency == agency)
                                      .order_by(staff_chats.c.linked_at.desc())
                                      .limit(1))).first()
        return (row.chat_id, row.lang) if row else None
