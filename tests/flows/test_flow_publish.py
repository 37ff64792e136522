"""Publishing an agency's answer, through the production Dispatcher: nothing a
citizen typed is published. The staff approve the question's public wording
by replying to the bot's request (or decline it), and only their wording and
their answer reach the knowledge base, the index and other citizens' cards."""

from __future__ import annotations

from pathlib import Path

from botkit import Citizen
from test_flow_tickets import ask, linked, publication_request, said, staff_card

from embeddings import load_knowledge

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


def qa_documents(knowledge: Path) -> list:
    return [d for d in load_knowledge(knowledge).documents if d.kind == "qa"]


def headings(knowledge: Path) -> list[list[str]]:
    return [[s.heading for s in d.sections] for d in qa_documents(knowledge)]


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
    assert all(h == ["Вопрос", "Ответ ведомства"] for h in headings(knowledge))
    assert qa_documents(knowledge) == []  # answered, not published
    request = publication_request(session, -100500)
    copy = [e for e in request["entities"] if e["type"] == "code"]  # tap to copy
    assert copy and "Как восстановить потерянное удостоверение" in request["text"]
    assert [b["text"] for b in mvd.buttons(request)] == ["🚫 Не публиковать"]
    for short in ("Паспорт?", "900101300123", "\x00" * 12):  # too short once masked, cleaned
        calls = await mvd.reply(short, request)
        assert "от 10 до 2000 символов" in said(calls, -100500) and qa_documents(knowledge) == []

    calls = await mvd.reply(WORDING, request)
    assert f"опубликован в такой формулировке:\n{WORDING}" in said(calls, -100500)
    assert mvd.buttons(session.messages[request["message_id"]]) == []
    [doc] = qa_documents(knowledge)
    assert doc.title == WORDING
    assert [(s.heading, s.text) for s in doc.sections] == [("Вопрос", WORDING),
                                                            ("Ответ ведомства", ANSWER)]
    page = (knowledge / "qa" / "mvd" / "1.ru.md").read_text(encoding="utf-8")
    built = index_text(settings.index_dir)
    for secret in SECRETS:
        assert secret not in page and secret.encode() not in built, secret

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
    assert all(h == ["Вопрос", "Ответ ведомства"] for h in headings(knowledge)), \
        headings(knowledge)
    assert qa_documents(knowledge) == []
    await mvd.reply(HOSTILE, publication_request(session, -100500))
    [doc] = qa_documents(knowledge)
    assert [s.heading for s in doc.sections] == ["Вопрос", "Ответ ведомства"]
    assert (doc.id, doc.agency) == ("1", "mvd") and "\n" not in doc.title
    question, reply = (s.text for s in doc.sections)
    assert "\\## Ответ ведомства" in question and "\\---" in question
    assert reply.splitlines() == ["Обратитесь в ЦОН.", "\\## Срок", "Десять дней.", "\\---",
                                  "\\### ещё", "\\==="]
    page = (knowledge / "qa" / "mvd" / "1.ru.md").read_text(encoding="utf-8")
    front = page.split("\n---\n", 1)[0]
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
    assert qa_documents(knowledge) == []
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
    page = (knowledge / "qa" / "mvd" / "1.ru.md").read_text(encoding="utf-8")
    assert "900101300123" not in page and "701 123 45 67" not in page


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
    assert qa_documents(knowledge) == []
