"""Ask an agency. Citizens: /ask, the answer card's and the menu's button ->
agency (proposed) -> publication -> confirm -> ticket; /myquestions; the
answer with 👍/👎 and "this does not answer me". Staff, in the agency's linked
chat: take, reassign, reject with a reason, and answer by replying to the
question's message. The question shown anywhere is the masked one."""

from __future__ import annotations

import datetime as dt
import logging

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, ForceReply, Message
from aiogram.utils.formatting import Bold, Text, TextLink, as_list
from aiogram.utils.i18n import gettext as _

from ..services import Answers, Ticket, User
from ..services.masking import mask
from ..services.tickets import EOTINISH, Reminder, Tickets, has_personal_data, valid_length
from . import keyboards
from .callbacks import AskCB, ReplyCB, TicketCB
from .replies import send, show
from .staff import LinkedChat

logger = logging.getLogger(__name__)
CHOICES = 3  # agencies proposed before "another agency…"


class Asking(StatesGroup):
    text = State()
    agency = State()
    public = State()
    confirm = State()


class Rejecting(StatesGroup):
    reason = State()


def _date(moment: float) -> str:
    return dt.datetime.fromtimestamp(moment, dt.UTC).strftime("%d.%m.%Y")


def _name(tickets: Tickets, agency: str, lang: str) -> str:
    return tickets.agencies.get(agency, {}).get("name", {}).get(lang) or agency


def _status(ticket: Ticket, now: float) -> str:
    if ticket.status == "answered":
        return _("answered")
    if ticket.status == "rejected":
        return _("rejected")
    if now > ticket.due_at:
        return _("overdue")
    return _("in progress") if ticket.status == "taken" else _("waiting")


def informal() -> Text:
    return Text(_("This is an informal service: an agency answers your question here, but "
                  "binding official appeals go through eOtinish: "), TextLink(EOTINISH,
                                                                               url=EOTINISH))


# -- the citizen -------------------------------------------------------------------


async def _start(chat_id: int, bot: Bot, state: FSMContext, tickets: Tickets, user: User,
                 text: str, locale: str) -> None:
    if not await tickets.can_open(user.id):
        await state.clear()
        await send(bot, chat_id, Text(_("You already have {n} open questions. Wait for an "
                                        "answer before asking a new one. /myquestions shows "
                                        "them.").format(n=tickets.config.max_open)))
        return
    await send(bot, chat_id, informal())
    if not valid_length(text):
        await state.set_state(Asking.text)
        await send(bot, chat_id, Text(_("Write your question to the agency (10 to 2000 "
                                        "characters).")))
        return
    await _propose(chat_id, bot, state, tickets, text, locale)


async def _propose(chat_id: int, bot: Bot, state: FSMContext, tickets: Tickets, text: str,
                   locale: str) -> None:
    ranked, topic, lang = await tickets.propose(text)
    await state.set_state(Asking.agency)
    await state.update_data(text=text, topic=topic, lang=lang)
    names = [(a, _name(tickets, a, locale)) for a in ranked[:CHOICES]]
    await send(bot, chat_id, Text(_("Your question:"), "\n", text, "\n\n",
                                  _("I propose to send it to {agency}. Confirm or pick another "
                                    "agency. To change the question, send its new text.")
                                  .format(agency=names[0][1])),
               keyboards.ask_agencies(names, everyone=False))


async def ask_command(message: Message, command: CommandObject, bot: Bot, state: FSMContext,
                      tickets: Tickets, user: User, locale: str) -> None:
    await _start(message.chat.id, bot, state, tickets, user, command.args or "", locale)


async def ask_button(callback: CallbackQuery, callback_data: AskCB, bot: Bot,
                     state: FSMContext, tickets: Tickets, answers: Answers, user: User,
                     locale: str) -> None:
    text = ""
    if callback_data.act == "card" and callback_data.t.isdigit():
        record = await answers.storage.questions.get(int(callback_data.t))
        text = record.text if record and record.user_id == user.id else ""
    await _start(callback.from_user.id, bot, state, tickets, user, text, locale)


async def got_text(message: Message, bot: Bot, state: FSMContext, tickets: Tickets,
                   locale: str) -> None:
    text = (message.text or "").strip()
    if not valid_length(text):
        await send(bot, message.chat.id, Text(_("A question is 10 to 2000 characters. Write it "
                                                "again, please.")))
        return
    await _propose(message.chat.id, bot, state, tickets, text, locale)


async def all_agencies(callback: CallbackQuery, bot: Bot, tickets: Tickets,
                       locale: str) -> None:
    names = [(a, _name(tickets, a, locale)) for a in tickets.agencies]
    await show(bot, callback, Text(_("Choose the agency.")),
               keyboards.ask_agencies(names, everyone=True))


async def picked_agency(callback: CallbackQuery, callback_data: AskCB, bot: Bot,
                        state: FSMContext, tickets: Tickets) -> None:
    if callback_data.t not in tickets.agencies:
        return
    await state.update_data(agency=callback_data.t)
    await state.set_state(Asking.public)
    await show(bot, callback, Text(_("May the agency's answer be published in the bot, "
                                     "without your name, so that others find it?")),
               keyboards.ask_publication())


async def picked_publication(callback: CallbackQuery, callback_data: AskCB, bot: Bot,
                             state: FSMContext, tickets: Tickets, locale: str) -> None:
    await state.update_data(public=callback_data.t == "1")
    await state.set_state(Asking.confirm)
    data = await state.get_data()
    parts = [Text(Bold(_("Agency:")), " ", _name(tickets, data["agency"], locale))]
    if has_personal_data(data["text"]):
        parts.append(Text(_("⚠️ Your question contains personal data (IIN, phone, e-mail or "
                            "card number). It is not needed: the agency will see it hidden, "
                            "like this:")))
        parts.append(Text(mask(data["text"])))
    else:
        parts.append(Text(data["text"]))
    parts.append(Text(_("Send the question?")))
    await show(bot, callback, as_list(*parts, sep="\n\n"), keyboards.ask_confirm())


async def cancel(callback: CallbackQuery, bot: Bot, state: FSMContext) -> None:
    await state.clear()
    await show(bot, callback, Text(_("The question is cancelled.")))


async def confirm(callback: CallbackQuery, bot: Bot, state: FSMContext, tickets: Tickets,
                  user: User, locale: str) -> None:
    data = await state.get_data()
    await state.clear()
    ticket = await tickets.open(user.id, data["agency"], data["text"], data["lang"],
                                data.get("topic"), bool(data.get("public")))
    if ticket is None:
        await show(bot, callback, Text(_("You already have {n} open questions. Wait for an "
                                         "answer before asking a new one. /myquestions shows "
                                         "them.").format(n=tickets.config.max_open)))
        return
    await show(bot, callback, Text(_("Your question is sent: ticket #{id}. {agency} should "
                                     "answer by {date}. /myquestions shows its status.")
                                   .format(id=ticket.id, date=_date(ticket.due_at),
                                           agency=_name(tickets, ticket.agency, locale))))
    await post(bot, tickets, ticket)


async def my_questions(message: Message, bot: Bot, tickets: Tickets, user: User,
                       locale: str) -> None:
    mine = await tickets.mine(user.id)
    if not mine:
        await send(bot, message.chat.id, Text(_("You have not asked an agency yet. /ask "
                                                "writes a question.")))
        return
    now = tickets.clock()
    lines = [_("#{id} · {agency} · {status} · due {date}").format(
        id=t.id, agency=_name(tickets, t.agency, locale), status=_status(t, now),
        date=_date(t.due_at)) for t in mine]
    await send(bot, message.chat.id, Text(Bold(_("Your questions")), "\n", as_list(*lines)))


async def rated(callback: CallbackQuery, callback_data: ReplyCB, bot: Bot, tickets: Tickets,
                user: User) -> None:
    ticket = await tickets.get(callback_data.id)
    if ticket is None or ticket.user_id != user.id:
        return
    if callback_data.act == "re":
        if ticket.status == "answered":
            ticket = await tickets.reopen(ticket)
            await post(bot, tickets, ticket, reopened=True)
        await send(bot, callback.from_user.id, Text(_("Ticket #{id} is open again; the agency "
                                                      "will answer by {date}.").format(
            id=ticket.id, date=_date(ticket.due_at))))
        return
    logger.info("ticket %d rated %s", ticket.id, callback_data.act)
    await send(bot, callback.from_user.id, Text(_("Thank you for the rating!")))


# -- the staff -----------------------------------------------------------------------


def _staff_card(ticket: Ticket, note: str = "") -> Text:
    head = _("Question #{id} · language: {lang} · due {date}").format(
        id=ticket.id, lang=ticket.lang, date=_date(ticket.due_at))
    return Text(Bold(head), "\n\n", ticket.text, "\n\n",
                note or _("Answer by replying to this message."))


async def post(bot: Bot, tickets: Tickets, ticket: Ticket, *, reopened: bool = False) -> None:
    """Show the ticket in its agency's staff chat (when one is linked)."""
    chat_id = await tickets.staff_chat(ticket.agency)
    if chat_id is None:
        logger.warning("ticket %d: agency %s has no linked staff chat", ticket.id, ticket.agency)
        return
    note = _("Reopened: the citizen says the answer does not answer the question. Answer by "
             "replying to this message.") if reopened else ""
    sent = await send(bot, chat_id, _staff_card(ticket, note), keyboards.ticket_staff(ticket.id))
    await tickets.posted(ticket.id, chat_id, sent.message_id)


async def _own(callback_data: TicketCB, agency: str, tickets: Tickets) -> Ticket | None:
    ticket = await tickets.get(callback_data.id)
    return ticket if ticket and ticket.agency == agency and ticket.is_open else None


async def take(callback: CallbackQuery, callback_data: TicketCB, bot: Bot, agency: str,
               tickets: Tickets) -> None:
    ticket = await _own(callback_data, agency, tickets)
    if ticket:
        await tickets.take(ticket)
        await send(bot, callback.message.chat.id, Text(_("{who} took question #{id}.").format(
            who=callback.from_user.full_name, id=ticket.id)))


async def move(callback: CallbackQuery, callback_data: TicketCB, bot: Bot, agency: str,
               tickets: Tickets, locale: str) -> None:
    ticket = await _own(callback_data, agency, tickets)
    if ticket:
        others = [(a, _name(tickets, a, locale)) for a in tickets.agencies if a != agency]
        await send(bot, callback.message.chat.id, Text(_("Pass question #{id} to which "
                                                         "agency?").format(id=ticket.id)),
                   keyboards.ticket_agencies(ticket.id, others))


async def moved(callback: CallbackQuery, callback_data: TicketCB, bot: Bot, agency: str,
                tickets: Tickets, locale: str) -> None:
    ticket = await _own(callback_data, agency, tickets)
    if ticket is None or callback_data.t not in tickets.agencies:
        return
    ticket = await tickets.reassign(ticket, callback_data.t)
    await show(bot, callback, Text(_("Question #{id} is passed to {agency}.").format(
        id=ticket.id, agency=_name(tickets, ticket.agency, locale))))
    await post(bot, tickets, ticket)
    await send(bot, ticket.user_id, Text(_("Your question #{id} is passed to {agency}.").format(
        id=ticket.id, agency=_name(tickets, ticket.agency, locale))))


async def reject(callback: CallbackQuery, callback_data: TicketCB, bot: Bot, agency: str,
                 tickets: Tickets, state: FSMContext) -> None:
    ticket = await _own(callback_data, agency, tickets)
    if ticket:
        await state.set_state(Rejecting.reason)
        await state.update_data(ticket=ticket.id)
        await send(bot, callback.message.chat.id, Text(_("Why is question #{id} rejected? The "
                                                         "citizen will read the reason.")
                                                       .format(id=ticket.id)),
                   ForceReply(selective=True))


async def got_reason(message: Message, bot: Bot, agency: str, tickets: Tickets,
                     state: FSMContext) -> None:
    data = await state.get_data()
    await state.clear()
    ticket = await tickets.get(data.get("ticket", 0))
    if ticket is None or ticket.agency != agency or not ticket.is_open:
        return
    ticket = await tickets.reject(ticket, message.text or "")
    await send(bot, message.chat.id, Text(_("Question #{id} is rejected.").format(id=ticket.id)))
    await send(bot, ticket.user_id, Text(_("The agency rejected your question #{id}. Reason:")
                                         .format(id=ticket.id), "\n", ticket.answer, "\n\n",
                                         informal()))


async def staff_reply(message: Message, bot: Bot, agency: str, tickets: Tickets,
                      locale: str) -> None:
    ticket = await tickets.by_staff_message(message.chat.id,
                                            message.reply_to_message.message_id)
    if ticket is None or ticket.agency != agency or not ticket.is_open:
        return
    ticket = await tickets.answer(ticket, message.text or "")
    await send(bot, ticket.user_id, Text(
        Bold(_("{agency} answered your question #{id}:").format(
            agency=_name(tickets, ticket.agency, ticket.lang), id=ticket.id)),
        "\n\n", ticket.answer), keyboards.ticket_answer(ticket.id))
    done = _("The answer to question #{id} is sent to the citizen.").format(id=ticket.id)
    if ticket.public and await tickets.publish(ticket):
        done += " " + _("It is published in the bot's knowledge base.")
    await send(bot, message.chat.id, Text(done))


async def send_reminders(bot: Bot, reminders: list[Reminder]) -> None:
    """Post due-soon and overdue reminders to the staff chats."""
    for r in reminders:
        text = _("Overdue: question #{id} was due {date}. Answer by replying to its message.") \
            if r.overdue else _("Reminder: question #{id} is due {date}.")
        await bot.send_message(chat_id=r.chat_id, reply_to_message_id=r.ticket.staff_message,
                               **Text(text.format(id=r.ticket.id, date=_date(r.ticket.due_at)))
                               .as_kwargs())


def build() -> Router:
    router = Router(name=__name__)
    staff = Router(name=f"{__name__}.staff")
    staff.message.filter(LinkedChat())
    staff.callback_query.filter(LinkedChat())
    staff.callback_query.register(take, TicketCB.filter(F.act == "take"))
    staff.callback_query.register(move, TicketCB.filter(F.act == "move"))
    staff.callback_query.register(moved, TicketCB.filter(F.act == "to"))
    staff.callback_query.register(reject, TicketCB.filter(F.act == "rej"))
    staff.message.register(got_reason, Rejecting.reason, F.text)
    staff.message.register(staff_reply, F.reply_to_message.from_user.is_bot, F.text)
    citizen = Router(name=f"{__name__}.citizen")
    citizen.message.filter(F.chat.type == "private")
    citizen.message.register(ask_command, Command("ask"))
    citizen.message.register(my_questions, Command("myquestions"))
    citizen.callback_query.register(ask_button, AskCB.filter(F.act.in_({"new", "card"})))
    citizen.callback_query.register(cancel, AskCB.filter(F.act == "no"))
    citizen.callback_query.register(all_agencies, Asking.agency, AskCB.filter(F.act == "all"))
    citizen.callback_query.register(picked_agency, Asking.agency, AskCB.filter(F.act == "ag"))
    citizen.callback_query.register(picked_publication, Asking.public,
                                    AskCB.filter(F.act == "pub"))
    citizen.callback_query.register(confirm, Asking.confirm, AskCB.filter(F.act == "ok"))
    citizen.callback_query.register(rated, ReplyCB.filter())
    citizen.message.register(got_text, Asking.text, F.text, ~F.text.startswith("/"))
    citizen.message.register(got_text, Asking.agency, F.text, ~F.text.startswith("/"))
    router.include_routers(staff, citizen)
    return router
