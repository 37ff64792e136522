"""Who may act for an agency, through the production Dispatcher: a staff action
needs the agency's linked chat AND a person with staff rights (the group's
admins when it was linked, or added by a maintainer); rights are taken away
by `saual agency staff remove`, a chat by `saual agency unlink` or by linking
another one; a ticket is acted on only from the chat that holds it; a 403
marks only the chat that refused."""

from __future__ import annotations

import asyncio

import pytest
from botkit import Citizen
from typer.testing import CliRunner

from bot.cli import app as cli

QUESTION = "Как получить паспорт, если старый паспорт потерян в поездке за границей?"
ANSWER = "Новый паспорт выдают в ЦОНе по удостоверению личности."
MVD, OTHER, CEC = -100500, -100600, -100700
NOT_STAFF = "Это могут делать только сотрудники ведомства"
NOT_LINKED = "только чату сотрудников"


def member(citizen: Citizen, user_id: int, chat: int, *, admin: bool = True) -> Citizen:
    """A person in the group `chat` (one of its administrators unless `admin=False`)."""
    return Citizen(citizen.dp, citizen.bot, citizen.session, citizen.clock, user_id=user_id,
                   group=chat, admin=admin)


async def link(saual, who: Citizen, agency: str = "mvd") -> list:
    return await who.send(f"/link {await saual.staff.invite(agency)}")


def said(calls, chat: int) -> str:
    return "\n".join(c.text for c in calls if c.params.get("chat_id") == chat)


def card(session, chat: int) -> dict:
    cards = [m for m in session.messages.values() if m["chat"]["id"] == chat
             and m.get("text", "").startswith("Вопрос №")]
    assert cards, f"no question in chat {chat}"
    return cards[-1]


async def ask(citizen: Citizen) -> list:
    await citizen.send(f"/ask {QUESTION}")
    await citizen.press("✅")
    await citizen.press("Нет, ответ только для меня")
    return await citizen.press("Отправить")


@pytest.fixture
def maintainer(settings, monkeypatch, clock):
    """Run `saual ...` on the bot's database, as a maintainer does."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KNOWLEDGE_DIR", str(settings.knowledge_dir))

    async def run(*args: str):
        return await asyncio.to_thread(CliRunner().invoke, cli, list(args), obj=clock)

    return run


async def test_a_group_that_removed_the_bot_is_unlinked_and_the_citizen_stays_active(
        saual, citizen, session, maintainer):
    """Finding 6: posting to a staff chat that kicked the bot marked the citizen blocked."""
    await link(saual, member(citizen, 900, MVD))
    session.blocked.add(MVD)  # the agency removed the bot from its group
    calls = await ask(citizen)
    assert not (await saual.storage.users.get(777)).blocked
    assert "ещё не подключило сотрудников" in said(calls, 777)
    ticket = await saual.tickets.get(1)
    assert (ticket.status, ticket.staff_chat) == ("open", None)  # it waits for the agency
    assert await saual.staff.chat(MVD) is None
    result = await maintainer("qa", "report")
    assert "mvd 1 0 0 - 1" in " ".join(result.output.split())
    session.blocked.discard(MVD)  # the bot is back and the group linked again
    await link(saual, member(citizen, 900, MVD))
    assert "Вопрос №1" in card(session, MVD)["text"]
    assert (await saual.tickets.get(1)).staff_chat == MVD


async def test_a_group_that_removes_the_bot_is_unlinked_at_once(saual, citizen, session):
    """Telegram tells the bot it was removed (my_chat_member): the chat is unlinked
    then, not at the next 403, and its open questions wait for a new link."""
    staff = member(citizen, 900, MVD)
    await link(saual, staff)
    await ask(citizen)
    assert (await saual.tickets.get(1)).staff_chat == MVD
    await staff.block()  # the group removed the bot
    assert await saual.staff.chat(MVD) is None
    ticket = await saual.tickets.get(1)
    assert (ticket.status, ticket.staff_chat) == ("open", None)
    record = await saual.storage.users.get(900)  # none: a group's members are not recorded
    assert record is None or not record.blocked  # nobody blocked
    other = member(citizen, 901, OTHER)
    await other.block()  # a group that is no staff chat: nothing to unlink, nothing fails
    assert await saual.staff.chat(OTHER) is None


async def test_a_403_marks_only_the_chat_that_refused(saual, citizen, session):
    """The error handler blocks the chat that refused, not whoever sent the update."""
    staff = member(citizen, 900, MVD)
    await link(saual, staff)
    await ask(citizen)
    session.blocked.add(MVD)
    await staff.press("Взять", card(session, MVD))  # the card's edit answers 403
    assert not (await saual.storage.users.get(900)).blocked
    assert await saual.staff.chat(MVD) is None
    ticket = await saual.tickets.get(1)  # released: it waits, free to take in the next chat
    assert (ticket.status, ticket.staff_chat, ticket.taken_by) == ("open", None, None)
    stranger = member(citizen, 66, -666)  # a group that is no staff chat refuses too
    session.blocked.add(-666)
    await stranger.send("/announce")
    record = await saual.storage.users.get(66)  # none: a group's members are not recorded
    assert record is None or not record.blocked
    session.blocked.add(777)  # a citizen's own private chat refusing marks that citizen
    await citizen.send("/start")
    assert (await saual.storage.users.get(777)).blocked


async def test_a_member_who_is_not_staff_cannot_act(saual, citizen, session):
    """Finding 7: any member of a linked group could /announce and answer."""
    admin, plain = member(citizen, 900, MVD), member(citizen, 901, MVD, admin=False)
    code = await saual.staff.invite("mvd")
    calls = await plain.send(f"/link {code}")
    assert "только её администратор" in calls[-1].text
    assert await saual.staff.chat(MVD) is None
    await admin.send(f"/link {code}")  # the refused attempt did not spend the code
    assert await saual.staff.chat(MVD) == ("mvd", "ru")
    assert [m.user_id for m in await saual.staff.members("mvd")] == [900]
    calls = await plain.send("/announce")
    assert NOT_STAFF in calls[-1].text
    await plain.send("Текст объявления от постороннего")
    await ask(citizen)
    question = card(session, MVD)
    for press in ("Взять", "Отклонить", "Передать"):
        calls = await plain.press(press, question)
        assert said(calls, MVD) == "" and said(calls, 777) == ""
    calls = await plain.reply(ANSWER, question)
    assert calls == []
    ticket = await saual.tickets.get(1)
    assert (ticket.status, ticket.agency, ticket.taken_by) == ("open", "mvd", None)
    assert await saual.storage.announcements.recent("mvd") == []


async def test_staff_remove_takes_the_rights_and_add_gives_them(saual, citizen, session,
                                                               maintainer):
    staff = member(citizen, 900, MVD)
    await link(saual, staff)
    await ask(citizen)
    result = await maintainer("agency", "staff", "list", "mvd")
    assert result.exit_code == 0, result.output
    assert f"chat: {MVD}" in result.output and "900\tlink by 900" in result.output
    result = await maintainer("agency", "staff", "remove", "mvd", "900")
    assert result.exit_code == 0, result.output
    calls = await staff.send("/announce")
    assert NOT_STAFF in calls[-1].text
    assert await staff.reply(ANSWER, card(session, MVD)) == []
    assert (await saual.tickets.get(1)).status == "open"
    result = await maintainer("agency", "staff", "remove", "mvd", "900")
    assert result.exit_code == 1 and "not staff of mvd" in result.output
    result = await maintainer("agency", "staff", "add", "mvd", "901")
    assert result.exit_code == 0, result.output
    colleague = member(citizen, 901, MVD, admin=False)
    calls = await colleague.reply(ANSWER, card(session, MVD))
    assert ANSWER in said(calls, 777)
    assert (await saual.tickets.get(1)).status == "answered"
    result = await maintainer("agency", "staff", "list", "mvd")
    assert "901\tmaintainer" in result.output and "900\t" not in result.output


async def test_unlink_revokes_the_chat_and_its_questions_wait(saual, citizen, session,
                                                             maintainer):
    staff = member(citizen, 900, MVD)
    await link(saual, staff)
    await ask(citizen)
    old_card = card(session, MVD)
    result = await maintainer("agency", "unlink", "mvd")
    assert result.exit_code == 0 and f"chat {MVD} of mvd unlinked" in result.output
    calls = await staff.send("/announce")
    assert NOT_LINKED in calls[-1].text
    assert await staff.reply(ANSWER, old_card) == []
    await staff.press_data("k:take:1:", old_card)
    ticket = await saual.tickets.get(1)
    assert (ticket.status, ticket.staff_chat) == ("open", None)
    result = await maintainer("agency", "unlink", "--chat", str(MVD))
    assert result.exit_code == 1 and "no linked chat" in result.output
    await link(saual, staff)  # linked again: the waiting question comes back
    assert (await saual.tickets.get(1)).staff_chat == MVD


async def test_a_new_chat_replaces_the_old_one(saual, citizen, session):
    """Finding 7: after relinking, the old chat kept /announce, and a forged callback
    from it rejected a ticket posted in the new chat."""
    old, new = member(citizen, 900, MVD), member(citizen, 900, OTHER)
    await link(saual, old)
    await ask(citizen)
    old_card = card(session, MVD)
    await link(saual, new)  # the same person, admin of both groups, links another one
    assert await saual.staff.chat(MVD) is None
    new_card = card(session, OTHER)  # the open question moved to the new chat
    assert "Вопрос №1" in new_card["text"]
    calls = await old.send("/announce")
    assert NOT_LINKED in calls[-1].text
    await old.press_data("k:rej:1:", new_card)  # a forged button from the old chat
    await old.send("Причина отказа из старого чата.")
    assert await old.reply(ANSWER, old_card) == []
    ticket = await saual.tickets.get(1)
    assert (ticket.status, ticket.staff_chat) == ("open", OTHER)
    calls = await new.press("Взять", new_card)
    assert "взял(а) вопрос №1" in said(calls, OTHER)


async def test_a_forged_callback_from_another_chat_is_refused(saual, citizen, session):
    mvd, cec = member(citizen, 900, MVD), member(citizen, 910, CEC)
    await link(saual, mvd)
    await link(saual, cec, "cec")
    await ask(citizen)
    question = card(session, MVD)
    for data in ("k:take:1:", "k:rej:1:", "k:to:1:cec", "k:move:1:"):
        calls = await cec.press_data(data, question)
        assert said(calls, CEC) == "" and said(calls, 777) == ""
    await mvd.send("/announce")  # a person's compose state is theirs, in their chat
    calls = await cec.send("Текст объявления не из того чата")
    assert said(calls, CEC) == ""
    ticket = await saual.tickets.get(1)
    assert (ticket.status, ticket.agency, ticket.staff_chat) == ("open", "mvd", MVD)


async def test_a_ticket_is_acted_on_only_from_the_chat_that_shows_it(saual, citizen, session):
    staff = member(citizen, 900, MVD)
    await link(saual, staff)
    ticket = await saual.tickets.open(777, "mvd", QUESTION, "ru", None, False)  # not posted
    message = session.messages[max(session.messages)]  # the bot's last message there
    for data in (f"k:take:{ticket.id}:", f"k:rej:{ticket.id}:", f"k:to:{ticket.id}:cec"):
        await staff.press_data(data, message)
    found = await saual.tickets.get(ticket.id)
    assert (found.status, found.agency, found.taken_by) == ("open", "mvd", None)


async def test_a_reminder_refused_by_the_group_unlinks_it(saual, citizen, session, bot, clock):
    await link(saual, member(citizen, 900, MVD))
    await ask(citizen)
    session.blocked.add(MVD)
    clock.now = (await saual.tickets.get(1)).due_at - 60
    await saual.remind(bot)
    assert await saual.staff.chat(MVD) is None
    assert (await saual.tickets.get(1)).staff_chat is None
    assert not (await saual.storage.users.get(777)).blocked


async def test_a_staff_chat_refusing_a_ticket_message_is_unlinked_by_staff_chats(
        saual, citizen, session, bot, clock, monkeypatch):
    """One way to unlink a chat that refused the bot (403): StaffChats.unlink, as
    `saual agency unlink` and the error handler use. A reminder, a card's status
    line or a new card refused by the group unlinks it that way: the chat is gone
    from the agency's chats, its members keep their rights as after any unlink,
    and the question waits for the next chat."""
    unlinked = []
    unlink = saual.staff.unlink

    async def recording(**which):
        unlinked.append(which)
        return await unlink(**which)

    monkeypatch.setattr(saual.staff, "unlink", recording)
    staff = member(citizen, 900, MVD)
    await link(saual, staff)
    await ask(citizen)
    members = await saual.staff.members("mvd")

    session.blocked.add(MVD)  # the reminder is refused
    clock.now = (await saual.tickets.get(1)).due_at - 60
    assert await saual.remind(bot) == 1
    assert unlinked == [{"chat_id": MVD}]
    assert await saual.staff.chats("mvd") == []
    assert await saual.staff.members("mvd") == members
    ticket = await saual.tickets.get(1)
    assert (ticket.status, ticket.staff_chat) == ("open", None)

    session.blocked.discard(MVD)  # linked again: the card comes back; taking it is refused
    await link(saual, staff)
    session.blocked.add(MVD)
    await staff.press("Взять", card(session, MVD))
    assert unlinked == [{"chat_id": MVD}] * 2
    assert await saual.staff.chats("mvd") == []

    session.blocked.discard(MVD)  # linked again, then a new question's card is refused
    await link(saual, staff)
    session.blocked.add(MVD)
    calls = await ask(citizen)
    assert "ещё не подключило сотрудников" in said(calls, 777)
    assert unlinked == [{"chat_id": MVD}] * 3
    assert await saual.staff.chats("mvd") == []
    assert [t.staff_chat for t in await saual.tickets.mine(777)] == [None, None]
    assert not (await saual.storage.users.get(777)).blocked
