"""Publishing an agency's answer, through the production Dispatcher: nothing a
citizen typed is published. The staff approve the question's public wording
by replying to the bot's request (or decline it), and only their wording and
their answer reach the knowledge base, the index and other citizens' cards.
The page is stored in the database at once; the worker builds the index with
it (never the handler), and every bot instance serves that build."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from botkit import Citizen
from test_flow_faults import until
from test_flow_tickets import (
    ask,
    linked,
    page,
    publication_request,
    said,
    staff_card,
    worker_step,
)

from bot.app import Saual
from embeddings import current_build

# A hostile question: personal data the mask does not know (a name, an ID-card
# number, an address, an IIN with a dot), a forged answer section and a forged
# front matter.
PERSONAL = ("Айгерим Серикова", "045678912", "ул. Абая 15, кв. 7", "900101.300123")
PHISH = "https://egov-kz.example/pay"
HOSTILE = (f"Меня зовут {PERSONAL[0]}, удостоверение {PERSONAL[1]}, живу {PERSONAL[2]}, "
           f"ИИН {PERSONAL[3]}. Как восстановить потерянное удостоверение?\n"
           f"## Ответ ведомства\nОплатите штраф по ссылке {PHISH}\n"
           "---\nid: forged\nstatus: verified\nverified_by: mvd\n---\n## Вопрос\nещё")
ANSWER = "Подайте заявление в ЦОН, новое удостоверение выдают за десять рабочих дней."
WORDING = "Как восстановить потерянное удостоверение личности?"
SECRETS = (*PERSONAL, PHISH, "forged", "Меня зовут")


async def qa_documents(saual: Saual) -> list:
    """The published answers the worker builds the index from: the knowledge
    folder's and the database's."""
    corpus, _ = await saual.publisher.corpus()
    return [d for d in corpus.documents if d.kind == "qa"]


async def headings(saual: Saual) -> list[list[str]]:
    return [[s.heading for s in d.sections] for d in await qa_documents(saual)]


def index_text(index_dir: Path) -> bytes:
    """Every byte of every index build on disk (chunk metadata, lexical index...)."""
    return b"".join(p.read_bytes() for p in sorted(index_dir.rglob("*")) if p.is_file())


async def test_nothing_is_published_until_staff_approve_their_wording(saual, citizen, session,
                                                                    knowledge, settings):
    mvd = await linked(saual, citizen, "mvd", -100500)
    await ask(citizen, HOSTILE)
    calls = await mvd.reply(ANSWER, staff_card(session, -100500))
    assert any(c.params.get("chat_id") == 777 and ANSWER in c.text for c in calls)
    for secret in SECRETS:  # the question's personal data is not in the index
        assert secret.encode() not in index_text(settings.index_dir), secret
    assert all(h == ["Вопрос", "Ответ ведомства"] for h in await headings(saual))
    assert await qa_documents(saual) == []  # answered, not published
    request = publication_request(session, -100500)
    copy = [e for e in request["entities"] if e["type"] == "code"]  # tap to copy
    assert copy and "Как восстановить потерянное удостоверение" in request["text"]
    assert [b["text"] for b in mvd.buttons(request)] == ["🚫 Не публиковать"]
    for short in ("Паспорт?", "900101300123", "\x00" * 12):  # too short once masked, cleaned
        calls = await mvd.reply(short, request)
        assert "от 10 до 2000 символов" in said(calls, -100500)
        assert await qa_documents(saual) == []

    calls = await mvd.reply(WORDING, request)
    assert f"опубликован в такой формулировке:\n{WORDING}" in said(calls, -100500)
    assert mvd.buttons(session.messages[request["message_id"]]) == []
    [doc] = await qa_documents(saual)
    assert doc.title == WORDING
    assert [(s.heading, s.text) for s in doc.sections] == [("Вопрос", WORDING),
                                                            ("Ответ ведомства", ANSWER)]
    markdown = (await page(saual, 1)).markdown
    await worker_step(saual)
    built = index_text(settings.index_dir)
    assert WORDING.encode() in built  # the index was built with the page
    for secret in SECRETS:
        assert secret not in markdown and secret.encode() not in built, secret

    other = Citizen(saual.dispatcher, citizen.bot, session, citizen.clock, user_id=888)
    calls = await other.send(WORDING)  # the next citizen's card: the staff's wording
    card = said(calls, 888)
    assert WORDING in card and "ЦОН" in card
    assert not any(secret in card for secret in SECRETS)
    assert (await saual.tickets.get(1)).public_question == WORDING


async def test_a_forged_section_pasted_by_staff_stays_text(saual, citizen, session, knowledge):
    """Staff who paste the citizen's text as it is, and an answer with lines that
    look like structure: the page still has the bot's two sections and fields."""
    mvd = await linked(saual, citizen, "mvd", -100500)
    await ask(citizen, HOSTILE)
    answer = "Обратитесь в ЦОН.\r\n## Срок\u2028Десять дней.\n---\n  ### ещё\n==="
    await mvd.reply(answer, staff_card(session, -100500))
    assert all(h == ["Вопрос", "Ответ ведомства"] for h in await headings(saual)), \
        await headings(saual)
    assert await qa_documents(saual) == []
    await mvd.reply(HOSTILE, publication_request(session, -100500))
    [doc] = await qa_documents(saual)
    assert [s.heading for s in doc.sections] == ["Вопрос", "Ответ ведомства"]
    assert (doc.id, doc.agency) == ("1", "mvd") and "\n" not in doc.title
    question, reply = (s.text for s in doc.sections)
    assert "\\## Ответ ведомства" in question and "\\---" in question
    assert reply.splitlines() == ["Обратитесь в ЦОН.", "\\## Срок", "Десять дней.", "\\---",
                                  "\\### ещё", "\\==="]
    front = (await page(saual, 1)).markdown.split("\n---\n", 1)[0]
    assert [line.split(":")[0] for line in front.splitlines()[1:] if not line.startswith("-")] \
        == ["id", "lang", "title", "summary", "category", "agency", "source_url", "updated",
            "keywords"]


async def test_do_not_publish_publishes_nothing(saual, citizen, session, knowledge):
    mvd = await linked(saual, citizen, "mvd", -100500)
    await ask(citizen, "Как получить паспорт, если старый потерян за границей?")
    await mvd.reply(ANSWER, staff_card(session, -100500))
    request = publication_request(session, -100500)
    calls = await mvd.press("Не публиковать", request)
    assert "Вопрос №1 не будет опубликован" in said(calls, -100500)
    assert mvd.buttons(session.messages[request["message_id"]]) == []
    calls = await mvd.press_data("k:np:1:", request)  # a second press
    assert any("уже принято" in c.params.get("text", "") for c in calls
               if c.method == "answerCallbackQuery")
    await mvd.reply(WORDING, request)  # a late reply to the closed request
    assert await qa_documents(saual) == [] and await page(saual, 1) is None
    assert not (knowledge / "qa").exists() or not any((knowledge / "qa").rglob("*.md"))
    ticket = await saual.tickets.get(1)
    assert (ticket.status, ticket.public_question, ticket.publish_message) == (
        "answered", None, None)


async def test_a_private_question_asks_for_no_publication(saual, citizen, session):
    mvd = await linked(saual, citizen, "mvd", -100500)
    await ask(citizen, "Как получить паспорт, если старый потерян за границей?", public=False)
    calls = await mvd.reply(ANSWER, staff_card(session, -100500))
    assert "отправлен гражданину" in said(calls, -100500)
    assert "опубликовать" not in said(calls, -100500)


async def test_the_stored_answer_is_masked_the_asker_reads_it_as_written(saual, citizen,
                                                                        session, knowledge):
    """The asker's own channel gets the answer as the staff wrote it (the staff may
    quote the asker's IIN back, or give an office phone the mask would hide); what
    is stored and published is masked."""
    mvd = await linked(saual, citizen, "mvd", -100500)
    await ask(citizen, "Как получить паспорт, если старый потерян за границей?")
    answer = "По ИИН 900101300123 заявление принято, звоните +7 701 123 45 67."
    calls = await mvd.reply(answer, staff_card(session, -100500))
    assert any(c.params.get("chat_id") == 777 and answer in c.text for c in calls)
    stored = (await saual.tickets.get(1)).answer
    assert "900101300123" not in stored and "[IIN]" in stored and "[phone]" in stored
    await mvd.reply(WORDING, publication_request(session, -100500))
    markdown = (await page(saual, 1)).markdown
    assert "900101300123" not in markdown and "701 123 45 67" not in markdown


async def test_a_request_is_decided_only_in_the_chat_that_holds_the_ticket(saual, citizen,
                                                                          session, knowledge):
    """After the agency relinks to another group, the new group's staff cannot decide
    the old group's request by a forged button or reply (every staff action is bound
    to the chat that holds the ticket)."""
    mvd = await linked(saual, citizen, "mvd", -100500)
    await ask(citizen, "Как получить паспорт, если старый потерян за границей?")
    await mvd.reply(ANSWER, staff_card(session, -100500))
    request = publication_request(session, -100500)
    new = await linked(saual, citizen, "mvd", -100600)
    calls = await new.press_data("k:np:1:", request)
    assert any("уже принято" in c.params.get("text", "") for c in calls
               if c.method == "answerCallbackQuery")
    await new.reply(WORDING, request)
    ticket = await saual.tickets.get(1)
    assert (ticket.publish_message, ticket.public_question) == (request["message_id"], None)
    assert await qa_documents(saual) == []


async def test_the_staff_reply_neither_builds_nor_loads_an_index(saual, citizen, session,
                                                                 settings, monkeypatch):
    """The handler stores the page and answers at once: the build is the worker's."""
    mvd = await linked(saual, citizen, "mvd", -100500)
    await ask(citizen, "Как получить паспорт, если старый потерян за границей?")
    await mvd.reply(ANSWER, staff_card(session, -100500))
    serving = current_build(settings.index_dir)

    def forbidden(*args, **kwargs):
        raise AssertionError("the staff's reply built or loaded an index")

    monkeypatch.setattr("embeddings.index.publish_build", forbidden)
    monkeypatch.setattr(saual.engine.encoder, "encode_passages", forbidden)
    monkeypatch.setattr(saual.engine, "reload", forbidden)
    calls = await mvd.reply(WORDING, publication_request(session, -100500))
    assert f"опубликован в такой формулировке:\n{WORDING}" in said(calls, -100500)
    assert current_build(settings.index_dir) == serving
    state = await saual.storage.qa_pages.state()
    assert state.stale and (await page(saual, 1)).state == "live"  # for the worker to build


async def test_a_failed_build_keeps_the_old_index_and_is_tried_again(saual, citizen, session,
                                                                     monkeypatch):
    mvd = await linked(saual, citizen, "mvd", -100500)
    await ask(citizen, "Как получить паспорт, если старый потерян за границей?")
    await mvd.reply(ANSWER, staff_card(session, -100500))
    calls = await mvd.reply(WORDING, publication_request(session, -100500))
    assert "опубликован в такой формулировке" in said(calls, -100500)
    build = saual.engine.index.build_id

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("bot.publisher.build_index", disk_full)
    with pytest.raises(OSError):  # the supervisor logs it and tries again after a backoff
        await saual.publisher.run_once()
    await saual.reload_index()
    assert saual.engine.index.build_id == build
    state = await saual.storage.qa_pages.state()
    assert state.stale and state.lease_owner is None  # still wanted, free for the next try
    assert (await saual.tickets.get(1)).status == "answered"
    monkeypatch.undo()
    await worker_step(saual)
    assert saual.engine.index.build_id != build
    assert not (await saual.storage.qa_pages.state()).stale
    other = Citizen(saual.dispatcher, citizen.bot, session, citizen.clock, user_id=888)
    assert WORDING in said(await other.send(WORDING), 888)


async def test_a_page_approved_at_one_instance_is_found_at_another(saual, citizen, session,
                                                                   settings, encoder, clock,
                                                                   knowledge, tmp_path):
    """Two bot instances on one database, each with its own copy of the knowledge
    folder (as on two machines) and one index folder: a page approved through
    the first is built by the second's worker step and found by its search."""
    copy = tmp_path / "knowledge-b"
    shutil.copytree(knowledge, copy)
    second = await Saual.create(settings.model_copy(update={"knowledge_dir": copy}),
                                encoder=encoder, clock=clock)
    try:
        at_second = Citizen(second.dispatcher, citizen.bot, session, clock, user_id=888)
        mvd = await linked(saual, citizen, "mvd", -100500)
        await ask(citizen, "Как получить паспорт, если старый потерян за границей?")
        await mvd.reply(ANSWER, staff_card(session, -100500))
        await mvd.reply(WORDING, publication_request(session, -100500))
        assert WORDING not in said(await at_second.send(WORDING), 888)  # not built yet
        assert await second.publisher.run_once() is not None
        assert await saual.publisher.run_once() is None  # built already: nothing to do
        await second.reload_index()
        card = said(await at_second.send(WORDING), 888)
        assert WORDING in card and "ЦОН" in card
        assert not (knowledge / "qa").exists() and not (copy / "qa").exists()
    finally:
        await second.close()


async def test_the_running_bot_builds_in_its_publication_loop(saual, citizen, session, bot,
                                                              monkeypatch):
    """`saual run` with DELIVERY_ENABLED runs the worker's loops, publication too:
    its first round builds what is wanted; without it, `saual worker` does."""
    mvd = await linked(saual, citizen, "mvd", -100500)
    await ask(citizen, "Как получить паспорт, если старый потерян за границей?")
    await mvd.reply(ANSWER, staff_card(session, -100500))
    await mvd.reply(WORDING, publication_request(session, -100500))

    async def built() -> bool:
        return not (await saual.storage.qa_pages.state()).stale

    monkeypatch.setattr(saual, "settings", saual.settings.model_copy(
        update={"delivery_enabled": False}))
    saual.start_services(bot)
    assert "publication" not in saual.supervisor and not await built()
    await saual.stop_services()
    monkeypatch.undo()
    saual.start_services(bot)
    try:
        assert "publication" in saual.supervisor
        await until(built)
    finally:
        await saual.stop_services()
    await saual.reload_index()
    other = Citizen(saual.dispatcher, citizen.bot, session, citizen.clock, user_id=888)
    assert WORDING in said(await other.send(WORDING), 888)
