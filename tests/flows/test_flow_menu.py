"""/menu: sections -> topics -> page, editing one message, within three taps."""

from __future__ import annotations

from bot.app import Saual
from embeddings import build_index, load_knowledge


async def test_menu_walk_edits_one_message(citizen, session):
    calls = await citizen.send("/menu")
    [menu] = calls
    assert menu.text == "Выберите раздел:"
    assert [b["text"] for b in menu.buttons] == ["Документы и личность", "Участие в управлении",
                                                 "🗳 Найти мой избирательный участок",
                                                 "🔔 Подписки на новости",
                                                 "✉️ Задать вопрос ведомству"]
    message_id = citizen.last_with_buttons()["message_id"]

    calls = await citizen.press("Документы и личность")  # tap 1
    edit = next(c for c in calls if c.method == "editMessageText")
    assert edit.params["message_id"] == message_id
    assert edit.text == "Документы и личность: выберите тему:"
    assert [b["text"] for b in edit.buttons] == [
        "Получение удостоверения личности", "Регистрация по месту жительства", "⬅️ Все разделы"]

    calls = await citizen.press("Регистрация по месту жительства")  # tap 2: the page
    edit = next(c for c in calls if c.method == "editMessageText")
    assert edit.params["message_id"] == message_id
    assert edit.text.startswith("Регистрация по месту жительства\n\nПрописаться")
    assert "Как подать заявку" in edit.text
    assert {"text": "🔗 Официальный источник",
            "url": "https://egov.kz/cms/ru/services/registration"} in edit.buttons

    calls = await citizen.press("Назад")
    edit = next(c for c in calls if c.method == "editMessageText")
    assert edit.text == "Документы и личность: выберите тему:"
    calls = await citizen.press("Все разделы")
    edit = next(c for c in calls if c.method == "editMessageText")
    assert edit.text == "Выберите раздел:"
    assert not session.named("sendMessage")[1:]  # still the one message


async def test_every_page_is_within_three_taps(citizen, saual):
    """Walk the whole menu in Kazakh; every topic's page opens in at most 3 taps."""
    await citizen.send("/start")
    await citizen.press("Қазақша")
    await citizen.send("/menu")
    menu = citizen.last_with_buttons()
    reached = set()
    for category in [b["text"] for b in citizen.buttons(menu)
                     if not b["text"].startswith(("🗳", "🔔", "✉️"))]:
        await citizen.press(category, menu)  # tap 1
        topics = citizen.last_with_buttons()
        for topic in [b["text"] for b in citizen.buttons(topics)][:-1]:
            calls = await citizen.press(topic, topics)  # tap 2
            page = next(c for c in calls if c.method == "editMessageText")
            assert page.text.startswith(topic)
            assert any("url" in b for b in page.buttons)
            reached.add(topic)
            await citizen.press("Артқа")  # back to the topics
            topics = citizen.last_with_buttons()
        await citizen.press("Барлық бөлімдер")
        menu = citizen.last_with_buttons()
    titles = {doc.title for (_id, lang), doc in saual.engine.index.documents.items()
              if lang == "kk"}
    assert reached == titles


async def test_a_menu_button_under_an_answer_opens_a_new_menu(citizen, session):
    await citizen.send("прописка онлайн")
    card = citizen.last_with_buttons()
    calls = await citizen.press("Меню", card)
    [menu] = [c for c in calls if c.method == "sendMessage"]
    assert menu.text == "Выберите раздел:"
    assert not [c for c in calls if c.method == "editMessageText"]  # the card stays


async def test_a_stale_topic_button_is_answered(citizen, session):
    await citizen.send("/menu")
    calls = await citizen.press_data("t:no-such-topic:0", citizen.last_with_buttons())
    assert next(c for c in calls if c.method == "answerCallbackQuery").params["text"] == (
        "Эта тема больше недоступна.")
    calls = await citizen.press_data("zz:unknown", citizen.last_with_buttons())
    assert [c.method for c in calls] == ["answerCallbackQuery"]


async def test_a_long_page_is_split_into_messages(knowledge, settings, encoder, clock, session):
    from botkit import Citizen

    page = knowledge / "pages/documents/residence-registration.ru.md"
    paragraphs = [f"Абзац {i}: " + "очень подробное описание порядка регистрации " * 12
                  for i in range(25)]
    page.write_text(page.read_text(encoding="utf-8") + "\n## Подробности\n"
                    + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    build_index(load_knowledge(knowledge), encoder, settings.index_dir)
    app = await Saual.create(settings, encoder=encoder, clock=clock)
    try:
        citizen = Citizen(app.dispatcher, app.bot(session=session), session, clock)
        await citizen.send("/menu")
        await citizen.press("Документы и личность")
        calls = await citizen.press("Регистрация по месту жительства")
        edit = next(c for c in calls if c.method == "editMessageText")
        assert len(edit.text) <= 4096  # an edit must fit one message: cut, with the rest listed
        assert "Ещё на этой странице:\n• Подробности" in edit.text
        calls = await citizen.press("Полный текст")
        parts = [c for c in calls if c.method == "sendMessage"]
        assert len(parts) >= 3
        assert all(len(p.text.encode("utf-16-le")) // 2 <= 4096 for p in parts)
        text = "\n".join(p.text for p in parts)
        for p in paragraphs:
            assert p.strip() in text
        assert [b.get("url") for b in parts[-1].buttons] == [
            "https://egov.kz/cms/ru/services/registration"]
        assert all(not p.buttons for p in parts[:-1])
    finally:
        await app.close()


async def test_the_menu_follows_a_new_index_build(citizen, saual, knowledge, encoder, settings):
    page = knowledge / "pages/documents/id-card.ru.md"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "title: Получение удостоверения личности", "title: Как получить удостоверение личности"),
        encoding="utf-8")
    build_index(load_knowledge(knowledge), encoder, settings.index_dir)
    assert saual.engine.reload(force=True)
    await citizen.send("/menu")
    calls = await citizen.press("Документы и личность")
    assert "Как получить удостоверение личности" in [b["text"] for b in calls[0].buttons]


async def test_a_running_bot_switches_to_a_new_build_by_itself(saual, bot, knowledge, encoder,
                                                              settings):
    import asyncio
    import dataclasses

    saual.engine.config = dataclasses.replace(saual.engine.config, reload_every=0.05)
    old = saual.engine.index.build_id
    dp = saual.dispatcher
    await dp.emit_startup(bot=bot, **dp.workflow_data)
    try:
        page = knowledge / "pages/participation/polling-station.ru.md"
        page.write_text(page.read_text(encoding="utf-8").replace(
            "title: Поиск избирательного участка", "title: Где мой избирательный участок"),
            encoding="utf-8")
        build_index(load_knowledge(knowledge), encoder, settings.index_dir)
        for _ in range(100):  # nobody asks anything meanwhile
            if saual.engine.index.build_id != old:
                break
            await asyncio.sleep(0.05)
        assert saual.engine.index.build_id != old
        assert saual.catalog.title("polling-station", "ru") == "Где мой избирательный участок"
    finally:
        await dp.emit_shutdown(bot=bot, **dp.workflow_data)
