"""Questions: answer cards, abstention, feedback, other answers, the question log."""

from __future__ import annotations

import logging

import pytest
from botkit import Citizen
from topickit import HUNTING_THEME, with_questions

from bot.app import Saual
from bot.services import Checked
from embeddings import build_index, load_knowledge
from embeddings.corpus import Corpus


async def _question_rows(saual):
    return await saual.storage.questions.recent()


@pytest.mark.parametrize(
    ("question", "title", "url", "source_label"),
    [
        ("прописка онлайн", "Регистрация по месту жительства",
         "https://egov.kz/cms/ru/services/registration", "🔗 Официальный источник"),
        ("жеке куәлікті қайдан аламын", "Жеке куәлік алу",
         "https://egov.kz/cms/kk/services/passport/id_card", "🔗 Ресми дереккөз"),
    ],
)
async def test_a_question_gets_an_answer_card_with_its_source(
    saual, citizen, question, title, url, source_label, session,
):
    if question.startswith("жеке"):
        await citizen.send("/start")
        await citizen.press("Қазақша")
    calls = await citizen.send(question)
    methods = [c.method for c in calls]
    assert methods[0] == "sendChatAction" and calls[0].params["action"] == "typing"
    assert methods.count("sendMessage") == 1  # the answer card is one reply
    card = next(c for c in calls if c.method == "sendMessage")
    assert card.text.startswith(title)
    assert "§ " in card.text  # the best section, as a snippet
    assert "parse_mode" not in card.params  # text + entities, nothing parsed
    assert {"type": "bold", "offset": 0, "length": len(title)} in [
        {k: e[k] for k in ("type", "offset", "length")} for e in card.params["entities"]]
    sources = [b for b in card.buttons if "url" in b]
    assert sources == [{"text": source_label, "url": url}]
    labels = [b["text"] for b in card.buttons]
    assert {"👍", "👎"} <= set(labels)

    [row] = await _question_rows(saual)
    assert row.user_id == citizen.user.id and row.confident and row.outcome == "answered"
    assert row.chat_type == "private"
    assert row.text == question
    assert row.topic_id in ("residence-registration", "id-card")
    assert len(row.results) == 3


async def test_the_card_is_in_the_question_language_whatever_the_interface(citizen):
    # The interface is Russian; the question is Kazakh: the Kazakh page answers.
    calls = await citizen.send("жеке куәлікті қайдан аламын")
    card = next(c for c in calls if c.method == "sendMessage")
    assert card.text.startswith("Жеке куәлік алу")
    assert "📄 Полный текст" in [b["text"] for b in card.buttons]  # interface stays Russian


async def test_a_page_only_in_the_other_language_is_flagged(knowledge, settings, encoder, clock,
                                                           session):
    corpus = load_knowledge(knowledge)
    only_ru = Corpus([d for d in corpus.documents if not (d.id == "id-card" and d.lang == "kk")],
                     corpus.categories, corpus.topics, corpus.agencies, corpus.synonyms, "x")
    build_index(only_ru, encoder, settings.index_dir)
    app = await Saual.create(settings, encoder=encoder, clock=clock)
    try:
        kk = Citizen(app.dispatcher, app.bot(session=session), session, clock,
                     language_code="kk")
        calls = await kk.send("удостоверение личности алу керек пе")
        card = next(c for c in calls if c.method == "sendMessage")
        assert card.text.startswith("Получение удостоверения личности")
        assert "Бұл бет тек орыс тілінде бар." in card.text
    finally:
        await app.close()


async def test_no_answer_is_said_honestly_with_the_menu(citizen, saual):
    calls = await citizen.send("рецепт плова с бараниной")
    reply = next(c for c in calls if c.method == "sendMessage")
    assert reply.text.startswith("Извините, на вопрос «рецепт плова с бараниной» я не нашёл")
    assert "Попробуйте сформулировать вопрос иначе" in reply.text
    # No government theme was recognised: no agency to ask about a recipe.
    assert [b["text"] for b in reply.buttons] == ["📚 Меню"]
    assert "ведомств" not in reply.text
    [row] = await _question_rows(saual)
    assert not row.confident and row.outcome == "abstained"


async def test_no_answer_suggests_close_topics(knowledge, settings, encoder, clock, session):
    settings = settings.model_copy(update={"search_min_confidence": 0.5,
                                           "suggest_min_confidence": 0.01})
    build_index(load_knowledge(knowledge), encoder, settings.index_dir)
    app = await Saual.create(settings, encoder=encoder, clock=clock)
    try:
        citizen = Citizen(app.dispatcher, app.bot(session=session), session, clock)
        calls = await citizen.send("Как получить удостоверение личности?")
        reply = next(c for c in calls if c.method == "sendMessage")
        assert "Возможно, поможет одна из этих тем:" in reply.text
        labels = [b["text"] for b in reply.buttons]
        assert labels[0] == "Получение удостоверения личности" and labels[-1] == "📚 Меню"
        calls = await citizen.press("Получение удостоверения личности")
        page = next(c for c in calls if c.method == "sendMessage")
        assert page.text.startswith("Получение удостоверения личности")
        assert {"text": "🔗 Официальный источник",
                "url": "https://egov.kz/cms/ru/services/passport/id_card"} in page.buttons
    finally:
        await app.close()


async def test_a_theme_no_page_covers_names_the_agency_to_turn_to(knowledge, settings, encoder,
                                                                 clock, session):
    (knowledge / "out_of_scope.yaml").write_text(
        "themes:\n  - id: elections-abroad\n    agency: cec\n"
        "    title: {kk: Шетелдегі сайлау, ru: Голосование за рубежом}\n"
        "    keywords:\n      kk: [шетелде дауыс беру, елшілікте дауыс беру]\n"
        "      ru: [голосовать за границей, голосование в посольстве]\n", encoding="utf-8")
    build_index(load_knowledge(knowledge), encoder, settings.index_dir)
    app = await Saual.create(settings, encoder=encoder, clock=clock)
    try:
        citizen = Citizen(app.dispatcher, app.bot(session=session), session, clock)
        calls = await citizen.send("как голосовать за границей в посольстве")
        reply = next(c for c in calls if c.method == "sendMessage")
        assert "В боте нет страницы о теме «Голосование за рубежом». Этим занимается " \
               "ведомство: Центральная избирательная комиссия. Сайт: " \
               "https://www.election.gov.kz" in reply.text
        assert "Возможно, поможет" not in reply.text  # no near-miss pages offered
        assert [b["text"] for b in reply.buttons] == ["✉️ Задать вопрос ведомству", "📚 Меню"]
        assert {"type": "text_link", "url": "https://www.election.gov.kz"} in [
            {k: e[k] for k in ("type", "url")} for e in reply.params["entities"]
            if e["type"] == "text_link"]
        calls = await citizen.press("Задать вопрос ведомству")
        proposal = next(c for c in calls if "Предлагаю отправить" in c.text)
        assert "Предлагаю отправить его в ведомство: Центральная избирательная комиссия" in \
            proposal.text
        [row] = await _question_rows(app)
        assert not row.confident and row.outcome == "redirected"
    finally:
        await app.close()


async def test_a_question_no_page_answers_names_no_theme_the_model_did_not_recognise(
        knowledge, settings, encoder, clock, session):
    """With a topic model, an out-of-scope theme is named only when the model
    recognises it, not for every question no page answers (a near miss of the
    fixture's model here; a recipe in the shipped knowledge)."""
    settings = settings.model_copy(update={"search_min_confidence": None})  # the engine's
    (knowledge / "out_of_scope.yaml").write_text(HUNTING_THEME, encoding="utf-8")
    build_index(load_knowledge(with_questions(knowledge)), encoder, settings.index_dir)
    app = await Saual.create(settings, encoder=encoder, clock=clock)
    try:
        citizen = Citizen(app.dispatcher, app.bot(session=session), session, clock)
        asked = "удостоверение тракториста в частной автошколе цена"
        calls = await citizen.send(asked)
        reply = next(c for c in calls if c.method == "sendMessage")
        assert reply.text.startswith(f"Извините, на вопрос «{asked}» я не нашёл")
        assert "ведомств" not in reply.text and "Охота" not in reply.text
        assert [b["text"] for b in reply.buttons] == ["📚 Меню"]
        calls = await citizen.send("охотничий билет разрешение на охоту")
        reply = next(c for c in calls if c.method == "sendMessage")
        assert "В боте нет страницы о теме «Охота и охотничий билет»." in reply.text
        assert [b["text"] for b in reply.buttons] == ["✉️ Задать вопрос ведомству", "📚 Меню"]
    finally:
        await app.close()


async def test_feedback_is_stored_and_shown(citizen, saual, session):
    await citizen.send("прописка онлайн")
    card = citizen.last_with_buttons()
    calls = await citizen.press("👍", card)
    assert next(c for c in calls if c.method == "answerCallbackQuery").params["text"] == (
        "Спасибо за отзыв!")
    marked = next(c for c in calls if c.method == "editMessageReplyMarkup")
    assert "👍 ✓" in [b["text"] for b in marked.buttons]
    [question] = await _question_rows(saual)
    [vote] = await saual.storage.feedback.for_question(question.id)
    assert (vote.user_id, vote.value) == (citizen.user.id, 1)

    await citizen.press("👎", session.messages[card["message_id"]])
    [vote] = await saual.storage.feedback.for_question(question.id)
    assert vote.value == -1  # a second vote replaces the first


async def test_other_answers_list_the_next_results(citizen, session):
    await citizen.send("прописка онлайн")
    card = citizen.last_with_buttons()
    calls = await citizen.press("Другие ответы", card)
    listing = next(c for c in calls if c.method == "sendMessage")
    assert listing.text == "Другие ответы:"
    labels = [b["text"] for b in listing.buttons]
    assert "Регистрация по месту жительства" not in labels
    assert {"Получение удостоверения личности", "Поиск избирательного участка"} <= set(labels)
    calls = await citizen.press("Поиск избирательного участка")
    page = next(c for c in calls if c.method == "sendMessage")
    assert page.text.startswith("Поиск избирательного участка")


async def test_the_question_log_is_masked_and_logs_hold_no_raw_text(citizen, saual, caplog):
    caplog.set_level(logging.DEBUG)
    question = ("мой ИИН 900101300123, телефон +7 701 123 45 67, почта ivanov@mail.kz, "
                "карта 4400 4301 2345 6789: как получить удостоверение личности")
    await citizen.send(question)
    [row] = await _question_rows(saual)
    assert row.text == ("мой ИИН [IIN], телефон [phone], почта [email], карта [card]: "
                        "как получить удостоверение личности")
    for secret in ("900101300123", "701 123 45 67", "ivanov@mail.kz", "4400 4301"):
        assert secret not in caplog.text
    assert f"question {row.id} from user {citizen.user.id}" in caplog.text


async def test_an_identifier_across_the_cut_is_masked_before_the_cut(citizen, saual):
    # A search reads the first 1,000 characters; cut first, the IIN's first 11
    # digits would have been stored (a birth date and more), fitting no pattern.
    question = "а" * 988 + " 900101300123 удостоверение личности"
    await citizen.send(question)
    [row] = await _question_rows(saual)
    assert "9001013" not in row.text and "[IIN]" in row.text
    assert len(row.text) <= 1000


async def test_html_in_a_question_is_just_text(citizen, session):
    # (a bare "<b>" is one letter: noise, answered with a hint, not quoted)
    calls = await citizen.send("<b>рецепт плова</b>")
    reply = next(c for c in calls if c.method == "sendMessage")
    assert "«<b>рецепт плова</b>»" in reply.text
    assert "parse_mode" not in reply.params


async def test_html_in_a_knowledge_page_is_just_text(knowledge, settings, encoder, clock,
                                                    session):
    page = knowledge / "pages/documents/residence-registration.ru.md"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "title: Регистрация по месту жительства",
        "title: Регистрация <по месту> жительства & <script>").replace(
        "согласие по SMS.", "согласие по SMS. <i>Срок</i> < 10 дней & без </b> тегов."),
        encoding="utf-8")
    build_index(load_knowledge(knowledge), encoder, settings.index_dir)
    app = await Saual.create(settings, encoder=encoder, clock=clock)
    try:
        citizen = Citizen(app.dispatcher, app.bot(session=session), session, clock)
        calls = await citizen.send("прописка онлайн")
        card = next(c for c in calls if c.method == "sendMessage")
        assert card.text.startswith("Регистрация <по месту> жительства & <script>")
        calls = await citizen.press("Полный текст", citizen.last_with_buttons())
        full = "\n".join(c.text for c in calls if c.method == "sendMessage")
        assert "<i>Срок</i> < 10 дней & без </b> тегов." in full
    finally:
        await app.close()


async def test_a_card_says_whether_an_agency_verified_its_page(knowledge, settings, encoder,
                                                              clock, session):
    """A draft says no agency has checked it yet; a verified page says which
    agency checked it and when (the note in the interface language, the
    agency's name in the page's)."""
    page = knowledge / "pages" / "documents" / "id-card.ru.md"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "status: draft", "status: verified\nverified_by: mvd\nverified_on: 2026-12-01"),
        encoding="utf-8")
    build_index(load_knowledge(knowledge), encoder, settings.index_dir)
    app = await Saual.create(settings, encoder=encoder, clock=clock)
    try:
        ru = Citizen(app.dispatcher, app.bot(session=session), session, clock)
        card = next(c for c in await ru.send("как получить удостоверение личности")
                    if c.method == "sendMessage")
        assert card.text.startswith("Получение удостоверения личности\n\n")
        assert card.text.endswith("\n\nПроверено ведомством: Министерство внутренних дел, "
                                  "01.12.2026.")
        kk = Citizen(app.dispatcher, app.bot(session=session), session, clock, user_id=778,
                     language_code="kk")
        card = next(c for c in await kk.send("жеке куәлікті қайдан аламын")
                    if c.method == "sendMessage")
        assert card.text.startswith("Жеке куәлік алу\n\n")
        assert card.text.endswith("\n\nМемлекеттік орган әлі тексерген жоқ.")
        menu = app.catalog.page("id-card", "kk")
        assert menu is not None and menu.checked == Checked(False)
        assert app.catalog.page("id-card", "ru").checked == Checked(
            True, "Министерство внутренних дел", "2026-12-01")
    finally:
        await app.close()
