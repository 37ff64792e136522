"""Ask an agency. Citizens: /ask, the answer card's, the "no answer" reply's
and the menu's button -> agency (proposed) -> publication -> confirm ->
ticket; /myquestions; the answer with 👍/👎 and "this does not answer me".
Staff, in the agency's linked chat: take, reassign, reject with a reason, and
answer by replying to the question's message (text, or a file with a caption),
then approve the question's public wording when the citizen allowed publication
(:mod:`.ticket_publication`). The question shown anywhere is the masked one.
The staff chat is written to in its own language, the citizen in theirs."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from aiogram import BaseMiddleware, Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from aiogram.utils.callback_answer import CallbackAnswer
from aiogram.utils.formatting import Bold, Text, as_list
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from embeddings import Lang

from ..services import Actor, Answers, Refusal, Tickets, User, has_personal_data, mask, valid_length
from . import keyboards, ticket_publication
from .callbacks import AskCB, ReplyCB, TicketCB, row_id
from .replies import PromptAnswer, ask_for, send, show
from .staff import LinkedChat
from .ticket_cards import answered, date, informal, not_here, passed, receipt, status_of, too_many

if TYPE_CHECKING:  # built once by bot.app.Saual, reaches handlers by name
    from ..ticket_notifier import TelegramNotifier

CHOICES = 3  # agencies proposed before "another agency…"


class Asking(StatesGroup):
    text = State()
    agency = State()
    public = State()
    confirm = State()


class Rejecting(StatesGroup):
    reason = State()


# A question being written to an agency takes the citizen's next texts for this
# long after the bot last asked for one; later, a text is a question to search
# again (a citizen who pressed "ask the agency" and went away got no more
# answers, only proposals to send each new question to an agency).
DRAFT_SECONDS = 30 * 60


async def fresh_draft(message: Message, state: FSMContext, tickets: Tickets) -> bool:
    """Whether the question being written is recent enough to take this text."""
    asked = (await state.get_data()).get("asked_at")
    return asked is None or tickets.clock() - asked <= DRAFT_SECONDS


# -- the citizen -------------------------------------------------------------------


async def begin(chat_id: int, bot: Bot, state: FSMContext, tickets: Tickets, user: User,
                 text: str, locale: str) -> None:
    if not await tickets.can_open(user.id):
        await state.clear()
        await send(bot, chat_id, too_many(tickets.config.max_open))
        return
    await send(bot, chat_id, informal())
    if not valid_length(text):
        await state.set_state(Asking.text)
        await state.update_data(asked_at=tickets.clock())
        await send(bot, chat_id, Text(_("Write your question to the agency (10 to 2000 "
                                        "characters).")))
        return
    await _propose(chat_id, bot, state, tickets, text, locale)


async def _propose(chat_id: int, bot: Bot, state: FSMContext, tickets: Tickets, text: str,
                   locale: str) -> None:
    ranked, topic, lang = await tickets.propose(text)
    await state.set_state(Asking.agency)
    await state.update_data(text=text, topic=topic, lang=lang, asked_at=tickets.clock())
    names = [(a, tickets.directory.name(a, locale)) for a in ranked[:CHOICES]]
    await send(bot, chat_id, Text(_("Your question:"), "\n", text, "\n\n",
                                  _("I propose to send it to {agency}. Confirm or pick another "
                                    "agency. To change the question, send its new text.")
                                  .format(agency=names[0][1])),
               keyboards.ask_agencies(names, everyone=False))


async def ask_command(message: Message, command: CommandObject, bot: Bot, state: FSMContext,
                      tickets: Tickets, user: User, locale: str) -> None:
    await begin(message.chat.id, bot, state, tickets, user, command.args or "", locale)


async def ask_button(callback: CallbackQuery, callback_data: AskCB, bot: Bot,
                     state: FSMContext, tickets: Tickets, answers: Answers, user: User,
                     locale: str) -> None:
    """A new question; from an answer card, the question asked there (the asker's own)."""
    question = row_id(callback_data.t) if callback_data.act == "card" else None
    text = await answers.own_question(question, user.id) if question is not None else ""
    await begin(callback.from_user.id, bot, state, tickets, user, text, locale)


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
    names = tickets.directory.choices(locale)
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
    parts = [Text(Bold(_("Agency:")), " ", tickets.directory.name(data["agency"], locale))]
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
                  notifier: TelegramNotifier, user: User, locale: str) -> None:
    data = await state.get_data()
    await state.clear()
    if "agency" not in data:  # a second tap on "send": the first one sent it
        return
    sent = await tickets.submit(user.id, data["agency"], data["text"], data["lang"],
                                data.get("topic"), bool(data.get("public")), notifier.via(bot),
                                reply_lang=locale)
    if sent.ticket is None:
        await show(bot, callback, too_many(tickets.config.max_open))
        return
    agency = tickets.directory.name(sent.ticket.agency, locale)
    await show(bot, callback, receipt(sent.ticket, agency, delivered=sent.delivered))


async def my_questions(message: Message, bot: Bot, tickets: Tickets, user: User,
                       locale: str) -> None:
    mine = await tickets.mine(user.id)
    if not mine:
        await send(bot, message.chat.id, Text(_("You have not asked an agency yet. /ask "
                                                "writes a question.")))
        return
    now = tickets.clock()
    lines = [_("#{id} · {agency} · {status} · due {date}").format(
        id=t.id, agency=tickets.directory.name(t.agency, locale), status=status_of(t, now),
        date=date(t.due_at)) for t in mine]
    await send(bot, message.chat.id, Text(Bold(_("Your questions")), "\n", as_list(*lines)))


async def rated(callback: CallbackQuery, callback_data: ReplyCB, bot: Bot, tickets: Tickets,
                notifier: TelegramNotifier, user: User, callback_answer: CallbackAnswer) -> None:
    if callback_data.act == "re":
        done = await tickets.reopen_by_asker(callback_data.id, user.id, notifier.via(bot))
        if done.ticket is not None and done.ticket.is_open:
            await send(bot, callback.from_user.id, Text(_(
                "Ticket #{id} is open again; the agency will answer by {date}.").format(
                id=done.ticket.id, date=date(done.ticket.due_at))))
        return
    vote = 1 if callback_data.act == "up" else -1
    rating = await tickets.rate(callback_data.id, user.id, vote)
    if rating.refusal is Refusal.REPLACED:  # reopened since: the rating was for an old answer
        callback_answer.text = _("This answer was replaced; wait for the new one.")
    if not rating.ok:
        return
    callback_answer.text = _("Thank you for the rating!")
    if isinstance(callback.message, Message):
        with contextlib.suppress(TelegramBadRequest):  # the same vote again: "not modified"
            await callback.message.edit_reply_markup(
                reply_markup=keyboards.ticket_answer(callback_data.id, vote))


# -- the staff -----------------------------------------------------------------------


class StaffDesk(BaseMiddleware):
    """In a staff chat the bot speaks the chat's language (chosen when it was
    linked), whoever pressed the button; handlers get the `actor`: who acts, for
    which agency, from which chat."""

    async def __call__(self, handler, event, data: dict[str, Any]):
        i18n: I18n = data["i18n"]
        lang = data.get("chat_lang") or data.get("locale") or Lang.RU
        data["locale"] = lang
        message = event.message if isinstance(event, CallbackQuery) else event
        data["actor"] = Actor(data["agency"], message.chat.id, lang, event.from_user.id,
                              event.from_user.full_name)
        with i18n.use_locale(lang):
            return await handler(event, data)


async def take(callback: CallbackQuery, callback_data: TicketCB, bot: Bot, actor: Actor,
               tickets: Tickets, notifier: TelegramNotifier,
               callback_answer: CallbackAnswer) -> None:
    done = await tickets.take(callback_data.id, actor, notifier.via(bot))
    if done.refusal is Refusal.TAKEN:
        callback_answer.text = _("Someone has already taken this question.")
    elif not done.ok:
        callback_answer.text = not_here()


async def move(callback: CallbackQuery, callback_data: TicketCB, bot: Bot, actor: Actor,
               tickets: Tickets, locale: str, callback_answer: CallbackAnswer) -> None:
    ticket = await tickets.held(callback_data.id, actor)
    if ticket is None:
        callback_answer.text = not_here()
        return
    others = tickets.directory.choices(locale, without=actor.agency)
    await send(bot, actor.chat_id, Text(_("Pass question #{id} to which agency?").format(
        id=ticket.id)), keyboards.ticket_agencies(ticket.id, others))


async def moved(callback: CallbackQuery, callback_data: TicketCB, bot: Bot, actor: Actor,
                tickets: Tickets, notifier: TelegramNotifier, locale: str,
                callback_answer: CallbackAnswer) -> None:
    done = await tickets.reassign(callback_data.id, actor, callback_data.t, notifier.via(bot))
    if done.refusal is Refusal.NOT_HERE:
        callback_answer.text = not_here()
    if not done.ok:
        return
    said = passed(done.ticket.id, tickets.directory.name(done.ticket.agency, locale))
    if not done.delivered:
        said += " " + _("That agency has not linked a staff chat yet: the question waits for it.")
    await show(bot, callback, Text(said))


async def reject(callback: CallbackQuery, callback_data: TicketCB, bot: Bot, actor: Actor,
                 tickets: Tickets, state: FSMContext, callback_answer: CallbackAnswer) -> None:
    ticket = await tickets.held(callback_data.id, actor)
    if ticket is None:
        callback_answer.text = not_here()
        return
    await state.set_state(Rejecting.reason)
    await state.update_data(ticket=ticket.id)
    await ask_for(bot, actor.chat_id, Text(_("Why is question #{id} rejected? The citizen "
                                             "will read the reason.").format(id=ticket.id)),
                  state)


async def got_reason(message: Message, bot: Bot, actor: Actor, tickets: Tickets,
                     notifier: TelegramNotifier, state: FSMContext) -> None:
    data = await state.get_data()
    await state.clear()
    done = await tickets.reject(data.get("ticket", 0), actor, message.text or "",
                                notifier.via(bot))
    if done.ok:
        await send(bot, actor.chat_id, Text(_("Question #{id} is rejected.").format(
            id=done.ticket.id)))


async def staff_reply(message: Message, bot: Bot, actor: Actor, tickets: Tickets,
                      notifier: TelegramNotifier) -> None:
    """An answer: a reply to the question's card (or its reminder), as text or as a
    file with a caption (the asker gets the file as sent)."""
    done = await tickets.answer(
        actor, message.reply_to_message.message_id, message.text or message.caption or "",
        notifier.via(bot), copy=message.message_id if message.content_type != "text" else None)
    if done.refusal is Refusal.CLOSED:
        closed = status_of(done.ticket, tickets.clock())
        await send(bot, actor.chat_id, Text(_("Question #{id} is already closed ({status}).")
                                            .format(id=done.ticket.id, status=closed)))
    elif done.refusal is Refusal.TOO_SHORT:
        await send(bot, actor.chat_id, Text(_(
            "Write the answer as text, or send the file with a caption that answers the "
            "question.")))
    if not done.ok:
        return  # NOT_HERE: a card of another agency, or of a chat that no longer holds it
    ticket, said = done.ticket, answered(done.ticket.id, delivered=done.delivered)
    if ticket.public:  # published only in the staff's wording, after they approve it
        await ticket_publication.ask_wording(bot, tickets, ticket, actor.chat_id, said)
    else:
        await send(bot, actor.chat_id, Text(said))


def build() -> Router:
    router = Router(name=__name__)
    staff = Router(name=f"{__name__}.staff")
    staff.message.filter(LinkedChat())
    staff.callback_query.filter(LinkedChat())
    staff.message.middleware(StaffDesk())
    staff.callback_query.middleware(StaffDesk())
    staff.callback_query.register(take, TicketCB.filter(F.act == "take"))
    staff.callback_query.register(move, TicketCB.filter(F.act == "move"))
    staff.callback_query.register(moved, TicketCB.filter(F.act == "to"))
    staff.callback_query.register(reject, TicketCB.filter(F.act == "rej"))
    staff.message.register(got_reason, Rejecting.reason, F.text, PromptAnswer())
    staff.callback_query.register(ticket_publication.no_publication,
                                  TicketCB.filter(F.act == "np"))
    staff.message.register(ticket_publication.got_wording, F.reply_to_message.from_user.is_bot,
                           ticket_publication.publication_request)
    staff.message.register(staff_reply, F.reply_to_message.from_user.is_bot)
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
    citizen.message.register(got_text, Asking.text, F.text, ~F.text.startswith("/"),
                             fresh_draft)
    citizen.message.register(got_text, Asking.agency, F.text, ~F.text.startswith("/"),
                             fresh_draft)
    router.include_routers(staff, citizen)
    return router
