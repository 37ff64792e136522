"""Property: nobody without staff rights changes a ticket or an announcement.

A linked staff chat shows a citizen's question; a member of that group who is
not the agency's staff, and a stranger in a group that is not linked, press
arbitrary buttons (any callback data, including well-formed ticket and compose
data) and send arbitrary text (commands, replies to the question's card).
Whatever they do, every ticket, every announcement, the linked chat and the
staff list stay as they were.
"""

from __future__ import annotations

import logging

import pytest
from botkit import Citizen
from dbkit import outbox_rows
from hypothesis import given, settings
from hypothesis import strategies as st

MVD, STRANGERS = -100500, -100666
QUESTION = "Как получить паспорт, если старый паспорт потерян в поездке за границей?"

well_formed = st.builds(
    lambda prefix, act, ticket, target: f"{prefix}:{act}:{ticket}:{target}",
    st.sampled_from("kcqrn"),
    st.sampled_from(["take", "move", "to", "rej", "ok", "no", "next", "all", "r", "up", "re",
                     "new", "ag", "pub"]),
    st.integers(0, 3), st.sampled_from(["", "cec", "mvd", "1", "astana", "shymkent"]))
callback_data = st.one_of(well_formed, st.text(min_size=1, max_size=64)).filter(
    lambda d: len(d.encode()) <= 64)
texts = st.one_of(
    st.text(min_size=1, max_size=300).filter(str.strip),
    st.sampled_from(["/announce", "/status", "/cancel", "/skip", "/link AAAA2222BB", "/ask",
                     "https://gov.kz/news/1", "Ответ ведомства по существу вопроса."]))
action = st.tuples(st.sampled_from(["press", "send", "reply"]), callback_data, texts)


async def snapshot(saual) -> tuple:
    storage = saual.storage
    return (await storage.tickets.all(), await storage.announcements.recent("mvd", 50),
            await storage.announcements.recent("cec", 50), await outbox_rows(storage),
            await saual.staff.chats("mvd"), await saual.staff.members("mvd"))


@pytest.fixture
def world() -> dict:
    """Set up once per test (hypothesis reuses function-scoped fixtures for every
    example): the linked chat, the question, the people without rights."""
    return {}


async def _setup(world: dict, saual, citizen, bot, session, clock) -> None:
    staff = Citizen(saual.dispatcher, bot, session, clock, user_id=900, group=MVD)
    await staff.send(f"/link {await saual.staff.invite('mvd')}")
    await citizen.send(f"/ask {QUESTION}")
    await citizen.press("✅")
    await citizen.press("Нет, ответ только для меня")
    await citizen.press("Отправить")
    world["card"] = next(m for m in session.messages.values()
                         if m["chat"]["id"] == MVD and m.get("text", "").startswith("Вопрос №1"))
    world["people"] = [Citizen(saual.dispatcher, bot, session, clock, user_id=901, group=MVD,
                               admin=False),
                       Citizen(saual.dispatcher, bot, session, clock, user_id=66,
                               group=STRANGERS)]
    world["before"] = await snapshot(saual)
    tickets, _, _, _, chats, members = world["before"]
    assert tickets[0].staff_chat == MVD and chats and members


@settings(max_examples=60)
@given(who=st.sampled_from([0, 1]), actions=st.lists(action, min_size=1, max_size=4))
async def test_no_one_without_rights_changes_a_ticket_or_an_announcement(
        who, actions, world, saual, citizen, bot, session, clock, caplog):
    if not world:
        await _setup(world, saual, citizen, bot, session, clock)
    person, card = world["people"][who], world["card"]
    with caplog.at_level(logging.ERROR, logger="bot"):
        for kind, data, text in actions:
            if kind == "press":
                await person.press_data(data, card)
            elif kind == "send":
                await person.send(text)
            else:
                await person.reply(text, card)
    assert await snapshot(saual) == world["before"]
    assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
