"""Non-text messages, the flood limit, errors, start-up and shutdown."""

from __future__ import annotations

import asyncio
import logging

from botkit import Citizen


async def test_a_sticker_gets_a_polite_hint(citizen):
    calls = await citizen.send_sticker()
    assert [c.method for c in calls] == ["sendMessage"]
    assert calls[0].text == "Я понимаю только текст. Пожалуйста, напишите вопрос словами."


async def test_flood_limit_replies_once_then_stays_quiet(citizen, clock, saual):
    citizen.step = 0.1  # eight actions in under a second
    for _ in range(saual.settings.flood_limit):
        assert (await citizen.send("/help"))[0].text.startswith("Как пользоваться Saual")
    calls = await citizen.send("/help")
    assert [c.text for c in calls] == [
        "Слишком много сообщений подряд. Подождите, пожалуйста, несколько секунд."]
    assert await citizen.send("/help") == []
    # a button press while flooding is still answered, with the same words
    calls = await citizen.press("Меню")
    assert [(c.method, c.params.get("text")) for c in calls] == [
        ("answerCallbackQuery",
         "Слишком много сообщений подряд. Подождите, пожалуйста, несколько секунд.")]
    clock.now += saual.settings.flood_window
    assert (await citizen.send("/help"))[0].text.startswith("Как пользоваться Saual")


async def test_flood_limit_is_per_user(citizen, saual, bot, session, clock):
    other = Citizen(saual.dispatcher, bot, session, clock, user_id=4242)
    citizen.step = other.step = 0.0
    for _ in range(saual.settings.flood_limit + 2):
        await citizen.send("/help")
    assert (await other.send("/help"))[0].text.startswith("Как пользоваться Saual")


async def test_an_error_is_logged_and_answered_without_details(citizen, saual, caplog,
                                                               monkeypatch):
    async def broken(user_id, text):
        raise RuntimeError("secret internals: db password hunter2")

    monkeypatch.setattr(saual.answers, "ask", broken)
    await citizen.send("/start")
    await citizen.press("Қазақша")
    with caplog.at_level(logging.ERROR, logger="bot.handlers.errors"):
        calls = await citizen.send("прописка онлайн")
    reply = [c for c in calls if c.method == "sendMessage"]
    assert [r.text for r in reply] == [
        "Менің тарапымда ақау шықты. Сәл кейінірек қайталап көріңізші."]
    [record] = [r for r in caplog.records if r.name == "bot.handlers.errors"]
    assert record.exc_info and isinstance(record.exc_info[1], RuntimeError)


async def test_startup_registers_commands_in_both_languages(saual, bot, session):
    await saual.dispatcher.emit_startup(bot=bot, **saual.dispatcher.workflow_data)
    try:
        calls = session.named("setMyCommands")
        commands = {c.params.get("language_code"): c.params["commands"]
                    for c in calls if c.params["scope"]["type"] == "default"}
        assert set(commands) == {"kk", "ru", None}
        groups = {c.params.get("language_code"): c.params["commands"]
                  for c in calls if c.params["scope"]["type"] == "all_group_chats"}
        assert set(groups) == {"kk", "ru", None} and len(calls) == 6
        assert [c["command"] for c in groups["kk"]] == ["help", "quiet"]
        assert groups["ru"][1]["description"].startswith("Отключить меня в этой группе")
        assert [c["command"] for c in commands["kk"]] == ["start", "menu", "stations",
                                                          "subscriptions", "stop", "ask",
                                                          "myquestions", "language", "help"]
        assert commands["kk"][1]["description"] == "Тақырыптарды қарау"
        assert commands["ru"][1]["description"] == "Все темы"
        assert commands[None] == commands["ru"]
    finally:
        await saual.dispatcher.emit_shutdown(bot=bot, **saual.dispatcher.workflow_data)


async def test_shutdown_waits_for_answers_in_progress(citizen, saual, bot, monkeypatch):
    release = asyncio.Event()
    real_ask = saual.answers.ask

    async def slow(user_id, text):
        await release.wait()
        return await real_ask(user_id, text)

    monkeypatch.setattr(saual.answers, "ask", slow)
    dp = saual.dispatcher
    await dp.emit_startup(bot=bot, **dp.workflow_data)
    asking = asyncio.create_task(citizen.send("прописка онлайн"))
    await asyncio.sleep(0.05)
    assert saual.inflight.count == 1
    stopping = asyncio.create_task(dp.emit_shutdown(bot=bot, **dp.workflow_data))
    await asyncio.sleep(0.05)
    assert not stopping.done()  # shutdown waits for the answer
    release.set()
    calls = await asking
    await stopping
    assert any(c.text.startswith("Регистрация по месту жительства") for c in calls)
    assert saual.inflight.count == 0
