"""How a ticket reads: the question's card in the agency's staff chat, its
status lines, its due date, and the note that this service is informal.

Rendered in the current locale (the caller picks it: the staff chat's or the
asker's language); shared by the ask-an-agency handlers and the Telegram
notifier (:mod:`bot.ticket_notifier`), which posts the cards.
"""

from __future__ import annotations

import datetime as dt

from aiogram.utils.formatting import Bold, Text, TextLink
from aiogram.utils.i18n import gettext as _

from ..services import EOTINISH, Ticket


def date(moment: float) -> str:
    return dt.datetime.fromtimestamp(moment, dt.UTC).strftime("%d.%m.%Y")


def informal() -> Text:
    return Text(_("This is an informal service: an agency answers your question here, but "
                  "binding official appeals go through eOtinish: "), TextLink(EOTINISH,
                                                                               url=EOTINISH))


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


def passed(ticket_id: int, agency_name: str) -> str:
    """The status of a question passed on to another agency."""
    return _("Question #{id} is passed to {agency}.").format(id=ticket_id, agency=agency_name)


def status_of(ticket: Ticket, now: float) -> str:
    """Where the citizen's question stands, as /myquestions lists it."""
    if ticket.status == "answered":
        return _("answered")
    if ticket.status == "rejected":
        return _("rejected")
    if ticket.staff_chat is None:  # the agency has linked no staff chat yet
        return _("not delivered yet: the agency has not joined the bot")
    if now > ticket.due_at:
        return _("overdue")
    return _("in progress") if ticket.status == "taken" else _("waiting")
