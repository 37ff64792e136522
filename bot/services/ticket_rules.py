"""Ask an agency: the values and the rules that need no database. What a
question may be (its length), when it is due (working days, Mon-Fri), what
the report counts, who acts on a ticket (:class:`Actor`) and what a ticket
action answers (:class:`Outcome`, or why not: :class:`Refusal`).

:mod:`.tickets` (the workflow) re-exports these names.
"""

from __future__ import annotations

import datetime as dt
import enum
import statistics
from dataclasses import dataclass

from ..storage import Ticket, TicketStatus
from .masking import mask

MIN_CHARS = 10
MAX_CHARS = 2000
MIN_ANSWER = 2  # characters of a staff answer (its text, or a file's caption)
EOTINISH = "https://eotinish.kz"


@dataclass(frozen=True)
class Reminder:
    ticket: Ticket
    chat_id: int
    overdue: bool
    lang: str  # the staff chat's language


@dataclass(frozen=True)
class Actor:
    """A staff member acting on tickets: for `agency`, from its linked chat
    `chat_id`, whose language is `lang`."""

    agency: str
    chat_id: int
    lang: str
    user_id: int
    name: str


class Refusal(enum.Enum):
    """Why a ticket action did nothing."""

    NOT_HERE = "not this agency's open question in this chat"
    TAKEN = "someone else took it first"
    CLOSED = "already answered or rejected"
    TOO_SHORT = "an answer is at least two characters"
    UNKNOWN_AGENCY = "no such agency"
    TOO_MANY = "the citizen has the most open questions"
    NOT_ASKER = "only the asker rates or reopens"
    REPLACED = "the answer rated was replaced: the ticket was reopened since"


@dataclass(frozen=True)
class Outcome:
    """What a ticket action did: the ticket as it is now; or the `refusal`, with
    the ticket when there is one to speak of."""

    ticket: Ticket | None = None
    refusal: Refusal | None = None
    delivered: bool = True  # the card reached a staff chat; the answer reached the asker

    @property
    def ok(self) -> bool:
        return self.refusal is None


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


def valid_length(text: str) -> bool:
    return MIN_CHARS <= len(text.strip()) <= MAX_CHARS


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
        done = [t for t in items if t.status == TicketStatus.ANSWERED and t.answered_at is not None]
        hours = [(t.answered_at - t.created_at) / 3600 for t in done]
        out.append(AgencyReport(agency, sum(t.is_open for t in items),
                                sum(t.is_open and now > t.due_at for t in items), len(done),
                                statistics.median(hours) if hours else None,
                                sum(t.is_open and t.staff_chat is None for t in items)))
    return out
