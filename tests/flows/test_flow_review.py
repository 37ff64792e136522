"""The content loop through the production Dispatcher: staff check their
agency's pages with /review (confirm both languages, or correct one section),
a maintainer writes corrections in with `saual review apply` and publishes
them with `saual index`; anyone without staff rights is refused; each staff
chat gets one weekly digest."""

from __future__ import annotations

import asyncio
import json

import pytest
from botkit import Citizen
from typer.testing import CliRunner

from bot.cli import app as cli
from bot.handlers.callbacks import ReviewCB
from embeddings import build_index, load_knowledge, parse_page

MVD, CEC = -100500, -100700
CHECKED = "Проверено ведомством: Министерство внутренних дел, 23.11.2026."
NOT_STAFF = "Это могут делать только сотрудники ведомства"


def member(citizen: Citizen, user_id: int, chat: int, *, admin: bool = True) -> Citizen:
    return Citizen(citizen.dp, citizen.bot, citizen.session, citizen.clock, user_id=user_id,
                   group=chat, admin=admin)


@pytest.fixture
def maintainer(settings, monkeypatch, clock, encoder):
    """Run `saual ...` on the bot's database, knowledge and index, as a maintainer does."""
    monkeypatch.setenv("DATABASE_URL", settings.database_url)
    monkeypatch.setenv("KNOWLEDGE_DIR", str(settings.knowledge_dir))
    monkeypatch.setenv("INDEX_DIR", str(settings.index_dir))
    monkeypatch.setattr("bot.cli.retrieval.make_encoder", lambda spec: encoder)

    async def run(*args: str):
        return await asyncio.to_thread(CliRunner().invoke, cli, list(args), obj=clock)

    return run


@pytest.fixture
async def mvd_staff(saual, citizen) -> Citizen:
    staff = member(citizen, 900, MVD)
    await staff.send(f"/link {await saual.staff.invite('mvd')}")
    return staff


async def publish_edit(saual, name: str, old: str, new: str) -> None:
    """Change a page's text, build and publish the index, and let the bot load it."""
    page = saual.settings.knowledge_dir / "pages/documents" / name
    text = page.read_text(encoding="utf-8")
    assert old in text
    page.write_text(text.replace(old, new), encoding="utf-8")
    build_index(load_knowledge(saual.settings.knowledge_dir), saual.engine.encoder,
                saual.settings.index_dir)
    await saual.reload_index()


def last_in(session, chat: int, start: str) -> dict:
    """The last message the bot sent to `chat` whose text begins with `start`."""
    return [m for m in session.messages.values() if m["chat"]["id"] == chat
            and m.get("text", "").startswith(start)][-1]


def text_of(calls) -> str:
    return "\n".join(c.text for c in calls if c.method in ("sendMessage", "editMessageText"))


async def test_staff_confirm_a_page_and_its_card_says_who_checked_it(saual, citizen, mvd_staff):
    before = await citizen.send("где получить удостоверение личности")
    assert "Ещё не проверено ведомством." in text_of(before)

    listed = await mvd_staff.send("/review")
    assert "страниц на проверку — 2" in text_of(listed)
    labels = [b["text"] for b in mvd_staff.buttons()]
    assert any("Получение удостоверения личности" in t for t in labels)
    assert not any("избирательного" in t for t in labels)  # the CEC's page is not theirs

    opened = await mvd_staff.press("Получение удостоверения личности")
    shown = text_of(opened)
    assert "Жеке куәлік алу" in shown and "Получение удостоверения личности" in shown
    assert "Страница на казахском:" in shown and "Страница на русском:" in shown

    done = await mvd_staff.press("Подтверждаю")
    assert "Подтверждено: «Получение удостоверения личности»" in text_of(done)
    [row] = await saual.storage.reviews.pending()
    assert (row.topic_id, row.kind, row.agency, row.user_id) == ("id-card", "confirm", "mvd", 900)

    after = await citizen.send("где получить удостоверение личности")
    assert CHECKED in text_of(after)  # with the day it was confirmed (Kazakhstan time)
    # The other instance (another Saual on the same database) sees it after a refresh.
    saual.catalog.confirm({})
    await saual.reviews.refresh()
    assert saual.catalog.page("id-card", "kk").checked.verified
    # ... and the list no longer has it.
    relisted = await mvd_staff.send("/review")
    assert "страниц на проверку — 1" in text_of(relisted)
    assert [b["text"] for b in mvd_staff.buttons()] == ["🆕 Регистрация по месту жительства"]


async def test_a_confirmation_holds_only_for_the_content_confirmed(saual, citizen, mvd_staff):
    await mvd_staff.send("/review")
    await mvd_staff.press("Получение удостоверения личности")
    await mvd_staff.press("Подтверждаю")
    assert saual.catalog.page("id-card", "ru").checked.verified
    # A new build where the page says something else: the confirmation no longer holds.
    await publish_edit(saual, "id-card.ru.md", "10 лет", "5 лет")
    assert not saual.catalog.page("id-card", "ru").checked.verified


async def test_a_button_of_a_page_that_changed_meanwhile_is_refused(saual, mvd_staff):
    await mvd_staff.send("/review")
    await mvd_staff.press("Получение удостоверения личности")
    prompt = mvd_staff.last_with_buttons()
    await publish_edit(saual, "id-card.kk.md", "16 жас", "18 жас")
    refused = await mvd_staff.press("Подтверждаю", prompt)
    assert "Страница изменилась" in text_of(refused)
    assert await saual.storage.reviews.pending() == []


async def test_only_staff_confirm(saual, citizen, mvd_staff, session):
    await mvd_staff.send("/review")
    await mvd_staff.press("Получение удостоверения личности")
    prompt = mvd_staff.last_with_buttons()
    outsider = member(citizen, 901, MVD, admin=False)  # in the group, without staff rights
    calls = await outsider.press("Подтверждаю", prompt)
    answers = [c for c in calls if c.method == "answerCallbackQuery"]
    assert answers and NOT_STAFF in answers[-1].params.get("text", "")
    assert await saual.storage.reviews.pending() == []
    said = await outsider.send("/review")
    assert NOT_STAFF in text_of(said)
    # Staff of another agency cannot confirm the MVD's page from their own chat.
    cec = member(citizen, 902, CEC)
    await cec.send(f"/link {await saual.staff.invite('cec')}")
    forged = await cec.press_data(prompt["reply_markup"]["inline_keyboard"][0][0]
                                  ["callback_data"], {**prompt, "chat": {"id": CEC}})
    assert "другому ведомству" in text_of(forged)
    assert await saual.storage.reviews.pending() == []


async def test_a_correction_reaches_the_page_through_the_maintainers(
        saual, citizen, mvd_staff, maintainer):
    await mvd_staff.send("/review")
    await mvd_staff.press("Получение удостоверения личности")
    await mvd_staff.press("Исправить страницу на русском")
    prompt = await mvd_staff.press("Документы")
    assert "Отправьте новый текст раздела «Документы»" in text_of(prompt)
    bad = await mvd_staff.send("## Новый раздел\nтекст")
    assert "строка заголовка" in text_of(bad)
    new_text = "Старое удостоверение или свидетельство о рождении. Госпошлина не взимается."
    saved = await mvd_staff.send(new_text)
    assert "Исправление №1 раздела «Документы» сохранено" in text_of(saved)

    listed = await maintainer("review", "list")
    assert listed.exit_code == 0, listed.output
    assert "#1" in listed.output and "id-card.ru" in listed.output
    assert "Госпошлина не взимается" in listed.output
    as_json = json.loads((await maintainer("review", "list", "--json")).output)
    assert as_json["reviews"][0]["text"] == new_text

    applied = await maintainer("review", "apply", "1")
    assert applied.exit_code == 0, applied.output
    path = saual.settings.knowledge_dir / "pages/documents/id-card.ru.md"
    doc = parse_page(path.read_text(encoding="utf-8"), "pages/documents/id-card.ru.md")
    assert doc.sections[2].text == new_text
    assert [s.heading for s in doc.sections] == ["Кто получает", "Где подать заявление",
                                                 "Документы"]
    assert doc.updated == "2026-11-23" and doc.status == "draft"
    assert "#1" not in (await maintainer("review", "list")).output
    again = await maintainer("review", "apply", "1")
    assert again.exit_code == 1 and "applied already" in again.output

    built = await maintainer("index")
    assert built.exit_code == 0, built.output
    await saual.reload_index()
    page = saual.catalog.page("id-card", "ru")
    assert page.sections[2].text == new_text


async def test_an_open_correction_takes_only_the_text_it_asked_for(
        saual, citizen, session, mvd_staff):
    """While the section prompt waits, the staff member's answer to a citizen's
    question card and their commands go where they always go; the section text
    is what replies to the prompt (or to nothing)."""
    await mvd_staff.send("/review")
    await mvd_staff.press("Получение удостоверения личности")
    await mvd_staff.press("Исправить страницу на русском")
    await mvd_staff.press("Документы")
    prompt = last_in(session, MVD, "Отправьте новый текст раздела")
    await citizen.send("/ask Как получить паспорт, если старый потерян за границей?")
    await citizen.press("✅")
    await citizen.press("Нет, ответ только для меня")
    await citizen.press("Отправить")
    card = last_in(session, MVD, "Вопрос №")
    await mvd_staff.press("Взять", card)
    answer = "Новый паспорт выдают в ЦОНе, срок десять рабочих дней."
    calls = await mvd_staff.reply(answer, card)
    assert any(answer in c.text for c in calls if c.params.get("chat_id") == citizen.user.id)
    status = await mvd_staff.send("/status")
    assert "Исправление" not in text_of(status)
    assert await saual.storage.reviews.pending() == []
    saved = await mvd_staff.reply("Старое удостоверение и фото.", prompt)
    assert "Исправление №1 раздела «Документы» сохранено" in text_of(saved)
    [pending] = await saual.storage.reviews.pending()
    assert pending.text == "Старое удостоверение и фото."


async def test_confirmations_are_written_into_both_pages(saual, mvd_staff, maintainer):
    await mvd_staff.send("/review")
    await mvd_staff.press("Получение удостоверения личности")
    await mvd_staff.press("Подтверждаю")
    applied = await maintainer("review", "apply", "1")
    assert applied.exit_code == 0, applied.output
    docs = load_knowledge(saual.settings.knowledge_dir)
    for lang in ("kk", "ru"):
        doc = docs.document("id-card", lang)
        assert (doc.status, doc.verified_by, doc.verified_on) == ("verified", "mvd",
                                                                  "2026-11-23")
    # Still verified after the maintainer publishes it, now from the files.
    assert (await maintainer("index")).exit_code == 0
    await saual.reload_index()
    assert saual.catalog.page("id-card", "kk").checked.verified


async def test_a_corrected_kazakh_page_is_listed_in_a_russian_staff_chat(
        saual, mvd_staff, maintainer):
    # Both pages confirmed, then the Kazakh one corrected: it is a draft again
    # while the Russian one stays verified, and the Russian-speaking staff chat
    # must still be asked to check the topic (before, only after 180 days).
    await mvd_staff.send("/review")
    await mvd_staff.press("Получение удостоверения личности")
    await mvd_staff.press("Подтверждаю")
    assert (await maintainer("review", "apply", "1")).exit_code == 0
    await mvd_staff.send("/review")  # verified: not listed, opened as its button would
    await mvd_staff.press_data(ReviewCB(act="open", t="id-card").pack(),
                               mvd_staff.last_with_buttons())
    await mvd_staff.press("Исправить страницу на казахском")
    await mvd_staff.press("§")
    await mvd_staff.send("Жаңа мәтін.")
    assert (await maintainer("review", "apply", "2")).exit_code == 0
    assert (await maintainer("index")).exit_code == 0
    await saual.reload_index()
    assert saual.catalog.page("id-card", "ru").checked.verified
    assert not saual.catalog.page("id-card", "kk").checked.verified
    [due] = [d for d in saual.reviews.due("mvd", "ru") if d.id == "id-card"]
    assert due.title == "Получение удостоверения личности" and due.reason == "unverified"
    await mvd_staff.send("/review")
    assert "🆕 Получение удостоверения личности" in [b["text"] for b in mvd_staff.buttons()]


async def test_a_rejected_correction_writes_nothing(saual, mvd_staff, maintainer):
    await mvd_staff.send("/review")
    await mvd_staff.press("Получение удостоверения личности")
    await mvd_staff.press("Исправить страницу на казахском")
    await mvd_staff.press("§")
    await mvd_staff.send("Жаңа мәтін.")
    path = saual.settings.knowledge_dir / "pages/documents/id-card.kk.md"
    before = path.read_text(encoding="utf-8")
    rejected = await maintainer("review", "reject", "1")
    assert rejected.exit_code == 0, rejected.output
    assert (await maintainer("review", "apply", "1")).exit_code == 1
    assert path.read_text(encoding="utf-8") == before


async def test_each_staff_chat_gets_one_weekly_digest(saual, bot, citizen, mvd_staff, clock,
                                                      session):
    # A 👎 on an MVD page, and a question waiting for the agency.
    await citizen.send("где получить удостоверение личности")
    await citizen.press("👎")
    clock.now += 3600  # Monday 15:00 in Kazakhstan (10:00 UTC): the digest is due
    before = len(session.calls)
    assert await saual.send_digests(bot) == 1
    digest = [c for c in session.calls[before:] if c.params.get("chat_id") == MVD]
    text = "\n".join(c.text for c in digest)
    assert "Еженедельная сводка" in text
    assert "Страниц на проверку: 2" in text
    assert "Получение удостоверения личности: 1" in text  # the 👎
    # The same week: nothing more, from this instance or another.
    assert await saual.send_digests(bot) == 0
    clock.now += 7 * 24 * 3600
    assert await saual.send_digests(bot) == 1


async def test_a_digest_left_by_a_killed_instance_is_sent_by_a_later_round(
        saual, bot, citizen, mvd_staff, clock, session):
    from bot.services.reviews import DIGEST_LEASE, iso_week

    clock.now += 3600  # Monday 15:00 in Kazakhstan: the digest is due
    # Another instance claimed the week's digest and was killed before sending.
    assert await saual.storage.reviews.claim_digest("mvd", iso_week(clock.now), DIGEST_LEASE)
    assert await saual.send_digests(bot) == 0  # its claim still holds
    clock.now += DIGEST_LEASE + 1
    before = len(session.calls)
    assert await saual.send_digests(bot) == 1
    assert any(c.params.get("chat_id") == MVD for c in session.calls[before:])
    clock.now += 3600
    assert await saual.send_digests(bot) == 0


async def test_the_digest_names_the_agencys_unanswered_needs_once_a_round(
        saual, bot, citizen, mvd_staff, clock, session, monkeypatch):
    from bot.services.gaps import Gap

    cec = member(citizen, 902, CEC)
    await cec.send(f"/link {await saual.staff.invite('cec')}")
    asked: list[float] = []

    async def gaps(since: float) -> list[Gap]:
        asked.append(since)
        return [Gap("как получить разрешение на оружие", "mvd", 7, [],
                    reasons={"abstained": 4, "voted-down": 2, "not-recorded": 1}),
                Gap("где взять справку об участке", "cec", 3, []),
                Gap("прописка через егов", "mvd", 2, [], reasons={"not-recorded": 2}),
                Gap("погода завтра", None, 2, [])]

    monkeypatch.setattr(saual, "gaps", gaps)
    clock.now -= 6 * 3600  # Monday about 08:00 in Kazakhstan (03:00 UTC): not yet
    assert await saual.send_digests(bot) == 0 and asked == []
    clock.now += 2 * 3600  # 10:00 there
    before = len(session.calls)
    assert await saual.send_digests(bot) == 2
    assert asked == [clock.now - 7 * 24 * 3600]  # one report for both chats, of the week
    mvd = "\n".join(c.text for c in session.calls[before:] if c.params.get("chat_id") == MVD)
    assert "не смог хорошо ответить" in mvd
    # why each group is there, in the chat's language (reasons not recorded: not named)
    assert "• как получить разрешение на оружие (7: нет страницы 4, 👎 2)" in mvd
    assert "• прописка через егов (2)" in mvd
    assert "справку об участке" not in mvd and "погода" not in mvd
    assert await saual.send_digests(bot) == 0 and len(asked) == 1  # claimed: no new report
