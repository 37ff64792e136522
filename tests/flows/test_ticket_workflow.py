"""The ticket workflow without Telegram: `Tickets` decides who may do what and
says it through any `TicketNotifier`; here one that records what it was asked to
say, and answers 403 for the chats told to refuse."""

from __future__ import annotations

import itertools

from bot.services import GONE, Actor, Refusal, Said

QUESTION = "Как получить паспорт, если старый паспорт потерян в поездке за границей?"
MVD, CEC = -100500, -100600


class Recording:
    def __init__(self) -> None:
        self.said: list[tuple] = []
        self.refusing: set[int] = set()
        self._ids = itertools.count(1)

    def _say(self, chat: int | None, *what) -> Said:
        self.said.append(what)
        return GONE if chat in self.refusing else Said(next(self._ids))

    async def card(self, ticket, chat_id, lang, *, reopened=False):
        return self._say(chat_id, "card", ticket.id, chat_id, lang, reopened)

    async def mark(self, ticket, lang, change):
        return self._say(ticket.staff_chat, "mark", ticket.id, ticket.staff_chat, change.kind)

    async def tell(self, ticket, lang, change):
        return self._say(ticket.user_id, "tell", ticket.id, lang, change.kind)

    async def remind(self, reminder):
        return self._say(reminder.chat_id, "remind", reminder.ticket.id, reminder.overdue)


async def test_who_may_do_what_to_a_ticket(saual):
    say = Recording()
    for agency, chat in (("mvd", MVD), ("cec", CEC)):
        assert await saual.staff.link(chat, 900, await saual.staff.invite(agency), "kk") == agency
    mvd, cec = Actor("mvd", MVD, "kk", 900, "Дана"), Actor("cec", CEC, "kk", 900, "Дана")
    other_chat = Actor("mvd", CEC, "kk", 900, "Дана")
    sent = await saual.tickets.submit(777, "mvd", QUESTION, "ru", None, False, say)
    assert sent.ok and sent.delivered and say.said == [("card", 1, MVD, "kk", False)]

    for actor in (cec, other_chat):  # another agency, or the agency from another chat
        assert (await saual.tickets.take(1, actor, say)).refusal is Refusal.NOT_HERE
        assert (await saual.tickets.reject(1, actor, "нет", say)).refusal is Refusal.NOT_HERE
        assert (await saual.tickets.reassign(1, actor, "cec", say)).refusal is Refusal.NOT_HERE
    assert (await saual.tickets.take(1, mvd, say)).ok
    taken = await saual.tickets.take(1, Actor("mvd", MVD, "kk", 901, "Ерлан"), say)
    assert taken.refusal is Refusal.TAKEN and taken.ticket.taken_by == 900
    card = (await saual.tickets.get(1)).staff_message
    assert (await saual.tickets.answer(mvd, card, " .", say)).refusal is Refusal.TOO_SHORT
    assert (await saual.tickets.answer(cec, card, "Ответ.", say)).refusal is Refusal.NOT_HERE
    say.said.clear()
    answered = await saual.tickets.answer(mvd, card, "  Ответ по существу.  ", say)
    assert answered.ok and answered.delivered and answered.ticket.answer == "Ответ по существу."
    assert say.said == [("tell", 1, "ru", "answered"), ("mark", 1, MVD, "answered")]
    assert (await saual.tickets.answer(mvd, card, "Ещё ответ.", say)).refusal is Refusal.CLOSED

    assert (await saual.tickets.rate(1, 778, 1)).refusal is Refusal.NOT_ASKER
    assert (await saual.tickets.reopen_by_asker(1, 778, say)).refusal is Refusal.NOT_ASKER
    assert (await saual.tickets.rate(1, 777, -1)).ticket.rating == -1
    say.said.clear()
    reopened = await saual.tickets.reopen_by_asker(1, 777, say)
    assert reopened.ticket.is_open and say.said == [("card", 1, MVD, "kk", True)]
    assert (await saual.tickets.rate(1, 777, 1)).refusal is Refusal.REPLACED

    say.refusing.add(CEC)  # passed on to an agency whose group removed the bot
    say.said.clear()
    passed = await saual.tickets.reassign(1, mvd, "cec", say)
    assert passed.ok and not passed.delivered
    assert say.said == [("mark", 1, MVD, "passed"), ("card", 1, CEC, "kk", False),
                        ("tell", 1, "ru", "passed")]
    assert await saual.staff.chats("cec") == []  # unlinked; the question waits for cec
    assert (passed.ticket.agency, (await saual.tickets.get(1)).staff_chat) == ("cec", None)
