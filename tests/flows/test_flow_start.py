"""/start, the language choice and where the locale comes from."""

from __future__ import annotations

from botkit import Citizen


async def test_start_greets_in_both_languages_and_saves_the_choice(citizen, session, saual):
    calls = await citizen.send("/start")
    assert [c.method for c in calls] == ["sendMessage"]
    greeting = calls[0].text
    assert "Сәлеметсіз бе!" in greeting and "Здравствуйте!" in greeting
    assert [b["text"] for b in calls[0].buttons] == ["🇰🇿 Қазақша", "🇷🇺 Русский"]
    assert await saual.storage.users.get(citizen.user.id) is not None

    calls = await citizen.press("Қазақша")
    edit = next(c for c in calls if c.method == "editMessageText")
    assert edit.params["message_id"] == citizen.last_with_buttons()["message_id"]
    assert "Сұрағыңызды өз сөзіңізбен жазыңыз" in edit.text
    assert [b["text"] for b in edit.buttons] == ["📚 Мәзір", "🌐 Тіл", "🗳 Сайлау учаскемді табу",
                                                 "🔔 Жаңалықтарға жазылу"]
    toast = next(c for c in calls if c.method == "answerCallbackQuery")
    assert toast.params["text"] == "Тіл сақталды: қазақ тілі."
    assert (await saual.storage.users.get(citizen.user.id)).language == "kk"

    # Telegram says Russian, the saved choice says Kazakh: Kazakh wins.
    calls = await citizen.send("/help")
    assert calls[0].text.startswith("Saual-ды қалай пайдалануға болады")


async def test_language_command_changes_the_language(citizen, saual):
    await citizen.send("/start")
    await citizen.press("Қазақша")
    calls = await citizen.send("/language")
    assert calls[0].text == "Тілді таңдаңыз:"
    calls = await citizen.press("Русский")
    assert any("Задайте вопрос своими словами" in c.text for c in calls)
    assert (await saual.storage.users.get(citizen.user.id)).language == "ru"
    # the "Language" button under the description opens the choice again
    calls = await citizen.press("Язык")
    assert calls[0].method == "editMessageText" and calls[0].text == "Выберите язык:"


async def test_without_a_choice_telegram_language_decides(saual, bot, session, clock):
    kk = Citizen(saual.dispatcher, bot, session, clock, user_id=1, language_code="kk")
    en = Citizen(saual.dispatcher, bot, session, clock, user_id=2, language_code="en")
    nothing = Citizen(saual.dispatcher, bot, session, clock, user_id=3, language_code=None)
    assert (await kk.send("/language"))[0].text == "Тілді таңдаңыз:"
    assert (await en.send("/language"))[0].text == "Выберите язык:"
    assert (await nothing.send("/language"))[0].text == "Выберите язык:"


async def test_help_and_unknown_commands(citizen):
    calls = await citizen.send("/help")
    assert "/menu" in calls[0].text and "ИИН" in calls[0].text
    assert "наберите @saual_test_bot и свой вопрос" in calls[0].text  # inline mode, groups
    assert [b["text"] for b in calls[0].buttons] == ["📚 Меню", "🌐 Язык",
                                                     "🗳 Найти мой избирательный участок",
                                                     "🔔 Подписки на новости"]
    calls = await citizen.send("/nonsense")
    assert [c.method for c in calls] == ["sendMessage"]
    assert calls[0].text == "Такой команды нет. Подсказка: /help"


async def test_blocking_the_bot_is_remembered(citizen, saual, session):
    await citizen.send("/start")
    await citizen.block()
    assert (await saual.storage.users.get(citizen.user.id)).blocked
    await citizen.block(False)
    assert not (await saual.storage.users.get(citizen.user.id)).blocked
    # a send refused with 403 marks the user too
    session.blocked.add(citizen.user.id)
    await citizen.send("/help")
    assert (await saual.storage.users.get(citizen.user.id)).blocked
