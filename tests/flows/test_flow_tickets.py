"""Ask an agency, through the production Dispatcher: a citizen's question goes
to the agency's linked staff chat, the staff answer by replying, the citizen
gets the answer, and a public answer becomes a Q&A page the search finds once
the worker has built the index with it (:func:`worker_step`)."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re

import pytest
from aiogram.types import Document
from botkit import Citizen, FakeClock
from typer.testing import CliRunner

from bot.app import Saual
from bot.cli import app as cli
from bot.storage import QAPage
from embeddings import CorpusError, Problem, build_index, load_knowledge

QUESTION = "Как получить паспорт, если старый паспорт потерян в поездке за границей?"


@pytest.fixture
def ticket_clock(clock) -> FakeClock:
    return clock  # the one clock the app reads: wall time and intervals


@pytest.fixture
async def saual(settings, encoder, clock, ticket_clock):
    build_index(load_knowledge(settings.knowledge_dir), encoder, settings.index_dir)
    app = await Saual.create(settings, encoder=encoder, clock=clock)
    yield app
    await app.close()


async def linked(saual, citizen, agency: str, chat: int, lang: str = "ru") -> Citizen:
    staff = Citizen(saual.dispatcher, citizen.bot, citizen.session, citizen.clock,
                    user_id=-chat, group=chat, language_code=lang)
    await staff.send(f"/link {await saual.staff.invite(agency)}")
    return staff


WENT_WRONG = "что-то пошло не так"  # the error handler's apology


def errors(caplog) -> list[str]:
    """What reached the error handler (it logs each failed update at ERROR)."""
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


def said(calls, chat: int) -> str:
    """Everything sent or edited in `chat` by these calls, one text."""
    return "\n".join(c.text for c in calls if c.params.get("chat_id") == chat)


def staff_card(session, chat: int) -> dict:
    cards = [m for m in session.messages.values() if m["chat"]["id"] == chat
             and re.match(r"(Вопрос №\d+ · язык|№\d+ сұрақ · тілі)", m.get("text", ""))]
    assert cards, "no question in the staff chat"
    return cards[-1]


def publication_request(session, chat: int) -> dict:
    """The newest request for a question's public wording in the staff chat `chat`."""
    requests = [m for m in session.messages.values() if m["chat"]["id"] == chat
                and "разрешил опубликовать вопрос" in m.get("text", "")]
    assert requests, "no publication request in the staff chat"
    return requests[-1]


async def worker_step(saual: Saual) -> None:
    """What the worker's "publication" loop does once (`saual worker`, or `saual run`
    with DELIVERY_ENABLED), then the running bot's index reload: the build serves."""
    await saual.publisher.run_once()
    await saual.reload_index()


async def page(saual: Saual, ticket_id: int) -> QAPage | None:
    """The ticket's published page, as the database keeps it."""
    return await saual.storage.qa_pages.get(ticket_id)


async def ask(citizen: Citizen, text: str, *, public: bool = True) -> list:
    await citizen.send(f"/ask {text}")
    await citizen.press("✅")
    await citizen.press("Да, опубликуйте" if public else "Нет, ответ только для меня")
    return await citizen.press("Отправить")


async def test_ask_answer_publish_and_find(saual, citizen, session, knowledge):
    mvd = await linked(saual, citizen, "mvd", -100500)
    calls = await citizen.send(f"/ask {QUESTION}")
    assert any("eotinish.kz" in c.text and "неофициальный" in c.text for c in calls)
    assert "Министерство внутренних дел" in calls[-1].text
    await citizen.press("✅")
    await citizen.press("Да, опубликуйте")
    calls = await citizen.press("Отправить")
    asked = citizen.clock.now
    assert "вопрос №1" in said(calls, 777) and "30.11.2026" in said(calls, 777)
    card = staff_card(session, -100500)
    assert "язык: ru" in card["text"] and "срок 30.11.2026" in card["text"]
    assert [b["text"] for b in mvd.buttons(card)] == ["🙋 Взять", "↪️ Передать", "⛔ Отклонить"]
    calls = await mvd.press("Взять", card)
    assert "взял(а) вопрос №1" in said(calls, -100500)
    card = staff_card(session, -100500)  # the card itself says who took it, no "take" now
    assert "взял(а) вопрос №1" in card["text"]
    assert [b["text"] for b in mvd.buttons(card)] == ["↪️ Передать", "⛔ Отклонить"]
    colleague = Citizen(saual.dispatcher, citizen.bot, session, citizen.clock, user_id=4242,
                        group=-100500)
    await saual.staff.add_member("mvd", 4242)  # joined after the link: a maintainer adds them
    calls = await colleague.press_data("k:take:1:", card)  # a stale card's button
    assert [c.params.get("text") for c in calls if c.method == "answerCallbackQuery"] == [
        "Этот вопрос уже взял другой сотрудник."]
    assert (await saual.tickets.get(1)).taken_by == mvd.user.id

    answer = "Новый паспорт выдают в ЦОНе по удостоверению личности, срок десять рабочих дней."
    calls = await mvd.reply(answer, card)
    to_citizen = [c for c in calls if c.params.get("chat_id") == citizen.user.id]
    assert answer in to_citizen[0].text
    assert [b["text"] for b in to_citizen[0].buttons] == ["👍", "👎",
                                                          "Это не отвечает на мой вопрос"]
    assert "разрешил опубликовать вопрос №1" in said(calls, -100500)
    assert await page(saual, 1) is None  # published only once the staff approve the wording
    wording = "Как получить новый паспорт, если старый утерян за границей?"
    calls = await mvd.reply(wording, publication_request(session, -100500))
    assert "опубликован в такой формулировке" in said(calls, -100500)
    assert "✅ Ответил(а)" in staff_card(session, -100500)["text"]
    assert mvd.buttons(staff_card(session, -100500)) == []
    calls = await mvd.reply("Ещё один ответ.", staff_card(session, -100500))
    assert "уже закрыт (отвечен)" in said(calls, -100500)
    assert (await page(saual, 1)).state == "live"
    await worker_step(saual)
    corpus, _ = await saual.publisher.corpus()
    assert any(d.kind == "qa" and d.id == "1" for d in corpus.documents)
    assert saual.engine.index.documents[("1", "ru")].kind == "qa"
    calls = await citizen.send(QUESTION)  # the next citizen's search finds the answer
    assert "ЦОНе по удостоверению" in calls[-1].text
    calls = await citizen.send("/myquestions")
    assert "отвечен" in calls[-1].text

    answer_message = next(m for m in session.messages.values()
                          if m["chat"]["id"] == 777 and answer in m["text"])
    calls = await citizen.press("👍", answer_message)
    assert (await saual.tickets.get(1)).rating == 1
    assert [b["text"] for b in citizen.buttons(session.messages[answer_message["message_id"]])
            ][:2] == ["👍 ✓", "👎"]
    assert any(c.method == "answerCallbackQuery" and "Спасибо" in c.params.get("text", "")
               for c in calls)
    calls = await citizen.press("👍", session.messages[answer_message["message_id"]])  # again
    assert [c.method for c in calls] == ["editMessageReplyMarkup", "answerCallbackQuery"]

    await citizen.press("Это не отвечает", answer_message)
    ticket = await saual.tickets.get(1)
    assert (ticket.status, ticket.rating, ticket.created_at) == ("open", None, asked)
    assert "Открыт снова" in staff_card(session, -100500)["text"]
    assert (await page(saual, 1)).state == "withdrawn"  # until the agency answers again
    await worker_step(saual)
    assert ("1", "ru") not in saual.engine.index.documents
    calls = await citizen.press("👎", answer_message)  # a vote on the withdrawn answer
    assert (await saual.tickets.get(1)).rating is None
    better = "Новый паспорт выдают в ЦОНе; если паспорт утерян, сначала подайте заявление."
    await mvd.reply(better, staff_card(session, -100500))
    assert (await page(saual, 1)).state == "withdrawn"  # a new answer is approved again
    await mvd.reply(wording, publication_request(session, -100500))
    assert better.split(";")[0] in (await page(saual, 1)).markdown
    assert not (knowledge / "qa").exists()  # the pages are in the database, not in files


async def test_reassign_and_reject(saual, citizen, session):
    mvd = await linked(saual, citizen, "mvd", -100500)
    cec = await linked(saual, citizen, "cec", -100600)
    await ask(citizen, QUESTION)
    card = staff_card(session, -100500)
    await mvd.press("Передать", card)
    calls = await mvd.press("Центральная избирательная")
    assert any(c.params.get("chat_id") == -100600 and "Вопрос №1" in c.text for c in calls)
    assert any(c.params.get("chat_id") == citizen.user.id and "передан" in c.text
               for c in calls)
    calls = await mvd.reply("Это уже не наш вопрос, ответ.", card)  # no longer theirs
    assert calls == []
    card = staff_card(session, -100600)
    calls = await cec.press("Отклонить", card)
    assert "Почему вопрос №1 отклонён" in said(calls, -100600)
    calls = await cec.send("Вопрос не относится к выборам.")
    assert any(c.params.get("chat_id") == citizen.user.id and "не относится к выборам" in c.text
               for c in calls)
    ticket = await saual.tickets.get(1)
    assert (ticket.status, ticket.agency) == ("rejected", "cec")


async def test_reminders_and_overdue(saual, citizen, session, bot, ticket_clock):
    await linked(saual, citizen, "mvd", -100500)
    await ask(citizen, QUESTION, public=False)
    ticket = await saual.tickets.get(1)
    assert await saual.remind(bot) == 0
    ticket_clock.now = ticket.due_at - 3600
    before = len(session.calls)
    assert await saual.remind(bot) == 1
    assert "Напоминание: на вопрос №1" in session.calls[before].text
    assert session.calls[before].params["reply_parameters"]["message_id"] == \
        ticket.staff_message
    assert await saual.remind(bot) == 0  # once
    ticket_clock.now = ticket.due_at + 60
    before = len(session.calls)
    assert await saual.remind(bot) == 1
    assert "Просрочено" in session.calls[before].text
    calls = await citizen.send("/myquestions")
    assert "просрочен" in calls[-1].text
    [row] = await saual.tickets.report()
    assert (row.agency, row.open, row.overdue, row.answered) == ("mvd", 1, 1, 0)


async def test_personal_data_is_masked_and_warned(saual, citizen, session):
    await linked(saual, citizen, "mvd", -100500)
    text = "Мой ИИН 900101300123, телефон +7 701 123 45 67, почта a.b@mail.kz: где паспорт?"
    await citizen.send(f"/ask {text}")
    await citizen.press("✅")
    calls = await citizen.press("Нет, ответ только для меня")
    shown = said(calls, 777) or calls[0].text
    assert "персональные данные" in shown
    assert "[IIN]" in shown and "900101300123" not in shown
    await citizen.press("Отправить")
    card = staff_card(session, -100500)
    for secret in ("900101300123", "701 123 45 67", "a.b@mail.kz"):
        assert secret not in card["text"]
    assert "[phone]" in card["text"]
    assert "900101300123" not in (await saual.tickets.get(1)).text


async def test_at_most_five_open_questions(saual, citizen):
    for _ in range(5):
        await saual.tickets.open(citizen.user.id, "mvd", QUESTION, "ru", None, False)
    calls = await citizen.send(f"/ask {QUESTION}")
    assert "уже 5 открытых вопросов" in calls[-1].text


async def test_a_short_question_is_asked_again_and_the_card_prefills(saual, citizen):
    calls = await citizen.send("/ask")
    assert "от 10 до 2000 символов" in calls[-1].text
    calls = await citizen.send("паспорт?")
    assert "от 10 до 2000" in calls[-1].text
    calls = await citizen.send(QUESTION)
    assert "Предлагаю отправить" in calls[-1].text
    await citizen.press("Отмена")
    await citizen.send("Как получить удостоверение личности, мой телефон 87011234567?")
    calls = await citizen.press("Задать вопрос ведомству")  # the answer card's button
    proposal = said(calls, 777)
    assert "Как получить удостоверение личности, мой телефон [phone]?" in proposal
    assert "Предлагаю отправить" in proposal


async def test_a_forged_question_button_is_answered_politely(saual, citizen, caplog):
    """The answer card's "ask the agency" button carries the question's log id.
    Forged ones (a digit str.isdigit takes but int() refuses, digits of another
    script, a number no id column holds) start an empty question, as a button
    on someone else's question does: nothing reaches the error handler."""
    await citizen.send("Как получить удостоверение личности, мой телефон 87011234567?")
    card = citizen.last_with_buttons()
    caplog.set_level(logging.ERROR)
    for forged in ("²", "١٢", "9" * 40, str(2**31), "-1", ""):
        calls = await citizen.press_data(f"q:card:{forged}", card)
        assert [c.method for c in calls][-1] == "answerCallbackQuery", forged
        told = said(calls, 777)
        assert "от 10 до 2000 символов" in told and WENT_WRONG not in told.lower(), forged
        assert "[phone]" not in told, forged  # not the question of that card
    assert errors(caplog) == []


async def test_a_forged_ticket_id_is_answered_politely(saual, citizen, session, caplog):
    """A ticket id past what an id column holds, on the asker's or the staff's
    buttons, is no button of ours: it is answered, and acts on nothing."""
    mvd = await linked(saual, citizen, "mvd", -100500)
    await ask(citizen, QUESTION, public=False)
    card = staff_card(session, -100500)
    await mvd.reply("Ответ ведомства по существу вопроса.", card)
    answer = next(m for m in session.messages.values()
                  if m["chat"]["id"] == 777 and "по существу" in m.get("text", ""))
    caplog.set_level(logging.ERROR)
    huge = "9" * 30
    for data in (f"r:up:{huge}", f"r:re:{huge}", f"r:down:{2**31}"):
        calls = await citizen.press_data(data, answer)
        assert [c.method for c in calls] == ["answerCallbackQuery"], data
    for data in (f"k:take:{huge}:", f"k:to:{huge}:cec", f"k:rej:{2**31}:"):
        calls = await mvd.press_data(data, card)
        assert [c.method for c in calls] == ["answerCallbackQuery"], data
    assert errors(caplog) == []
    ticket = await saual.tickets.get(1)
    assert (ticket.status, ticket.agency, ticket.rating) == ("answered", "mvd", None)


async def test_qa_report_cli(saual, citizen, settings, monkeypatch, ticket_clock):
    mvd = await linked(saual, citizen, "mvd", -100500)
    await ask(citizen, QUESTION, public=False)
    ticket_clock.now += 7200
    await mvd.reply("Ответ ведомства по существу вопроса.", staff_card(citizen.session, -100500))
    await ask(citizen, QUESTION, public=False)
    await saual.tickets.open(citizen.user.id, "cec", QUESTION, "ru", None, False)  # no chat
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KNOWLEDGE_DIR", str(settings.knowledge_dir))
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["qa", "report"], obj=ticket_clock)
    assert result.exit_code == 0, result.output
    header, cec, mvd, hint = result.output.splitlines()
    assert header.split() == ["agency", "open", "overdue", "answered", "median", "h", "no",
                              "chat"]
    assert cec.split() == ["cec", "1", "0", "0", "-", "1"]
    assert mvd.split() == ["mvd", "1", "0", "1", "2.0", "0"]
    assert "saual agency invite" in hint


async def test_a_kazakh_staff_chat_answers_a_russian_citizen(saual, citizen, session, bot,
                                                            ticket_clock):
    mvd = await linked(saual, citizen, "mvd", -100500, lang="kk")
    assert "Азаматтардың мемлекеттік органға қойған сұрақтары осында" in said(session.calls,
                                                                              -100500)
    await ask(citizen, QUESTION, public=False)
    card = staff_card(session, -100500)
    assert card["text"].startswith("№1 сұрақ · тілі: ru")  # the chat's language, not the asker's
    assert next(b["text"] for b in mvd.buttons(card)) == "🙋 Алу"
    ticket_clock.now = (await saual.tickets.get(1)).due_at - 60
    before = len(session.calls)
    await saual.remind(bot)
    reminder = session.calls[before]
    assert reminder.text.startswith("Еске салу: №1 сұраққа")
    # staff may answer by replying to the reminder as well as to the card
    reminder_message = session.messages[max(session.messages)]
    calls = await mvd.reply("Паспортты ХҚКО-да береді.", reminder_message)
    to_citizen = [c for c in calls if c.params.get("chat_id") == citizen.user.id]
    assert to_citizen and "ответило на ваш вопрос №1" in to_citizen[0].text
    assert "Паспортты ХҚКО-да береді." in to_citizen[0].text
    assert to_citizen[0].buttons[-1]["text"] == "Это не отвечает на мой вопрос"
    assert "Жауап берген" in staff_card(session, -100500)["text"]


async def test_a_question_waits_for_an_agency_without_a_staff_chat(saual, citizen, session):
    calls = await ask(citizen, QUESTION, public=False)
    told = said(calls, 777)
    assert "вопрос №1" in told and "ещё не подключило сотрудников" in told
    assert "eotinish.kz" in told
    assert (await saual.tickets.get(1)).staff_chat is None
    calls = await citizen.send("/myquestions")
    assert "ещё не доставлен: ведомство не подключилось к боту" in calls[-1].text
    await linked(saual, citizen, "mvd", -100500)  # the agency links its chat later
    card = staff_card(session, -100500)
    assert "Вопрос №1" in card["text"] and QUESTION in card["text"]
    assert (await saual.tickets.get(1)).staff_chat == -100500
    calls = await citizen.send("/myquestions")
    assert "ожидает" in calls[-1].text and "не доставлен" not in calls[-1].text


async def test_reassign_to_an_agency_without_a_staff_chat(saual, citizen, session):
    mvd = await linked(saual, citizen, "mvd", -100500)
    await ask(citizen, QUESTION)
    card = staff_card(session, -100500)
    await mvd.press("Передать", card)
    calls = await mvd.press("Центральная избирательная")
    assert "ещё не подключило чат сотрудников" in said(calls, -100500)
    assert "↪️ Вопрос №1 передан" in staff_card(session, -100500)["text"]
    assert mvd.buttons(staff_card(session, -100500)) == []
    calls = await mvd.press_data("k:take:1:", card)  # the old card's buttons are dead
    assert any("уже ответили, его передали или отклонили" in c.params.get("text", "")
               for c in calls if c.method == "answerCallbackQuery")
    ticket = await saual.tickets.get(1)
    assert (ticket.agency, ticket.status, ticket.staff_chat) == ("cec", "open", None)


async def test_a_file_with_a_caption_is_an_answer(saual, citizen, session):
    mvd = await linked(saual, citizen, "mvd", -100500)
    await ask(citizen, QUESTION, public=False)
    card = staff_card(session, -100500)
    document = Document(file_id="BQAC-rules", file_unique_id="rules-1", file_name="rules.pdf")
    calls = await mvd.reply("", card, document=document)
    assert "подписью, которая отвечает на вопрос" in said(calls, -100500)
    assert (await saual.tickets.get(1)).is_open
    calls = await mvd.reply("", card, document=document,
                            caption="Порядок выдачи паспорта: см. правила в файле.")
    [copy] = [c for c in calls if c.method == "copyMessage"]
    assert (copy.params["chat_id"], copy.params["from_chat_id"]) == (777, -100500)
    assert any(c.params.get("chat_id") == 777 and "см. правила в файле" in c.text for c in calls)
    assert (await saual.tickets.get(1)).answer == "Порядок выдачи паспорта: см. правила в файле."


async def test_a_citizen_who_blocked_the_bot(saual, citizen, session):
    mvd = await linked(saual, citizen, "mvd", -100500)
    await ask(citizen, QUESTION, public=False)
    session.blocked.add(777)
    document = Document(file_id="BQAC-rules", file_unique_id="rules-1", file_name="rules.pdf")
    calls = await mvd.reply("", staff_card(session, -100500), document=document,
                            caption="Ответ ведомства по существу, правила в файле.")
    assert "заблокировал бота" in said(calls, -100500)
    assert (await saual.tickets.get(1)).status == "answered"


async def test_the_no_answer_reply_offers_the_agency(saual, citizen, monkeypatch):
    # No page answers; the engine recognises a government theme (the test
    # encoder cannot tell one, so the result says so: tests/flows/test_flow_clarify.py
    # checks that no agency is offered without one).
    search = saual.engine.asearch

    async def on_topic(*args, **kwargs):
        return dataclasses.replace(await search(*args, **kwargs), on_topic=True)

    monkeypatch.setattr(saual.engine, "asearch", on_topic)
    calls = await citizen.send("Сколько стоит охотничий билет на сайгака в заповеднике?")
    assert "Или задайте вопрос ответственному ведомству" in calls[-1].text
    calls = await citizen.press("Задать вопрос ведомству")
    proposal = said(calls, 777)
    assert "Сколько стоит охотничий билет" in proposal and "Предлагаю отправить" in proposal


async def test_a_refused_page_keeps_the_old_index_and_the_answer(saual, citizen, session,
                                                                knowledge, monkeypatch):
    """The knowledge base's own parser checks the page when the staff approve it:
    a page it refuses is not stored, and the staff hear so at once."""
    mvd = await linked(saual, citizen, "mvd", -100500)
    await ask(citizen, QUESTION)
    build = saual.engine.index.build_id

    def refuse(text, name, **kwargs):
        raise CorpusError([Problem(name, 2, "title", "refused")])

    monkeypatch.setattr("bot.services.publication.parse_page", refuse)
    calls = await mvd.reply("Ответ ведомства по существу вопроса.", staff_card(session, -100500))
    assert any(c.params.get("chat_id") == 777 and "по существу" in c.text for c in calls)
    assert "отправлен гражданину" in said(calls, -100500)
    calls = await mvd.reply("Как получить паспорт взамен утерянного за границей?",
                            publication_request(session, -100500))
    told = said(calls, -100500)
    assert "База знаний не приняла страницу" in told and "формулировке" not in told
    assert await page(saual, 1) is None and not (knowledge / "qa").exists()
    await worker_step(saual)
    assert saual.engine.index.build_id == build
    assert (await saual.tickets.get(1)).status == "answered"


async def test_two_processes_checking_at_once_send_one_reminder(saual, citizen, ticket_clock):
    await linked(saual, citizen, "mvd", -100500)
    await ask(citizen, QUESTION, public=False)
    ticket_clock.now = (await saual.tickets.get(1)).due_at - 60
    first, second = await asyncio.gather(saual.tickets.reminders(), saual.tickets.reminders())
    assert len(first) + len(second) == 1
    assert (await saual.tickets.get(1)).reminded == 1


# -- prompts that wait while staff do something else (a review's finds) ---------------

SECOND = "Как заменить удостоверение личности после смены фамилии при замужестве?"


async def test_a_waiting_reject_prompt_lets_an_answer_to_another_card_through(
        saual, citizen, session):
    mvd = await linked(saual, citizen, "mvd", -100500)
    await ask(citizen, QUESTION, public=False)
    first = staff_card(session, -100500)
    await ask(citizen, SECOND, public=False)
    second = staff_card(session, -100500)
    await mvd.press("Отклонить", first)  # the reason is asked for #1...
    prompt = [m for m in session.messages.values() if m["chat"]["id"] == -100500
              and m.get("text", "").startswith("Почему вопрос №1 отклонён")][-1]
    answer = "Замена удостоверения в ЦОНе, нужен документ о браке, срок 10 рабочих дней."
    calls = await mvd.reply(answer, second)  # ...while #2 is answered on its card
    assert answer in said(calls, citizen.user.id)
    assert (await saual.tickets.get(2)).answer == answer
    assert (await saual.tickets.get(1)).status != "rejected"
    calls = await mvd.reply("Вопрос не к МВД.", prompt)  # the reason, in reply to its prompt
    assert (await saual.tickets.get(1)).status == "rejected"
    assert "Вопрос не к МВД." in said(calls, citizen.user.id)


async def test_an_announcement_being_written_lets_an_answer_to_a_card_through(
        saual, citizen, session):
    mvd = await linked(saual, citizen, "mvd", -100500)
    await ask(citizen, QUESTION, public=False)
    card = staff_card(session, -100500)
    await mvd.send("/announce")
    answer = "Обратитесь в ЦОН с удостоверением личности."
    calls = await mvd.reply(answer, card)
    assert answer in said(calls, citizen.user.id)
    calls = await mvd.send("/skip")  # the announcement goes on where it was
    assert "на русском" in said(calls, -100500)
    first = [m for m in session.messages.values() if m["chat"]["id"] == -100500
             and m.get("text", "").startswith("Отправьте текст объявления на казахском")][-1]
    calls = await mvd.reply("ЦОНы работают в субботу.", first)  # to the flow's first prompt
    assert "ссылку" in said(calls, -100500)  # taken as the Russian text: the link is next


async def test_a_long_rejection_reason_still_fits_the_card(saual, citizen, session):
    mvd = await linked(saual, citizen, "mvd", -100500)
    await ask(citizen, "Как получить паспорт? " + "Подробности поездки. " * 90, public=False)
    card = staff_card(session, -100500)  # the card quotes the long question
    await mvd.press("Отклонить", card)
    reason = "Причина " * 400
    calls = await mvd.send(reason)
    assert reason.strip() in said(calls, citizen.user.id)  # the citizen reads it whole
    card = session.messages[card["message_id"]]
    assert "Отклонил" in card["text"] and mvd.buttons(card) == []


async def test_a_second_tap_on_send_sends_nothing_more(saual, citizen, caplog):
    await citizen.send(f"/ask {QUESTION}")
    await citizen.press("✅")
    await citizen.press("Нет, ответ только для меня")
    send_button = citizen.last_with_buttons()
    await asyncio.gather(citizen.press("Отправить", send_button),
                         citizen.press("Отправить", send_button))
    assert [t.id for t in await saual.tickets.mine(citizen.user.id)] == [1]
    assert errors(caplog) == []


async def test_a_forged_vote_on_a_huge_question_id_is_refused_quietly(saual, citizen, caplog):
    await citizen.send("где получить удостоверение личности")
    for data in ("v:99999999999999999999:1", "o:99999999999999999999"):
        calls = await citizen.press_data(data, citizen.last_with_buttons())
        assert WENT_WRONG not in said(calls, citizen.user.id)
    assert errors(caplog) == []


async def test_two_staff_answering_at_once_answer_once(saual, citizen, session, monkeypatch):
    # Both read the ticket open (a database round trip apart), then both wrote;
    # the citizen got two answers. Now the second write finds it answered.
    mvd = await linked(saual, citizen, "mvd", -100500)
    colleague = Citizen(saual.dispatcher, citizen.bot, session, citizen.clock, user_id=4242,
                        group=-100500)
    await saual.staff.add_member("mvd", 4242)
    await ask(citizen, QUESTION, public=False)
    card = staff_card(session, -100500)
    repo = saual.storage.tickets
    read = repo.by_staff_message

    async def slow_read(*args):
        found = await read(*args)
        await asyncio.sleep(0.02)
        return found

    monkeypatch.setattr(repo, "by_staff_message", slow_read)
    before = len(session.calls)
    await asyncio.gather(mvd.reply("Ответ первого сотрудника: обратитесь в ЦОН.", card),
                         colleague.reply("Ответ второго сотрудника: подайте на egov.kz.", card))
    calls = session.calls[before:]
    told = [c.text for c in calls if c.params.get("chat_id") == citizen.user.id]
    assert len(told) == 1
    assert (await saual.tickets.get(1)).answer in told[0]
    assert "уже закрыт" in said(calls, -100500)  # the second one is told so


async def test_the_answer_comes_in_the_language_the_bot_spoke_when_asked(
        saual, citizen, session, bot):
    # Telegram in Kazakh, no language chosen, the question in Russian: the whole
    # /ask went in Kazakh, then the answer came in Russian (a review's find).
    kk = Citizen(saual.dispatcher, bot, session, citizen.clock, user_id=888, language_code="kk")
    mvd = await linked(saual, citizen, "mvd", -100500)
    await kk.send(f"/ask {QUESTION}")
    await kk.press("✅")
    await kk.press("Жоқ")
    receipt = await kk.press("✅")
    assert "сұрағыңыз" in said(receipt, 888)
    answer = "Обратитесь в ЦОН с удостоверением личности."
    calls = await mvd.reply(answer, staff_card(session, -100500))
    told = [c for c in calls if c.params.get("chat_id") == 888]
    assert answer in told[0].text and "Ведомство ответило" not in told[0].text
    assert "👍" in [b["text"] for b in told[0].buttons]
    assert "Бұл менің сұрағыма жауап емес" in [b["text"] for b in told[0].buttons]


async def test_a_question_left_unsent_stops_taking_the_citizens_texts(saual, citizen,
                                                                      ticket_clock):
    # Pressing "ask the agency" and going away: every later question became a
    # proposal to send it to an agency, and was never searched (a review's find).
    await citizen.send("/ask")
    calls = await citizen.send("где получить удостоверение личности")
    assert "Ваш вопрос:" in said(calls, citizen.user.id)  # at once: the question written
    ticket_clock.now += 31 * 60
    calls = await citizen.send("где получить удостоверение личности")
    assert "Ваш вопрос:" not in said(calls, citizen.user.id)
    assert "Получение удостоверения личности" in said(calls, citizen.user.id)
