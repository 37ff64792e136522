"""How a ticket reads: the question's card in the agency's staff chat, its
status lines, its due date, and the note that this service is informal.

Rendered in the current locale (the caller picks it: the staff chat's or the
asker's language); shared by the ask-an-agency handlers and the Telegram
notifier (:mod:`bot.ticket_notifier`), which posts the cards.
"""

from __future__ import annotations

import datetime as dt

from aiogram.utils.formatting import Bold, Text, TextLink, as_list
from aiogram.utils.i18n import gettext as _

from ..services import EOTINISH, Ticket, TicketStatus


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
    if ticket.status == TicketStatus.ANSWERED:
        return _("answered")
    if ticket.status == TicketStatus.REJECTED:
        return _("rejected")
    if ticket.staff_chat is None:  # the agency has linked no staff chat yet
        return _("not delivered yet: the agency has not joined the bot")
    if now > ticket.due_at:
        return _("overdue")
    return _("in progress") if ticket.status == TicketStatus.TAKEN else _("waiting")


def receipt(ticket: Ticket, agency_name: str, *, delivered: bool) -> Text:
    """What the citizen reads once the question is sent (and, when the agency has
    no staff chat yet, that it waits for one)."""
    parts = [Text(_("Your question is sent: ticket #{id}. {agency} should answer by {date}. "
                    "/myquestions shows its status.").format(
        id=ticket.id, date=date(ticket.due_at), agency=agency_name))]
    if not delivered:
        parts.append(Text(_("{agency} has not connected its staff to the bot yet: your question "
                            "waits and reaches them as soon as they do. If it is urgent, write "
                            "to eOtinish: ").format(agency=agency_name),
                          TextLink(EOTINISH, url=EOTINISH)))
    return as_list(*parts, sep="\n\n")


def too_many(max_open: int) -> Text:
    return Text(_("You already have {n} open questions. Wait for an answer before asking a "
                  "new one. /myquestions shows them.").format(n=max_open))


def not_here() -> str:
    """A staff button on a question that is not (or no longer) this chat's to act on."""
    return _("This question is already answered, passed on or rejected.")


def answered(ticket_id: int, *, delivered: bool) -> str:
    """What the staff read once they answered."""
    if delivered:
        return _("The answer to question #{id} is sent to the citizen.").format(id=ticket_id)
    return _("The answer to question #{id} is saved, but the citizen has blocked the bot and "
             "did not receive it.").format(id=ticket_id)
