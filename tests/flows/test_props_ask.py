"""Property: whatever a citizen asks through /ask and whatever the staff answer
and word for publication, through the production Dispatcher, no handler
fails, the corpus loader reads the knowledge folder with every published page
(the database's, as the worker builds them; none refused), and every published
page has exactly the two sections the bot writes and the bot's own fields."""

from __future__ import annotations

import itertools
import logging

from botkit import Citizen
from hypothesis import given, settings
from hypothesis import strategies as st
from test_flow_tickets import linked, staff_card

from bot.services.qa_page import HEADINGS

# Pieces that mean structure to Markdown, YAML or the loader, and line breaks
# of every kind, mixed with arbitrary text.
PIECES = ["## ", "##", "#", "---", "...", "===", "```", "\n", "\r", "\r\n", "\u2028", "\x85",
          "\x0b", "\x0c", "\x00", "\x1b", "\t", " ", "Ответ ведомства", "Вопрос", "id: x",
          "title: |", "- a", ": ", "'", '"', "{", "[", "&a", "*a", "!!python/object",
          "900101300123", "045678912", "https://phish.example", "ЦОН", "паспорт"]
TEXT = st.lists(st.sampled_from(PIECES) | st.text(max_size=12), max_size=30).map("".join)
FIELDS = ["id", "lang", "title", "summary", "category", "agency", "source_url", "updated",
          "keywords"]
users = itertools.count(5000)


@settings(max_examples=25)
@given(question=TEXT, answer=TEXT, wording=st.one_of(TEXT, st.just(None)))
async def test_any_question_and_answer_publish_only_the_bot_s_two_sections(
        saual, citizen, session, knowledge, caplog, question, answer, wording):
    caplog.clear()
    caplog.set_level(logging.ERROR)
    staff = {}
    for i, agency in enumerate(sorted(saual.tickets.agencies)):  # linked once, then reused
        staff[agency] = Citizen(saual.dispatcher, citizen.bot, session, citizen.clock,
                                user_id=100500 + i, group=-100500 - i) \
            if await saual.tickets.staff_chat(agency) else \
            await linked(saual, citizen, agency, -100500 - i)
    asker = Citizen(saual.dispatcher, citizen.bot, session, citizen.clock, user_id=next(users))
    calls = await asker.send(f"/ask {question}")
    mine = []
    if any("✅" in b["text"] for b in calls[-1].buttons):
        await asker.press("✅")
        await asker.press("Да, опубликуйте")
        await asker.press("Отправить")
        mine = await saual.tickets.mine(asker.user.id)
    if mine:
        [ticket] = mine
        chat = staff[ticket.agency]
        await chat.reply(answer, staff_card(session, chat.group))
        requests = [m for m in session.messages.values() if m["chat"]["id"] == chat.group
                    and f"опубликовать вопрос №{ticket.id} " in m.get("text", "")]
        if requests:  # the staff paste the citizen's text, or write their own wording
            await chat.reply(ticket.text if wording is None else wording, requests[-1])
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    corpus, _ = await saual.publisher.corpus()  # never broken by what was published
    for doc in corpus.documents:
        if doc.kind == "qa":
            assert tuple(s.heading for s in doc.sections) == HEADINGS[doc.lang]
            assert "\n" not in doc.title and doc.agency in saual.tickets.agencies
    _, pages = await saual.storage.qa_pages.snapshot()
    assert all(page.state == "live" for page in pages)  # the loader refused none
    assert {(d.id, d.lang) for d in corpus.documents if d.kind == "qa"} == {
        (str(page.ticket_id), page.lang) for page in pages}
    assert not (knowledge / "qa").exists()
    for page in pages:
        front = page.markdown.split("\n---\n", 1)[0].splitlines()[1:]
        assert [line.split(":")[0] for line in front if not line.startswith("- ")] == FIELDS
